// The default route in every form people write it: adopted, so the stage routes as it says.
import { CanaryError } from '../../src/errors.js';
import { planStage } from '../../src/plan/index.js';
import type { ClusterState } from '../../src/plan/index.js';
import { routedSplit } from './first-match.js';
import { reviewsState, stageOptions, TEST_USER } from './support.js';

function withDefaultRoute(defaultRoute: string, before = ''): ClusterState {
  return reviewsState(`${before}${defaultRoute}`, 'catch-all.yaml');
}

const toV1 = '    route: [{ destination: { host: reviews, subset: v1 } }]\n';
const CATCH_ALLS: Record<string, string> = {
  'no match': `  - ${toV1.trim()}\n`,
  'an empty match list': `  - match: []\n${toV1}`,
  'uri prefix /': `  - match: [{ uri: { prefix: / } }]\n${toV1}`,
  'uri regex .*': `  - match: [{ uri: { regex: ".*" } }]\n${toV1}`,
  'ignoreUriCase with prefix /': `  - match: [{ uri: { prefix: / }, ignoreUriCase: true }]\n${toV1}`,
  'a match block with only a name': `  - match: [{ name: everything }]\n${toV1}`,
  'one of several match blocks': `  - match: [{ uri: { prefix: /api } }, { uri: { prefix: / } }]\n${toV1}`,
};

describe('a default route written with a match', () => {
  it.each(Object.entries(CATCH_ALLS))(
    'is adopted when written with %s: shift 30 routes 70/30',
    (_, route) => {
      const state = withDefaultRoute(route);
      const original = state.virtualServices[0]?.spec.http?.[0];
      const plan = planStage(stageOptions({ stage: 'shift', weight: 30, headerMatch: TEST_USER }), state);
      const http = plan.virtualService.spec.http ?? [];
      expect(http.map((each) => each.name)).toEqual(['reviews-canary-header', 'reviews-primary']);
      // The adopted route keeps its own match.
      expect(http[1]?.match).toEqual(original?.match);
      expect(routedSplit(plan.virtualService, { path: '/reviews/1' })).toEqual({ v1: 70, v2: 30 });
      expect(routedSplit(plan.virtualService, { path: '/', headers: { 'end-user': 'test-user' } })).toEqual({
        v2: 100,
      });
      expect([plan.previousWeight, plan.weight]).toEqual([0, 30]);
    },
  );

  it('is not mistaken for a narrower match: uri prefix /api and regex /api/.* are not catch-alls', () => {
    const narrow = `  - match: [{ uri: { prefix: /api } }]\n${toV1}  - match: [{ uri: { regex: "/api/.*" } }]\n${toV1}`;
    const plan = planStage(stageOptions({ stage: 'shift', weight: 30 }), withDefaultRoute(narrow));
    expect(plan.virtualService.spec.http?.map((route) => route.name)).toEqual([
      undefined,
      undefined,
      'reviews-primary',
    ]);
  });

  it('IST0130 sees a route with `uri prefix /` that is not last', () => {
    const shadowing = `  - name: everything\n    match: [{ uri: { prefix: / } }]\n${toV1}  - name: later\n    match: [{ uri: { prefix: /later } }]\n${toV1}`;
    expect(() =>
      planStage(stageOptions({ stage: 'shift', weight: 30 }), withDefaultRoute(shadowing)),
    ).toThrow(
      'Error [IST0130] (VirtualService default/reviews) VirtualService rule #1 not used (only the last rule can have no matches): rule #0 matches every request',
    );
  });
});

describe('a default route that cannot be adopted', () => {
  const refusal = (reason: string) =>
    new CanaryError(
      'check-failed',
      `VirtualService default/reviews has no default route to take over: spec.http[1] ("main") matches every request but ${reason}, so a default route for reviews after it would never be reached; point that route at reviews, or give it a match so a default route can follow it`,
    );
  const admin = `  - name: admin\n    match: [{ uri: { prefix: /admin } }]\n${toV1}`;

  it.each([
    [
      'another host',
      `  - name: main\n    route: [{ destination: { host: ratings } }]\n`,
      'sends requests to ratings, not only to reviews',
    ],
    [
      'a redirect',
      `  - name: main\n    match: [{ uri: { prefix: / } }]\n    redirect: { uri: /v1, authority: reviews.example.com }\n`,
      'redirects every request',
    ],
    [
      'a direct response',
      `  - name: main\n    directResponse: { status: 503 }\n`,
      'answers every request itself (directResponse)',
    ],
  ])('is refused, naming the route and why, when it goes to %s', (_, route, reason) => {
    const state = withDefaultRoute(route, admin);
    expect(() => planStage(stageOptions({ stage: 'shift', weight: 30 }), state)).toThrow(refusal(reason));
  });
});
