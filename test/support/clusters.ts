// Several API server stand-ins as the clusters of one kubeconfig: one context per stand-in, named as the
// test names the cluster, each with its own user and token, as `kubectl config` merges them.
import { parse, stringify } from 'yaml';
import { startApiServer, type ApiServer } from './kube-apiserver/index.js';

interface KubeconfigFile {
  clusters: { name: string; cluster: Record<string, unknown> }[];
  users: { name: string; user: Record<string, unknown> }[];
  contexts: { name: string; context: Record<string, unknown> }[];
}

export interface Fleet {
  servers: Record<string, ApiServer>;
  /** One kubeconfig holding a context per server (content, as the action's input takes it). */
  kubeconfig: string;
  /** The bearer token each context's user sends. */
  tokens: Record<string, string>;
  close(): Promise<void>;
}

/** Starts one stand-in per name; each accepts only its own token (`<name>-token`), as separate clusters do. */
export async function startFleet(names: string[]): Promise<Fleet> {
  const entries = await Promise.all(
    names.map(async (name) => {
      const token = `${name}-token-${Math.random().toString(36).slice(2)}`;
      const server = await startApiServer({ users: { [token]: 'admin' } });
      return { name, token, server };
    }),
  );
  const merged: KubeconfigFile & Record<string, unknown> = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [],
    users: [],
    contexts: [],
    'current-context': names[0] ?? '',
  };
  for (const { name, token, server } of entries) {
    // The stand-in writes a kubeconfig for its default token; this one names the cluster and carries its own.
    const one = parse(server.kubeconfigYaml()) as KubeconfigFile;
    const cluster = one.clusters[0]?.cluster ?? {};
    merged.clusters.push({ name, cluster });
    merged.users.push({ name: `${name}-admin`, user: { token } });
    merged.contexts.push({ name, context: { cluster: name, user: `${name}-admin`, namespace: 'default' } });
  }
  return {
    servers: Object.fromEntries(entries.map(({ name, server }) => [name, server])),
    kubeconfig: stringify(merged),
    tokens: Object.fromEntries(entries.map(({ name, token }) => [name, token])),
    close: async () => {
      await Promise.all(entries.map(({ server }) => server.close()));
    },
  };
}
