// What a stage means, independent of the routing API that carries it (VirtualService + DestinationRule
// today, a Gateway API HTTPRoute next): who gets which share, whether the header route exists, which
// versions must be addressable.
import type { HeaderMatch, StageOptions } from './types.js';

export interface WeightedVersion {
  version: string;
  weight: number;
}

/** The requests the header route sends to the canary: headers AND-ed, optionally scoped by path/method. */
export interface CanaryMatch {
  headers: HeaderMatch[];
  uriPrefix?: string;
  method?: string;
}

export type HeaderRouteIntent = { kind: 'set'; match: CanaryMatch } | { kind: 'keep' } | { kind: 'remove' };
export type MirrorIntent = { kind: 'set'; percent: number } | { kind: 'keep' } | { kind: 'remove' };

export interface RoutingIntent {
  headerRoute: HeaderRouteIntent;
  /** The default route's split; weight-0 versions are left out, weights sum to 100. */
  split: WeightedVersion[];
  /** Copy of default-route traffic to the canary. */
  mirror: MirrorIntent;
  /** Versions that must be addressable (subsets) before the routes name them. */
  ensureVersions: string[];
  /** Versions no longer addressable after this stage. */
  dropVersions: string[];
  /** Whether the sticky cookie applies (it only makes sense while both versions serve). */
  sticky: boolean;
}

/** The default route's split for a canary share `canaryWeight`. */
export function splitFor(stable: string, canary: string, canaryWeight: number): WeightedVersion[] {
  const split = [
    { version: stable, weight: 100 - canaryWeight },
    { version: canary, weight: canaryWeight },
  ];
  return split.filter((entry) => entry.weight > 0);
}

function headerRouteFrom(options: StageOptions, whenAbsent: HeaderRouteIntent): HeaderRouteIntent {
  if (options.headerMatch.length === 0) return whenAbsent;
  return {
    kind: 'set',
    match: { headers: options.headerMatch, uriPrefix: options.uriPrefix, method: options.method },
  };
}

function mirrorFrom(options: StageOptions): MirrorIntent {
  if (options.mirrorPercent === undefined) return { kind: 'keep' };
  return options.mirrorPercent > 0 ? { kind: 'set', percent: options.mirrorPercent } : { kind: 'remove' };
}

/**
 * The intent of a stage. `canaryWeight` is the shift weight (a `progressive` step passes its own).
 * promote and finalize send everything to the canary, so the header route and a canary mirror are
 * redundant there and go, as in the tutorial's step 7; rollback removes them too.
 */
export function stageIntent(options: StageOptions, canaryWeight: number | undefined): RoutingIntent {
  const { stable, canary } = options;
  const both = [stable, canary];
  const allToCanary = { headerRoute: { kind: 'remove' } as const, mirror: { kind: 'remove' } as const };
  switch (options.stage) {
    case 'route':
      return {
        headerRoute: headerRouteFrom(options, { kind: 'keep' }),
        split: splitFor(stable, canary, 0),
        mirror: mirrorFrom(options),
        ensureVersions: both,
        dropVersions: [],
        sticky: true,
      };
    case 'shift':
    case 'progressive':
      return {
        headerRoute: headerRouteFrom(options, { kind: 'keep' }),
        split: splitFor(stable, canary, canaryWeight ?? 0),
        mirror: mirrorFrom(options),
        ensureVersions: both,
        dropVersions: [],
        sticky: true,
      };
    case 'promote':
      return {
        ...allToCanary,
        split: splitFor(stable, canary, 100),
        ensureVersions: both,
        dropVersions: [],
        sticky: true,
      };
    case 'rollback':
      // The DestinationRule is kept as it is: rolling back changes routing only.
      return {
        ...allToCanary,
        split: splitFor(stable, canary, 0),
        ensureVersions: [],
        dropVersions: [],
        sticky: false,
      };
    case 'finalize':
      return {
        ...allToCanary,
        split: splitFor(stable, canary, 100),
        ensureVersions: [canary],
        dropVersions: [stable],
        sticky: false,
      };
    case 'status':
      throw new Error('status only reads: it has no routing intent');
  }
}
