// Opening the cluster for a run: credentials (masked before anything is logged) and two clients — one
// that stops when the run is cancelled, one that does not, so a cancelled run can still put things back.
import type { KubeConfig } from '@kubernetes/client-node';
import { ClusterClient, loadKubeConfig } from '../kube/index.js';
import type { RunContext, RunOptions, RunReporter } from '../types.js';

export interface Connection {
  kubeConfig: KubeConfig;
  /** Every call of the run; aborted with the run. */
  client: ClusterClient;
  /** For restoring after a failure or a cancellation: not tied to the run's signal. */
  restoreClient: ClusterClient;
}

export function connect(options: RunOptions, context: RunContext, reporter: RunReporter): Connection {
  let kubeConfig = context.kubeConfig;
  if (!kubeConfig) {
    const loaded = loadKubeConfig({ kubeconfig: options.kubeconfig, context: options.context });
    for (const secret of loaded.secrets) reporter.setSecret?.(secret);
    kubeConfig = loaded.kubeConfig;
    reporter.info(`cluster: ${loaded.source}, context ${kubeConfig.getCurrentContext()}`);
  }
  const shared = { runUrl: options.runUrl };
  return {
    kubeConfig,
    client: new ClusterClient(kubeConfig, { ...shared, signal: context.signal }),
    restoreClient: new ClusterClient(kubeConfig, shared),
  };
}
