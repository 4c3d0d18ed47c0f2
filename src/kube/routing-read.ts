// Reading the namespace's VirtualServices and DestinationRules in one sequential round trip: the Istio
// discovery (first time only) and both lists go out together, guessing v1; only a cluster without v1
// costs a second round with v1beta1.
import { markParsedJson } from '../plan/objects.js';
import type { ClusterState, DestinationRule, RoutingObject, VirtualService } from '../plan/types.js';
import type { ClusterClient } from './client.js';
import { ISTIO_GROUP } from './errors.js';
import {
  asRoutingObject,
  PLURALS,
  READ_VERSIONS,
  versionOfObject,
  type RoutingKind,
} from './routing-objects.js';

export interface RawList {
  items?: unknown[];
}

function listKind(
  client: ClusterClient,
  namespace: string,
  kind: RoutingKind,
  version: string,
): Promise<RawList> {
  return client.sendShared<RawList>({
    verb: 'list',
    group: ISTIO_GROUP,
    version,
    resource: PLURALS[kind],
    namespace,
  });
}

export function toObjects(
  list: RawList,
  kind: RoutingKind,
  served: string[],
  readVersion: string,
): RoutingObject[] {
  return (list.items ?? []).map((item) => {
    const metadata = (item as { metadata?: { managedFields?: unknown } }).metadata ?? {};
    // The spec is JSON.parse's, handed to the planner as it is.
    markParsedJson((item as { spec?: unknown }).spec);
    return asRoutingObject(item, kind, versionOfObject(metadata, served, readVersion));
  });
}

/** v1 when served, else v1beta1: one storage serves both, so one read sees every object. */
export function readVersionOf(served: string[]): string {
  return READ_VERSIONS.find((version) => served.includes(version)) ?? 'v1';
}

export async function readRouting(client: ClusterClient, namespace: string): Promise<ClusterState> {
  const guess = 'v1';
  const [served, virtualServices, destinationRules] = await Promise.allSettled([
    client.istioVersions(),
    listKind(client, namespace, 'VirtualService', guess),
    listKind(client, namespace, 'DestinationRule', guess),
  ]);
  // Discovery's verdict comes first: without Istio, the lists' 404s say the same less clearly.
  if (served.status === 'rejected') throw served.reason;
  const readVersion = readVersionOf(served.value);
  let lists: [RawList, RawList];
  if (readVersion === guess) {
    if (virtualServices.status === 'rejected') throw virtualServices.reason;
    if (destinationRules.status === 'rejected') throw destinationRules.reason;
    lists = [virtualServices.value, destinationRules.value];
  } else {
    lists = await Promise.all([
      listKind(client, namespace, 'VirtualService', readVersion),
      listKind(client, namespace, 'DestinationRule', readVersion),
    ]);
  }
  return {
    // Objects the planner creates are written with the version this cluster is read with (v1, else v1beta1).
    newObjectApiVersion: `${ISTIO_GROUP}/${readVersion}`,
    virtualServices: toObjects(lists[0], 'VirtualService', served.value, readVersion) as VirtualService[],
    destinationRules: toObjects(lists[1], 'DestinationRule', served.value, readVersion) as DestinationRule[],
  };
}
