// Authentication, RBAC, a cluster without Istio, leases, watches and injected faults, through client-node.
import {
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  Watch,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { failureOf, rawRequest, virtualService, VS } from './helpers.js';
import { startApiServer, type ApiServer } from '../../test/support/kube-apiserver/index.js';

let server: ApiServer;
beforeAll(async () => {
  server = await startApiServer({
    users: { 'admin-token': 'admin', 'ci-token': 'ci' },
    rules: [
      { users: ['admin'], verbs: ['*'], groups: ['*'], resources: ['*'] },
      {
        users: ['ci'],
        verbs: ['get', 'list'],
        groups: ['networking.istio.io'],
        resources: ['virtualservices'],
        namespaces: ['default'],
      },
    ],
    bookmarkIntervalMs: 50,
  });
});
afterAll(async () => {
  await server.close();
});
afterEach(() => server.faults.clear());

interface WatchEvent {
  type: string;
  object: KubernetesObject & { code?: number; message?: string };
}

/** Collects watch events until `enough` says so or the server ends the stream. */
async function collect(
  path: string,
  query: Record<string, string | number | boolean>,
  enough: (events: WatchEvent[]) => boolean,
  start?: () => Promise<unknown>,
): Promise<{ events: WatchEvent[]; ended: boolean }> {
  const events: WatchEvent[] = [];
  let done!: (ended: boolean) => void;
  const finished = new Promise<boolean>((resolve) => (done = resolve));
  const controller = await new Watch(server.kubeConfig()).watch(
    path,
    query,
    (type, object: WatchEvent['object']) => {
      events.push({ type, object });
      if (enough(events)) done(false);
    },
    () => done(true),
  );
  await start?.();
  const ended = await finished;
  controller.abort();
  return { events, ended };
}

describe('authentication and RBAC', () => {
  test('an unknown token answers 401 Unauthorized with a Status body; none at all is system:anonymous', async () => {
    const kc = server.kubeConfig();
    const expected = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Unauthorized',
      reason: 'Unauthorized',
      code: 401,
    };
    const anonymous = await rawRequest(kc, 'GET', '/api/v1/namespaces');
    expect([anonymous.status, JSON.parse(anonymous.body).message]).toEqual([
      403,
      'namespaces is forbidden: User "system:anonymous" cannot list resource "namespaces" in API group "" at the cluster scope',
    ]);
    const unknown = await rawRequest(kc, 'GET', '/api/v1/namespaces', { Authorization: 'Bearer wrong' });
    expect(JSON.parse(unknown.body)).toEqual(expected);
    kc.users[0] = { ...kc.users[0]!, token: 'wrong' };
    expect((await failureOf(kc.makeApiClient(CoreV1Api).listNamespace())).code).toBe(401);
  });

  test('a denied verb answers 403 with the real wording, named and listed forms', async () => {
    await server
      .kubeConfig()
      .makeApiClient(CustomObjectsApi)
      .createNamespacedCustomObject({ ...VS, body: virtualService('reviews') });
    const ci = server.kubeConfig('ci').makeApiClient(CustomObjectsApi);
    expect(
      ((await ci.getNamespacedCustomObject({ ...VS, name: 'reviews' })) as KubernetesObject).metadata?.name,
    ).toBe('reviews');
    const patch = await failureOf(
      ci.patchNamespacedCustomObject(
        { ...VS, name: 'reviews', body: { spec: {} } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );
    expect(patch.code).toBe(403);
    expect(patch.body.message).toBe(
      'virtualservices.networking.istio.io "reviews" is forbidden: User "ci" cannot patch resource "virtualservices" in API group "networking.istio.io" in the namespace "default"',
    );
    const list = await failureOf(ci.listNamespacedCustomObject({ ...VS, namespace: 'prod' }));
    expect(list.body.message).toBe(
      'virtualservices.networking.istio.io is forbidden: User "ci" cannot list resource "virtualservices" in API group "networking.istio.io" in the namespace "prod"',
    );
    const pods = await failureOf(
      server.kubeConfig('ci').makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'default' }),
    );
    expect(pods.body.message).toBe(
      'pods is forbidden: User "ci" cannot list resource "pods" in API group "" in the namespace "default"',
    );
  });

  test('setRules changes what a user may do', async () => {
    const ci = server.kubeConfig('ci').makeApiClient(CoreV1Api);
    server.setRules([{ users: ['ci'], verbs: ['list'], groups: [''], resources: ['pods'] }]);
    try {
      expect((await ci.listNamespacedPod({ namespace: 'default' })).items).toBeDefined();
    } finally {
      server.setRules([{ verbs: ['*'], groups: ['*'], resources: ['*'] }]);
    }
  });
});

