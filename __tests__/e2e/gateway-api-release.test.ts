// The Bookinfo reviews release on Gateway API through runStage against the API server stand-in (HTTPS, the
// real client, the CRDs' defaults and istiod's route status): from the all-v1 HTTPRoute, route ≡ 05,
// shift 50 ≡ 06, promote ≡ 07, finalize, each re-run a no-op; rollback back to all-v1; a version Service
// created, then deleted by the next release's finalize; dry run; progressive.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { httpRouteRoutingEssence, readGatewayApiYaml } from '../../src/plan/gateway-api/index.js';
import type { HTTPRoute, Service } from '../../src/plan/gateway-api/index.js';
import { runStage } from '../../src/run-stage.js';
import type { RunOptions, StageResult } from '../../src/types.js';
import {
  BOOKINFO_GATEWAY_API_DIR,
  loadBookinfoGatewayApi,
  reviewsOptions,
} from '../../test/support/bookinfo.js';
import { startApiServer, type ApiServer } from '../../test/support/kube-apiserver/index.js';
import { routingSnapshot } from '../../test/support/routing-snapshot.js';

const GW = 'gateway.networking.k8s.io/v1';
const header = (value: string) => [{ name: 'end-user', kind: 'exact' as const, value }];

let server: ApiServer;
const run = (options: Partial<RunOptions>): Promise<StageResult> =>
  runStage(reviewsOptions(options), { kubeConfig: server.kubeConfig() });
const reviewsRoute = () => server.store.get(GW, 'HTTPRoute', 'default', 'reviews') as HTTPRoute;
const service = (name: string) => server.store.get('v1', 'Service', 'default', name) as Service | undefined;

/** The scenario file's route, as routing (rule names, field order and server defaults aside). */
function expected(file: string): unknown {
  const text = readFileSync(join(BOOKINFO_GATEWAY_API_DIR, file), 'utf8');
  const [route] = readGatewayApiYaml(text, file).httpRoutes;
  if (!route) throw new Error(`${file} has no HTTPRoute`);
  return httpRouteRoutingEssence(route);
}

/** A stage, then the same stage again: the second run changes nothing and writes nothing. */
async function stageTwice(options: Partial<RunOptions>): Promise<StageResult> {
  const result = await run(options);
  expect(result.error).toBeUndefined();
  expect(result).toMatchObject({
    changed: true,
    healthy: true,
    rolledBack: false,
    routingApi: 'gateway-api',
  });
  const mark = server.requests.length;
  const again = await run(options);
  expect(again.error).toBeUndefined();
  expect(again.changed).toBe(false);
  const writes = server.requests
    .slice(mark)
    .filter((r) => ['POST', 'PUT', 'DELETE'].includes(r.method) && !r.path.includes('/leases'));
  expect(writes).toEqual([]);
  return result;
}

describe('the Bookinfo reviews release on HTTPRoute, stage by stage', () => {
  beforeAll(async () => {
    server = await startApiServer();
    loadBookinfoGatewayApi(server);
  });
  afterAll(() => server.close());

  it('route: test users to reviews-v2, everyone else to reviews-v1 (05)', async () => {
    const result = await stageTwice({ stage: 'route', headerMatch: header('test-user') });
    expect(httpRouteRoutingEssence(reviewsRoute())).toEqual(expected('05-reviews-test-user.yaml'));
    expect(result).toMatchObject({ previousWeight: 0, weight: 0 });
    expect(result.objects?.map((o) => `${o.kind} ${o.name}`)).toEqual(['HTTPRoute reviews']);
    expect(result.objects?.[0]?.yaml).toContain('name: reviews-v2');
    expect(result.virtualServiceYaml).toBe('');
    expect(result.routes?.map((r) => [r.resource, r.before, r.after])).toEqual([
      ['HTTPRoute default/reviews', [{ subset: 'v1', weight: 100 }], [{ subset: 'v1', weight: 100 }]],
    ]);
    expect(result.checks.map((check) => check.name)).toContain('rollout app=reviews,version=v2');
    // istiod's status on the written generation, waited for before the traffic checks.
    const routeStatus = result.checks.find((check) => check.name.startsWith('route status'));
    expect(routeStatus).toMatchObject({ ok: true });
    expect(routeStatus?.detail).toContain(`generation ${reviewsRoute().metadata.generation}`);
  });

  it('shift 50 with end-user=jason: the header rule for jason, the default rule split 50/50 (06)', async () => {
    const result = await stageTwice({ stage: 'shift', weight: 50, headerMatch: header('jason') });
    expect(httpRouteRoutingEssence(reviewsRoute())).toEqual(expected('06-reviews-50.yaml'));
    expect(result).toMatchObject({ previousWeight: 0, weight: 50 });
  });

  it('promote: everyone on reviews-v2 (07)', async () => {
    const result = await stageTwice({ stage: 'promote' });
    expect(httpRouteRoutingEssence(reviewsRoute())).toEqual(expected('07-reviews-100-v2.yaml'));
    expect(result).toMatchObject({ previousWeight: 50, weight: 100 });
  });

  it('finalize: the route stays on reviews-v2; reviews-v1, not created by istio-canary, is kept', async () => {
    const result = await run({ stage: 'finalize', deleteStable: true });
    expect(result.error).toBeUndefined();
    expect(httpRouteRoutingEssence(reviewsRoute())).toEqual(expected('07-reviews-100-v2.yaml'));
    expect(service('reviews-v1')).toBeDefined();
    expect(server.store.get('apps/v1', 'Deployment', 'default', 'reviews-v1')).toBeUndefined();
    expect(server.store.get('apps/v1', 'Deployment', 'default', 'reviews-v2')).toBeDefined();
  });
});

