// `npm run cluster [file.yaml ...]`: the Kubernetes API server stand-in for trying the CLI by hand.
// Loads the given YAML files (server-side apply, as `kubectl apply --server-side` would), prints where the
// kubeconfig is, and serves until Ctrl-C.
import { readFileSync } from 'node:fs';
import { KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { startApiServer } from '../test/support/kube-apiserver/index.js';

async function main(files: string[]): Promise<void> {
  const port = Number(process.env.CLUSTER_PORT ?? '0');
  const server = await startApiServer({ port });
  server.workloads.autoRollout(Number(process.env.CLUSTER_ROLLOUT_MS ?? '2000'));
  const api = KubernetesObjectApi.makeApiClient(server.kubeConfig());
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      const obj = doc.toJS() as KubernetesObject | null;
      if (!obj?.kind) continue;
      obj.metadata = { namespace: 'default', ...obj.metadata };
      await api.patch(obj, undefined, undefined, 'cluster-loader', true, PatchStrategy.ServerSideApply);
      console.log(`applied ${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name} from ${file}`);
    }
  }
  console.log(`Kubernetes API server stand-in at ${server.url}`);
  console.log(`kubeconfig: ${server.kubeconfigPath}`);
  console.log(`export KUBECONFIG=${server.kubeconfigPath}`);
  console.log('Ctrl-C to stop.');
  const stop = () => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(`cluster: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
