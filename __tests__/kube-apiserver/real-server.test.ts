// Where a stand-in could easily answer differently from kube-apiserver, it answers as the real one does
// (see the README's table for where each behaviour comes from).
import {
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type V1Lease,
} from '@kubernetes/client-node';
import { startApiServer, type ApiServer } from '../../test/support/kube-apiserver/index.js';
import { failureOf, rawRequest, virtualService, VS } from './helpers.js';

let server: ApiServer;
let custom: CustomObjectsApi;
let core: CoreV1Api;
const ADMIN = { Authorization: 'Bearer admin-token' };

beforeAll(async () => {
  server = await startApiServer();
  custom = server.kubeConfig().makeApiClient(CustomObjectsApi);
  core = server.kubeConfig().makeApiClient(CoreV1Api);
});
afterAll(async () => {
  await server.close();
});

const raw = (method: string, path: string, headers: Record<string, string> = ADMIN, body?: string) =>
  rawRequest(server.kubeConfig(), method, path, headers, body);

test('a JSON patch whose path is missing: 422 without the patch library message, nothing changed', async () => {
  await custom.createNamespacedCustomObject({ ...VS, body: virtualService('json-missing') });
  const { code, body } = await failureOf(
    custom.patchNamespacedCustomObject({
      ...VS,
      name: 'json-missing',
      body: [{ op: 'replace', path: '/spec/tcp/0/route', value: [] }],
    }),
  );
  expect([code, body]).toEqual([
    422,
    {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'the server rejected our request due to an error in our request',
      reason: 'Invalid',
      details: {},
      code: 422,
    },
  ]);
  expect(
    server.store.get('networking.istio.io/v1', 'VirtualService', 'default', 'json-missing'),
  ).toMatchObject({
    metadata: { generation: 1 },
  });
});

test('an invalid label selector answers 400 with the label parser message, not an empty list', async () => {
  const parseError = async (labelSelector: string) => {
    const { code, body } = await failureOf(core.listNamespacedPod({ namespace: 'default', labelSelector }));
    return [code, body.reason, body.message];
  };
  expect(await parseError('a=b=c')).toEqual([
    400,
    'BadRequest',
    "found '=', expected: ',' or 'end of string'",
  ]);
  expect(await parseError('a in (b')).toEqual([
    400,
    'BadRequest',
    "unable to parse requirement: found '', expected: ',' or ')'",
  ]);
  expect(await parseError('a,')).toEqual([400, 'BadRequest', "found '', expected: identifier after ','"]);
  // What does parse keeps working, `in` and `notin` included as values.
  const listed = await core.listNamespacedPod({
    namespace: 'default',
    labelSelector: 'a in (in, b),!c,d notin ()',
  });
  expect(listed.items).toEqual([]);
});

describe('PUT of a Lease', () => {
  const leases = () => server.kubeConfig().makeApiClient(CoordinationV1Api);
  const lease = (name: string): V1Lease => ({
    metadata: { name, namespace: 'default' },
    spec: { holderIdentity: 'run-1', leaseDurationSeconds: 30 },
  });

  test('with the resourceVersion of a Lease deleted meanwhile: creates it (201)', async () => {
    const created = await leases().createNamespacedLease({ namespace: 'default', body: lease('gone') });
    await leases().deleteNamespacedLease({ namespace: 'default', name: 'gone' });
    const answer = await raw(
      'PUT',
      '/apis/coordination.k8s.io/v1/namespaces/default/leases/gone',
      { ...ADMIN, 'Content-Type': 'application/json' },
      JSON.stringify({ ...lease('gone'), metadata: { ...created.metadata } }),
    );
    expect(answer.status).toBe(201);
    const recreated = JSON.parse(answer.body) as V1Lease;
    expect(recreated.metadata!.uid).not.toBe(created.metadata!.uid);
    expect(recreated.spec!.holderIdentity).toBe('run-1');
  });

  test('without a resourceVersion: 422 must be specified for an update', async () => {
    await leases().createNamespacedLease({ namespace: 'default', body: lease('held') });
    const { code, body } = await failureOf(
      leases().replaceNamespacedLease({ namespace: 'default', name: 'held', body: lease('held') }),
    );
    expect([code, body.message]).toEqual([
      422,
      'Lease.coordination.k8s.io "held" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update',
    ]);
  });

  test('a custom resource is not created by a PUT: 404', async () => {
    const { code } = await failureOf(
      custom.replaceNamespacedCustomObject({
        ...VS,
        name: 'never-created',
        body: {
          ...virtualService('never-created'),
          metadata: { name: 'never-created', resourceVersion: '5' },
        },
      }),
    );
    expect(code).toBe(404);
  });
});

test('a watch from a compacted resourceVersion: one ERROR event with 410 Expired, then the end', async () => {
  await custom.createNamespacedCustomObject({ ...VS, body: virtualService('compacted') });
  const before = Number(
    (
      server.store.get('networking.istio.io/v1', 'VirtualService', 'default', 'compacted') as {
        metadata: { resourceVersion: string };
      }
    ).metadata.resourceVersion,
  );
  server.store.compact();
  const answer = await raw(
    'GET',
    `/apis/networking.istio.io/v1/namespaces/default/virtualservices?watch=true&resourceVersion=${before - 1}`,
  );
  const lines = answer.body.trim().split('\n');
  expect(answer.status).toBe(200);
  expect(lines).toHaveLength(1);
  expect(JSON.parse(lines[0]!)).toEqual({
    type: 'ERROR',
    object: {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: expect.stringMatching(new RegExp(`^too old resource version: ${before - 1} \\(\\d+\\)$`)),
      reason: 'Expired',
      code: 410,
    },
  });
});

