// Status subresources of the custom kinds (HTTPRoute, VirtualService, DestinationRule) and the istiod
// simulator that writes their status: Accepted/ResolvedRefs per parent on HTTPRoutes, Reconciled on the
// Istio kinds with PILOT_ENABLE_STATUS.
import { CoreV1Api, CustomObjectsApi, type KubernetesObject } from '@kubernetes/client-node';
import { startApiServer, type ApiServer } from '../../test/support/kube-apiserver/index.js';
import { virtualService, VS, watchUntil } from './helpers.js';

const GROUP = 'gateway.networking.k8s.io';
const ROUTES = { group: GROUP, version: 'v1', namespace: 'default', plural: 'httproutes' };
const ROUTES_PATH = `/apis/${GROUP}/v1/namespaces/default/httproutes`;

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}
type Route = KubernetesObject & {
  spec: Record<string, unknown>;
  status?: { parents?: { parentRef: object; controllerName: string; conditions: Condition[] }[] };
};

let server: ApiServer;
let custom: CustomObjectsApi;

beforeAll(async () => {
  server = await startApiServer();
  custom = server.kubeConfig().makeApiClient(CustomObjectsApi);
  const core = server.kubeConfig().makeApiClient(CoreV1Api);
  for (const name of ['reviews', 'reviews-v1', 'reviews-v2']) {
    await core.createNamespacedService({
      namespace: 'default',
      body: {
        metadata: { name },
        spec: { ports: [{ port: 9080, name: 'http' }], selector: { app: 'reviews' } },
      },
    });
  }
});
afterAll(async () => {
  await server.close();
});

function route(name: string, backends: string[]): Route {
  return {
    apiVersion: `${GROUP}/v1`,
    kind: 'HTTPRoute',
    metadata: { name, namespace: 'default' },
    spec: {
      parentRefs: [{ group: '', kind: 'Service', name: 'reviews', port: 9080 }],
      rules: [{ backendRefs: backends.map((b) => ({ name: b, port: 9080 })) }],
    },
  };
}

/** The conditions istiod wrote for the route's parents, once it has written them for `generation`. */
async function parentsFor(name: string, generation: number) {
  const seen = await watchUntil<Route>(
    server.kubeConfig(),
    ROUTES_PATH,
    { fieldSelector: `metadata.name=${name}` },
    (r) =>
      (r.status?.parents ?? []).every((p) =>
        p.conditions.every((c) => c.observedGeneration === generation),
      ) && (r.status?.parents?.length ?? 0) > 0,
  );
  return seen.status!.parents!.map((p) => ({
    parentRef: p.parentRef,
    controllerName: p.controllerName,
    conditions: p.conditions.map((c) => [c.type, c.status, c.reason, c.message, c.observedGeneration]),
  }));
}

describe('status subresources', () => {
  test('a PUT of an HTTPRoute keeps the stored status; a PUT of /status writes only the status', async () => {
    server.istiod.writeRouteStatus(false);
    try {
      const created = (await custom.createNamespacedCustomObject({
        ...ROUTES,
        body: { ...route('by-hand', ['reviews-v1']), status: { parents: [] } },
      })) as Route;
      expect(created.status).toBeUndefined(); // a create ignores status too
      const status = {
        parents: [
          {
            parentRef: { name: 'reviews', kind: 'Service', group: '' },
            controllerName: 'example.com/controller',
            conditions: [
              {
                type: 'Accepted',
                status: 'True',
                reason: 'Accepted',
                message: 'ok',
                lastTransitionTime: '2026-01-01T00:00:00Z',
              },
            ],
          },
        ],
      };
      const withStatus = (await custom.replaceNamespacedCustomObjectStatus({
        ...ROUTES,
        name: 'by-hand',
        body: { ...created, spec: { ...created.spec, hostnames: ['ignored.example.com'] }, status },
      })) as Route;
      expect(withStatus.status).toEqual(status);
      expect(withStatus.spec.hostnames).toBeUndefined();
      expect(withStatus.metadata!.generation).toBe(1);
      const replaced = (await custom.replaceNamespacedCustomObject({
        ...ROUTES,
        name: 'by-hand',
        body: {
          ...withStatus,
          spec: { ...withStatus.spec, hostnames: ['reviews.example.com'] },
          status: undefined,
        },
      })) as Route;
      expect(replaced.status).toEqual(status);
      expect(replaced.spec.hostnames).toEqual(['reviews.example.com']);
      expect(replaced.metadata!.generation).toBe(2);
    } finally {
      server.istiod.writeRouteStatus(true);
    }
  });

  test('VirtualService and DestinationRule have /status: a PUT keeps what istiod wrote', async () => {
    await custom.createNamespacedCustomObject({ ...VS, body: virtualService('with-status') });
    const reconciled = { conditions: [{ type: 'Reconciled', status: 'True' }], observedGeneration: '1' };
    const current = (await custom.getNamespacedCustomObject({
      ...VS,
      name: 'with-status',
    })) as KubernetesObject;
    await custom.replaceNamespacedCustomObjectStatus({
      ...VS,
      name: 'with-status',
      body: { ...current, status: reconciled },
    });
    const read = (await custom.getNamespacedCustomObject({ ...VS, name: 'with-status' })) as KubernetesObject;
    const replaced = (await custom.replaceNamespacedCustomObject({
      ...VS,
      name: 'with-status',
      body: { ...read, spec: { hosts: ['with-status', 'more'] } },
    })) as KubernetesObject & { status?: unknown };
    expect(replaced.status).toEqual(reconciled);
    const dr = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'with-status', namespace: 'default' },
      spec: { host: 'with-status' },
    };
    const createdDr = (await custom.createNamespacedCustomObject({
      ...VS,
      plural: 'destinationrules',
      body: dr,
    })) as KubernetesObject;
    const drStatus = (await custom.replaceNamespacedCustomObjectStatus({
      ...VS,
      plural: 'destinationrules',
      name: 'with-status',
      body: { ...createdDr, status: reconciled },
    })) as KubernetesObject & { status?: unknown };
    expect(drStatus.status).toEqual(reconciled);
  });
});

