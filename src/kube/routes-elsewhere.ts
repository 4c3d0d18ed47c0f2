// The VirtualServices of the other namespaces: one cluster-wide list, asked for in the same round trip as
// the namespace's own reads. A route there to the service's host is reported and holds `finalize` back, but
// is never written. Credentials with only a namespaced Role may not list cluster-wide: that 403 is the one
// refusal a run expects, and it leaves discovery to the namespace; every other failure is the run's.
import type { VirtualService } from '../plan/types.js';
import type { ClusterClient } from './client.js';
import { ISTIO_GROUP, isCode } from './errors.js';
import { PLURALS } from './routing-objects.js';
import { readVersionOf, toObjects, type RawList } from './routing-read.js';

export interface RoutesElsewhere {
  /** The VirtualServices of every namespace but the service's own (those come from readRouting). */
  virtualServices: VirtualService[];
  /** False when the credentials may not list VirtualServices across namespaces (403). */
  visible: boolean;
}

/** Every other namespace's VirtualServices: the namespace's own come from readRouting, and only once. */
function listEverywhere(client: ClusterClient, version: string, except: string): Promise<RawList> {
  return client.sendShared<RawList>({
    verb: 'list',
    group: ISTIO_GROUP,
    version,
    resource: PLURALS.VirtualService,
    query: { fieldSelector: `metadata.namespace!=${except}` },
  });
}

/**
 * Lists VirtualServices in every namespace, guessing v1 beside the (shared, cached) discovery as
 * readRouting does, so that it costs no round trip of its own; only a cluster without v1 asks again.
 */
export async function readVirtualServicesElsewhere(
  client: ClusterClient,
  namespace: string,
): Promise<RoutesElsewhere> {
  const guess = 'v1';
  const [served, listed] = await Promise.allSettled([
    client.istioVersions(),
    listEverywhere(client, guess, namespace),
  ]);
  if (served.status === 'rejected') throw served.reason;
  const readVersion = readVersionOf(served.value);
  let list: RawList;
  try {
    if (readVersion !== guess) list = await listEverywhere(client, readVersion, namespace);
    else if (listed.status === 'rejected') throw listed.reason;
    else list = listed.value;
  } catch (err) {
    if (isCode(err, 'forbidden')) return { virtualServices: [], visible: false };
    throw err;
  }
  const all = toObjects(list, 'VirtualService', served.value, readVersion) as VirtualService[];
  return { virtualServices: all.filter((vs) => vs.metadata.namespace !== namespace), visible: true };
}
