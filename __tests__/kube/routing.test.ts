// Reading and writing the routing objects: versions, round trips, optimistic concurrency, exact restores.
import { CanaryError } from '../../src/errors.js';
import { ANNOTATIONS, readVirtualServicesElsewhere, type ClusterClient } from '../../src/kube/index.js';
import type { RoutingObject, VirtualService } from '../../src/plan/types.js';
import {
  FAST_RETRY,
  reviewsDestinationRule,
  reviewsVirtualService,
  startCluster,
  type TestCluster,
} from './cluster.js';

let cluster: TestCluster;
const NOW = new Date('2026-11-25T12:00:00.000Z');
const RUN_URL = 'https://github.com/o/r/actions/runs/1';
const VS_PATH = '/apis/networking.istio.io/v1/namespaces/default/virtualservices';

beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(() => cluster.server.close());
beforeEach(() => {
  const { store } = cluster.server;
  for (const kind of ['VirtualService', 'DestinationRule']) {
    for (const o of store.list('networking.istio.io/v1', kind, 'default') as RoutingObject[]) {
      store.delete('networking.istio.io/v1', kind, 'default', o.metadata.name);
    }
  }
  store.put(reviewsVirtualService());
  store.put(reviewsDestinationRule());
});
afterEach(() => cluster.server.faults.clear());

const client = (): ClusterClient => cluster.client({ now: () => NOW, runUrl: RUN_URL });

function stored(kind: 'VirtualService' | 'DestinationRule', name = 'reviews'): RoutingObject | undefined {
  return cluster.server.store.get('networking.istio.io/v1', kind, 'default', name) as
    RoutingObject | undefined;
}

function shifted(vs: VirtualService): VirtualService {
  const next = structuredClone(vs);
  next.spec.http = [
    {
      name: 'reviews-primary',
      route: [
        { destination: { host: 'reviews', subset: 'v1' }, weight: 50 },
        { destination: { host: 'reviews', subset: 'v2' }, weight: 50 },
      ],
    },
  ];
  next.metadata.annotations = { ...next.metadata.annotations, 'istio-canary.io/stage': 'shift' };
  return next;
}

describe('readRouting', () => {
  test('one round trip: discovery and both lists together, then only the lists', async () => {
    const c = client();
    let mark = cluster.mark();
    const state = await c.readRouting('default');
    expect(cluster.requestsSince(mark).sort()).toEqual([
      'GET /apis',
      'GET /apis/networking.istio.io/v1/namespaces/default/destinationrules',
      `GET ${VS_PATH}`,
    ]);
    expect(state.virtualServices.map((o) => o.metadata.name)).toEqual(['reviews']);
    expect(state.destinationRules.map((o) => o.metadata.name)).toEqual(['reviews']);
    mark = cluster.mark();
    await c.readRouting('default');
    expect(cluster.requestsSince(mark)).toHaveLength(2);
  });

  test('each object carries the version it was last written with; managedFields are left out', async () => {
    const c = client();
    const beta = reviewsVirtualService('networking.istio.io/v1beta1');
    beta.metadata.name = 'ratings';
    await c.write(beta, { dryRun: false });
    const state = await c.readRouting('default');
    const versions = Object.fromEntries(state.virtualServices.map((o) => [o.metadata.name, o.apiVersion]));
    expect(versions).toEqual({ ratings: 'networking.istio.io/v1beta1', reviews: 'networking.istio.io/v1' });
    expect(state.virtualServices.every((o) => o.metadata.managedFields === undefined)).toBe(true);
    expect(state.virtualServices.every((o) => o.kind === 'VirtualService')).toBe(true);
  });

  test('istioVersions: the served versions, preferred first, asked once', async () => {
    const c = client();
    const mark = cluster.mark();
    expect(await c.istioVersions()).toEqual(['v1', 'v1beta1', 'v1alpha3']);
    expect(await c.istioVersions()).toEqual(['v1', 'v1beta1', 'v1alpha3']);
    expect(cluster.requestsSince(mark)).toEqual(['GET /apis']);
    await expect(c.newObjectApiVersion()).resolves.toBe('networking.istio.io/v1');
  });
});

