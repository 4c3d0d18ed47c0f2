// Every door into reviews moves, end to end on the stand-in: the mesh VirtualService, a gateway-bound one
// (its own path, rewrite and timeout) and a delegate chain, through route → shift 50 → promote → finalize and
// a rollback; a write refused on one VirtualService puts back the ones written beside it, exactly.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import { runStage } from '../../src/run-stage.js';
import type { HTTPRoute, VirtualService } from '../../src/plan/types.js';
import type { RunContext, RunOptions, StageResult } from '../../src/types.js';
import { BOOKINFO_DIR, loadBookinfo, loadStorefront, reviewsOptions } from '../../test/support/bookinfo.js';
import { startApiServer, type ApiServer } from '../../test/support/kube-apiserver/index.js';
import { failure } from '../../test/support/kube-apiserver/status.js';
import { exampleRoleRules } from '../../test/support/rbac.js';
import { routingSnapshot } from '../../test/support/routing-snapshot.js';
import { renderText } from '../../src/report/text.js';

const DOORS = path.join(BOOKINFO_DIR, '..', 'several-virtual-services', 'reviews-doors.yaml');
const V1 = 'networking.istio.io/v1';
const testUser = [{ name: 'end-user', kind: 'exact' as const, value: 'test-user' }];

let server: ApiServer;

beforeEach(async () => {
  // `ci` holds only the Role of examples/rbac when a test gives it rules (setRules); admin may do anything.
  server = await startApiServer({ users: { 'admin-token': 'admin', 'ci-token': 'ci' } });
  loadBookinfo(server);
  for (const doc of parseAllDocuments(readFileSync(DOORS, 'utf8'))) {
    const object = doc.toJS() as VirtualService;
    server.store.put({ ...object, metadata: { ...object.metadata, namespace: 'default' } });
  }
});
afterEach(() => server.close());

const stored = (name: string) => server.store.get(V1, 'VirtualService', 'default', name) as VirtualService;
const run = (
  overrides: Partial<RunOptions>,
  context: Omit<RunContext, 'kubeConfig'> & { user?: string } = {},
) => runStage(reviewsOptions(overrides), { ...context, kubeConfig: server.kubeConfig(context.user) });
const routingWrites = () =>
  server.requests
    .filter((r) => ['POST', 'PUT'].includes(r.method) && r.path.includes('networking.istio.io'))
    .map((r) => `${r.method} ${r.path.split('/').slice(-2).join('/')} ${r.status}`);

/** `v1 50, v2 50` for each route of the result, per object and match. */
function splits(result: StageResult): string[] {
  return (result.routes ?? []).map(
    (route) =>
      `${route.object} ${route.match}: ${route.after.map((d) => `${d.subset} ${d.weight}`).join(', ')}`,
  );
}

function edgeReviewsRoute(): HTTPRoute | undefined {
  return stored('bookinfo-edge').spec.http?.find(
    (route) => route.rewrite !== undefined && route.match?.[0]?.headers === undefined,
  );
}

