// The canary mirror on the default route (`mirror-percent`), in whichever form the route already uses:
// the single `mirror` with `mirrorPercentage`, or the `mirrors` list (Istio 1.22 and later). Istio refuses
// a route carrying both, and a route has one `mirror`, so a user's own mirror elsewhere is never replaced.
import { InputError } from '../errors.js';
import type { RoutingIntent } from './intent.js';
import { resourceName, sameHost } from './objects.js';
import type { HTTPRoute, StageOptions, VirtualService } from './types.js';

export type Destination = NonNullable<HTTPRoute['mirror']>;
type MirrorPolicy = NonNullable<HTTPRoute['mirrors']>[number];

/**
 * Every destination a route names: where it sends requests, and where it copies them; added to `into`
 * when given (one list for every route of a large object, not one per route).
 */
export function routeTargets(route: HTTPRoute, into: Destination[] = []): Destination[] {
  for (const destination of route.route ?? []) into.push(destination.destination);
  if (route.mirror) into.push(route.mirror);
  for (const policy of route.mirrors ?? []) into.push(policy.destination);
  return into;
}

function describe(destination: Destination): string {
  return destination.subset ? `${destination.host}/${destination.subset}` : destination.host;
}

/** Sets, keeps or removes the canary mirror of the default route `route` (changed in place). */
export function applyMirror(
  route: HTTPRoute,
  intent: RoutingIntent,
  options: StageOptions,
  vs: VirtualService,
): void {
  // Nothing to keep in place without a mirror list (asked of every moved route of a large object); the
  // rest apart, so that this common case allocates nothing (its callbacks' context included).
  if (intent.mirror.kind === 'keep' && route.mirrors === undefined) return;
  changeMirror(route, intent, options, vs);
}

function changeMirror(
  route: HTTPRoute,
  intent: RoutingIntent,
  options: StageOptions,
  vs: VirtualService,
): void {
  const namespace = options.namespace;
  const isCanary = (destination: Destination | undefined) =>
    destination !== undefined &&
    sameHost(destination.host, options.host, namespace) &&
    destination.subset === options.canary;
  const canary: Destination = {
    host: route.route?.[0]?.destination.host ?? options.host,
    subset: options.canary,
  };

  if (route.mirrors !== undefined) {
    const at = route.mirrors.findIndex((policy) => isCanary(policy.destination));
    const mirrors = [...route.mirrors];
    if (intent.mirror.kind === 'set') {
      const policy: MirrorPolicy = {
        ...(mirrors[at] ?? { destination: canary }),
        percentage: { value: intent.mirror.percent },
      };
      if (at >= 0) mirrors[at] = policy;
      else mirrors.push(policy);
    } else if (intent.mirror.kind === 'remove' && at >= 0) {
      mirrors.splice(at, 1);
    }
    if (mirrors.length > 0) route.mirrors = mirrors;
    else delete route.mirrors;
    return;
  }

  if (intent.mirror.kind === 'set') {
    if (route.mirror !== undefined && !isCanary(route.mirror)) {
      throw new InputError(
        'mirror-percent',
        `mirror-percent would replace the mirror to ${describe(route.mirror)} of the default route in ${resourceName(vs, namespace)} (a route has one mirror): write that mirror as an entry of mirrors (Istio 1.22 or later), which the canary mirror joins, or remove it`,
      );
    }
    route.mirror = canary;
    route.mirrorPercentage = { value: intent.mirror.percent };
    delete route.mirrorPercent;
  } else if (intent.mirror.kind === 'remove' && isCanary(route.mirror)) {
    delete route.mirror;
    delete route.mirrorPercentage;
    delete route.mirrorPercent;
  }
}
