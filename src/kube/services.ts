// Services through core/v1: the namespace's list (the main Service and its per-version Services), creating
// a version Service, deleting one with a resourceVersion precondition, and putting one back as it was.
import type { V1DeleteOptions } from './client-node.js';
import type { Service } from '../plan/gateway-api/types.js';
import type { ClusterClient } from './client.js';
import { isCode } from './errors.js';
import { withoutServerFields } from './routing-objects.js';
import { FIELD_MANAGER, type WriteOptions } from './routing-write.js';

const SERVICES = { group: '', version: 'v1', resource: 'services' };

/** The answer as a Service object (a list's items carry no apiVersion and kind), without managedFields. */
function asService(service: Service): Service {
  service.apiVersion = 'v1';
  service.kind = 'Service';
  delete service.metadata.managedFields;
  return service;
}

/**
 * The namespace's Services, as a function that makes them from the list read (the Istio path never calls
 * it; readGatewayRouting keeps what it makes).
 */
export async function listServices(client: ClusterClient, namespace: string): Promise<() => Service[]> {
  const list = await client.sendLazily<{ items: Service[] }>({ verb: 'list', ...SERVICES, namespace });
  return () => list().items.map(asService);
}

async function readService(client: ClusterClient, namespace: string, name: string) {
  try {
    const found = await client.send<Service>({ verb: 'get', ...SERVICES, namespace, name });
    return asService(found);
  } catch (err) {
    if (isCode(err, 'not-found')) return undefined;
    throw err;
  }
}

/**
 * Creates the Service. A retry after a lost answer meets 409 AlreadyExists from our own create: when the
 * stored Service has the selector, ports and labels we sent, the create has succeeded.
 */
export async function createService(
  client: ClusterClient,
  service: Service,
  options: WriteOptions,
): Promise<Service> {
  const namespace = service.metadata.namespace ?? 'default';
  const name = service.metadata.name;
  try {
    const created = await client.send<Service>({
      verb: 'create',
      ...SERVICES,
      namespace,
      name,
      body: withoutServerFields(service),
      query: { fieldManager: FIELD_MANAGER, dryRun: options.dryRun ? 'All' : undefined },
    });
    return asService(created);
  } catch (err) {
    if (!isCode(err, 'conflict') || options.dryRun) throw err;
    const stored = await readService(client, namespace, name);
    const essence = (s: Service) =>
      JSON.stringify([s.spec.selector, s.spec.ports?.map((p) => p.port), s.metadata.labels ?? {}]);
    if (stored && essence(stored) === essence(service)) return stored;
    throw err;
  }
}

/**
 * Deletes the Service if it is still at `resourceVersion` (409 otherwise: someone changed it since it was
 * read). Already gone counts as deleted: a retried delete whose first answer was lost meets 404.
 */
export async function deleteService(
  client: ClusterClient,
  service: Service,
  resourceVersion: string | undefined,
  options: WriteOptions,
): Promise<void> {
  const namespace = service.metadata.namespace ?? 'default';
  const name = service.metadata.name;
  const body: V1DeleteOptions = resourceVersion ? { preconditions: { resourceVersion } } : {};
  try {
    await client.send({
      verb: 'delete',
      ...SERVICES,
      namespace,
      name,
      body,
      query: { dryRun: options.dryRun ? 'All' : undefined },
    });
  } catch (err) {
    if (!isCode(err, 'not-found') || options.dryRun) throw err;
  }
}

/**
 * Puts a Service back: one we created is deleted; one we deleted is created again with the spec, labels
 * and annotations read at the start, its cluster IP included when still free (a Service someone
 * re-created meanwhile is left alone).
 */
export async function restoreService(
  client: ClusterClient,
  original: Service | undefined,
  current: { namespace: string; name: string },
): Promise<void> {
  if (!original) {
    const service = { metadata: { name: current.name, namespace: current.namespace } } as Service;
    await deleteService(client, service, undefined, { dryRun: false });
    return;
  }
  const now = await readService(client, current.namespace, current.name);
  if (now) return;
  try {
    await createService(client, original, { dryRun: false });
  } catch (err) {
    // Its old address, released by the delete, can be taken meanwhile (or not yet free to the allocator):
    // the Service comes back with a new one rather than not at all.
    if (!(err instanceof Error) || !/provided IP is already allocated/.test(err.message)) throw err;
    const elsewhere = structuredClone(original);
    delete elsewhere.spec.clusterIP;
    delete elsewhere.spec.clusterIPs;
    await createService(client, elsewhere, { dryRun: false });
  }
}
