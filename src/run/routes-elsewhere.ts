// The other namespaces' VirtualServices beside the namespace's own routing: what the planner needs to report
// the routes to the host it may not write, and to keep `finalize` from dropping a subset one still uses.
import type { RoutesElsewhere } from '../kube/routes-elsewhere.js';
import { namespaceOf } from '../plan/objects.js';
import type { ClusterState } from '../plan/types.js';
import type { RunOptions, RunReporter } from '../types.js';

/** The one line a run prints when the credentials may read only the service's namespace. */
export function notVisibleLine(options: Pick<RunOptions, 'namespace' | 'host'>): string {
  return `VirtualServices of other namespaces were not visible (these credentials may not list virtualservices.networking.istio.io across namespaces): routes to ${options.host} from outside "${options.namespace}" were not checked; grant the optional ClusterRole of examples/rbac to see them`;
}

/** The namespace's routing and the other namespaces' VirtualServices in one state; says once when unseen. */
export function withRoutesElsewhere(
  state: ClusterState,
  elsewhere: RoutesElsewhere,
  options: Pick<RunOptions, 'namespace' | 'host'>,
  reporter: Pick<RunReporter, 'info'>,
): ClusterState {
  if (!elsewhere.visible) reporter.info(notVisibleLine(options));
  return { ...state, virtualServices: [...state.virtualServices, ...elsewhere.virtualServices] };
}

/**
 * After the namespace is read again (a write conflict): the other namespaces' VirtualServices as first
 * read, which a run never writes, so that the new plan still sees them.
 */
export function keepRoutesElsewhere(
  fresh: ClusterState,
  previous: ClusterState,
  namespace: string,
): ClusterState {
  const elsewhere = previous.virtualServices.filter((vs) => namespaceOf(vs, namespace) !== namespace);
  return { ...fresh, virtualServices: [...fresh.virtualServices, ...elsewhere] };
}