describe('a release moves every VirtualService routing to reviews', () => {
  it('route → shift 50 → promote → finalize, each door at the same split', async () => {
    const routed = await run({ stage: 'route', headerMatch: testUser });
    expect(routed.error).toBeUndefined();
    const edge = stored('bookinfo-edge').spec.http ?? [];
    const twin = edge.findIndex((route) => route.name?.endsWith('-canary-header'));
    expect(edge[twin]).toMatchObject({
      timeout: '5s',
      rewrite: { uri: '/' },
      match: [{ uri: { prefix: '/reviews' }, headers: { 'end-user': { exact: 'test-user' } } }],
      route: [{ destination: { subset: 'v2', port: { number: 9080 } } }],
    });
    expect(edge[twin + 1]).toEqual(edgeReviewsRoute());

    server.requests.length = 0;
    const shifted = await run({ stage: 'shift', weight: 50 });
    expect(shifted.error).toBeUndefined();
    expect(splits(shifted)).toEqual([
      'reviews default: v1 50, v2 50',
      'bookinfo-edge uri prefix /reviews: v1 50, v2 50',
      'reviews-api uri prefix /api/reviews/: v1 50, v2 50',
    ]);
    // One round trip for the three VirtualServices; the DestinationRule already had both subsets.
    expect(routingWrites()).toEqual([
      'PUT virtualservices/reviews 200',
      'PUT virtualservices/bookinfo-edge 200',
      'PUT virtualservices/reviews-api 200',
    ]);
    expect(edgeReviewsRoute()).toEqual({
      match: [{ uri: { prefix: '/reviews' } }],
      rewrite: { uri: '/' },
      timeout: '5s',
      route: [
        {
          destination: { host: 'reviews.default.svc.cluster.local', subset: 'v1', port: { number: 9080 } },
          weight: 50,
        },
        {
          destination: { host: 'reviews.default.svc.cluster.local', subset: 'v2', port: { number: 9080 } },
          weight: 50,
        },
      ],
    });

    const promoted = await run({ stage: 'promote' });
    expect(splits(promoted)).toEqual([
      'reviews default: v2 100',
      'bookinfo-edge uri prefix /reviews: v2 100',
      'reviews-api uri prefix /api/reviews/: v2 100',
    ]);
    expect(stored('bookinfo-edge').spec.http?.[0]?.route).toEqual([
      { destination: { host: 'reviews', subset: 'v3' } },
    ]);

    server.requests.length = 0;
    const finalized = await run({ stage: 'finalize' });
    expect(finalized.error).toBeUndefined();
    expect(routingWrites()).toEqual([
      'PUT virtualservices/reviews 200',
      'PUT virtualservices/bookinfo-edge 200',
      'PUT virtualservices/reviews-api 200',
      'PUT destinationrules/reviews 200',
    ]);
    const status = await run({ stage: 'status' });
    expect(status.warnings).toBeUndefined();
    expect(splits(status)).toContain('bookinfo-edge uri prefix /reviews: v2 100');
  });

  it('rollback removes the twins and puts every door back on stable, as it was', async () => {
    const before = routingSnapshot(server);
    await run({ stage: 'route', headerMatch: testUser });
    await run({ stage: 'shift', weight: 30 });
    const rolledBack = await run({ stage: 'rollback' });
    expect(rolledBack.error).toBeUndefined();
    const after = routingSnapshot(server);
    for (const name of ['bookinfo-edge', 'reviews-api', 'bookinfo-api']) {
      const spec = (snapshot: Record<string, string>) =>
        (JSON.parse(snapshot[`VirtualService/${name}`] ?? '{}') as { spec: unknown }).spec;
      expect(spec(after)).toEqual(spec(before));
    }
  });

  it('status warns when the doors disagree: the mesh at 50 %, the gateway still on stable', async () => {
    await run({ stage: 'shift', weight: 50, virtualServices: ['reviews'] });
    const status = await run({ stage: 'status' });
    expect(status.warnings).toEqual([
      "the routes to reviews disagree on the canary's share: reviews default 50 %, bookinfo-edge uri prefix /reviews 0 %, reviews-api uri prefix /api/reviews/ 0 %; run the stage again to move them all",
    ]);
  });

  it('a write refused on one VirtualService restores the others written beside it exactly', async () => {
    const before = routingSnapshot(server);
    server.faults.beforeWrite(({ method, path: url }) => {
      if (method === 'PUT' && url.endsWith('/virtualservices/reviews-api')) {
        throw failure(
          400,
          'BadRequest',
          'admission webhook "validation.istio.io" denied the request: configuration is invalid: route must have exactly one of redirect, direct_response or route',
        );
      }
    });
    const result = await run({ stage: 'shift', weight: 50 });
    expect(result.rolledBack).toBe(true);
    expect(result.error?.message).toContain('admission webhook "validation.istio.io" denied the request');
    expect(routingWrites().slice(0, 3).sort()).toEqual([
      'PUT virtualservices/bookinfo-edge 200',
      'PUT virtualservices/reviews 200',
      'PUT virtualservices/reviews-api 400',
    ]);
    expect(routingSnapshot(server)).toEqual(before);
    expect(result.weight).toBe(0);
    expect(splits(result)).toContain('bookinfo-edge uri prefix /reviews: v1 100');
  });
});

