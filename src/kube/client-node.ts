// The one door to @kubernetes/client-node: every src file imports the client from here.
//
// Why deep paths: the package's index re-exports every generated API group, exec/attach/cp/log/metrics/
// port-forward and the rest, and it has neither an `exports` map nor a `sideEffects` field, so a bundler
// must keep and evaluate all of it; start-up of the bundled action and CLI is mostly that. Importing the
// files the code uses lets the bundle's minifier drop the API classes and modules nobody calls (see
// scripts/bundle.mjs). The paths are the package's own `dist/` layout, which is not a public contract:
// the version is pinned by the lockfile, and __tests__/kube/client-node-imports.test.ts checks that each
// path still exports what is imported from it. Types cost nothing at run time and come from the index.
export { KubeConfig } from '@kubernetes/client-node/dist/config.js';
export {
  ObjectApisApi as ApisApi,
  ObjectAppsV1Api as AppsV1Api,
  ObjectCoordinationV1Api as CoordinationV1Api,
  ObjectCoreV1Api as CoreV1Api,
  ObjectCustomObjectsApi as CustomObjectsApi,
} from '@kubernetes/client-node/dist/gen/types/ObjectParamAPI.js';
export { ApiException } from '@kubernetes/client-node/dist/gen/apis/exception.js';
export { Observable } from '@kubernetes/client-node/dist/gen/rxjsStub.js';
export { ListWatch } from '@kubernetes/client-node/dist/cache.js';
export { ADD, DELETE, ERROR, UPDATE } from '@kubernetes/client-node/dist/informer.js';
export { Watch } from '@kubernetes/client-node/dist/watch.js';
export { V1MicroTime } from '@kubernetes/client-node/dist/types.js';
export type {
  ConfigurationOptions,
  KubernetesListObject,
  KubernetesObject,
  RequestContext,
  V1ContainerStatus,
  V1Deployment,
  V1LabelSelector,
  V1Lease,
  V1Pod,
  V1ServicePort,
} from '@kubernetes/client-node';
