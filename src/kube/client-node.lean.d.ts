// Types of src/kube/client-node.lean.js (built by scripts/lean-packages.mjs from @kubernetes/client-node):
// the package's own declarations for the parts that file holds.
export {
  ApiException,
  HttpMethod,
  KubeConfig,
  RequestContext,
  V1MicroTime,
  Watch,
} from '@kubernetes/client-node';
export { load as loadKubeconfigYaml } from 'js-yaml';

/** undici's global dispatcher (of the undici client-node sends with): for a server without TLS settings. */
export declare function getGlobalDispatcher(): unknown;

/** The options of a TLS connection undici makes (node:tls's, with undici's own). */
export type UndiciConnectOptions = import('node:tls').ConnectionOptions & {
  allowH2?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  timeout?: number;
  maxCachedSessions?: number;
  session?: Buffer;
};

/** How undici opens a connection: calls back with the connected socket. */
export type UndiciConnector = (
  options: { hostname: string; host?: string; protocol: string; port: string; servername?: string },
  callback: (error: Error | null, socket: import('node:net').Socket | null) => void,
) => import('node:net').Socket;

/** undici's connector (lib/core/connect.js): node:tls's connect with undici's timeouts and keep-alive. */
export declare function buildConnector(options: UndiciConnectOptions): UndiciConnector;

/** undici's Agent (of the undici client-node sends with): one pool per origin. */
export declare class UndiciAgent {
  constructor(options: { connect: UndiciConnector | UndiciConnectOptions });
  close(): Promise<void>;
}
