// From a run's options to a ready client: credentials loaded, every secret handed to the masker before
// anything can be logged.
import type { KubeConfig } from './client-node.js';
import { ClusterClient, type ClusterClientOptions } from './client.js';
import { loadKubeConfig, type KubeConfigEnvironment } from './kubeconfig.js';

export interface ConnectOptions extends ClusterClientOptions {
  /** Kubeconfig content or path; else KUBECONFIG, ~/.kube/config, in-cluster. */
  kubeconfig?: string;
  context?: string;
  /** A ready configuration (library users): used as is, nothing is loaded. */
  kubeConfig?: KubeConfig;
  /** Called with every token, key, password and the kubeconfig content (core.setSecret in the action). */
  setSecret?: (secret: string) => void;
  environment?: KubeConfigEnvironment;
}

export function connect(options: ConnectOptions = {}): ClusterClient {
  const { kubeconfig, context, kubeConfig, setSecret, environment, ...clientOptions } = options;
  if (kubeConfig) return new ClusterClient(kubeConfig, clientOptions);
  const loaded = loadKubeConfig({ kubeconfig, context }, environment);
  for (const secret of loaded.secrets) setSecret?.(secret);
  return new ClusterClient(loaded.kubeConfig, clientOptions);
}
