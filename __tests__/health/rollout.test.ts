// waitForRollout against the API server stand-in, through the real client-node, with its Deployment
// controller simulator rolling out, stalling or crashing the canary.
import { setTimeout as sleep } from 'node:timers/promises';
import { AppsV1Api, type V1Deployment } from '@kubernetes/client-node';
import { waitForRollout, type WaitForRolloutOptions } from '../../src/health/index.js';
import { failureOf } from './failure-of.js';
import { standInPerFile } from './stand-in.js';

const SELECTOR = 'app=reviews,version=v2';

function deployment(name = 'reviews-v2', replicas = 2): V1Deployment {
  const labels = { app: 'reviews', version: 'v2' };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [{ name: 'reviews', image: 'docker.io/istio/examples-bookinfo-reviews-v2:1.20.2' }],
        },
      },
    },
  };
}

const cluster = standInPerFile('rollout');
let apps: AppsV1Api;
beforeAll(() => {
  apps = cluster.server.kubeConfig().makeApiClient(AppsV1Api);
});

function create(body: V1Deployment) {
  return apps.createNamespacedDeployment({ namespace: cluster.namespace, body });
}

function wait(overrides: Partial<WaitForRolloutOptions> = {}) {
  return waitForRollout(cluster.server.kubeConfig(), {
    namespace: cluster.namespace,
    selector: SELECTOR,
    timeoutMs: 20_000,
    ...overrides,
  });
}

/** Polls the stand-in's store (no network) until `check` holds: the simulator has no event to await. */
async function until<T>(what: string, check: () => T | undefined): Promise<T> {
  for (let i = 0; i < 1000; i++) {
    const value = check();
    if (value !== undefined) return value;
    await sleep(10);
  }
  throw new Error(`never reached: ${what}`);
}

interface PodLike {
  metadata: { name: string };
  status?: { containerStatuses?: { restartCount: number; state?: { waiting?: { reason?: string } } }[] };
}

function canaryPods(): PodLike[] {
  return cluster.server.store.list('v1', 'Pod', cluster.namespace) as PodLike[];
}

/** The simulator's pod once it shows `reason`, after its controller's last pass has run. */
async function podIn(reason: string): Promise<PodLike> {
  await until(reason, () =>
    canaryPods().find((pod) => pod.status?.containerStatuses?.[0]?.state?.waiting?.reason === reason),
  );
  await sleep(50); // the simulator's second pass is already queued (0 ms timer) by now
  return canaryPods()[0]!;
}

/** The reads of the canary Deployments (list, watch), in order. */
function deploymentReads() {
  return cluster.server.requests.filter(
    (r) => r.path === `/apis/apps/v1/namespaces/${cluster.namespace}/deployments` && r.method === 'GET',
  );
}

/** Once the client's Deployment watch is open on the server, cuts every open watch stream. */
async function cutOpenWatches(before?: () => void): Promise<void> {
  await until('a deployments watch', () =>
    deploymentReads().some((r) => r.verb === 'watch') ? true : undefined,
  );
  await sleep(50); // the logged watch request reaches its stream handler within the same turn of the loop
  before?.();
  cluster.server.faults.cutWatches(0);
}

