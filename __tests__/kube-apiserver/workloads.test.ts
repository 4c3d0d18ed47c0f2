// The Deployment controller simulator, read through client-node as the product reads a cluster; and the
// CRD copy the stand-in validates against.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api, type V1Deployment, type V1Pod } from '@kubernetes/client-node';
import { loadAll } from 'js-yaml';
import { failureOf, watchUntil } from './helpers.js';
import { startApiServer, type ApiServer } from '../../test/support/kube-apiserver/index.js';

let server: ApiServer;
beforeAll(async () => {
  server = await startApiServer();
});
afterAll(async () => {
  await server.close();
});

function deployment(name: string, replicas = 2): V1Deployment {
  return {
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, version: 'v2' } },
        spec: {
          containers: [
            { name: 'app', image: `${name}:2` },
            { name: 'istio-proxy', image: 'proxy:1' },
          ],
        },
      },
    },
  };
}

const deployments = '/apis/apps/v1/namespaces/default/deployments';
const condition = (d: V1Deployment, type: string) => d.status?.conditions?.find((c) => c.type === type);

test('a new Deployment becomes Available with a ReplicaSet and pods carrying pod-template-hash', async () => {
  const apps = server.kubeConfig().makeApiClient(AppsV1Api);
  await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('healthy') });
  const ready = await watchUntil<V1Deployment>(
    server.kubeConfig(),
    deployments,
    { fieldSelector: 'metadata.name=healthy' },
    (d) => condition(d, 'Available')?.status === 'True',
  );
  expect(ready.status).toMatchObject({
    observedGeneration: 1,
    replicas: 2,
    updatedReplicas: 2,
    readyReplicas: 2,
    availableReplicas: 2,
  });
  expect(condition(ready, 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' });
  const rs = (await apps.listNamespacedReplicaSet({ namespace: 'default', labelSelector: 'app=healthy' }))
    .items;
  expect(rs).toHaveLength(1);
  const hash = rs[0]!.metadata!.labels!['pod-template-hash']!;
  expect(rs[0]!.metadata!.name).toBe(`healthy-${hash}`);
  const pods = (
    await server
      .kubeConfig()
      .makeApiClient(CoreV1Api)
      .listNamespacedPod({ namespace: 'default', labelSelector: `app=healthy,pod-template-hash=${hash}` })
  ).items;
  expect(pods).toHaveLength(2);
  expect(pods[0]!.metadata!.labels).toEqual({ app: 'healthy', version: 'v2', 'pod-template-hash': hash });
  expect(pods[0]!.status?.phase).toBe('Running');
});

test('pods answer the field selectors the real server supports for them, and 400 for others', async () => {
  const core = server.kubeConfig().makeApiClient(CoreV1Api);
  const running = await core.listNamespacedPod({
    namespace: 'default',
    labelSelector: 'app=healthy',
    fieldSelector: 'status.phase=Running',
  });
  expect(running.items).toHaveLength(2);
  const pending = await core.listNamespacedPod({
    namespace: 'default',
    labelSelector: 'app=healthy',
    fieldSelector: 'status.phase!=Running',
  });
  expect(pending.items).toEqual([]);
  const { code, body } = await failureOf(
    core.listNamespacedPod({ namespace: 'default', fieldSelector: 'spec.foo=x' }),
  );
  expect(code).toBe(400);
  expect(body.message).toBe('field label not supported: spec.foo');
});

test('autoRollout delays availability; stall reports ProgressDeadlineExceeded', async () => {
  server.workloads.autoRollout(200);
  try {
    const apps = server.kubeConfig().makeApiClient(AppsV1Api);
    await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('stuck') });
    server.workloads.stall('default', 'stuck');
    const stalled = await watchUntil<V1Deployment>(
      server.kubeConfig(),
      deployments,
      { fieldSelector: 'metadata.name=stuck' },
      (d) => condition(d, 'Progressing')?.status === 'False',
    );
    expect(condition(stalled, 'Progressing')?.reason).toBe('ProgressDeadlineExceeded');
    expect(condition(stalled, 'Available')?.status).toBe('False');
    expect(stalled.status?.availableReplicas).toBe(0);
  } finally {
    server.workloads.autoRollout(0);
  }
});

