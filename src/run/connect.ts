// Opening the cluster for a run: credentials (masked before anything is logged) and two clients — one
// that stops when the run is cancelled, one that does not, so a cancelled run can still put things back.
import type { KubeConfig } from '../kube/client-node.js';
import { connect as connectClient, type ClusterClient } from '../kube/index.js';
import type { RunContext, RunOptions, RunReporter } from '../types.js';

export interface Connection {
  kubeConfig: KubeConfig;
  /** Every call of the run; aborted with the run. */
  client: ClusterClient;
  /** For restoring after a failure or a cancellation: not tied to the run's signal. */
  restoreClient: ClusterClient;
}

export function connect(options: RunOptions, context: RunContext, reporter: RunReporter): Connection {
  const client = connectClient({
    kubeconfig: options.kubeconfig,
    context: options.context,
    kubeConfig: context.kubeConfig,
    setSecret: (secret) => reporter.setSecret?.(secret),
    runUrl: options.runUrl,
    signal: context.signal,
  });
  return { kubeConfig: client.kubeConfig, client, restoreClient: client.detached() };
}

/** A connection to one context of a kubeconfig already loaded (and masked): one cluster of several. */
export function connectTo(kubeConfig: KubeConfig, options: RunOptions, signal?: AbortSignal): Connection {
  const client = connectClient({ kubeConfig, runUrl: options.runUrl, signal });
  return { kubeConfig, client, restoreClient: client.detached() };
}
