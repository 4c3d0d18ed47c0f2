// Properties over generated namespaces and stage sequences (fast-check).
import fc from 'fast-check';
import { ownedRouteNames, planStage, routingEssence } from '../../src/plan/index.js';
import type { ClusterState, HTTPRoute, StageOptions, VirtualService } from '../../src/plan/index.js';
import { applyPlan, seedState, stageOptions } from './support.js';

const owned = Object.values(ownedRouteNames('reviews'));

/** User routes with distinct path matches (so no check objects), to hosts of their own or reviews/v3. */
const userRoutes: fc.Arbitrary<HTTPRoute[]> = fc
  .uniqueArray(
    fc.record({
      prefix: fc.stringMatching(/^\/[a-z]{1,8}$/),
      toV3: fc.boolean(),
      timeout: fc.constantFrom('1s', '5s'),
    }),
    { maxLength: 5, selector: (route) => route.prefix },
  )
  .map((routes) =>
    routes.map(({ prefix, toV3, timeout }): HTTPRoute => ({
      name: `user${prefix.replace('/', '-')}`,
      match: [{ uri: { prefix } }],
      route: [{ destination: toV3 ? { host: 'reviews', subset: 'v3' } : { host: 'reviews-admin' } }],
      timeout,
    })),
  );

/** The seed with user routes placed before the reviews catch-all (a route after it could never match). */
function namespaceWith(routes: HTTPRoute[]): ClusterState {
  const state = seedState();
  const reviews = state.virtualServices.find((vs) => vs.metadata.name === 'reviews') as VirtualService;
  reviews.spec.http = [...routes, ...(reviews.spec.http ?? [])];
  return state;
}

// One line per header: a match block holds one condition per header name.
const headerMatches = fc.uniqueArray(
  fc.record({
    name: fc.constantFrom('end-user', 'x-group', 'x-canary'),
    kind: fc.constantFrom('exact' as const, 'prefix' as const, 'regex' as const),
    value: fc.stringMatching(/^[a-z0-9]{1,6}$/),
  }),
  { maxLength: 3, selector: (match) => match.name },
);

const stageStep = fc
  .oneof(
    fc.record({
      stage: fc.constant('route' as const),
      headerMatch: headerMatches.filter((m) => m.length > 0),
    }),
    fc.record(
      {
        stage: fc.constant('shift' as const),
        weight: fc.integer({ min: 0, max: 100 }),
        headerMatch: headerMatches,
        stickyCookie: fc.constantFrom('canary', 'x.y'),
        stickyCookieTtlSeconds: fc.integer({ min: 0, max: 86_400 }),
      },
      { requiredKeys: ['stage', 'weight', 'headerMatch'] },
    ),
    fc.record({ stage: fc.constant('progressive' as const), steps: fc.constant<number[]>([10, 50, 100]) }),
    fc.record({ stage: fc.constant('promote' as const) }),
    fc.record({ stage: fc.constant('rollback' as const) }),
  )
  .map((step): Partial<StageOptions> => step);

function reviewsOf(state: ClusterState): VirtualService {
  return state.virtualServices.find((vs) => vs.metadata.name === 'reviews') as VirtualService;
}

/** Runs `check` on the reviews routes after each stage of generated stage sequences. */
function afterEveryStage(check: (http: HTTPRoute[], userRoutes: HTTPRoute[]) => void): void {
  fc.assert(
    fc.property(userRoutes, fc.array(stageStep, { minLength: 1, maxLength: 6 }), (routes, steps) => {
      let state = namespaceWith(routes);
      for (const step of steps) {
        state = applyPlan(state, planStage(stageOptions(step), state));
        check(reviewsOf(state).spec.http ?? [], routes);
      }
    }),
    { numRuns: 100 },
  );
}

describe('planner properties', () => {
  it('every planned route carries integer weights 1–100 summing to 100, or one destination without weight', () => {
    fc.assert(
      fc.property(userRoutes, fc.array(stageStep, { minLength: 1, maxLength: 6 }), (routes, steps) => {
        let state = namespaceWith(routes);
        for (const step of steps) {
          const plan = planStage(stageOptions(step), state);
          for (const route of plan.virtualService.spec.http ?? []) {
            const destinations = route.route ?? [];
            if (destinations.length === 1) {
              expect(destinations[0]?.weight).toBeUndefined();
            } else {
              const weights = destinations.map((destination) => destination.weight ?? -1);
              weights.forEach((weight) =>
                expect(Number.isInteger(weight) && weight >= 1 && weight <= 100).toBe(true),
              );
              expect(weights.reduce((sum, weight) => sum + weight, 0)).toBe(100);
            }
          }
          state = applyPlan(state, plan);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('keeps every route it does not own, in order, whatever stages run', () => {
    afterEveryStage((http, routes) => {
      expect(http.filter((route) => !owned.includes(route.name ?? ''))).toEqual(routes);
      // Ours are last (the catch-all must be): header route, sticky route, default route.
      const ours = http.slice(routes.length).map((route) => route.name);
      const expected = ['reviews-canary-header', 'reviews-canary-sticky', 'reviews-primary'];
      expect(ours).toEqual(expected.filter((name) => ours.includes(name)));
      expect(ours[ours.length - 1]).toBe('reviews-primary');
    });
  });

  it('the sticky cookie is issued by the canary destination exactly while the sticky route exists', () => {
    afterEveryStage((http) => {
      const primary = http[http.length - 1];
      const issuing = (primary?.route ?? []).filter((destination) => destination.headers !== undefined);
      const stickyRoute = http.find((route) => route.name === 'reviews-canary-sticky');
      expect(issuing.map((destination) => destination.destination.subset)).toEqual(stickyRoute ? ['v2'] : []);
    });
  });

  it('shift then rollback restores the original routing', () => {
    fc.assert(
      fc.property(
        userRoutes,
        fc.integer({ min: 0, max: 100 }),
        headerMatches,
        fc.option(fc.constantFrom('canary', 'x.y'), { nil: undefined }),
        (routes, weight, headerMatch, stickyCookie) => {
          const start = namespaceWith(routes);
          const shifted = applyPlan(
            start,
            planStage(stageOptions({ stage: 'shift', weight, headerMatch, stickyCookie }), start),
          );
          const rolledBack = planStage(stageOptions({ stage: 'rollback' }), shifted);
          expect(routingEssence(rolledBack.virtualService)).toEqual(routingEssence(reviewsOf(start)));
          expect(rolledBack.weight).toBe(0);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('a stage planned on its own result changes nothing', () => {
    fc.assert(
      fc.property(userRoutes, stageStep, (routes, step) => {
        const start = namespaceWith(routes);
        const first = planStage(stageOptions(step), start);
        const second = planStage(stageOptions(step), applyPlan(start, first));
        expect(second.changed).toBe(false);
      }),
      { numRuns: 100 },
    );
  });
});
