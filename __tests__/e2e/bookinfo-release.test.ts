// The whole Bookinfo release through runStage against the API server stand-in, over HTTPS with the real
// client: route → shift 10 → shift 50 → promote → finalize, and the routing each stage leaves.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { renderComment } from '../../src/action/pull-request.js';
import { runStage } from '../../src/run-stage.js';
import type { VirtualService, DestinationRule } from '../../src/plan/types.js';
import { loadBookinfo, reviewsOptions } from '../../test/support/bookinfo.js';
import { startApiServer, type ApiServer } from '../../test/support/kube-apiserver/index.js';

let server: ApiServer;

beforeAll(async () => {
  server = await startApiServer();
  loadBookinfo(server);
});
afterAll(() => server.close());

const reviewsVs = () =>
  server.store.get('networking.istio.io/v1', 'VirtualService', 'default', 'reviews') as VirtualService;
const reviewsDr = () =>
  server.store.get('networking.istio.io/v1', 'DestinationRule', 'default', 'reviews') as DestinationRule;
const defaultRoute = () => reviewsVs().spec.http?.find((route) => !route.match);
const testUser = [{ name: 'end-user', kind: 'exact' as const, value: 'test-user' }];

describe('the Bookinfo reviews release, stage by stage', () => {
  it('route: test users to v2, everyone else to v1', async () => {
    const result = await runStage(reviewsOptions({ stage: 'route', headerMatch: testUser }), {
      kubeConfig: server.kubeConfig(),
    });
    expect(result.error).toBeUndefined();
    expect(result).toMatchObject({
      changed: true,
      healthy: true,
      rolledBack: false,
      previousWeight: 0,
      weight: 0,
    });
    expect(reviewsVs().spec.http).toEqual([
      expect.objectContaining({
        match: [{ headers: { 'end-user': { exact: 'test-user' } } }],
        route: [{ destination: { host: 'reviews', subset: 'v2' } }],
      }),
      expect.objectContaining({ route: [{ destination: { host: 'reviews', subset: 'v1' } }] }),
    ]);
    expect(result.checks.map((check) => check.name)).toContain('rollout app=reviews,version=v2');
  });

  it("status reads the Service's port beside the routing: the comment's curl names it", async () => {
    const options = reviewsOptions({ stage: 'status', headerMatch: testUser });
    const mark = server.requests.length;
    const status = await runStage(options, { kubeConfig: server.kubeConfig() });
    expect(status.error).toBeUndefined();
    expect(status.servicePort).toBe(9080);
    expect(renderComment(status, options)).toContain("curl -H 'end-user: test-user' 'http://reviews:9080/'");
    expect(server.requests.slice(mark).map((r) => `${r.method} ${r.path}`)).toContain(
      'GET /api/v1/namespaces/default/services/reviews',
    );
  });

  it('shift 10 then 50: the header rule stays, the default route splits', async () => {
    for (const weight of [10, 50]) {
      const result = await runStage(reviewsOptions({ stage: 'shift', weight }), {
        kubeConfig: server.kubeConfig(),
      });
      expect(result.error).toBeUndefined();
      expect(result.weight).toBe(weight);
      expect(defaultRoute()?.route).toEqual([
        { destination: { host: 'reviews', subset: 'v1' }, weight: 100 - weight },
        { destination: { host: 'reviews', subset: 'v2' }, weight },
      ]);
      expect(reviewsVs().spec.http?.[0]?.match).toEqual([
        { headers: { 'end-user': { exact: 'test-user' } } },
      ]);
    }
  });

  it('promote: all traffic to v2', async () => {
    const result = await runStage(reviewsOptions({ stage: 'promote' }), { kubeConfig: server.kubeConfig() });
    expect(result.error).toBeUndefined();
    expect(result).toMatchObject({ previousWeight: 50, weight: 100 });
    expect(defaultRoute()?.route?.map((d) => d.destination.subset)).toEqual(['v2']);
  });

  it('finalize: the v1 subset goes, v3 and the other services stay', async () => {
    const result = await runStage(reviewsOptions({ stage: 'finalize', deleteStable: true }), {
      kubeConfig: server.kubeConfig(),
    });
    expect(result.error).toBeUndefined();
    expect(reviewsDr().spec.subsets?.map((subset) => subset.name)).toEqual(['v2', 'v3']);
    expect(server.store.get('apps/v1', 'Deployment', 'default', 'reviews-v1')).toBeUndefined();
    expect(server.store.get('apps/v1', 'Deployment', 'default', 'reviews-v2')).toBeDefined();
    expect(server.store.get('networking.istio.io/v1', 'VirtualService', 'default', 'ratings')).toBeDefined();
  });
});
