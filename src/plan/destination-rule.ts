// Makes the versions a stage routes to addressable as DestinationRule subsets, keeping every other
// subset, the traffic policy and subset policies as they were.
import type { RoutingIntent } from './intent.js';
import { copy, ISTIO_API_VERSION } from './objects.js';
import type { DestinationRule, StageOptions } from './types.js';

// The sticky cookie is not a consistent-hash load balancer here: that keeps a user on one pod of the subset
// the route picked, while the route picks the subset per request by weight, so it would not keep anyone on
// the canary (sticky-cookie.ts does, in the VirtualService). Envoy would also issue a hash cookie of its own
// under the same name, clobbering ours, and the subsets' balancing stays as their owner set it.

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
  base.spec.subsets = subsets;
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