describe('rollback and the version Services this tool creates', () => {
  beforeAll(async () => {
    server = await startApiServer();
    loadBookinfoGatewayApi(server);
    // Only the main Service and reviews-v1: the canary's Service is made by the run.
    server.store.delete('v1', 'Service', 'default', 'reviews-v2');
  });
  afterAll(() => server.close());

  it('shift 50 creates reviews-v2 from the main Service before the route names it', async () => {
    const result = await stageTwice({ stage: 'shift', weight: 50, headerMatch: header('jason') });
    expect(httpRouteRoutingEssence(reviewsRoute())).toEqual(expected('06-reviews-50.yaml'));
    expect(service('reviews-v2')).toMatchObject({
      metadata: { labels: { 'app.kubernetes.io/managed-by': 'istio-canary' } },
      spec: { selector: { app: 'reviews', version: 'v2' }, ports: [{ name: 'http', port: 9080 }] },
    });
    const order = server.requests
      .filter((r) => ['POST', 'PUT'].includes(r.method) && !r.path.includes('/leases'))
      .map((r) => `${r.method} ${r.path.split('/').slice(-2).join('/')}`);
    expect(order.slice(0, 2)).toEqual(['POST default/services', 'PUT httproutes/reviews']);
    expect(result.objects?.map((o) => `${o.kind} ${o.name}`)).toEqual([
      'HTTPRoute reviews',
      'Service reviews-v2',
    ]);
  });

  it('rollback: everyone back on reviews-v1 (the all-v1 state), a re-run a no-op', async () => {
    const result = await stageTwice({ stage: 'rollback' });
    expect(httpRouteRoutingEssence(reviewsRoute())).toEqual(expected('03-route-reviews-v1.yaml'));
    expect(result).toMatchObject({ previousWeight: 50, weight: 0 });
  });

  it('promote then finalize: reviews-v1 stays (not ours), reviews-v2 stays (routed)', async () => {
    expect((await run({ stage: 'promote' })).error).toBeUndefined();
    const result = await run({ stage: 'finalize' });
    expect(result.error).toBeUndefined();
    expect([service('reviews-v1'), service('reviews-v2')].every(Boolean)).toBe(true);
  });

  it('the next release, v2 → v3: finalize deletes reviews-v2, made by this tool and routed by nothing', async () => {
    const next = { stable: 'v2', canary: 'v3' };
    expect((await run({ ...next, stage: 'route', headerMatch: header('test-user') })).error).toBeUndefined();
    expect((await run({ ...next, stage: 'promote' })).error).toBeUndefined();
    const result = await run({ ...next, stage: 'finalize' });
    expect(result.error).toBeUndefined();
    expect(service('reviews-v2')).toBeUndefined();
    expect(service('reviews-v3')).toBeDefined();
    const deletes = server.requests.filter((r) => r.method === 'DELETE' && r.path.includes('/services/'));
    expect(deletes.map((r) => [r.path.split('/').pop(), r.status])).toEqual([['reviews-v2', 200]]);
    expect(result.diff).toContain('reviews-v2');
  });
});

describe('dry run and progressive on HTTPRoute', () => {
  beforeAll(async () => {
    server = await startApiServer();
    loadBookinfoGatewayApi(server);
    server.store.delete('v1', 'Service', 'default', 'reviews-v2');
  });
  afterAll(() => server.close());

  it('dry run: the server validates the Service and the route (dryRun=All), nothing changes', async () => {
    const before = routingSnapshot(server);
    const mark = server.requests.length;
    const result = await run({ stage: 'route', headerMatch: header('test-user'), dryRun: true });
    expect(result.error).toBeUndefined();
    const writes = server.requests
      .slice(mark)
      .filter((r) => ['POST', 'PUT', 'DELETE'].includes(r.method))
      .map((r) => `${r.method} ${r.path.split('/').slice(-2).join('/')} ${String(r.query.dryRun)}`);
    expect(writes).toEqual(['POST default/services All', 'PUT httproutes/reviews All']);
    expect(result.diff).toContain('reviews-v2');
    expect(routingSnapshot(server)).toEqual(before);
  });

  it('progressive 10, 50: each step waits for the route status, then promote (07)', async () => {
    const result = await run({ stage: 'progressive', steps: [10, 50] });
    expect(result.error).toBeUndefined();
    expect(httpRouteRoutingEssence(reviewsRoute())).toEqual(expected('07-reviews-100-v2.yaml'));
    expect(result).toMatchObject({ previousWeight: 0, weight: 100, routingApi: 'gateway-api' });
    expect(result.checks.filter((check) => check.name.startsWith('route status'))).toHaveLength(3);
    expect(service('reviews-v2')?.metadata.labels).toEqual({
      'app.kubernetes.io/managed-by': 'istio-canary',
    });
  });
});