test('crashLoop and imagePullBackOff show in the pods as the kubelet reports them', async () => {
  const apps = server.kubeConfig().makeApiClient(AppsV1Api);
  await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('crashy', 1) });
  await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('unpullable', 1) });
  server.workloads.crashLoop('default', 'crashy', 'app');
  server.workloads.imagePullBackOff('default', 'unpullable');
  const waitingReason = (pod: V1Pod, container: string) =>
    pod.status?.containerStatuses?.find((c) => c.name === container)?.state?.waiting?.reason;
  const pods = '/api/v1/namespaces/default/pods';
  const crashing = await watchUntil<V1Pod>(
    server.kubeConfig(),
    pods,
    { labelSelector: 'app=crashy' },
    (p) => waitingReason(p, 'app') === 'CrashLoopBackOff',
  );
  const app = crashing.status!.containerStatuses!.find((c) => c.name === 'app')!;
  expect(app.restartCount).toBeGreaterThan(0);
  expect(app.ready).toBe(false);
  expect(crashing.status!.containerStatuses!.find((c) => c.name === 'istio-proxy')!.ready).toBe(true);
  const pulling = await watchUntil<V1Pod>(
    server.kubeConfig(),
    pods,
    { labelSelector: 'app=unpullable' },
    (p) => waitingReason(p, 'app') === 'ImagePullBackOff',
  );
  expect(pulling.status?.phase).toBe('Pending');
  expect(pulling.status!.containerStatuses![0]!.state!.waiting!.message).toBe(
    'Back-off pulling image "unpullable:2"',
  );
  const dep = await apps.readNamespacedDeployment({ namespace: 'default', name: 'crashy' });
  expect(condition(dep, 'Available')?.status).toBe('False');
});

test('heal brings a crash-looping Deployment back to Available', async () => {
  const apps = server.kubeConfig().makeApiClient(AppsV1Api);
  await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('healed', 1) });
  server.workloads.crashLoop('default', 'healed');
  const byName = { fieldSelector: 'metadata.name=healed' };
  await watchUntil<V1Pod>(
    server.kubeConfig(),
    '/api/v1/namespaces/default/pods',
    { labelSelector: 'app=healed' },
    (p) => Boolean(p.status?.containerStatuses?.some((c) => c.state?.waiting?.reason === 'CrashLoopBackOff')),
  );
  server.workloads.heal('default', 'healed');
  const healed = await watchUntil<V1Deployment>(
    server.kubeConfig(),
    deployments,
    byName,
    (d) => condition(d, 'Available')?.status === 'True',
  );
  expect(healed.status?.availableReplicas).toBe(1);
});

test('a template change rolls out a new ReplicaSet and retires the old one', async () => {
  const apps = server.kubeConfig().makeApiClient(AppsV1Api);
  const created = await apps.createNamespacedDeployment({
    namespace: 'default',
    body: deployment('rolling', 1),
  });
  await watchUntil<V1Deployment>(
    server.kubeConfig(),
    deployments,
    { fieldSelector: 'metadata.name=rolling' },
    (d) => d.status?.availableReplicas === 1,
  );
  const current = await apps.readNamespacedDeployment({ namespace: 'default', name: 'rolling' });
  current.spec!.template.spec!.containers[0]!.image = 'rolling:3';
  await apps.replaceNamespacedDeployment({ namespace: 'default', name: 'rolling', body: current });
  const rolled = await watchUntil<V1Deployment>(
    server.kubeConfig(),
    deployments,
    { fieldSelector: 'metadata.name=rolling' },
    (d) => d.status?.observedGeneration === 2 && d.status.availableReplicas === 1,
  );
  expect(rolled.metadata?.uid).toBe(created.metadata?.uid);
  const sets = (await apps.listNamespacedReplicaSet({ namespace: 'default', labelSelector: 'app=rolling' }))
    .items;
  expect(sets.map((s) => s.spec?.replicas).sort()).toEqual([0, 1]);
});

test('the CRD copy equals the shared one when ../shared is there', () => {
  const shared = join(process.cwd(), '../shared/istio-crds/networking-istio-io.yaml');
  const copy = join(process.cwd(), 'test/support/kube-apiserver/crds/networking-istio-io.yaml');
  const docs = (file: string) => loadAll(readFileSync(file, 'utf8'));
  expect(docs(copy).length).toBe(3);
  if (existsSync(shared)) expect(docs(copy)).toEqual(docs(shared));
}, 120_000);
