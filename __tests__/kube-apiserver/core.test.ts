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
import { failureOf, virtualService, VS as ISTIO } from './helpers.js';
import { startApiServer, type ApiServer } from '../../test/support/kube-apiserver/index.js';

let server: ApiServer;
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
