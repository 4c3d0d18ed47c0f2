// Makes the versions a stage routes to addressable as DestinationRule subsets, keeping every other
// subset, the traffic policy and subset policies as they were.
import type { RoutingIntent } from './intent.js';
import { copy, ISTIO_API_VERSION } from './objects.js';
import type { DestinationRule, StageOptions, Subset } from './types.js';

type TrafficPolicy = NonNullable<Subset['trafficPolicy']>;
type LoadBalancer = NonNullable<TrafficPolicy['loadBalancer']>;

/**
 * The sticky cookie is a consistent-hash `httpCookie` on the load balancer of the stable and canary
 * subsets (subset-level, so the rule's own trafficPolicy and other subsets stay untouched; a subset's
 * `simple` balancer gives way because Istio takes one or the other). Its ttl is `<n>s`; 0 makes Envoy
 * issue a session cookie. Consistent hashing keeps a user on the same pod within the subset the route
 * picked; the route's weighted subset choice itself is made per request.
 */
function withStickyCookie(subset: Subset, name: string, ttlSeconds: number): Subset {
  const trafficPolicy: TrafficPolicy = { ...subset.trafficPolicy };
  const { simple: _simple, ...loadBalancer } = (trafficPolicy.loadBalancer ?? {}) as LoadBalancer & {
    simple?: string;
  };
  trafficPolicy.loadBalancer = {
    ...loadBalancer,
    consistentHash: { httpCookie: { name, ttl: `${ttlSeconds}s` } },
  } as LoadBalancer;
  return { ...subset, trafficPolicy };
}

export function mergeDestinationRule(
  existing: DestinationRule | undefined,
  intent: RoutingIntent,
  options: StageOptions,
  newApiVersion = ISTIO_API_VERSION,
): DestinationRule {
  const base: DestinationRule = existing
    ? copy(existing)
    : {
        apiVersion: newApiVersion,
        kind: 'DestinationRule',
        metadata: { name: options.service, namespace: options.namespace },
        spec: { host: options.host },
      };
  const subsets = (base.spec.subsets ?? []).filter((subset) => !intent.dropVersions.includes(subset.name));
  for (const version of intent.ensureVersions) {
    if (!subsets.some((subset) => subset.name === version)) {
      subsets.push({ name: version, labels: { [options.versionLabel]: version } });
    }
  }
  const sticky = options.stickyCookie;
  base.spec.subsets =
    sticky !== undefined && intent.sticky
      ? subsets.map((subset) =>
          [options.stable, options.canary].includes(subset.name)
            ? withStickyCookie(subset, sticky, options.stickyCookieTtlSeconds ?? 0)
            : subset,
        )
      : subsets;
  return base;
}

/** Subset names added and removed between two versions of a DestinationRule. */
export function subsetChanges(
  before: DestinationRule | undefined,
  after: DestinationRule,
): { added: string[]; removed: string[] } {
  const names = (rule: DestinationRule | undefined) =>
    (rule?.spec.subsets ?? []).map((subset) => subset.name);
  const [old, next] = [names(before), names(after)];
  return {
    added: next.filter((name) => !old.includes(name)),
    removed: old.filter((name) => !next.includes(name)),
  };
}
