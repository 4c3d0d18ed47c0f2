// Before any write: the versions a stage sends traffic to must exist as Deployments. A missing one is named
// together with the versions that do exist, so a typo in `canary` reads as one.
import type { V1Deployment } from '../kube/client-node.js';
import { CanaryError } from '../errors.js';
import { kubeMessages, type ClusterClient } from '../kube/index.js';
import type { RunOptions, RunReporter } from '../types.js';

/** `app=reviews,version=v2`, or the selector the user gave for the canary. */
export function versionSelector(options: RunOptions, version: string): string {
  if (version === options.canary && options.canarySelector) return options.canarySelector;
  return `app=${options.service},${options.versionLabel}=${version}`;
}

/** Which versions must be deployed for a stage to route to them. */
export function requiredVersions(options: RunOptions): { role: 'stable' | 'canary'; version: string }[] {
  switch (options.stage) {
    case 'rollback':
      return [{ role: 'stable', version: options.stable }];
    case 'promote':
    case 'finalize':
      return [{ role: 'canary', version: options.canary }];
    case 'status':
      return [];
    default:
      return [
        { role: 'stable', version: options.stable },
        { role: 'canary', version: options.canary },
      ];
  }
}

function deploymentVersion(deployment: V1Deployment, label: string): string | undefined {
  return deployment.metadata?.labels?.[label] ?? deployment.spec?.template.metadata?.labels?.[label];
}

/**
 * Lists the service's Deployments once (`app=<service>`, plus the canary selector when one is given) and
 * fails when a required version has none. Returns the canary Deployments for the rollout check.
 */
export async function checkVersionsDeployed(
  client: ClusterClient,
  options: RunOptions,
): Promise<V1Deployment[]> {
  const required = requiredVersions(options);
  if (required.length === 0) return [];
  const { namespace, versionLabel, service } = options;
  const [appDeployments, selected] = await Promise.all([
    client.listDeployments(namespace, `app=${service}`),
    options.canarySelector ? client.listDeployments(namespace, options.canarySelector) : undefined,
  ]);
  const existing = [
    ...new Set(appDeployments.map((d) => deploymentVersion(d, versionLabel)).filter((v) => v !== undefined)),
  ].sort();
  for (const { role, version } of required) {
    const found =
      role === 'canary' && selected
        ? selected.length > 0
        : appDeployments.some((d) => deploymentVersion(d, versionLabel) === version);
    if (!found) {
      throw new CanaryError(
        'not-found',
        kubeMessages.deploymentMissing(role, version, namespace, service, existing),
      );
    }
  }
  return selected ?? appDeployments.filter((d) => deploymentVersion(d, versionLabel) === options.canary);
}

/** finalize with `delete-stable`: the stable version's Deployments go, once nothing routes to them. */
export async function deleteStableDeployments(
  client: ClusterClient,
  options: RunOptions,
  reporter: RunReporter,
): Promise<void> {
  const selector = `app=${options.service},${options.versionLabel}=${options.stable}`;
  // A dry run asks the server to check the deletes (dryRun=All) without doing them.
  const deleted = await client.deleteDeployments(options.namespace, selector, { dryRun: options.dryRun });
  reporter.info(
    `${options.dryRun ? 'dry run: would delete' : 'deleted'} the stable Deployment(s) ${deleted.join(', ') || '(none left)'} (${selector})`,
  );
}
