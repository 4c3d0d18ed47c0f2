// Every door into the service moves: the mesh VirtualService, a gateway-bound one and a delegate, in one plan.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CanaryError, InputError } from '../../src/errors.js';
import { planStage, readRoutingYaml } from '../../src/plan/index.js';
import type { ClusterState, Plan, StageOptions, VirtualService } from '../../src/plan/index.js';
import { applyPlan, repoRoot, seedState, stageOptions } from './support.js';

const testUser = [{ name: 'end-user', kind: 'exact' as const, value: 'test-user' }];
const DOORS = path.join(repoRoot, 'examples/several-virtual-services/reviews-doors.yaml');

function doors(): ClusterState {
  return readRoutingYaml(readFileSync(DOORS, 'utf8'), 'reviews-doors.yaml', seedState());
}

function vs(state: ClusterState | Plan, name: string): VirtualService {
  const list =
    'objects' in state
      ? state.objects.map((object) => object.after).filter((o) => o.kind === 'VirtualService')
      : state.virtualServices;
  const found = (list as VirtualService[]).find((object) => object.metadata.name === name);
  if (!found) throw new Error(`no VirtualService ${name}`);
  return found;
}

/** A release through the stages, each from the cluster the one before left. */
function release(...stages: Partial<StageOptions>[]): { plans: Plan[]; state: ClusterState } {
  let state = doors();
  const plans: Plan[] = [];
  for (const stage of stages) {
    const plan = planStage(stageOptions(stage), state);
    plans.push(plan);
    state = applyPlan(state, plan);
  }
  return { plans, state };
}

const route = { stage: 'route' as const, headerMatch: testUser };