describe('istiod on HTTPRoutes', () => {
  test('Accepted and ResolvedRefs per parentRef, for the generation written', async () => {
    const created = (await custom.createNamespacedCustomObject({
      ...ROUTES,
      body: route('reviews', ['reviews-v1']),
    })) as Route;
    const expected = (generation: number) => [
      {
        parentRef: { group: '', kind: 'Service', name: 'reviews', port: 9080 },
        controllerName: 'istio.io/mesh-controller',
        conditions: [
          ['Accepted', 'True', 'Accepted', 'Route was valid', generation],
          ['ResolvedRefs', 'True', 'ResolvedRefs', 'All references resolved', generation],
        ],
      },
    ];
    expect(await parentsFor('reviews', 1)).toEqual(expected(1));
    const current = (await custom.getNamespacedCustomObject({ ...ROUTES, name: 'reviews' })) as Route;
    await custom.replaceNamespacedCustomObject({
      ...ROUTES,
      name: 'reviews',
      body: { ...current, spec: route('reviews', ['reviews-v1', 'reviews-v2']).spec },
    });
    expect(await parentsFor('reviews', 2)).toEqual(expected(2));
    expect(created.metadata!.generation).toBe(1);
  });

  test('a missing backend Service: ResolvedRefs=False BackendNotFound, until the Service exists', async () => {
    await custom.createNamespacedCustomObject({
      ...ROUTES,
      body: route('to-v3', ['reviews-v1', 'reviews-v3']),
    });
    expect((await parentsFor('to-v3', 1))[0]!.conditions).toEqual([
      ['Accepted', 'True', 'Accepted', 'Route was valid', 1],
      [
        'ResolvedRefs',
        'False',
        'BackendNotFound',
        'backend(reviews-v3.default.svc.cluster.local) not found',
        1,
      ],
    ]);
    await server
      .kubeConfig()
      .makeApiClient(CoreV1Api)
      .createNamespacedService({
        namespace: 'default',
        body: { metadata: { name: 'reviews-v3' }, spec: { ports: [{ port: 9080 }] } },
      });
    await watchUntil<Route>(
      server.kubeConfig(),
      ROUTES_PATH,
      { fieldSelector: 'metadata.name=to-v3' },
      (r) => r.status?.parents?.[0]?.conditions.find((c) => c.type === 'ResolvedRefs')?.status === 'True',
    );
  });

  test('writeRouteStatus(false): a cluster without a Gateway API controller writes no status', async () => {
    server.istiod.writeRouteStatus(false);
    try {
      await custom.createNamespacedCustomObject({ ...ROUTES, body: route('unwatched', ['reviews-v1']) });
      // Another route written after it gets no status either: nothing is pending for the first one.
      await custom.createNamespacedCustomObject({ ...ROUTES, body: route('unwatched-2', ['reviews-v1']) });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const read = (await custom.getNamespacedCustomObject({ ...ROUTES, name: 'unwatched' })) as Route;
      expect(read.status).toBeUndefined();
    } finally {
      server.istiod.writeRouteStatus(true);
    }
    // Switched back on, istiod catches up with the routes it had not seen.
    expect((await parentsFor('unwatched', 1))[0]!.conditions.map((c) => c[1])).toEqual(['True', 'True']);
  });
});

describe('istiod with PILOT_ENABLE_STATUS', () => {
  test('writeReconciled(true): Reconciled for each generation of VirtualServices and DestinationRules', async () => {
    await custom.createNamespacedCustomObject({ ...VS, body: virtualService('reconciled') });
    server.istiod.writeReconciled(true);
    try {
      const path = '/apis/networking.istio.io/v1/namespaces/default/virtualservices';
      type Vs = KubernetesObject & { status?: { conditions?: Condition[]; observedGeneration?: string } };
      const first = await watchUntil<Vs>(
        server.kubeConfig(),
        path,
        { fieldSelector: 'metadata.name=reconciled' },
        (v) => v.status?.observedGeneration === '1',
      );
      expect(first.status!.conditions!.map((c) => [c.type, c.status])).toEqual([['Reconciled', 'True']]);
      await custom.replaceNamespacedCustomObject({
        ...VS,
        name: 'reconciled',
        body: { ...first, spec: { hosts: ['reconciled', 'again'] } },
      });
      await watchUntil<Vs>(
        server.kubeConfig(),
        path,
        { fieldSelector: 'metadata.name=reconciled' },
        (v) => v.status?.observedGeneration === '2',
      );
    } finally {
      server.istiod.writeReconciled(false);
    }
  });
});
