// Properties over generated routes and stage sequences (fast-check): nothing outside our rules changes,
// their order is kept, re-running a stage is a no-op, with and without the server's defaults applied.
import fc from 'fast-check';
import { normalizeSpec, planGatewayApiStage, twinRuleName } from '../../../src/plan/gateway-api/index.js';
import type { GatewayApiState, HTTPRoute, HTTPRouteRule } from '../../../src/plan/gateway-api/index.js';
import { canonicalJson } from '../../../src/plan/objects.js';
import type { StageOptions } from '../../../src/plan/index.js';
import { applyGatewayPlan, gatewayOptions, gatewaySeed } from './support.js';

const OURS = /^reviews-(primary|canary-header)(-\d+)?$/;

/** Rules of other services and other versions, with distinct paths, in the form people write them. */
const userRules: fc.Arbitrary<HTTPRouteRule[]> = fc
  .uniqueArray(
    fc.record({
      prefix: fc.stringMatching(/^\/[a-z]{1,8}$/),
      backend: fc.constantFrom('ratings', 'details', 'reviews-v3'),
      exact: fc.boolean(),
      timeout: fc.option(fc.constantFrom('1s', '5s'), { nil: undefined }),
    }),
    { maxLength: 4, selector: (rule) => rule.prefix },
  )
  .map((rules) =>
    rules.map(({ prefix, backend, exact, timeout }): HTTPRouteRule => ({
      matches: [{ path: { type: exact ? 'Exact' : 'PathPrefix', value: prefix } }],
      backendRefs: [{ name: backend, port: 9080 }],
      ...(timeout ? { timeouts: { request: timeout } } : {}),
    })),
  );

/** The seed's mesh route with user rules around its rule, and a Gateway route whose `/reviews` rule sends to the Service. */
function namespaceWith(
  before: HTTPRouteRule[],
  after: HTTPRouteRule[],
  gatewayRules: HTTPRouteRule[],
): GatewayApiState {
  const state = gatewaySeed();
  const mesh = state.httpRoutes[0] as HTTPRoute;
  const gateway: HTTPRoute = {
    apiVersion: 'gateway.networking.k8s.io/v1beta1',
    kind: 'HTTPRoute',
    metadata: { name: 'bookinfo', namespace: 'default' },
    spec: {
      parentRefs: [{ name: 'bookinfo-gateway' }],
      rules: [
        ...gatewayRules,
        {
          matches: [{ path: { type: 'PathPrefix', value: '/reviews' } }],
          backendRefs: [{ name: 'reviews', port: 9080 }],
        },
      ],
    },
  };
  return {
    ...state,
    httpRoutes: [
      { ...mesh, spec: { ...mesh.spec, rules: [...before, ...(mesh.spec.rules ?? []), ...after] } },
      gateway,
    ],
  };
}

const headerMatches = fc.uniqueArray(
  fc.record({
    name: fc.constantFrom('end-user', 'x-group'),
    kind: fc.constantFrom('exact' as const, 'prefix' as const, 'regex' as const),
    value: fc.stringMatching(/^[a-z0-9]{1,6}$/),
  }),
  { maxLength: 2, selector: (match: { name: string }) => match.name },
);

const stageStep: fc.Arbitrary<Partial<StageOptions>> = fc.oneof(
  fc.record({ stage: fc.constant('route' as const), headerMatch: headerMatches.filter((m) => m.length > 0) }),
  fc.record(
    {
      stage: fc.constant('shift' as const),
      weight: fc.integer({ min: 0, max: 100 }),
      headerMatch: headerMatches,
      mirrorPercent: fc.integer({ min: 0, max: 100 }),
    },
    { requiredKeys: ['stage', 'weight', 'headerMatch'] },
  ),
  fc.record({ stage: fc.constant('promote' as const) }),
  fc.record({ stage: fc.constant('rollback' as const) }),
);

const ruleForm = (rule: HTTPRouteRule) => canonicalJson(normalizeSpec({ rules: [rule] }).rules);
const notOurs = (rule: HTTPRouteRule) => rule.name === undefined || !OURS.test(rule.name);

describe('Gateway API planner properties', () => {
  it('keeps every rule it does not own, in order; re-running a stage changes nothing', () => {
    fc.assert(
      fc.property(
        userRules,
        userRules,
        userRules,
        fc.array(stageStep, { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        (before, after, gatewayRules, steps, serverDefaults) => {
          let state = namespaceWith(before, after, gatewayRules);
          const expected = [[...before, ...after], gatewayRules].map((rules) => rules.map(ruleForm));
          for (const step of steps) {
            const options = gatewayOptions(step);
            const plan = planGatewayApiStage(options, state);
            state = applyGatewayPlan(state, plan, serverDefaults);
            expect(
              state.httpRoutes.map((route) => (route.spec.rules ?? []).filter(notOurs).map(ruleForm)),
            ).toEqual(expected);
            // A twin comes right before its split rule.
            for (const route of state.httpRoutes) {
              const rules = route.spec.rules ?? [];
              rules.forEach((rule, index) => {
                if (rule.name?.includes('canary-header')) {
                  expect(twinRuleName('reviews', rules[index + 1]?.name ?? '')).toBe(rule.name);
                }
              });
            }
            const again = planGatewayApiStage(options, state);
            expect([again.changed, again.diff]).toEqual([false, '']);
            expect(again.weight).toBe(plan.weight);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