describe('readVirtualServicesElsewhere', () => {
  const ALL_VS = 'GET /apis/networking.istio.io/v1/virtualservices';
  const storefront = (): VirtualService => ({
    ...reviewsVirtualService(),
    metadata: { name: 'storefront', namespace: 'storefront' },
  });
  afterEach(() => {
    cluster.server.store.delete('networking.istio.io/v1', 'VirtualService', 'storefront', 'storefront');
    cluster.server.setRules([{ users: ['admin'], verbs: ['*'], groups: ['*'], resources: ['*'] }]);
  });

  test('one list across namespaces, beside readRouting in the same round trip, sharing the discovery', async () => {
    cluster.server.store.put(storefront());
    const c = client();
    const mark = cluster.mark();
    const [state, elsewhere] = await Promise.all([
      c.readRouting('default'),
      readVirtualServicesElsewhere(c, 'default'),
    ]);
    expect(cluster.requestsSince(mark).sort()).toEqual([
      'GET /apis',
      'GET /apis/networking.istio.io/v1/namespaces/default/destinationrules',
      `GET ${VS_PATH}`,
      ALL_VS,
    ]);
    // The namespace's own come from readRouting: only the others here.
    expect(state.virtualServices.map((o) => o.metadata.name)).toEqual(['reviews']);
    expect(elsewhere.visible).toBe(true);
    expect(
      elsewhere.virtualServices.map((o) => [o.metadata.namespace, o.metadata.name, o.apiVersion]),
    ).toEqual([['storefront', 'storefront', 'networking.istio.io/v1']]);
  });

  test('the list across namespaces asks the server to leave out the namespace read beside it', async () => {
    cluster.server.store.put(storefront());
    const mark = cluster.mark();
    const elsewhere = await readVirtualServicesElsewhere(client(), 'default');
    const listed = cluster.server.requests.slice(mark).find((r) => `${r.method} ${r.path}` === ALL_VS);
    expect(listed?.query).toEqual({ fieldSelector: 'metadata.namespace!=default' });
    // default's reviews is in the store, and not in the answer.
    expect(elsewhere.virtualServices.map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'storefront/storefront',
    ]);
  });

  test('credentials limited to the namespace: the 403 says not visible, nothing else is refused', async () => {
    cluster.server.setRules([
      { users: ['admin'], verbs: ['*'], groups: ['*'], resources: ['*'], namespaces: ['default'] },
    ]);
    cluster.server.store.put(storefront());
    const mark = cluster.mark();
    await expect(readVirtualServicesElsewhere(client(), 'default')).resolves.toEqual({
      virtualServices: [],
      visible: false,
    });
    expect(cluster.server.requests.slice(mark).map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'GET /apis 200',
      `${ALL_VS} 403`,
    ]);
  });

  test('any other failure of the list fails the read, in one line', async () => {
    cluster.server.faults.failNext(10, 500, { path: /^\/apis\/networking\.istio\.io\/v1\/virtualservices$/ });
    const error = await readVirtualServicesElsewhere(
      cluster.client({ retry: { ...FAST_RETRY, attempts: 2 } }),
      'default',
    ).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(CanaryError);
    expect((error as CanaryError).message).toBe(
      `the Kubernetes API at ${cluster.server.url} failed to list virtualservices.networking.istio.io (500 InternalError): Internal error occurred: injected fault: try again when the API server is healthy`,
    );
  });
});