describe('a route to reviews from another namespace', () => {
  const storefront = () => server.store.get(V1, 'VirtualService', 'storefront', 'storefront');
  const REFUSAL =
    'finalize refuses to drop subset v1 of reviews: VirtualService storefront/storefront (route: uri prefix /reviews) still routes to it; move that route to v2 first';
  beforeEach(() => loadStorefront(server));

  it('shift reports it not managed and leaves it byte-identical; status shows it', async () => {
    const before = JSON.stringify(storefront());
    const shifted = await run({ stage: 'shift', weight: 50 });
    expect(shifted.error).toBeUndefined();
    // Only the route to this reviews: `reviews` in storefront's own route is storefront's reviews.
    expect(shifted.routes?.filter((route) => route.leftAlone !== undefined)).toEqual([
      expect.objectContaining({
        resource: 'VirtualService storefront/storefront',
        namespace: 'storefront',
        door: 'gateway',
        match: 'uri prefix /reviews',
        before: [{ subset: 'v1', weight: 100 }],
        after: [{ subset: 'v1', weight: 100 }],
        leftAlone: 'in namespace storefront: never written',
      }),
    ]);
    const text = renderText(shifted);
    expect(text).toMatch(
      /\n {2}storefront\/storefront uri prefix \/reviews \(not managed\) +v1: 100 +→ {2}v1: 100\n/,
    );
    expect(text).toContain(
      'Warning: Left as they are, still sending to v1: VirtualService storefront/storefront uri prefix /reviews (in namespace storefront: never written): v1 100.',
    );
    expect(JSON.stringify(storefront())).toBe(before);
    expect(server.requests.filter((r) => r.path.includes('/namespaces/storefront/'))).toEqual([]);

    const status = await run({ stage: 'status' });
    expect(splits(status)).toContain('storefront uri prefix /reviews: v1 100');
    expect(status.warnings?.[0]).toContain('storefront uri prefix /reviews 0 %');
  });

  it('progressive keeps it through every step, even when it has the name of a VirtualService written', async () => {
    // Named like the service's own mesh VirtualService, which each step writes: still another object.
    const namesake = structuredClone(storefront()) as VirtualService;
    namesake.metadata = { name: 'reviews', namespace: 'storefront' };
    server.store.put(namesake);
    const released = await run({ stage: 'progressive', steps: [10, 50], intervalSeconds: 0 });
    expect(released.error).toBeUndefined();
    expect(
      released.routes?.filter((route) => route.leftAlone !== undefined).map((route) => route.resource),
    ).toEqual(['VirtualService storefront/reviews', 'VirtualService storefront/storefront']);
  });

  it('finalize refuses, naming it, and writes nothing', async () => {
    await run({ stage: 'shift', weight: 50 });
    await run({ stage: 'promote' });
    const before = routingSnapshot(server);
    server.requests.length = 0;
    const finalized = await run({ stage: 'finalize' });
    expect(finalized.error?.code).toBe('check-failed');
    expect(finalized.error?.message).toBe(REFUSAL);
    expect(finalized.rolledBack).toBe(false);
    expect(routingWrites()).toEqual([]);
    expect(routingSnapshot(server)).toEqual(before);
  });

  it('with only the Role: one info line, the lists across namespaces refused, and the stage succeeds as before', async () => {
    server.setRules(exampleRoleRules('ci'));
    const info: string[] = [];
    const reporter = { info: (line: string) => info.push(line), warning: () => {} };
    const shifted = await run({ stage: 'shift', weight: 50 }, { user: 'ci', reporter });
    expect(shifted.error).toBeUndefined();
    expect(shifted.weight).toBe(50);
    expect(shifted.routes?.some((route) => route.leftAlone !== undefined)).toBe(false);
    expect(info.filter((line) => line.includes('other namespaces'))).toEqual([
      'VirtualServices of other namespaces were not visible (these credentials may not list virtualservices.networking.istio.io across namespaces): routes to reviews from outside "default" were not checked; grant the optional ClusterRole of examples/rbac to see them',
    ]);
    // The lists across namespaces, one for each API routing-api auto may choose: nothing else refused.
    const refused = server.requests.filter((r) => r.status === 403).map((r) => `${r.method} ${r.path}`);
    expect(refused.sort()).toEqual([
      'GET /apis/gateway.networking.k8s.io/v1/httproutes',
      'GET /apis/networking.istio.io/v1/virtualservices',
    ]);
    expect(splits(shifted)).toEqual([
      'reviews default: v1 50, v2 50',
      'bookinfo-edge uri prefix /reviews: v1 50, v2 50',
      'reviews-api uri prefix /api/reviews/: v1 50, v2 50',
    ]);
  });
});
