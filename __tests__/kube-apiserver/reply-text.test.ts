// Replies of stored objects are written from each object's JSON bytes, made once per stored object and
// version: the text is what JSON.stringify writes of the reply's objects, and a write (a new stored
// object) is seen by the next read.
import { CustomObjectsApi } from '@kubernetes/client-node';
import { listBytes, listOf, replyWire, wireBytes } from '../../test/support/kube-apiserver/objects.js';
import { ResourceRegistry } from '../../test/support/kube-apiserver/resources.js';
import { ObjectStore } from '../../test/support/kube-apiserver/store.js';
import { startApiServer, type ApiServer } from '../../test/support/kube-apiserver/index.js';
import { rawRequest, virtualService, VS } from './helpers.js';

/** The text of a reply's bytes (written in pieces). */
const text = (pieces: Buffer[]) => Buffer.concat(pieces).toString();

describe('reply texts', () => {
  const registry = new ResourceRegistry({ istio: true, gatewayApi: true });
  const store = new ObjectStore();
  const type = (apiVersion: string, kind: string) => registry.byKind(apiVersion, kind)!;
  const route = {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    // stored without the schema's defaults, which are filled in on reading
    metadata: { name: 'reviews', namespace: 'default', labels: { app: 'reviews' } },
    spec: { parentRefs: [{ name: 'mesh' }], rules: [{ backendRefs: [{ name: 'reviews-v1', port: 9080 }] }] },
  };

  test('are the JSON of the reply objects, defaults included, in every served version', () => {
    const routes = type('gateway.networking.k8s.io/v1', 'HTTPRoute');
    const services = type('networking.istio.io/v1', 'VirtualService');
    const deployments = type('apps/v1', 'Deployment');
    store.write(routes, route);
    store.write(services, {
      ...virtualService('reviews'),
      metadata: { name: 'reviews', namespace: 'default' },
    });
    store.write(deployments, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'reviews-v1', namespace: 'default' },
      spec: { replicas: 1 },
    });
    const cases = [
      [routes, ['v1', 'v1beta1']],
      [services, ['v1', 'v1beta1', 'v1alpha3']],
      [deployments, ['v1']],
    ] as const;
    for (const [t, versions] of cases) {
      for (const version of versions) {
        const items = store.list(t, 'default');
        expect(items).toHaveLength(1);
        expect(text(wireBytes(items[0]!, t, version))).toBe(JSON.stringify(replyWire(items[0]!, t, version)));
        const more = { continue: 'token', remainingItemCount: 2 };
        expect(text(listBytes(t, version, items, 7, more))).toBe(
          JSON.stringify(listOf(t, version, items, 7, more)),
        );
        expect(text(listBytes(t, version, [], 7))).toBe(JSON.stringify(listOf(t, version, [], 7)));
      }
    }
    const read = JSON.parse(text(wireBytes(store.list(routes, 'default')[0]!, routes, 'v1'))) as typeof route;
    expect(read.spec.rules[0]!.backendRefs[0]).toEqual({
      group: '',
      kind: 'Service',
      name: 'reviews-v1',
      port: 9080,
      weight: 1,
    });
  });

  test('a write stores a new object with a text of its own; the one it replaced keeps its text', () => {
    const t = type('gateway.networking.k8s.io/v1', 'HTTPRoute');
    const before = store.write(t, route);
    const beforeText = text(wireBytes(before, t, 'v1'));
    const after = store.write(t, { ...route, metadata: { ...route.metadata, labels: { app: 'other' } } });
    expect(after).not.toBe(before);
    expect(text(wireBytes(after, t, 'v1'))).toContain('"app":"other"');
    expect(text(wireBytes(before, t, 'v1'))).toBe(beforeText);
    expect(beforeText).toBe(JSON.stringify(replyWire(before, t, 'v1')));
  });

  test('a large object is written in pieces well under 128 KiB, and read whole', () => {
    const t = type('networking.istio.io/v1', 'VirtualService');
    const http = Array.from({ length: 2000 }, (_, index) => ({
      name: `team-${index}`,
      match: [{ uri: { prefix: `/team-${index}/` } }],
      route: [{ destination: { host: 'reviews', subset: 'v1' } }],
    }));
    const stored = store.write(t, {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'crowded', namespace: 'default' },
      spec: { hosts: ['reviews'], http },
    });
    const pieces = wireBytes(stored, t, 'v1');
    expect(pieces.length).toBeGreaterThan(4);
    expect(Math.max(...pieces.map((piece) => piece.length))).toBeLessThan(64 * 1024);
    expect(text(pieces)).toBe(JSON.stringify(replyWire(stored, t, 'v1')));
  });
});

describe('reads after writes, through the server', () => {
  let server: ApiServer;
  beforeAll(async () => {
    server = await startApiServer();
  });
  afterAll(async () => {
    await server.close();
  });

  test('a list, a get and a write answer the object as it is now', async () => {
    const custom = server.kubeConfig().makeApiClient(CustomObjectsApi);
    const path = '/apis/networking.istio.io/v1/namespaces/default/virtualservices';
    const read = async (suffix = '') => {
      const answer = await rawRequest(server.kubeConfig(), 'GET', `${path}${suffix}`, {
        Authorization: 'Bearer admin-token',
      });
      expect(answer.status).toBe(200);
      return JSON.parse(answer.body) as Record<string, unknown> & { items?: unknown[] };
    };
    await custom.createNamespacedCustomObject({ ...VS, body: virtualService('texts', 100) });
    const weightOf = (vs: unknown) =>
      (vs as { spec: { http: { route: { weight: number }[] }[] } }).spec.http[0]!.route[0]!.weight;
    expect(weightOf((await read()).items![0])).toBe(100);
    expect(weightOf(await read('/texts'))).toBe(100);
    const live = await read('/texts');
    (live as { spec: { http: { route: { weight: number }[] }[] } }).spec.http[0]!.route[0]!.weight = 90;
    const written = await custom.replaceNamespacedCustomObject({ ...VS, name: 'texts', body: live });
    expect(weightOf(written)).toBe(90);
    expect(weightOf((await read()).items![0])).toBe(90);
    expect(weightOf(await read('/texts'))).toBe(90);
    expect((await read('?limit=1')).metadata).toEqual({ resourceVersion: expect.any(String) });
  });
});