describe('write', () => {
  test('replace: one PUT with the resourceVersion read, our field manager and annotations', async () => {
    const c = client();
    const [vs] = (await c.readRouting('default')).virtualServices;
    const mark = cluster.mark();
    const written = await c.write(shifted(vs!), { dryRun: false });
    const request = cluster.server.requests.slice(mark);
    expect(request.map((r) => `${r.method} ${r.path}`)).toEqual([`PUT ${VS_PATH}/reviews`]);
    expect(request[0]!.query).toEqual({ fieldManager: 'istio-canary' });
    expect(written.metadata.annotations).toEqual({
      'owner.example.com/contact': 'books@example.com',
      'istio-canary.io/stage': 'shift',
      [ANNOTATIONS.updatedAt]: '2026-11-25T12:00:00.000Z',
      [ANNOTATIONS.runUrl]: RUN_URL,
    });
    expect(stored('VirtualService')).toMatchObject({ spec: shifted(vs!).spec });
    expect(written.metadata.resourceVersion).not.toBe(vs!.metadata.resourceVersion);
  });

  test('the answer asked is the metadata alone; the object answered is the object stored, status as read', async () => {
    const reconciled = {
      conditions: [{ type: 'Reconciled', status: 'True', observedGeneration: 1 }],
    };
    cluster.server.store.put({ ...reviewsVirtualService(), status: reconciled });
    const c = client();
    const [vs] = (await c.readRouting('default')).virtualServices;
    const mark = cluster.mark();
    const written = await c.write(shifted(vs!), { dryRun: false });
    expect(cluster.server.requests[mark]!.accept).toBe(
      'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1, application/json',
    );
    const { managedFields: _managedFields, ...metadata } = (stored('VirtualService') as RoutingObject)
      .metadata;
    expect(written).toEqual({ ...stored('VirtualService'), metadata });
    expect(written.status).toEqual(reconciled);
    expect(written.metadata.generation).toBe((vs!.metadata.generation ?? 1) + 1);
  });

  test('create: one POST when the object was not there', async () => {
    const c = client();
    const dr = reviewsDestinationRule();
    dr.metadata.name = 'ratings';
    const mark = cluster.mark();
    const written = await c.write(dr, { dryRun: false });
    expect(cluster.requestsSince(mark)).toEqual([
      'POST /apis/networking.istio.io/v1/namespaces/default/destinationrules',
    ]);
    expect(written.metadata.uid).toBeDefined();
    expect(stored('DestinationRule', 'ratings')).toMatchObject({ spec: dr.spec });
    const { managedFields: _managedFields, ...metadata } = (
      stored('DestinationRule', 'ratings') as RoutingObject
    ).metadata;
    expect(written).toEqual({ ...stored('DestinationRule', 'ratings'), metadata });
  });

  test('dry run: dryRun=All, the server answers with the result, nothing changes', async () => {
    const c = client();
    const [vs] = (await c.readRouting('default')).virtualServices;
    const before = stored('VirtualService');
    const mark = cluster.mark();
    const result = await c.write(shifted(vs!), { dryRun: true });
    expect(cluster.server.requests[mark]!.query).toEqual({ fieldManager: 'istio-canary', dryRun: 'All' });
    expect(result.spec).toEqual(shifted(vs!).spec);
    expect(stored('VirtualService')).toEqual(before);
  });

  test('a v1beta1 object is written with v1beta1', async () => {
    const c = client();
    const beta = reviewsVirtualService('networking.istio.io/v1beta1');
    beta.metadata.name = 'details';
    const mark = cluster.mark();
    const written = await c.write(beta, { dryRun: false });
    expect(cluster.requestsSince(mark)).toEqual([
      'POST /apis/networking.istio.io/v1beta1/namespaces/default/virtualservices',
    ]);
    expect(written.apiVersion).toBe('networking.istio.io/v1beta1');
  });

  test('a change we did not see: 409, theirs kept, nothing overwritten', async () => {
    const c = client();
    const [vs] = (await c.readRouting('default')).virtualServices;
    // Someone edits the VirtualService between our read and our write.
    const theirs = structuredClone(stored('VirtualService')!) as VirtualService;
    theirs.spec.http![0]!.timeout = '9s';
    let interfered = false;
    cluster.server.faults.beforeWrite(() => {
      if (interfered) return;
      interfered = true;
      cluster.server.store.put(theirs);
    });
    const error = await c.write(shifted(vs!), { dryRun: false }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'conflict',
      message:
        'virtualservices.networking.istio.io "reviews" in namespace "default" was changed by someone else after it was read (409 Conflict): nothing of theirs was overwritten; run the stage again to plan from the current state',
    });
    expect((stored('VirtualService') as VirtualService).spec).toEqual(theirs.spec);
  });

  test('an object created by someone else meanwhile: 409 AlreadyExists', async () => {
    const c = client();
    const dr = reviewsDestinationRule();
    dr.metadata.name = 'ratings';
    cluster.server.faults.beforeWrite(() => void cluster.server.store.put(structuredClone(dr)));
    await expect(c.write(dr, { dryRun: false })).rejects.toMatchObject({
      code: 'conflict',
      message:
        'destinationrules.networking.istio.io "ratings" in namespace "default" was created by someone else after it was read (409 AlreadyExists): nothing of theirs was overwritten; run the stage again to plan from the current state',
    });
  });
});

