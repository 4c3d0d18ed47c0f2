// `status` on Gateway API, end to end on the stand-in: routing-api auto finds the HTTPRoutes, every rule to
// reviews is listed with its split per HTTPRoute (the mesh route first, then a Gateway's), the report says
// when they disagree, and a namespace routing reviews with both APIs is refused, naming the objects.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { renderMarkdown, renderText } from '../../src/report/index.js';
import { runStage } from '../../src/run-stage.js';
import type { RunOptions, StageResult } from '../../src/types.js';
import {
  BOOKINFO_GATEWAY_API_DIR,
  bookinfoObjects,
  loadBookinfo,
  loadBookinfoGatewayApi,
  reviewsOptions,
} from '../../test/support/bookinfo.js';
import { startApiServer, type ApiServer } from '../../test/support/kube-apiserver/index.js';

let server: ApiServer;

beforeEach(async () => {
  server = await startApiServer();
  loadBookinfoGatewayApi(server);
  // The seed's 50/50 state with jason on v2 (06), as a person applied it.
  for (const object of bookinfoObjects('06-reviews-50.yaml', 'default', BOOKINFO_GATEWAY_API_DIR)) {
    server.store.put(object);
  }
});
afterEach(() => server.close());

const status = (overrides: Partial<RunOptions> = {}) =>
  runStage(reviewsOptions({ stage: 'status', ...overrides }), { kubeConfig: server.kubeConfig() });

/** `reviews default: v1 50, v2 50` for each rule of the result. */
function splits(result: StageResult): string[] {
  return (result.routes ?? []).map(
    (route) =>
      `${route.object} (${route.door}) ${route.match}: ${route.after.map((d) => `${d.subset} ${d.weight}`).join(', ')}`,
  );
}

/** A Gateway's route in namespace `ingress` sending /reviews to reviews-v1 only, and the grant it needs. */
function putEdgeRoute(): void {
  server.store.put({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'bookinfo-edge', namespace: 'ingress' },
    spec: {
      parentRefs: [{ name: 'edge', namespace: 'ingress' }],
      hostnames: ['bookinfo.example.com'],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/productpage' } }],
          backendRefs: [{ name: 'productpage', namespace: 'default', port: 9080 }],
        },
        {
          matches: [{ path: { type: 'PathPrefix', value: '/reviews' } }],
          backendRefs: [{ name: 'reviews-v1', namespace: 'default', port: 9080 }],
        },
      ],
    },
  });
  server.store.put({
    apiVersion: 'gateway.networking.k8s.io/v1beta1',
    kind: 'ReferenceGrant',
    metadata: { name: 'from-ingress', namespace: 'default' },
    spec: {
      from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'ingress' }],
      to: [{ group: '', kind: 'Service' }],
    },
  });
}

