// The one door to @kubernetes/client-node: every src file imports the client from here, so that how the
// package is loaded is decided in one place. Its values come from client-node.lean.js, the parts of the
// package the project uses built into one file by scripts/lean-packages.mjs (KubeConfig and its auth
// plugins, the request context, undici's global dispatcher, Agent and connector, ApiException, Watch, and js-yaml's load, with which
// KubeConfig reads a kubeconfig): the package's own index evaluates every generated API group and model on
// import, ≈4 MB of code before the first request. Types come from the package itself.
export {
  ApiException,
  HttpMethod,
  KubeConfig,
  loadKubeconfigYaml,
  RequestContext,
  buildConnector,
  getGlobalDispatcher,
  UndiciAgent,
  V1MicroTime,
  Watch,
} from './client-node.lean.js';
export type { UndiciConnectOptions, UndiciConnector } from './client-node.lean.js';
import clientNodePackage from '@kubernetes/client-node/package.json' with { type: 'json' };

/** The User-Agent client-node's generated API clients send. */
export const CLIENT_NODE_USER_AGENT = `kubernetes-client-javascript/${clientNodePackage.version}`;

export type {
  KubernetesListObject,
  KubernetesObject,
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