describe('restore', () => {
  /** Spec, labels and annotations as JSON text: equal text means byte-for-byte the same content. */
  const content = (o: RoutingObject | undefined) =>
    JSON.stringify({ spec: o?.spec, labels: o?.metadata.labels, annotations: o?.metadata.annotations });

  test('puts back exactly the spec, labels and annotations read at the start', async () => {
    const c = client();
    const original = (await c.readRouting('default')).virtualServices[0]!;
    const changed = shifted(original);
    changed.metadata.labels = { app: 'reviews' };
    await c.write(changed, { dryRun: false });
    expect(content(stored('VirtualService'))).not.toBe(content(original));
    const restored = await c.restore(original, {
      kind: 'VirtualService',
      name: 'reviews',
      namespace: 'default',
    });
    expect(content(stored('VirtualService'))).toBe(content(original));
    expect(content(restored)).toBe(content(original));
  });

  test('a write between its read and its write: reads again and still restores', async () => {
    const c = client();
    const original = (await c.readRouting('default')).virtualServices[0]!;
    await c.write(shifted(original), { dryRun: false });
    let interfered = false;
    cluster.server.faults.beforeWrite(({ method }) => {
      if (interfered || method !== 'PUT') return;
      interfered = true;
      const now = structuredClone(stored('VirtualService')!);
      now.metadata.labels = { ...now.metadata.labels, touched: 'yes' };
      cluster.server.store.put(now);
    });
    const mark = cluster.mark();
    await c.restore(original, { kind: 'VirtualService', name: 'reviews', namespace: 'default' });
    expect(cluster.requestsSince(mark)).toEqual([
      `GET ${VS_PATH}/reviews`,
      `PUT ${VS_PATH}/reviews`,
      `GET ${VS_PATH}/reviews`,
      `PUT ${VS_PATH}/reviews`,
    ]);
    expect(content(stored('VirtualService'))).toBe(content(original));
  });

  test('an object deleted meanwhile is created again as it was', async () => {
    const c = client();
    const original = (await c.readRouting('default')).destinationRules[0]!;
    cluster.server.store.delete('networking.istio.io/v1', 'DestinationRule', 'default', 'reviews');
    await c.restore(original, { kind: 'DestinationRule', name: 'reviews', namespace: 'default' });
    expect(content(stored('DestinationRule'))).toBe(content(original));
  });

  test('what we created is deleted; deleting it twice is fine', async () => {
    const c = client();
    const dr = reviewsDestinationRule();
    dr.metadata.name = 'ratings';
    await c.write(dr, { dryRun: false });
    const ref = { kind: 'DestinationRule' as const, name: 'ratings', namespace: 'default' };
    await expect(c.restore(undefined, ref)).resolves.toBeUndefined();
    expect(stored('DestinationRule', 'ratings')).toBeUndefined();
    await expect(c.restore(undefined, ref)).resolves.toBeUndefined();
  });
});

describe('a write whose answer is lost', () => {
  test('applied, then answered 500: the retry meets our own write and the write succeeds', async () => {
    const c = client();
    const [vs] = (await c.readRouting('default')).virtualServices;
    let lost = false;
    cluster.server.faults.beforeWrite(({ method, object }) => {
      if (lost || method !== 'PUT') return;
      lost = true;
      // The server stores the write, then fails before answering.
      cluster.server.store.put(object!);
      throw new Error('etcd answered late');
    });
    const mark = cluster.mark();
    const written = await c.write(shifted(vs!), { dryRun: false });
    expect(cluster.requestsSince(mark)).toEqual([
      `PUT ${VS_PATH}/reviews`,
      `PUT ${VS_PATH}/reviews`,
      `GET ${VS_PATH}/reviews`,
    ]);
    expect(written.spec).toEqual(shifted(vs!).spec);
    expect(written.metadata.annotations?.[ANNOTATIONS.updatedAt]).toBe('2026-11-25T12:00:00.000Z');
  });

  test('a conflict from someone else is still a conflict', async () => {
    const c = client();
    const [vs] = (await c.readRouting('default')).virtualServices;
    const theirs = structuredClone(stored('VirtualService')!);
    theirs.metadata.labels = { app: 'reviews', edited: 'by-hand' };
    cluster.server.store.put(theirs);
    await expect(c.write(shifted(vs!), { dryRun: false })).rejects.toMatchObject({ code: 'conflict' });
  });
});
