// The stand-in through the real @kubernetes/client-node: TLS with its CA, discovery, object semantics and
// the error bodies of the real server.
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { connect } from 'node:tls';
import { failureOf, rawRequest, virtualService, VS as ISTIO } from './helpers.js';
import { startApiServer, type ApiServer } from '../../test/support/kube-apiserver/index.js';

let server: ApiServer;
const caOf = (apiServer: ApiServer) =>
  Buffer.from(apiServer.kubeConfig().getCurrentCluster()!.caData!, 'base64').toString();
beforeAll(async () => {
  server = await startApiServer();
});
afterAll(async () => {
  await server.close();
});

describe('transport and discovery', () => {
  test('serves HTTPS with the CA in its kubeconfig and reports a version', async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const core = server.kubeConfig().makeApiClient(CoreV1Api);
    const namespaces = await core.listNamespace();
    expect(namespaces.items.map((n) => n.metadata?.name)).toContain('default');
  });

  test('speaks HTTP/2 when offered, HTTP/1.1 otherwise, as kube-apiserver does', async () => {
    const protocolOf = (apiServer: ApiServer, offered: string[]) =>
      new Promise<string | false | null>((resolve, reject) => {
        const { hostname, port } = new URL(apiServer.url);
        const socket = connect(
          { host: hostname, port: Number(port), ca: caOf(apiServer), ALPNProtocols: offered },
          () => {
            resolve(socket.alpnProtocol);
            socket.destroy();
          },
        );
        socket.once('error', reject);
      });
    expect(await protocolOf(server, ['http/1.1', 'h2'])).toBe('h2');
    expect(await protocolOf(server, ['http/1.1'])).toBe('http/1.1');
    const http1 = await startApiServer({ http1Only: true });
    try {
      expect(await protocolOf(http1, ['http/1.1', 'h2'])).toBe('http/1.1');
      const core = http1.kubeConfig().makeApiClient(CoreV1Api);
      expect((await core.listNamespace()).items.map((n) => n.metadata?.name)).toContain('default');
    } finally {
      await http1.close();
    }
  });

  test('discovery documents carry kinds, verbs, shortNames and subresources', async () => {
    const kc = server.kubeConfig();
    const auth = { Authorization: `Bearer ${kc.getCurrentUser()!.token}` };
    const core = JSON.parse((await rawRequest(kc, 'GET', '/api/v1', auth)).body) as {
      resources: {
        name: string;
        kind: string;
        shortNames?: string[];
        namespaced: boolean;
        verbs: string[];
      }[];
    };
    expect(core.resources.find((r) => r.name === 'pods')).toMatchObject({
      kind: 'Pod',
      shortNames: ['po'],
      namespaced: true,
    });
    expect(core.resources.find((r) => r.name === 'namespaces')?.namespaced).toBe(false);
    const apps = JSON.parse((await rawRequest(kc, 'GET', '/apis/apps/v1', auth)).body) as {
      resources: { name: string }[];
    };
    expect(apps.resources.map((r) => r.name)).toEqual(
      expect.arrayContaining(['deployments', 'deployments/status', 'deployments/scale', 'replicasets']),
    );
    const istio = JSON.parse(
      (await rawRequest(kc, 'GET', '/apis/networking.istio.io/v1beta1', auth)).body,
    ) as {
      resources: { name: string; shortNames?: string[]; verbs: string[] }[];
    };
    expect(istio.resources.find((r) => r.name === 'virtualservices')).toMatchObject({
      shortNames: ['vs'],
      verbs: expect.arrayContaining(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete']),
    });
    // kubectl 1.32 asks for aggregated discovery first and accepts the legacy APIGroupList as its fallback.
    const accept =
      'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';
    const groups = await rawRequest(kc, 'GET', '/apis', { ...auth, Accept: accept });
    expect(groups.headers['content-type']).toBe('application/json');
    const list = JSON.parse(groups.body) as {
      kind: string;
      groups: { name: string; preferredVersion: { version: string } }[];
    };
    expect(list.kind).toBe('APIGroupList');
    expect(list.groups.find((g) => g.name === 'networking.istio.io')?.preferredVersion.version).toBe('v1');
  });

  test('KubernetesObjectApi finds plurals through /apis/<group>/<version>', async () => {
    const api = KubernetesObjectApi.makeApiClient(server.kubeConfig());
    const created = await api.create(virtualService('discovered'));
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    const list = await api.list('networking.istio.io/v1', 'VirtualService', 'default');
    expect(list.items.map((i) => i.metadata?.name)).toContain('discovered');
  });
});

