// Reading Deployments and Pods: is a rollout done, is it stuck, is a pod failing to start.
// Pure functions over the objects, so that the wait itself is only about watching.
import type { V1ContainerStatus, V1Deployment, V1LabelSelector, V1Pod } from '../kube/client-node.js';

export interface RolloutProgress {
  done: boolean;
  /** "reviews-v2 1/2 updated, 0/2 ready, 0/2 available" */
  text: string;
}

/** As `kubectl rollout status` judges it, with ready counted too: the new pods all serve, no old ones. */
export function rolloutProgress(deployment: V1Deployment): RolloutProgress {
  const name = deployment.metadata?.name ?? '?';
  const generation = deployment.metadata?.generation ?? 0;
  const status = deployment.status ?? {};
  const observed = status.observedGeneration ?? 0;
  if (observed < generation)
    return { done: false, text: `${name} generation ${generation} not yet observed (observed ${observed})` };
  const desired = deployment.spec?.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  const ready = status.readyReplicas ?? 0;
  const available = status.availableReplicas ?? 0;
  const total = status.replicas ?? 0;
  const done = updated === desired && ready === desired && available === desired && total === desired;
  if (done) return { done, text: `${name} ${desired}/${desired} ready` };
  const old = total > updated ? `, ${total - updated} old pending termination` : '';
  return {
    done,
    text: `${name} ${updated}/${desired} updated, ${ready}/${desired} ready, ${available}/${desired} available${old}`,
  };
}

/** The message of a ProgressDeadlineExceeded condition for the current generation, if any. */
export function progressDeadlineExceeded(deployment: V1Deployment): string | undefined {
  const observed = deployment.status?.observedGeneration ?? 0;
  if (observed < (deployment.metadata?.generation ?? 0)) return undefined; // a condition of an older spec
  const progressing = deployment.status?.conditions?.find((condition) => condition.type === 'Progressing');
  if (progressing?.status !== 'False' || progressing.reason !== 'ProgressDeadlineExceeded') return undefined;
  return progressing.message ?? 'progress deadline exceeded';
}

/** The label selector string of a Deployment's pods (matchLabels and matchExpressions). */
export function podSelectorOf(selector: V1LabelSelector | undefined): string {
  const terms = Object.entries(selector?.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`);
  for (const expression of selector?.matchExpressions ?? []) {
    const values = (expression.values ?? []).join(',');
    if (expression.operator === 'In') terms.push(`${expression.key} in (${values})`);
    else if (expression.operator === 'NotIn') terms.push(`${expression.key} notin (${values})`);
    else if (expression.operator === 'Exists') terms.push(expression.key);
    else if (expression.operator === 'DoesNotExist') terms.push(`!${expression.key}`);
  }
  return terms.join(',');
}

/** Waiting reasons that do not go away by waiting: the canary must fail now, not at the timeout. */
const NOT_STARTING: Record<
  string,
  (context: { namespace: string; pod: string; container: string }) => string
> = {
  CrashLoopBackOff: ({ namespace, pod, container }) =>
    `check its logs (kubectl logs -n ${namespace} ${pod} -c ${container})`,
  ImagePullBackOff: ({ namespace, pod }) =>
    `check the image name, tag and pull secret (kubectl describe pod -n ${namespace} ${pod})`,
  ErrImagePull: ({ namespace, pod }) =>
    `check the image name, tag and pull secret (kubectl describe pod -n ${namespace} ${pod})`,
};

function reasonDetail(status: V1ContainerStatus, reason: string): string {
  if (reason === 'CrashLoopBackOff') return ` (restarted ${status.restartCount} times)`;
  const message = status.state?.waiting?.message;
  return message ? ` (${message.replace(/\s+/g, ' ').trim()})` : '';
}

/** Why a pod of the canary will not start, as one line with the remedy; undefined when it may yet. */
export function podNotStarting(pod: V1Pod): string | undefined {
  if (pod.metadata?.deletionTimestamp) return undefined; // going away: its replacement counts
  const name = pod.metadata?.name ?? '?';
  const namespace = pod.metadata?.namespace ?? 'default';
  const groups: [string, V1ContainerStatus[] | undefined][] = [
    ['init container', pod.status?.initContainerStatuses],
    ['container', pod.status?.containerStatuses],
  ];
  for (const [label, statuses] of groups) {
    for (const status of statuses ?? []) {
      const reason = status.state?.waiting?.reason;
      const remedy = reason === undefined ? undefined : NOT_STARTING[reason];
      if (reason === undefined || remedy === undefined) continue;
      const container = status.name;
      return (
        `canary pod ${name} is not starting: ${label} ${container} is in ${reason}${reasonDetail(status, reason)}: ` +
        remedy({ namespace, pod: name, container })
      );
    }
  }
  return undefined;
}