describe('status on Gateway API', () => {
  it('lists every rule of the HTTPRoute with its split, and reports the weight, writing nothing', async () => {
    const result = await status();
    expect(result.error).toBeUndefined();
    expect(splits(result)).toEqual([
      'reviews (mesh) end-user=jason: v2 100',
      'reviews (mesh) default: v1 50, v2 50',
    ]);
    expect([result.previousWeight, result.weight, result.changed, result.warnings]).toEqual([
      50,
      50,
      false,
      undefined,
    ]);
    expect(result.objects?.map(({ kind, name }) => `${kind} ${name}`)).toEqual(['HTTPRoute reviews']);
    expect(result.virtualServiceYaml).toBe('');
    expect(server.requests.filter((request) => request.method !== 'GET')).toEqual([]);

    const text = renderText(result);
    expect(text).toContain('canary weight 50, changed: no, healthy: yes');
    expect(text).toMatch(/^ {2}end-user=jason +v2: 100 +→ +v2: 100$/m);
    expect(text).toMatch(/^ {2}default +v1: 50, v2: 50 +→ +v1: 50, v2: 50$/m);
    expect(text).toContain(
      'HTTPRoute (current)\n  apiVersion: gateway.networking.k8s.io/v1\n  kind: HTTPRoute',
    );
    const markdown = renderMarkdown(result);
    expect(markdown).toContain('| default | v1: 50, v2: 50 | v1: 50, v2: 50 |');
    expect(markdown).toContain('<summary>HTTPRoute (current)</summary>');
  });

  it("lists a Gateway's route of another namespace after the mesh one, and warns when they disagree", async () => {
    putEdgeRoute();
    const result = await status();
    expect(result.error).toBeUndefined();
    expect(splits(result)).toEqual([
      'reviews (mesh) end-user=jason: v2 100',
      'reviews (mesh) default: v1 50, v2 50',
      'bookinfo-edge (gateway) path prefix /reviews: v1 100',
    ]);
    expect(result.routes?.[2]).toMatchObject({
      resource: 'HTTPRoute ingress/bookinfo-edge',
      hosts: ['bookinfo.example.com'],
      gateways: ['ingress/edge'],
      path: '/reviews',
    });
    const warning =
      "the routes to reviews disagree on the canary's share: reviews default 50 %, bookinfo-edge path prefix /reviews 0 %; run the stage again to move them all";
    expect(result.warnings).toEqual([warning]);
    expect(result.weight).toBe(50);
    // Every rule of both routes in the table, named by route since there are two.
    expect(renderText(result)).toMatch(/^ {2}bookinfo-edge path prefix \/productpage +productpage: 100 +→/m);
    expect(renderText(result)).toContain(`Warning: ${warning}`);
    expect(renderMarkdown(result)).toContain(`> [!WARNING]\n> ${warning.replace("'", '&#39;')}`);
    expect(result.objects?.map(({ kind, name }) => `${kind} ${name}`)).toEqual([
      'HTTPRoute reviews',
      'HTTPRoute bookinfo-edge',
    ]);
    expect(renderMarkdown(result)).toContain('<summary>HTTPRoute bookinfo-edge (current)</summary>');
  });

  it('refuses a namespace routing reviews with both APIs under auto, and reads the one named otherwise', async () => {
    loadBookinfo(server);
    const both = await status();
    expect(both.error?.message).toBe(
      'routing-api auto cannot choose: VirtualService default/reviews, HTTPRoute default/reviews all route reviews (Istio leaves a workload routed by both APIs undefined); remove the ones not in use, or set routing-api to istio or gateway-api',
    );
    expect(both.weight).toBeUndefined();
    const istio = await status({ routingApi: 'istio' });
    expect([istio.error, istio.objects?.[0]?.kind, istio.weight]).toEqual([undefined, 'VirtualService', 0]);
    const gatewayApi = await status({ routingApi: 'gateway-api' });
    expect([gatewayApi.error, gatewayApi.objects?.[0]?.kind, gatewayApi.weight]).toEqual([
      undefined,
      'HTTPRoute',
      50,
    ]);
  });
});

describe('status under routing-api auto with a Role from before Gateway API', () => {
  const ISTIO_READ = ['get', 'list', 'watch'];

  it('reports the VirtualServices when HTTPRoutes may not be read, and says so; an admin sees the same split', async () => {
    const restricted = await startApiServer({ users: { 'admin-token': 'admin', 'ci-token': 'ci' } });
    try {
      restricted.setRules([
        { users: ['admin'], verbs: ['*'], groups: ['*'], resources: ['*'] },
        {
          users: ['ci'],
          verbs: ISTIO_READ,
          groups: ['networking.istio.io'],
          resources: ['virtualservices', 'destinationrules'],
        },
      ]);
      loadBookinfo(restricted);
      const run = () =>
        runStage(reviewsOptions({ stage: 'status' }), { kubeConfig: restricted.kubeConfig('ci') });
      const istio = await run();
      expect(istio.error).toBeUndefined();
      expect(istio.objects?.map(({ kind }) => kind)).toEqual(['VirtualService', 'DestinationRule']);
      const forbidden =
        'RBAC forbids list on httproutes.gateway.networking.k8s.io in namespace "default" for User "ci": grant a Role rule {apiGroups: ["gateway.networking.k8s.io"], resources: ["httproutes"], verbs: ["list"]} in "default"';
      expect(istio.warnings).toEqual([
        `routing-api auto could not read the HTTPRoutes (${forbidden}): it chose from the other API alone; grant the read, or set routing-api`,
      ]);
      expect(renderText(istio)).toContain('Warning: routing-api auto could not read the HTTPRoutes');

      const admin = await runStage(reviewsOptions({ stage: 'status' }), {
        kubeConfig: restricted.kubeConfig('admin'),
      });
      expect([admin.warnings, admin.routes]).toEqual([undefined, istio.routes]);
    } finally {
      await restricted.close();
    }
  });
});