describe('authentication', () => {
  test('no credentials: system:anonymous, refused with 403 (public info paths excepted)', async () => {
    const pods = await raw('GET', '/api/v1/namespaces/default/pods', {});
    expect([pods.status, JSON.parse(pods.body).message]).toEqual([
      403,
      'pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group "" in the namespace "default"',
    ]);
    const discovery = await raw('GET', '/apis', {});
    expect([discovery.status, JSON.parse(discovery.body)]).toEqual([
      403,
      {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'forbidden: User "system:anonymous" cannot get path "/apis"',
        reason: 'Forbidden',
        details: {},
        code: 403,
      },
    ]);
    expect((await raw('GET', '/version', {})).status).toBe(200);
    expect(server.requests.at(-1)!.user).toBe('system:anonymous');
  });

  test('credentials that do not authenticate: 401', async () => {
    const answer = await raw('GET', '/api/v1/namespaces/default/pods', { Authorization: 'Bearer wrong' });
    expect([answer.status, JSON.parse(answer.body).message]).toEqual([401, 'Unauthorized']);
  });
});

test('an unserved group, version or kind: a plain-text 404 page not found', async () => {
  for (const path of [
    '/apis/example.com/v1/namespaces/default/widgets',
    '/apis/networking.istio.io/v9/namespaces/default/virtualservices',
    '/apis/networking.istio.io/v1/namespaces/default/serviceentries',
    '/apis/apps/v1/namespaces/default/deployments/x/exec',
  ]) {
    const answer = await raw('GET', path);
    expect([path, answer.status, answer.headers['content-type'], answer.body]).toEqual([
      path,
      404,
      'text/plain; charset=utf-8',
      '404 page not found\n',
    ]);
  }
});

test('lists honour limit with a continue token and remainingItemCount', async () => {
  for (const name of ['page-a', 'page-b', 'page-c', 'page-d', 'page-e']) {
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name, labels: { page: 'yes' } } },
    });
  }
  const first = await core.listNamespacedConfigMap({ namespace: 'default', limit: 2 });
  expect(first.items.map((c) => c.metadata!.name)).toEqual(['page-a', 'page-b']);
  expect(first.metadata!.remainingItemCount).toBe(3);
  const second = await core.listNamespacedConfigMap({
    namespace: 'default',
    limit: 2,
    _continue: first.metadata!._continue!,
  });
  expect(second.items.map((c) => c.metadata!.name)).toEqual(['page-c', 'page-d']);
  expect(second.metadata!.resourceVersion).toBe(first.metadata!.resourceVersion);
  const last = await core.listNamespacedConfigMap({
    namespace: 'default',
    limit: 2,
    _continue: second.metadata!._continue!,
  });
  expect(last.items.map((c) => c.metadata!.name)).toEqual(['page-e']);
  expect(last.metadata!._continue).toBeUndefined();
  // With a selector the server does not count what remains.
  const selected = await core.listNamespacedConfigMap({
    namespace: 'default',
    limit: 1,
    labelSelector: 'page=yes',
  });
  expect([
    selected.items.length,
    selected.metadata!.remainingItemCount,
    !!selected.metadata!._continue,
  ]).toEqual([1, undefined, true]);
});

test('dry-run answers carry the generation the write would have', async () => {
  const dry = (await custom.createNamespacedCustomObject({
    ...VS,
    body: virtualService('dry-gen'),
    dryRun: 'All',
  })) as { metadata: { generation: number } };
  expect(dry.metadata.generation).toBe(1);
  await custom.createNamespacedCustomObject({ ...VS, body: virtualService('dry-gen') });
  const patched = (await custom.patchNamespacedCustomObject(
    { ...VS, name: 'dry-gen', body: { spec: { hosts: ['dry-gen', 'more'] } }, dryRun: 'All' },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  )) as { metadata: { generation: number } };
  expect(patched.metadata.generation).toBe(2);
  const labelled = (await custom.patchNamespacedCustomObject(
    { ...VS, name: 'dry-gen', body: { metadata: { labels: { only: 'metadata' } } }, dryRun: 'All' },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  )) as { metadata: { generation: number } };
  expect(labelled.metadata.generation).toBe(1);
  expect(server.store.get('networking.istio.io/v1', 'VirtualService', 'default', 'dry-gen')).toMatchObject({
    metadata: { generation: 1 },
    spec: { hosts: ['dry-gen'] },
  });
});

test('a failed delete precondition names the kind and both resourceVersions', async () => {
  const leases = server.kubeConfig().makeApiClient(CoordinationV1Api);
  const created = await leases.createNamespacedLease({
    namespace: 'default',
    body: { metadata: { name: 'precondition' }, spec: { holderIdentity: 'a' } },
  });
  const { code, body } = await failureOf(
    leases.deleteNamespacedLease({
      namespace: 'default',
      name: 'precondition',
      body: { preconditions: { resourceVersion: '1' } },
    }),
  );
  expect([code, body.reason, body.message, body.details]).toEqual([
    409,
    'Conflict',
    `Operation cannot be fulfilled on Lease.coordination.k8s.io "precondition": the ResourceVersion in the precondition (1) does not match the ResourceVersion in record (${created.metadata!.resourceVersion}). The object might have been modified`,
    { name: 'precondition', group: 'coordination.k8s.io', kind: 'Lease' },
  ]);
});
