// Writing one step of a Gateway API plan, and putting back any object a run wrote, whatever its kind.
// HTTPRoutes go through the custom objects API like Istio's kinds (a PUT with the resourceVersion read,
// keeping the route's own version, v1 or v1beta1); version Services through core/v1 create and delete.
import type { GatewayApiObject, GatewayWriteStep, HTTPRoute, Service } from '../plan/gateway-api/types.js';
import type { ClusterClient } from './client.js';
import type { CustomRoutingObject } from './routing-objects.js';
import {
  restoreRoutingObject,
  writeRoutingObject,
  type RoutingRef,
  type WriteOptions,
} from './routing-write.js';
import { createService, deleteService, restoreService } from './services.js';

/** Any object a run writes: Istio's kinds, HTTPRoutes and version Services. */
export type WrittenObject = CustomRoutingObject | Service;

/** Names a written object in the cluster, whatever state it is in now. */
export type ObjectRef = Omit<RoutingRef, 'kind'> & { kind: WrittenObject['kind'] };

/**
 * Sends one step with the resourceVersion the object must still have (undefined: it must not exist yet).
 * Answers the object as the server stored it, or undefined for a delete.
 */
export async function writeGatewayStep(
  client: ClusterClient,
  step: GatewayWriteStep,
  resourceVersion: string | undefined,
  options: WriteOptions,
): Promise<GatewayApiObject | undefined> {
  const object = step.after ?? step.before;
  if (!object) throw new Error(`a ${step.action} step without an object`);
  if (object.kind === 'Service') {
    if (step.action === 'delete') {
      await deleteService(client, object, resourceVersion, options);
      return undefined;
    }
    return createService(client, object, options);
  }
  const body: HTTPRoute = structuredClone(object);
  if (resourceVersion) body.metadata.resourceVersion = resourceVersion;
  else delete body.metadata.resourceVersion;
  return writeRoutingObject(client, body, options);
}

/**
 * Puts an object back exactly as `original` was (re-created when it was deleted), or deletes it when
 * there was none (the run created it).
 */
export async function restoreObject(
  client: ClusterClient,
  original: WrittenObject | undefined,
  ref: ObjectRef,
): Promise<void> {
  if (ref.kind === 'Service') {
    await restoreService(client, original as Service | undefined, ref);
    return;
  }
  await restoreRoutingObject(client, original as CustomRoutingObject | undefined, {
    ...ref,
    kind: ref.kind,
  });
}
