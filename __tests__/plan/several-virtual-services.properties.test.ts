// Properties over generated sets of VirtualServices routing to reviews (fast-check): through any sequence of
// stages, nothing outside our routes changes and the order stays; a stage planned again is a no-op.
import fc from 'fast-check';
import { planStage } from '../../src/plan/index.js';
import type {
  ClusterState,
  HeaderMatch,
  HTTPRoute,
  StageOptions,
  VirtualService,
} from '../../src/plan/index.js';
import { applyPlan, seedState, stageOptions } from './support.js';

type Target = 'stable' | 'v3' | 'other-host';

/** One route of a generated VirtualService: its path, where it goes, and fields a user sets. */
const routeSpec = fc.record({
  prefix: fc.stringMatching(/^\/[a-z]{1,6}$/),
  target: fc.constantFrom<Target>('stable', 'v3', 'other-host'),
  named: fc.boolean(),
  timeout: fc.option(fc.constantFrom('1s', '5s'), { nil: undefined }),
  rewrite: fc.boolean(),
  port: fc.boolean(),
});

type RouteSpec = typeof routeSpec extends fc.Arbitrary<infer T> ? T : never;

const virtualServiceSpec = fc.record({
  door: fc.constantFrom('gateway', 'delegate', 'mesh-other-host'),
  routes: fc.uniqueArray(routeSpec, { minLength: 1, maxLength: 4, selector: (route) => route.prefix }),
});

function route(spec: RouteSpec, index: number): HTTPRoute {
  const destination =
    spec.target === 'other-host'
      ? { host: 'ratings' }
      : {
          host: index % 2 === 0 ? 'reviews' : 'reviews.default.svc.cluster.local',
          subset: spec.target === 'stable' ? 'v1' : 'v3',
          ...(spec.port ? { port: { number: 9080 } } : {}),
        };
  return {
    ...(spec.named ? { name: `r${spec.prefix.slice(1)}` } : {}),
    match: [{ uri: { prefix: spec.prefix } }],
    ...(spec.rewrite ? { rewrite: { uri: '/' } } : {}),
    ...(spec.timeout ? { timeout: spec.timeout } : {}),
    route: [{ destination }],
  };
}

function namespaceWith(specs: { door: string; routes: RouteSpec[] }[]): ClusterState {
  const state = seedState();
  specs.forEach((spec, index) => {
    const vs: VirtualService = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: `door-${index}`, namespace: 'default', labels: { generated: 'yes' } },
      spec: {
        ...(spec.door === 'delegate' ? {} : { hosts: [`door-${index}.example.com`] }),
        ...(spec.door === 'gateway' ? { gateways: ['bookinfo-gateway'] } : {}),
        http: spec.routes.map(route),
      },
    };
    state.virtualServices.push(vs);
  });
  return state;
}

const stageStep = fc
  .oneof(
    fc.record({
      stage: fc.constant('route' as const),
      headerMatch: fc.constant<HeaderMatch[]>([{ name: 'end-user', kind: 'exact', value: 'test-user' }]),
    }),
    fc.record({
      stage: fc.constant('shift' as const),
      weight: fc.integer({ min: 0, max: 100 }),
      headerMatch: fc.constantFrom<HeaderMatch[]>([], [{ name: 'x-group', kind: 'prefix', value: 'beta' }]),
    }),
    fc.record({ stage: fc.constant('promote' as const) }),
    fc.record({ stage: fc.constant('rollback' as const) }),
  )
  .map((step): Partial<StageOptions> => step);

const isTwin = (route: HTTPRoute) => /-canary-(header|sticky)$/.test(route.name ?? '');

/** A route with the parts a stage may change (destinations, mirror) left out. */
function unowned(route: HTTPRoute): HTTPRoute {
  const { route: _route, mirror: _mirror, mirrorPercentage: _percentage, ...rest } = route;
  return rest;
}

describe('several VirtualServices, generated', () => {
  it('keeps every route that is not ours as it was, in order, and moves the stable-bound ones in place', () => {
    fc.assert(
      fc.property(
        fc.array(virtualServiceSpec, { minLength: 1, maxLength: 4 }),
        fc.array(stageStep, { minLength: 1, maxLength: 5 }),
        (specs, steps) => {
          const original = namespaceWith(specs);
          let state = original;
          for (const step of steps) {
            state = applyPlan(state, planStage(stageOptions(step), state));
            specs.forEach((spec, index) => {
              const name = `door-${index}`;
              const before = original.virtualServices.find((vs) => vs.metadata.name === name)!;
              const after = state.virtualServices.find((vs) => vs.metadata.name === name)!;
              expect(after.metadata.labels).toEqual(before.metadata.labels);
              expect({ ...after.spec, http: undefined }).toEqual({ ...before.spec, http: undefined });
              const kept = (after.spec.http ?? []).filter((r) => !isTwin(r));
              expect(kept.map(unowned)).toEqual((before.spec.http ?? []).map(unowned));
              spec.routes.forEach((routeSpec, position) => {
                if (routeSpec.target !== 'stable')
                  expect(kept[position]).toEqual(before.spec.http?.[position]);
              });
            });
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a stage planned again on what it wrote changes nothing', () => {
    fc.assert(
      fc.property(
        fc.array(virtualServiceSpec, { minLength: 1, maxLength: 4 }),
        fc.array(stageStep, { minLength: 1, maxLength: 4 }),
        (specs, steps) => {
          let state = namespaceWith(specs);
          for (const step of steps) {
            state = applyPlan(state, planStage(stageOptions(step), state));
            const again = planStage(stageOptions(step), state);
            expect(again.writes.filter((write) => write.action !== 'unchanged')).toEqual([]);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
