// The Deployments behind a service's versions: found by label selector, named in errors, deleted at finalize.
import type { KubernetesListObject, V1Deployment } from './client-node.js';
import type { ClusterClient } from './client.js';

const DEPLOYMENTS = { group: 'apps', version: 'v1', resource: 'deployments' };

export async function listDeployments(
  client: ClusterClient,
  namespace: string,
  selector: string,
): Promise<V1Deployment[]> {
  const list = await client.send<KubernetesListObject<V1Deployment>>({
    verb: 'list',
    ...DEPLOYMENTS,
    namespace,
    query: { labelSelector: selector },
  });
  return list.items;
}

/** The version a Deployment runs: its own label, else its pods' label. */
function versionOfDeployment(deployment: V1Deployment, versionLabel: string): string | undefined {
  return (
    deployment.metadata?.labels?.[versionLabel] ?? deployment.spec?.template.metadata?.labels?.[versionLabel]
  );
}

/** The distinct versions deployed for `app=<app>`, sorted: `['v1', 'v2']`. */
export async function versionsOf(
  client: ClusterClient,
  namespace: string,
  app: string,
  versionLabel: string,
): Promise<string[]> {
  const deployments = await listDeployments(client, namespace, `app=${app}`);
  const versions = deployments
    .map((deployment) => versionOfDeployment(deployment, versionLabel))
    .filter((version): version is string => version !== undefined);
  return [...new Set(versions)].sort();
}

/**
 * Deletes every Deployment the selector matches (their ReplicaSets and pods follow, in the background)
 * and returns their names. `dryRun` asks the server to check the deletes without doing them.
 */
export async function deleteDeployments(
  client: ClusterClient,
  namespace: string,
  selector: string,
  options: { dryRun?: boolean } = {},
): Promise<string[]> {
  const deployments = await listDeployments(client, namespace, selector);
  const names = deployments
    .map((deployment) => deployment.metadata?.name ?? '')
    .filter((name) => name !== '');
  await Promise.all(
    names.map((name) =>
      client.send({
        verb: 'delete',
        ...DEPLOYMENTS,
        namespace,
        name,
        query: { propagationPolicy: 'Background', dryRun: options.dryRun ? 'All' : undefined },
      }),
    ),
  );
  return names;
}