test('istio: false serves no networking.istio.io group', async () => {
  const bare = await startApiServer({ istio: false });
  try {
    const api = bare.kubeConfig().makeApiClient(CustomObjectsApi);
    const { code, body } = await failureOf(api.listNamespacedCustomObject(VS));
    expect([code, body]).toEqual([404, { text: '404 page not found\n' }]);
  } finally {
    await bare.close();
  }
});

test('leases through CoordinationV1Api: create, conflict on a stale update', async () => {
  const leases = server.kubeConfig().makeApiClient(CoordinationV1Api);
  const lease = await leases.createNamespacedLease({
    namespace: 'default',
    body: {
      metadata: { name: 'canary-reviews' },
      spec: { holderIdentity: 'run-1', leaseDurationSeconds: 60 },
    },
  });
  await leases.replaceNamespacedLease({
    namespace: 'default',
    name: 'canary-reviews',
    body: { ...lease, spec: { holderIdentity: 'run-2' } },
  });
  const { code, body } = await failureOf(
    leases.replaceNamespacedLease({
      namespace: 'default',
      name: 'canary-reviews',
      body: { ...lease, spec: { holderIdentity: 'run-3' } },
    }),
  );
  expect(code).toBe(409);
  expect(body.message).toBe(
    'Operation cannot be fulfilled on leases.coordination.k8s.io "canary-reviews": the object has been modified; please apply your changes to the latest version and try again',
  );
});