describe('object semantics', () => {
  test('create sets uid, creationTimestamp, generation 1 and a string resourceVersion that grows cluster-wide', async () => {
    const api = server.kubeConfig().makeApiClient(CustomObjectsApi);
    const a = (await api.createNamespacedCustomObject({
      ...ISTIO,
      body: virtualService('sem-a'),
    })) as KubernetesObject;
    const b = (await api.createNamespacedCustomObject({
      ...ISTIO,
      body: virtualService('sem-b'),
    })) as KubernetesObject;
    expect(typeof a.metadata?.resourceVersion).toBe('string');
    expect(Number(b.metadata?.resourceVersion)).toBeGreaterThan(Number(a.metadata?.resourceVersion));
    expect(a.metadata?.generation).toBe(1);
    expect(a.metadata?.creationTimestamp).toBeDefined();
  });

  test('generation moves on spec changes only', async () => {
    const api = server.kubeConfig().makeApiClient(CustomObjectsApi);
    await api.createNamespacedCustomObject({ ...ISTIO, body: virtualService('gen') });
    const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    const labelled = (await api.patchNamespacedCustomObject(
      { ...ISTIO, name: 'gen', body: { metadata: { labels: { extra: 'x' } } } },
      merge,
    )) as KubernetesObject;
    expect(labelled.metadata?.generation).toBe(1);
    const respec = (await api.patchNamespacedCustomObject(
      { ...ISTIO, name: 'gen', body: { spec: { hosts: ['other'] } } },
      merge,
    )) as KubernetesObject;
    expect(respec.metadata?.generation).toBe(2);
  });

  test('either Istio version reads and writes the same object, apiVersion rewritten', async () => {
    const api = server.kubeConfig().makeApiClient(CustomObjectsApi);
    await api.createNamespacedCustomObject({ ...ISTIO, body: virtualService('versions') });
    const beta = (await api.getNamespacedCustomObject({
      ...ISTIO,
      version: 'v1beta1',
      name: 'versions',
    })) as KubernetesObject;
    expect(beta.apiVersion).toBe('networking.istio.io/v1beta1');
    const alpha = (await api.getNamespacedCustomObject({
      ...ISTIO,
      version: 'v1alpha3',
      name: 'versions',
    })) as KubernetesObject;
    expect(alpha.apiVersion).toBe('networking.istio.io/v1alpha3');
    expect(alpha.metadata?.uid).toBe(beta.metadata?.uid);
  });

  test('404 NotFound with the real wording and details', async () => {
    const api = server.kubeConfig().makeApiClient(CustomObjectsApi);
    const { code, body } = await failureOf(api.getNamespacedCustomObject({ ...ISTIO, name: 'reviews' }));
    expect(code).toBe(404);
    expect(body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'virtualservices.networking.istio.io "reviews" not found',
      reason: 'NotFound',
      details: { name: 'reviews', group: 'networking.istio.io', kind: 'virtualservices' },
      code: 404,
    });
  });

  test('creating in a namespace that does not exist answers 404 for the namespace', async () => {
    const api = server.kubeConfig().makeApiClient(CustomObjectsApi);
    const { code, body } = await failureOf(
      api.createNamespacedCustomObject({
        ...ISTIO,
        namespace: 'nowhere',
        body: { ...virtualService('x'), metadata: { name: 'x' } },
      }),
    );
    expect(code).toBe(404);
    expect(body.message).toBe('namespaces "nowhere" not found');
  });

  test('a pruned unknown field comes back as a Warning header', async () => {
    const kc = server.kubeConfig();
    const misspelt = virtualService('warned') as { spec: { http: { route: Record<string, unknown>[] }[] } };
    misspelt.spec.http[0]!.route[0]!.wieght = 5;
    const res = await rawRequest(
      kc,
      'POST',
      '/apis/networking.istio.io/v1/namespaces/default/virtualservices',
      { Authorization: `Bearer ${kc.getCurrentUser()!.token}`, 'Content-Type': 'application/json' },
      JSON.stringify(misspelt),
    );
    expect(res.status).toBe(201);
    expect(res.headers.warning).toBe('299 - "unknown field \\"spec.http[0].route[0].wieght\\""');
  });

  test('409 AlreadyExists', async () => {
    const api = server.kubeConfig().makeApiClient(CustomObjectsApi);
    await api.createNamespacedCustomObject({ ...ISTIO, body: virtualService('twice') });
    const { code, body } = await failureOf(
      api.createNamespacedCustomObject({ ...ISTIO, body: virtualService('twice') }),
    );
    expect(code).toBe(409);
    expect(body.reason).toBe('AlreadyExists');
    expect(body.message).toBe('virtualservices.networking.istio.io "twice" already exists');
  });

  test('409 Conflict on a stale resourceVersion', async () => {
    const api = server.kubeConfig().makeApiClient(CustomObjectsApi);
    const created = (await api.createNamespacedCustomObject({
      ...ISTIO,
      body: virtualService('stale'),
    })) as KubernetesObject;
    await api.replaceNamespacedCustomObject({
      ...ISTIO,
      name: 'stale',
      body: { ...virtualService('stale'), metadata: { ...created.metadata } },
    });
    const { code, body } = await failureOf(
      api.replaceNamespacedCustomObject({
        ...ISTIO,
        name: 'stale',
        body: { ...virtualService('stale'), metadata: { ...created.metadata } },
      }),
    );
    expect(code).toBe(409);
    expect(body.reason).toBe('Conflict');
    expect(body.message).toBe(
      'Operation cannot be fulfilled on virtualservices.networking.istio.io "stale": the object has been modified; please apply your changes to the latest version and try again',
    );
  });

  test('label selectors on list: =, ==, !=, in, notin, exists, !exists', async () => {
    const core = server.kubeConfig().makeApiClient(CoreV1Api);
    for (const [name, labels] of [
      ['sel-a', { tier: 'web', track: 'stable' }],
      ['sel-b', { tier: 'web', track: 'canary' }],
      ['sel-c', { tier: 'db' }],
    ] as const) {
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name, labels } } });
    }
    const names = async (labelSelector: string) =>
      (await core.listNamespacedConfigMap({ namespace: 'default', labelSelector })).items
        .map((c) => c.metadata?.name)
        .sort();
    expect(await names('tier=web')).toEqual(['sel-a', 'sel-b']);
    expect(await names('tier==db')).toEqual(['sel-c']);
    expect(await names('tier,track!=canary')).toEqual(['sel-a', 'sel-c']);
    expect(await names('track in (canary, stable)')).toEqual(['sel-a', 'sel-b']);
    expect(await names('tier,track notin (canary)')).toEqual(['sel-a', 'sel-c']);
    expect(await names('track')).toEqual(['sel-a', 'sel-b']);
    expect(await names('tier,!track')).toEqual(['sel-c']);
    const byName = await core.listNamespacedConfigMap({
      namespace: 'default',
      fieldSelector: 'metadata.name=sel-b',
    });
    expect(byName.items.map((c) => c.metadata?.name)).toEqual(['sel-b']);
    expect(Number(byName.metadata?.resourceVersion)).toBeGreaterThan(0);
  });

  test('a Deployment answers on /scale and /status', async () => {
    const apps = server.kubeConfig().makeApiClient(AppsV1Api);
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: {
        metadata: { name: 'scaled' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'scaled' } },
          template: {
            metadata: { labels: { app: 'scaled' } },
            spec: { containers: [{ name: 'c', image: 'img' }] },
          },
        },
      },
    });
    await apps.patchNamespacedDeploymentScale(
      { namespace: 'default', name: 'scaled', body: { spec: { replicas: 3 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const scale = await apps.readNamespacedDeploymentScale({ namespace: 'default', name: 'scaled' });
    expect(scale.spec?.replicas).toBe(3);
    const status = await apps.readNamespacedDeploymentStatus({ namespace: 'default', name: 'scaled' });
    expect(status.spec?.replicas).toBe(3);
  });
});
