// Reading what Gateway API routing needs, in one sequential round trip beside the Istio reads: the served
// groups (discovery, shared with the Istio reader), the HTTPRoutes of the namespace and of the whole cluster
// (a Gateway's route elsewhere may send to the service), the namespace's Services (the main one and its
// version Services) and its ReferenceGrants (what lets another namespace's route name them). Only a cluster
// that serves HTTPRoute in v1beta1 alone costs a second round, with that version.
import { CanaryError } from '../errors.js';
import { GATEWAY_API_GROUP } from '../plan/gateway-api/types.js';
import { lazyProperties } from '../plan/lazy.js';
import type { GatewayApiState, HTTPRoute, ReferenceGrant } from '../plan/gateway-api/types.js';
import type { ClusterClient } from './client.js';
import { isCode, kubeMessages } from './errors.js';
import { READ_VERSIONS, versionOfObject } from './routing-objects.js';
import { listServices } from './services.js';

/** What the namespace holds for Gateway API routing, and how far the read could see. */
export interface GatewayRouting extends GatewayApiState {
  /**
   * False when the credentials may not list HTTPRoutes cluster-wide: routes of Gateways in other
   * namespaces that send to the service were not seen (and are not moved).
   */
  clusterWide: boolean;
}

interface RawList {
  items?: unknown[];
}

/** ReferenceGrant is served as v1beta1 by every Gateway API release (v1 only by recent ones). */
const REFERENCE_GRANT_VERSION = 'v1beta1';

/** A list's order across namespaces: by namespace, then name (the keys kube-apiserver lists in). */
function byNamespaceAndName(a: HTTPRoute, b: HTTPRoute): number {
  const key = (route: HTTPRoute) => `${route.metadata.namespace ?? ''}/${route.metadata.name}`;
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}

/** The namespace's HTTPRoutes; with `except`, those of every other namespace (the list across namespaces). */
function listHttpRoutes(
  client: ClusterClient,
  version: string,
  where: { namespace: string } | { except: string },
): Promise<RawList> {
  return client.sendShared<RawList>({
    verb: 'list',
    group: GATEWAY_API_GROUP,
    version,
    resource: 'httproutes',
    ...('namespace' in where
      ? { namespace: where.namespace }
      : { query: { fieldSelector: `metadata.namespace!=${where.except}` } }),
  });
}

function listReferenceGrants(client: ClusterClient, namespace: string): Promise<RawList> {
  return client.sendShared<RawList>({
    verb: 'list',
    group: GATEWAY_API_GROUP,
    version: REFERENCE_GRANT_VERSION,
    resource: 'referencegrants',
    namespace,
  });
}

/** The versions of gateway.networking.k8s.io the cluster serves that we read and write, preferred first. */
async function gatewayVersions(client: ClusterClient): Promise<string[]> {
  const groups = await client.apiGroups();
  const group = groups.find((each) => each.name === GATEWAY_API_GROUP);
  const served = group?.versions.map((version) => version.version) ?? [];
  const usable = READ_VERSIONS.filter((version) => served.includes(version));
  if (usable.length === 0) throw new CanaryError('gateway-api-missing', kubeMessages.gatewayApiMissing());
  return usable;
}

/** A route of another namespace matters only when it names a Service of ours. */
function namesNamespace(route: HTTPRoute, namespace: string): boolean {
  return (route.spec.rules ?? []).some((rule) =>
    [
      ...(rule.backendRefs ?? []),
      ...(rule.filters ?? []).flatMap((filter) => filter.requestMirror?.backendRef ?? []),
    ].some((ref) => ref.namespace === namespace),
  );
}

function asHttpRoutes(list: RawList, served: string[], readVersion: string): HTTPRoute[] {
  return (list.items ?? []).map((item) => {
    const route = structuredClone(item) as HTTPRoute;
    route.kind = 'HTTPRoute';
    // The version its latest writer used: a write keeps it (one storage serves both).
    route.apiVersion = versionOfObject(
      route.metadata as { managedFields?: unknown },
      served,
      readVersion,
      GATEWAY_API_GROUP,
    );
    delete route.metadata.managedFields;
    return route;
  });
}

function asReferenceGrants(list: RawList): ReferenceGrant[] {
  return (list.items ?? []).map((item) => ({
    ...(item as ReferenceGrant),
    apiVersion: `${GATEWAY_API_GROUP}/${REFERENCE_GRANT_VERSION}`,
    kind: 'ReferenceGrant',
  }));
}

function valueOf<T>(outcome: PromiseSettledResult<T>): T {
  if (outcome.status === 'rejected') throw outcome.reason;
  return outcome.value;
}

/**
 * The namespace's HTTPRoutes (with those of other namespaces that send to it, when the credentials may list
 * them cluster-wide), Services and ReferenceGrants. A cluster without the Gateway API CRDs → CanaryError
 * 'gateway-api-missing' naming the group.
 */
export async function readGatewayRouting(client: ClusterClient, namespace: string): Promise<GatewayRouting> {
  const guess = 'v1';
  const [served, inNamespace, everywhere, services, grants] = await Promise.allSettled([
    gatewayVersions(client),
    listHttpRoutes(client, guess, { namespace }),
    listHttpRoutes(client, guess, { except: namespace }),
    listServices(client, namespace),
    listReferenceGrants(client, namespace),
  ]);
  // Discovery's verdict comes first: without the CRDs, the lists' 404s say the same less clearly.
  const versions = valueOf(served);
  const readVersion = versions[0] ?? guess;
  let lists = { inNamespace, everywhere };
  if (readVersion !== guess) {
    const [again, againEverywhere] = await Promise.allSettled([
      listHttpRoutes(client, readVersion, { namespace }),
      listHttpRoutes(client, readVersion, { except: namespace }),
    ]);
    lists = { inNamespace: again, everywhere: againEverywhere };
  }
  const clusterWide = !(
    lists.everywhere.status === 'rejected' && isCode(lists.everywhere.reason, 'forbidden')
  );
  const own = asHttpRoutes(valueOf(lists.inNamespace), versions, readVersion);
  // The namespace's routes come once (not again in the list across namespaces), in the order a list of every
  // namespace has: by namespace, then name.
  const routes = clusterWide
    ? [
        ...own,
        ...asHttpRoutes(valueOf(lists.everywhere), versions, readVersion).filter((route) =>
          namesNamespace(route, namespace),
        ),
      ].sort(byNamespaceAndName)
    : own;
  // The Services made on first read and kept (lazyProperties settles the property).
  return lazyProperties<GatewayRouting, 'services'>(
    { httpRoutes: routes, referenceGrants: asReferenceGrants(valueOf(grants)), clusterWide },
    { services: valueOf(services) },
  );
}
