// The one door to @kubernetes/client-node: every src file imports the client from here, so that how the
// package is loaded is decided in one place. Importing its files by path instead of the index (the package
// has no `exports` map, so `dist/config.js`, `dist/gen/types/ObjectParamAPI.js` … resolve) was measured in
// the bundles and made start-up slower, not faster: the generated API classes sit in three files that hold
// every API group, which ncc keeps whole (bench/RESULTS.md, "One import path for client-node").
export {
  ADD,
  ApiException,
  ApisApi,
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  DELETE,
  ERROR,
  KubeConfig,
  ListWatch,
  Observable,
  UPDATE,
  V1MicroTime,
  Watch,
} from '@kubernetes/client-node';
export type {
  ConfigurationOptions,
  KubernetesListObject,
  KubernetesObject,
  RequestContext,
  V1APIGroup,
  V1ContainerStatus,
  V1DeleteOptions,
  V1Deployment,
  V1LabelSelector,
  V1Lease,
  V1Pod,
  V1Service,
  V1ServicePort,
} from '@kubernetes/client-node';
