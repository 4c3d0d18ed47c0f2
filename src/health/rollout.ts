// Waits, by watching, until the canary Deployment(s) have rolled out, failing early when a pod cannot
// start or the Deployment reports that it stopped progressing.
import type { KubeConfig, KubernetesListObject, V1Deployment, V1Pod } from '../kube/client-node.js';
import { sendCall } from '../kube/rest.js';
import type { HealthCheckResult } from '../types.js';
import { CheckClock, seconds, type HealthCheckFailure } from './check.js';
import { WatchWait } from './watch-wait.js';
import { WatchedSet } from './watched-set.js';
import {
  podNotStarting,
  podSelectorOf,
  progressDeadlineExceeded,
  rolloutProgress,
} from './workload-state.js';

export interface WaitForRolloutOptions {
  namespace: string;
  /** Label selector of the canary Deployment(s), e.g. `app=reviews,version=v2`. */
  selector: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** "reviews-v2 1/2 updated, 0/2 ready, 0/2 available", at each change. */
  onProgress?: (message: string) => void;
}

/**
 * Resolves when every Deployment matching `selector` has observed its latest generation and has as many
 * updated, ready and available replicas as desired (and no old ones). Rejects with 'not-found' when none
 * matches, 'unhealthy' as soon as a pod is in CrashLoopBackOff / ImagePullBackOff / ErrImagePull or the
 * Deployment's progress deadline is exceeded, 'timeout' after `timeoutMs`, 'cancelled' on `signal`.
 */
export function waitForRollout(
  kubeConfig: KubeConfig,
  options: WaitForRolloutOptions,
): Promise<HealthCheckResult> {
  return new RolloutWait(kubeConfig, options).run();
}

class RolloutWait extends WatchWait {
  private readonly deployments: WatchedSet<V1Deployment>;
  /** One pod watch per Deployment (by uid), with that Deployment's own pod selector. */
  private readonly pods = new Map<string, WatchedSet<V1Pod>>();
  private lastProgress = '';

  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly options: WaitForRolloutOptions,
  ) {
    super(
      new CheckClock(`rollout ${options.selector}`),
      `canary Deployment(s) ${options.selector} in ${options.namespace}`,
      options,
    );
    const { namespace, selector } = options;
    this.deployments = new WatchedSet<V1Deployment>({
      kubeConfig,
      path: `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/deployments`,
      list: () =>
        sendCall<KubernetesListObject<V1Deployment>>(kubeConfig, {
          verb: 'list',
          group: 'apps',
          version: 'v1',
          resource: 'deployments',
          namespace,
          query: { labelSelector: selector },
        }),
      labelSelector: selector,
      attempt: { group: 'apps', resource: 'deployments', namespace },
      onChange: () => this.evaluate(),
      onFatal: (error) => this.finish(this.clock.fail(error.code, error.message)),
    });
  }

  protected startWatching(): void {
    void this.deployments.start();
  }

  protected stopWatching(): void {
    this.deployments.stop();
    for (const pods of this.pods.values()) pods.stop();
  }

  private evaluate(): void {
    if (!this.open || !this.deployments.synced) return;
    const found = this.deployments.objects();
    const { namespace, selector } = this.options;
    if (found.length === 0) {
      this.finish(
        this.clock.fail(
          'not-found',
          `no Deployment matches ${selector} in namespace ${namespace}: check the canary Deployment's labels and namespace, or set canary-selector`,
        ),
      );
      return;
    }
    this.watchPodsOf(found);
    const failure = this.failureNow(found);
    if (failure) {
      this.finish(this.clock.fail('unhealthy', failure));
      return;
    }
    const progress = found.map(rolloutProgress);
    const text = progress.map((p) => p.text).join(', ');
    if (text !== this.lastProgress) this.options.onProgress?.(`waiting for ${this.what}: ${text}`);
    this.lastProgress = text;
    if (progress.every((p) => p.done)) this.finish(this.clock.pass(text));
  }

  private failureNow(found: readonly V1Deployment[]): string | undefined {
    for (const pods of this.pods.values())
      for (const pod of pods.objects()) {
        const problem = podNotStarting(pod);
        if (problem) return problem;
      }
    for (const deployment of found) {
      const stalled = progressDeadlineExceeded(deployment);
      const name = deployment.metadata?.name ?? '?';
      if (stalled)
        return (
          `canary Deployment ${name} in ${this.options.namespace} is not progressing (ProgressDeadlineExceeded: ${stalled}): ` +
          `check its pods and events (kubectl describe deployment -n ${this.options.namespace} ${name})`
        );
    }
    return undefined;
  }

  /** Starts a pod watch for each new Deployment; stops those of Deployments that went away. */
  private watchPodsOf(found: readonly V1Deployment[]): void {
    const namespace = this.options.namespace;
    const current = new Set(found.map((deployment) => deployment.metadata?.uid ?? ''));
    for (const [uid, pods] of this.pods)
      if (!current.has(uid)) {
        pods.stop();
        this.pods.delete(uid);
      }
    for (const deployment of found) {
      const uid = deployment.metadata?.uid ?? '';
      if (this.pods.has(uid)) continue;
      const labelSelector = podSelectorOf(deployment.spec?.selector);
      const pods = new WatchedSet<V1Pod>({
        kubeConfig: this.kubeConfig,
        path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`,
        list: () =>
          sendCall<KubernetesListObject<V1Pod>>(this.kubeConfig, {
            verb: 'list',
            group: '',
            version: 'v1',
            resource: 'pods',
            namespace,
            query: { labelSelector },
          }),
        labelSelector,
        attempt: { group: '', resource: 'pods', namespace },
        onChange: () => this.evaluate(),
        onFatal: (error) => this.finish(this.clock.fail(error.code, error.message)),
      });
      this.pods.set(uid, pods);
      void pods.start();
    }
  }

  protected timedOut(): HealthCheckFailure {
    const { namespace, timeoutMs } = this.options;
    const reached = this.deployments.synced
      ? this.deployments
          .objects()
          .map((d) => rolloutProgress(d).text)
          .join(', ') || 'no Deployment'
      : 'no list answered yet';
    const apiError = this.deployments.lastError ? `; last API error: ${this.deployments.lastError}` : '';
    const names = this.deployments.objects().map((d) => `deployment/${d.metadata?.name}`);
    const command = names.length
      ? `kubectl rollout status -n ${namespace} ${names[0]}`
      : 'kubectl get deployments';
    return this.clock.fail(
      'timeout',
      `timed out after ${seconds(timeoutMs)} waiting for ${this.what} to roll out (reached: ${reached}${apiError}): ` +
        `check ${command}, or raise the timeout`,
    );
  }
}