describe('watch', () => {
  const path = '/apis/networking.istio.io/v1/namespaces/default/virtualservices';
  const custom = () => server.kubeConfig().makeApiClient(CustomObjectsApi);

  test('from a resourceVersion: ADDED, MODIFIED, DELETED in order', async () => {
    const list = (await custom().listNamespacedCustomObject(VS)) as { metadata: { resourceVersion: string } };
    const { events } = await collect(
      path,
      { resourceVersion: list.metadata.resourceVersion, fieldSelector: 'metadata.name=watched' },
      (e) => e.length === 3,
      async () => {
        await custom().createNamespacedCustomObject({ ...VS, body: virtualService('watched') });
        await custom().patchNamespacedCustomObject(
          { ...VS, name: 'watched', body: { spec: { hosts: ['w'] } } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
        await custom().deleteNamespacedCustomObject({ ...VS, name: 'watched' });
      },
    );
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    const versions = events.map((e) => Number(e.object.metadata?.resourceVersion));
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
  });

  test('a replay shows each write as it was: later writes of every kind change no earlier event', async () => {
    const created = (await custom().createNamespacedCustomObject({
      ...VS,
      body: virtualService('replayed', 100),
    })) as KubernetesObject;
    const from = created.metadata!.resourceVersion!;
    const replace = async (weight: number) => {
      const live = (await custom().getNamespacedCustomObject({ ...VS, name: 'replayed' })) as {
        spec: { http: { route: { weight: number }[] }[] };
      };
      live.spec.http[0]!.route[0]!.weight = weight;
      await custom().replaceNamespacedCustomObject({ ...VS, name: 'replayed', body: live });
    };
    await replace(60);
    await custom().patchNamespacedCustomObject(
      {
        ...VS,
        name: 'replayed',
        body: { spec: { http: [{ route: [{ destination: { host: 'r' }, weight: 70 }] }] } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await replace(80);
    const { events } = await collect(
      path,
      { resourceVersion: from, fieldSelector: 'metadata.name=replayed' },
      (e) => e.length === 3,
    );
    const weights = events.map(
      (e) =>
        (e.object as unknown as { spec: { http: { route: { weight: number }[] }[] } }).spec.http[0]!.route[0]!
          .weight,
    );
    expect(events.map((e) => e.type)).toEqual(['MODIFIED', 'MODIFIED', 'MODIFIED']);
    expect(weights).toEqual([60, 70, 80]);
    expect(events.map((e) => e.object.metadata?.generation)).toEqual([2, 3, 4]);
  });

  test('a label selector sees an object leave as DELETED and come back as ADDED', async () => {
    await custom().createNamespacedCustomObject({ ...VS, body: virtualService('relabelled') });
    const relabel = (app: string) =>
      custom().patchNamespacedCustomObject(
        { ...VS, name: 'relabelled', body: { metadata: { labels: { app } } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    const { events } = await collect(
      path,
      { labelSelector: 'app=relabelled' },
      (e) => e.length === 3,
      async () => {
        await relabel('elsewhere');
        await relabel('relabelled');
      },
    );
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'DELETED', 'ADDED']);
  });

  test('a compacted resourceVersion gets ERROR 410 Gone "too old resource version"', async () => {
    await custom().createNamespacedCustomObject({ ...VS, body: virtualService('before-compaction') });
    server.store.compact();
    const { events } = await collect(path, { resourceVersion: '2' }, (e) => e.length === 1);
    expect(events[0]!.type).toBe('ERROR');
    expect(events[0]!.object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
    expect(events[0]!.object.message).toMatch(/^too old resource version: 2 \(\d+\)$/);
  });

  test('allowWatchBookmarks brings BOOKMARK events; timeoutSeconds ends the stream', async () => {
    const { events, ended } = await collect(
      path,
      { allowWatchBookmarks: true, timeoutSeconds: 1, resourceVersion: '0' },
      () => false,
    );
    expect(ended).toBe(true);
    const bookmark = events.find((e) => e.type === 'BOOKMARK');
    expect(Number(bookmark?.object.metadata?.resourceVersion)).toBeGreaterThan(0);
  });

  test('cutWatches ends open streams after the given number of events', async () => {
    const { events, ended } = await collect(
      path,
      { resourceVersion: '0', fieldSelector: 'metadata.name=cut' },
      () => false,
      async () => {
        server.faults.cutWatches(1);
        await custom().createNamespacedCustomObject({ ...VS, body: virtualService('cut') });
      },
    );
    expect(ended).toBe(true);
    expect(events.map((e) => e.type)).toEqual(['ADDED']);
  });
});

describe('faults and the request log', () => {
  const core = () => server.kubeConfig().makeApiClient(CoreV1Api);

  test('failNext answers 503, 500 and 429 with Retry-After, then the request works again', async () => {
    server.faults.failNext(1, 429, { method: 'GET', path: /\/namespaces$/, retryAfterSeconds: 7 });
    const throttled = await failureOf(core().listNamespace());
    expect(throttled.code).toBe(429);
    expect(throttled.body).toMatchObject({ reason: 'TooManyRequests', details: { retryAfterSeconds: 7 } });
    server.faults.failNext(1, 503);
    expect((await failureOf(core().listNamespace())).body.reason).toBe('ServiceUnavailable');
    server.faults.failNext(1, 500);
    expect((await failureOf(core().listNamespace())).code).toBe(500);
    expect((await core().listNamespace()).items.length).toBeGreaterThan(0);
    const logged = server.requests.filter((r) => r.path === '/api/v1/namespaces').map((r) => r.status);
    expect(logged.slice(-4)).toEqual([429, 503, 500, 200]);
  });

  test('resetNext ends the request without an answer', async () => {
    server.faults.resetNext(1, { path: /\/configmaps/ });
    await expect(core().listNamespacedConfigMap({ namespace: 'default' })).rejects.toThrow();
    expect((await core().listNamespacedConfigMap({ namespace: 'default' })).items).toBeDefined();
  });

  test('beforeWrite lets a concurrent writer get in between a read and a write', async () => {
    const api = server.kubeConfig().makeApiClient(CustomObjectsApi);
    const read = (await api.createNamespacedCustomObject({
      ...VS,
      body: virtualService('raced'),
    })) as KubernetesObject;
    server.faults.beforeWrite(({ method }) => {
      if (method !== 'PUT') return;
      const current = server.store.get('networking.istio.io/v1', 'VirtualService', 'default', 'raced')!;
      server.store.put({ ...current, spec: { hosts: ['someone-else'] } });
    });
    const { code } = await failureOf(api.replaceNamespacedCustomObject({ ...VS, name: 'raced', body: read }));
    expect(code).toBe(409);
    const entry = server.requests.filter((r) => r.method === 'PUT').at(-1)!;
    expect(entry).toMatchObject({ verb: 'update', contentType: 'application/json', status: 409 });
  });

  test('latency delays answers', async () => {
    server.faults.latencyMs = 300;
    const started = Date.now();
    await core().listNamespace();
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });
});