describe('waitForRollout', () => {
  test('passes once the canary is rolled out, watching rather than polling', async () => {
    cluster.server.workloads.autoRollout(800);
    await create(deployment());
    const progress: string[] = [];
    const result = await wait({ onProgress: (message) => progress.push(message) });
    expect(result).toMatchObject({ name: `rollout ${SELECTOR}`, ok: true, detail: 'reviews-v2 2/2 ready' });
    expect(progress).toContain(
      `waiting for canary Deployment(s) ${SELECTOR} in ${cluster.namespace}: reviews-v2 2/2 updated, 0/2 ready, 0/2 available`,
    );
    const deploymentCalls = deploymentReads();
    expect(deploymentCalls.map((r) => r.verb)).toEqual(['list', 'watch']);
    expect(deploymentCalls[1]!.query).toMatchObject({ labelSelector: SELECTOR, watch: 'true' });
  });

  test('passes at once when the canary is already rolled out', async () => {
    cluster.server.workloads.autoRollout(0);
    await create(deployment());
    await until('rolled out', () =>
      (cluster.server.store.get('apps/v1', 'Deployment', cluster.namespace, 'reviews-v2') as V1Deployment)
        .status?.availableReplicas === 2
        ? true
        : undefined,
    );
    expect((await wait()).detail).toBe('reviews-v2 2/2 ready');
  });

  test('names the selector and namespace when no Deployment matches', async () => {
    const failure = await failureOf(wait({ selector: 'app=reviews,version=v9' }));
    expect(failure.code).toBe('not-found');
    expect(failure.message).toBe(
      `no Deployment matches app=reviews,version=v9 in namespace ${cluster.namespace}: check the canary Deployment's labels and namespace, or set canary-selector`,
    );
  });

  test('fails fast on a crash-looping pod, naming pod, container and restarts', async () => {
    cluster.server.workloads.crashLoop(cluster.namespace, 'reviews-v2');
    await create(deployment('reviews-v2', 1));
    const pod = await podIn('CrashLoopBackOff');
    const failure = await failureOf(wait({ timeoutMs: 60_000 }));
    const name = pod.metadata.name;
    expect(failure.code).toBe('unhealthy');
    expect(failure.message).toBe(
      `canary pod ${name} is not starting: container reviews is in CrashLoopBackOff ` +
        `(restarted ${pod.status!.containerStatuses![0]!.restartCount} times): ` +
        `check its logs (kubectl logs -n ${cluster.namespace} ${name} -c reviews)`,
    );
    expect(failure.check.durationMs).toBeLessThan(60_000);
  });

  test('fails fast when the image cannot be pulled', async () => {
    cluster.server.workloads.imagePullBackOff(cluster.namespace, 'reviews-v2');
    await create(deployment('reviews-v2', 1));
    const name = (await podIn('ImagePullBackOff')).metadata.name;
    const failure = await failureOf(wait({ timeoutMs: 60_000 }));
    expect(failure.message).toBe(
      `canary pod ${name} is not starting: container reviews is in ImagePullBackOff ` +
        '(Back-off pulling image "docker.io/istio/examples-bookinfo-reviews-v2:1.20.2"): ' +
        `check the image name, tag and pull secret (kubectl describe pod -n ${cluster.namespace} ${name})`,
    );
  });

  test('fails with the condition message when the progress deadline is exceeded', async () => {
    cluster.server.workloads.stall(cluster.namespace, 'reviews-v2');
    cluster.server.workloads.autoRollout(300);
    await create(deployment());
    const failure = await failureOf(wait({ timeoutMs: 60_000 }));
    const replicaSet = (
      cluster.server.store.list('apps/v1', 'ReplicaSet', cluster.namespace) as V1Deployment[]
    )[0]!.metadata!.name;
    expect(failure.message).toBe(
      `canary Deployment reviews-v2 in ${cluster.namespace} is not progressing (ProgressDeadlineExceeded: ReplicaSet "${replicaSet}" ` +
        `has timed out progressing.): check its pods and events (kubectl describe deployment -n ${cluster.namespace} reviews-v2)`,
    );
  });

  test('resumes from the last resourceVersion when the watch stream is cut', async () => {
    cluster.server.workloads.autoRollout(3000);
    await create(deployment());
    const work = wait();
    await cutOpenWatches();
    expect((await work).detail).toBe('reviews-v2 2/2 ready');
    const calls = deploymentReads();
    expect(calls.map((r) => r.verb)).toEqual(['list', 'watch', 'watch']);
    expect(calls[2]!.query.resourceVersion).toBe(calls[1]!.query.resourceVersion);
  });

  test('lists again after 410 Gone, then finishes', async () => {
    cluster.server.workloads.autoRollout(3000);
    await create(deployment());
    const work = wait();
    await cutOpenWatches(() => {
      // History is compacted past what the client has seen: its resumed watch is answered 410 Gone.
      cluster.server.store.put({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'bump', namespace: cluster.namespace },
      });
      cluster.server.store.compact();
    });
    expect((await work).detail).toBe('reviews-v2 2/2 ready');
    expect(
      deploymentReads()
        .map((r) => r.verb)
        .slice(0, 4),
    ).toEqual(['list', 'watch', 'watch', 'list']);
  });

  test('starts a failed list again and goes on', async () => {
    cluster.server.workloads.autoRollout(0);
    await create(deployment());
    cluster.server.faults.failNext(1, 503, { method: 'GET', path: /\/deployments$/ });
    expect((await wait()).detail).toBe('reviews-v2 2/2 ready');
    // The injected answer comes before the request is classified, hence no verb on the first entry;
    // the canary is already rolled out at the second list, so no watch is opened.
    expect(deploymentReads().map((r) => `${r.verb ?? 'list'} ${r.status}`)).toEqual(['list 503', 'list 200']);
  });

  test('fails at once when RBAC refuses to watch the pods', async () => {
    const admin = { users: ['admin'], verbs: ['*'], groups: ['*'], resources: ['*'] };
    cluster.server.setRules([
      { ...admin, groups: ['apps'] },
      { ...admin, groups: [''], verbs: ['get', 'list', 'create'] },
    ]);
    try {
      cluster.server.workloads.autoRollout(600_000);
      await create(deployment());
      const failure = await failureOf(wait());
      expect(failure.code).toBe('forbidden');
      expect(failure.message).toBe(
        `RBAC forbids watch on pods in namespace "${cluster.namespace}": grant a Role rule ` +
          `{apiGroups: [""], resources: ["pods"], verbs: ["watch"]} in "${cluster.namespace}"`,
      );
    } finally {
      cluster.server.setRules([admin]);
    }
  });

  test('times out naming what it waited for and the counts reached', async () => {
    cluster.server.workloads.autoRollout(600_000);
    await create(deployment());
    const failure = await failureOf(wait({ timeoutMs: 5000 }));
    expect(failure.code).toBe('timeout');
    expect(failure.message).toBe(
      `timed out after 5s waiting for canary Deployment(s) ${SELECTOR} in ${cluster.namespace} to roll out ` +
        '(reached: reviews-v2 2/2 updated, 0/2 ready, 0/2 available): ' +
        `check kubectl rollout status -n ${cluster.namespace} deployment/reviews-v2, or raise the timeout`,
    );
  });

  test('stops at once when cancelled', async () => {
    cluster.server.workloads.autoRollout(600_000);
    await create(deployment());
    const controller = new AbortController();
    const work = wait({ timeoutMs: 60_000, signal: controller.signal, onProgress: () => controller.abort() });
    const failure = await failureOf(work);
    expect(failure.code).toBe('cancelled');
    expect(failure.message).toBe(
      `cancelled while waiting for canary Deployment(s) ${SELECTOR} in ${cluster.namespace}: the run was stopped; run the stage again, or roll back`,
    );
  });
});
