// What a stage means, independent of the routing API that carries it (VirtualService + DestinationRule
// today, a Gateway API HTTPRoute next): who gets which share, whether the header route exists, which
// versions must be addressable.
import type { StickyCookie } from './sticky-cookie.js';
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
/** `keep`: a sticky cookie an earlier run set up stays (for this run's canary). */
export type StickyIntent = { kind: 'set'; cookie: StickyCookie } | { kind: 'keep' } | { kind: 'remove' };

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
  /** Users the split sent to the canary stay on it, by a cookie. */
  sticky: StickyIntent;
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

/**
 * The sticky cookie follows the canary's share of the split: with none, no one is sent there by weight, so
 * there is nothing to stick to (cookies of an earlier shift no longer route). Without `sticky-cookie`, a
 * cookie set up by an earlier run is kept, as the header route and the mirror are.
 */
function stickyFrom(options: StageOptions, split: WeightedVersion[]): StickyIntent {
  if (!split.some((entry) => entry.version === options.canary)) return { kind: 'remove' };
  if (options.stickyCookie === undefined) return { kind: 'keep' };
  return {
    kind: 'set',
    cookie: { name: options.stickyCookie, ttlSeconds: options.stickyCookieTtlSeconds ?? 0 },
  };
}

function mirrorFrom(options: StageOptions): MirrorIntent {
  if (options.mirrorPercent === undefined) return { kind: 'keep' };
  return options.mirrorPercent > 0 ? { kind: 'set', percent: options.mirrorPercent } : { kind: 'remove' };
}

/**
 * The intent of a stage. `canaryWeight` is the shift weight (a `progressive` step passes its own).
 * promote and finalize send everything to the canary, so the header route and a canary mirror are
 * redundant there and go, as in the tutorial's step 7, and so does the sticky cookie route; rollback removes
 * them too.
 */
export function stageIntent(options: StageOptions, canaryWeight: number | undefined): RoutingIntent {
  const { stable, canary } = options;
  const both = [stable, canary];
  const allToCanary = {
    headerRoute: { kind: 'remove' } as const,
    mirror: { kind: 'remove' } as const,
    sticky: { kind: 'remove' } as const,
  };
  switch (options.stage) {
    case 'route':
    case 'shift':
    case 'progressive': {
      // route leaves the default route on stable; shift and progressive give the canary its share.
      const split = splitFor(stable, canary, options.stage === 'route' ? 0 : (canaryWeight ?? 0));
      return {
        headerRoute: headerRouteFrom(options, { kind: 'keep' }),
        split,
        mirror: mirrorFrom(options),
        ensureVersions: both,
        dropVersions: [],
        sticky: stickyFrom(options, split),
      };
    }
    case 'promote':
      return {
        ...allToCanary,
        split: splitFor(stable, canary, 100),
        ensureVersions: both,
        dropVersions: [],
      };
    case 'rollback':
      // The DestinationRule is kept as it is: rolling back changes routing only.
      return {
        ...allToCanary,
        split: splitFor(stable, canary, 0),
        ensureVersions: [],
        dropVersions: [],
      };
    case 'finalize':
      return {
        ...allToCanary,
        split: splitFor(stable, canary, 100),
        ensureVersions: [canary],
        dropVersions: [stable],
      };
    case 'status':
      throw new Error('status only reads: it has no routing intent');
  }
}