describe('several VirtualServices for one service', () => {
  it('route: each stable-bound route gets a twin right before it, its match AND the header match', () => {
    const { plans } = release(route);
    const plan = plans[0]!;
    expect(plan.objects.map((object) => [object.role, object.after.metadata.name])).toEqual([
      ['mesh', 'reviews'],
      ['gateway', 'bookinfo-edge'],
      ['delegate', 'reviews-api'],
      ['subsets', 'reviews'],
    ]);
    const edge = vs(plan, 'bookinfo-edge');
    expect(edge.metadata.labels).toEqual({ team: 'edge' });
    expect(edge.spec.http).toEqual([
      {
        name: 'reviews-qa',
        match: [{ uri: { prefix: '/reviews' }, headers: { 'x-qa': { exact: 'true' } } }],
        route: [{ destination: { host: 'reviews', subset: 'v3' } }],
      },
      {
        name: expect.stringMatching(/^reviews-[0-9a-f]{8}-canary-header$/) as unknown as string,
        timeout: '5s',
        rewrite: { uri: '/' },
        match: [{ uri: { prefix: '/reviews' }, headers: { 'end-user': { exact: 'test-user' } } }],
        route: [
          {
            destination: { host: 'reviews.default.svc.cluster.local', subset: 'v2', port: { number: 9080 } },
          },
        ],
      },
      {
        match: [{ uri: { prefix: '/reviews' } }],
        rewrite: { uri: '/' },
        timeout: '5s',
        route: [
          {
            destination: { host: 'reviews.default.svc.cluster.local', subset: 'v1', port: { number: 9080 } },
          },
        ],
      },
      { route: [{ destination: { host: 'productpage', port: { number: 9080 } } }] },
    ]);
    expect(vs(plan, 'reviews-api').spec.http).toEqual([
      {
        name: 'reviews-api-v1-canary-header',
        retries: { attempts: 2, perTryTimeout: '2s' },
        match: [{ uri: { prefix: '/api/reviews/' }, headers: { 'end-user': { exact: 'test-user' } } }],
        route: [{ destination: { host: 'reviews', subset: 'v2', port: { number: 9080 } } }],
      },
      {
        name: 'reviews-api-v1',
        match: [{ uri: { prefix: '/api/reviews/' } }],
        retries: { attempts: 2, perTryTimeout: '2s' },
        route: [{ destination: { host: 'reviews', subset: 'v1', port: { number: 9080 } } }],
      },
    ]);
    // The root of the delegate chain names no destination: it is not written.
    expect(plan.objects.some((object) => object.after.metadata.name === 'bookinfo-api')).toBe(false);
  });

  it('writes the DestinationRule, then every VirtualService in one batch; drops a subset in the reverse order', () => {
    const bare = doors();
    const rule = bare.destinationRules.find((dr) => dr.metadata.name === 'reviews')!;
    rule.spec.subsets = rule.spec.subsets?.filter((subset) => subset.name !== 'v2');
    const routed = planStage(stageOptions(route), bare);
    expect(routed.writes.map((w) => [w.batch, w.kind, w.after.metadata.name, w.action])).toEqual([
      [0, 'DestinationRule', 'reviews', 'update'],
      [1, 'VirtualService', 'reviews', 'update'],
      [1, 'VirtualService', 'bookinfo-edge', 'update'],
      [1, 'VirtualService', 'reviews-api', 'update'],
    ]);
    const { plans } = release(route, { stage: 'promote' }, { stage: 'finalize' });
    expect(plans[2]!.writes.map((w) => [w.batch, w.kind, w.after.metadata.name, w.action])).toEqual([
      [0, 'VirtualService', 'reviews', 'update'],
      [0, 'VirtualService', 'bookinfo-edge', 'update'],
      [0, 'VirtualService', 'reviews-api', 'update'],
      [1, 'DestinationRule', 'reviews', 'update'],
    ]);
  });

  it('shift, promote and finalize move every route; the routes list says so per object', () => {
    const { plans } = release(
      route,
      { stage: 'shift', weight: 50 },
      { stage: 'promote' },
      { stage: 'finalize' },
    );
    const [, shifted, promoted, finalized] = plans;
    const figures = (plan: Plan) =>
      plan.routes.map(
        (r) => `${r.object} ${r.match}: ${r.after.map((d) => `${d.subset} ${d.weight}`).join(', ')}`,
      );
    expect(figures(shifted!)).toEqual([
      'reviews default: v1 50, v2 50',
      'bookinfo-edge uri prefix /reviews: v1 50, v2 50',
      'reviews-api uri prefix /api/reviews/: v1 50, v2 50',
    ]);
    expect(shifted!.routes[1]).toMatchObject({
      resource: 'VirtualService default/bookinfo-edge',
      door: 'gateway',
      hosts: ['bookinfo.example.com'],
      gateways: ['bookinfo-gateway'],
      path: '/reviews',
      before: [{ subset: 'v1', weight: 100 }],
    });
    expect(figures(promoted!)).toEqual([
      'reviews default: v2 100',
      'bookinfo-edge uri prefix /reviews: v2 100',
      'reviews-api uri prefix /api/reviews/: v2 100',
    ]);
    // promote removed the twins; the QA route pinned to v3 is as it was.
    expect(
      vs(promoted!, 'bookinfo-edge').spec.http?.map((r) => r.name ?? r.match?.[0]?.uri?.prefix ?? 'default'),
    ).toEqual(['reviews-qa', '/reviews', 'default']);
    expect(finalized!.destinationRule.spec.subsets?.map((subset) => subset.name)).toEqual(['v2', 'v3']);
  });

  it('rollback removes our twins and puts every route back on stable 100, as it was', () => {
    const original = doors();
    const { state } = release(route, { stage: 'shift', weight: 30 }, { stage: 'rollback' });
    for (const name of ['bookinfo-edge', 'reviews-api']) {
      expect(vs(state, name).spec).toEqual(vs(original, name).spec);
    }
  });

  it('a second run of the same stage changes nothing', () => {
    const { state } = release(route, { stage: 'shift', weight: 50 });
    const again = planStage(stageOptions({ stage: 'shift', weight: 50 }), state);
    expect(again.changed).toBe(false);
    expect(again.writes.every((w) => w.action === 'unchanged')).toBe(true);
  });

  it('virtual-services limits the set; the routes left out are reported, and finalize names them', () => {
    const limited = { virtualServices: ['reviews', 'reviews-api'] };
    const plan = planStage(stageOptions({ ...route, ...limited }), doors());
    expect(plan.objects.map((object) => object.after.metadata.name)).toEqual([
      'reviews',
      'reviews-api',
      'reviews',
    ]);
    expect(plan.routes.filter((r) => r.leftAlone).map((r) => [r.object, r.match, r.leftAlone])).toEqual([
      ['bookinfo-edge', 'uri prefix /reviews and x-qa=true', 'not in virtual-services'],
      ['bookinfo-edge', 'uri prefix /reviews', 'not in virtual-services'],
    ]);
    const promoted = release({ ...route, ...limited }, { stage: 'promote', ...limited }).state;
    expect(() => planStage(stageOptions({ stage: 'finalize', ...limited }), promoted)).toThrow(
      new CanaryError(
        'check-failed',
        'finalize refuses to drop subset v1 of reviews: VirtualService default/bookinfo-edge (route: uri prefix /reviews) still routes to it; move that route to v2 first',
      ),
    );
  });

  it('a name in virtual-services that routes nowhere near the service is refused, naming the ones there are', () => {
    expect(() =>
      planStage(stageOptions({ ...route, virtualServices: ['ratings', 'bookinfo-edge'] }), doors()),
    ).toThrow(
      new InputError(
        'virtual-services',
        'virtual-services names ratings, which is not a VirtualService of "default" with a route to reviews: name some of reviews, bookinfo-edge, reviews-api, or leave virtual-services empty for all',
      ),
    );
  });

  it('routes to the host from another namespace are reported, never written, and hold finalize back', () => {
    const state = doors();
    state.virtualServices.push({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'shop', namespace: 'frontend' },
      spec: {
        hosts: ['shop'],
        http: [{ route: [{ destination: { host: 'reviews.default.svc.cluster.local', subset: 'v1' } }] }],
      },
    });
    const plan = planStage(stageOptions(route), state);
    expect(plan.objects.some((object) => object.after.metadata.namespace === 'frontend')).toBe(false);
    expect(plan.routes.at(-1)).toMatchObject({
      resource: 'VirtualService frontend/shop',
      leftAlone: 'in namespace frontend: never written',
      after: [{ subset: 'v1', weight: 100 }],
    });
    const promoted = applyPlan(
      applyPlan(state, plan),
      planStage(stageOptions({ stage: 'promote' }), applyPlan(state, plan)),
    );
    expect(() => planStage(stageOptions({ stage: 'finalize' }), promoted)).toThrow(
      'finalize refuses to drop subset v1 of reviews: VirtualService frontend/shop (route: default) still routes to it; move that route to v2 first',
    );
  });

  it('a twin keeps only the requests both matches accept; a match that cannot meet the header route gets none', () => {
    const state = doors();
    const scoped = planStage(stageOptions({ ...route, uriPrefix: '/reviews/2' }), state);
    const edge = vs(scoped, 'bookinfo-edge').spec.http ?? [];
    expect(edge[1]?.match).toEqual([
      { uri: { prefix: '/reviews/2' }, headers: { 'end-user': { exact: 'test-user' } } },
    ]);
    // /api/reviews/ and /reviews/2 cannot both hold: the delegate gets no twin, its route still moves.
    const api = vs(scoped, 'reviews-api').spec.http ?? [];
    expect(api.map((r) => r.name)).toEqual(['reviews-api-v1']);
  });
});
