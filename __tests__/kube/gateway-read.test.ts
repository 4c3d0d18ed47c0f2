// Reading Gateway API routing: one round trip (discovery shared with the Istio reader), each route with the
// version it was last written with, other namespaces' routes only when they send to the service, and what
// happens when the credentials or the cluster cannot give everything.
import { afterEach, describe, expect, it } from '@jest/globals';
import { kubeMessages, readGatewayRouting } from '../../src/kube/index.js';
import { loadBookinfoGatewayApi } from '../../test/support/bookinfo.js';
import type { StartOptions } from '../../test/support/kube-apiserver/index.js';
import { startCluster, type TestCluster } from './cluster.js';

let cluster: TestCluster | undefined;
afterEach(() => cluster?.server.close());

const GW = 'gateway.networking.k8s.io';

async function bookinfo(options: StartOptions = {}): Promise<TestCluster> {
  cluster = await startCluster(options);
  loadBookinfoGatewayApi(cluster.server);
  return cluster;
}

/** A Gateway's route in another namespace that sends /reviews to default/reviews-v1 (granted). */
function ingressRoute(c: TestCluster): void {
  c.server.store.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ingress' } });
  c.server.store.put({
    apiVersion: `${GW}/v1beta1`,
    kind: 'HTTPRoute',
    metadata: { name: 'bookinfo', namespace: 'ingress' },
    spec: {
      parentRefs: [{ name: 'bookinfo-gateway' }],
      rules: [{ backendRefs: [{ name: 'reviews-v1', namespace: 'default', port: 9080 }] }],
    },
  });
  c.server.store.put({
    apiVersion: `${GW}/v1`,
    kind: 'HTTPRoute',
    metadata: { name: 'unrelated', namespace: 'ingress' },
    spec: { rules: [{ backendRefs: [{ name: 'web', port: 80 }] }] },
  });
  c.server.store.put({
    apiVersion: `${GW}/v1beta1`,
    kind: 'ReferenceGrant',
    metadata: { name: 'from-ingress', namespace: 'default' },
    spec: {
      from: [{ group: GW, kind: 'HTTPRoute', namespace: 'ingress' }],
      to: [{ group: '', kind: 'Service' }],
    },
  });
}

describe('readGatewayRouting', () => {
  it('reads routes, Services and ReferenceGrants in one round trip', async () => {
    const c = await bookinfo();
    ingressRoute(c);
    const mark = c.mark();
    const read = await readGatewayRouting(c.client(), 'default');
    expect(c.requestsSince(mark).sort()).toEqual([
      'GET /api/v1/namespaces/default/services',
      'GET /apis',
      `GET /apis/${GW}/v1/httproutes`,
      `GET /apis/${GW}/v1/namespaces/default/httproutes`,
      `GET /apis/${GW}/v1beta1/namespaces/default/referencegrants`,
    ]);
    expect(read.clusterWide).toBe(true);
    expect(read.httpRoutes.map((r) => `${r.metadata.namespace}/${r.metadata.name}`).sort()).toEqual([
      'default/reviews',
      'ingress/bookinfo',
    ]);
    expect(read.services.map((s) => s.metadata.name).sort()).toEqual([
      'details',
      'productpage',
      'ratings',
      'reviews',
      'reviews-v1',
      'reviews-v2',
      'reviews-v3',
    ]);
    expect(read.services.every((s) => s.apiVersion === 'v1' && s.kind === 'Service')).toBe(true);
    expect(read.services.find((s) => s.metadata.name === 'reviews-v2')?.spec.selector).toEqual({
      app: 'reviews',
      version: 'v2',
    });
    expect(read.referenceGrants.map((g) => [g.kind, g.apiVersion, g.metadata.name])).toEqual([
      ['ReferenceGrant', `${GW}/v1beta1`, 'from-ingress'],
    ]);
  });

  it('each route carries the version it was last written with, without managedFields', async () => {
    const c = await bookinfo();
    ingressRoute(c);
    // A v1beta1 create through the API, as kubectl would do it: the managedFields remember the version.
    await c.client().send({
      verb: 'create',
      group: GW,
      version: 'v1beta1',
      resource: 'httproutes',
      namespace: 'ingress',
      body: {
        apiVersion: `${GW}/v1beta1`,
        kind: 'HTTPRoute',
        metadata: { name: 'beta', namespace: 'ingress' },
        spec: { rules: [{ backendRefs: [{ name: 'reviews', namespace: 'default', port: 9080 }] }] },
      },
    });
    const read = await readGatewayRouting(c.client(), 'default');
    const versions = Object.fromEntries(read.httpRoutes.map((r) => [r.metadata.name, r.apiVersion]));
    expect(versions).toEqual({ beta: `${GW}/v1beta1`, bookinfo: `${GW}/v1`, reviews: `${GW}/v1` });
    expect(read.httpRoutes.every((r) => r.kind === 'HTTPRoute' && !r.metadata.managedFields)).toBe(true);
  });

  it('credentials limited to the namespace: its routes only, no failure', async () => {
    const c = await bookinfo({ users: { 'admin-token': 'admin', 'ci-token': 'ci' } });
    ingressRoute(c);
    c.server.setRules([
      { users: ['admin'], verbs: ['*'], groups: ['*'], resources: ['*'] },
      { users: ['ci'], verbs: ['list'], groups: ['*'], resources: ['*'], namespaces: ['default'] },
    ]);
    const read = await readGatewayRouting(c.client({ user: 'ci' }), 'default');
    expect(read.clusterWide).toBe(false);
    expect(read.httpRoutes.map((r) => r.metadata.name)).toEqual(['reviews']);
  });

  it('a cluster without the Gateway API CRDs: the missing group and the remedy', async () => {
    const c = await startCluster({ gatewayApi: false });
    cluster = c;
    const failure = await readGatewayRouting(c.client(), 'default').catch((err: unknown) => err);
    expect(failure).toMatchObject({ code: 'gateway-api-missing', message: kubeMessages.gatewayApiMissing() });
    expect(kubeMessages.gatewayApiMissing()).toBe(
      "Gateway API's CRDs are not installed: the cluster serves no gateway.networking.k8s.io/v1 or v1beta1 (install the Gateway API CRDs: kubectl apply -f https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.6.1/standard-install.yaml, or check the context)",
    );
  });

  it('shares the discovery with the Istio reader: one GET /apis for both', async () => {
    const c = await bookinfo();
    const client = c.client();
    const mark = c.mark();
    await Promise.all([readGatewayRouting(client, 'default'), client.readRouting('default')]);
    expect(c.requestsSince(mark).filter((line) => line === 'GET /apis')).toHaveLength(1);
  });
});
