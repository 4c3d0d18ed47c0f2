// The cluster I/O layer: credentials, one client with retries and one-line errors, routing reads and
// writes, Deployments, and the per-service lease.
export {
  loadKubeConfig,
  loadKubeConfigContexts,
  looksLikeKubeconfigContent,
  serverOf,
} from './kubeconfig.js';
export { isCredentialName, kubeconfigMasks, MIN_MASKED_LENGTH } from './credentials.js';
export type {
  KubeConfigEnvironment,
  KubeConfigOptions,
  LoadedContexts,
  LoadedKubeConfig,
} from './kubeconfig.js';
export {
  describeApiError,
  isCode,
  isSchemaError,
  ISTIO_GROUP,
  kubeMessages,
  qualifiedResource,
} from './errors.js';
export type { ApiAttempt } from './errors.js';
export { backoffMs, RETRY_DEFAULTS, retryAfterMs, retryReason, withRetry } from './retry.js';
export type { RetryInfo, RetryOptions } from './retry.js';
export { ClusterClient } from './client.js';
export { connect } from './connect.js';
export type { ConnectOptions } from './connect.js';
export type { CallAttempt, ClusterClientOptions } from './client.js';
export { readRouting, readVersionOf } from './routing-read.js';
export { readVirtualServicesElsewhere } from './routes-elsewhere.js';
export type { RoutesElsewhere } from './routes-elsewhere.js';
export { FIELD_MANAGER, restoreRoutingObject, writeRoutingObject } from './routing-write.js';
export type { RoutingRef, WriteOptions } from './routing-write.js';
export { ANNOTATIONS, PLURALS, versionOfObject } from './routing-objects.js';
export { deleteDeployments, listDeployments, versionsOf } from './workloads.js';
export { readServicePort } from './service-port.js';
export { acquireLease, leaseExpiry, leaseHolderIdentity, leaseName, releaseIfHeldBy } from './lease.js';
export type { LeaseHandle, LeaseOptions } from './lease.js';
export { readGatewayRouting } from './gateway-read.js';
export type { GatewayRouting } from './gateway-read.js';
export { restoreObject, writeGatewayStep } from './gateway-write.js';
export type { ObjectRef, WrittenObject } from './gateway-write.js';
export { createService, deleteService, listServices, restoreService } from './services.js';
