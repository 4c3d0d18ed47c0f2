// What the adopted default route carries reaches every route built from it.
import { CanaryError } from '../../src/errors.js';
import { planStage, readRoutingYaml } from '../../src/plan/index.js';
import type { ClusterState } from '../../src/plan/index.js';
import { reviewsState, stageOptions, TEST_USER } from './support.js';

function withDefaultRoute(routeYaml: string): ClusterState {
  return reviewsState(routeYaml, 'adoption.yaml');
}

describe('adopting the default route', () => {
  it('gives the test-user and sticky routes its rewrite, so canary users reach the same path', () => {
    const state = withDefaultRoute(`  - rewrite: { uri: /api/v1/ }
    route: [{ destination: { host: reviews, subset: v1 } }]`);
    const plan = planStage(
      stageOptions({ stage: 'shift', weight: 20, headerMatch: TEST_USER, stickyCookie: 'canary' }),
      state,
    );
    const http = plan.virtualService.spec.http ?? [];
    expect(http.map((route) => [route.name, route.rewrite])).toEqual([
      ['reviews-canary-header', { uri: '/api/v1/' }],
      ['reviews-canary-sticky', { uri: '/api/v1/' }],
      ['reviews-primary', { uri: '/api/v1/' }],
    ]);
  });

  it('keeps the headers of a destination without subset on every version it splits into', () => {
    const headers = { request: { set: { 'x-route': 'mesh' } }, response: { remove: ['x-internal'] } };
    const state = withDefaultRoute(`  - route:
    - destination: { host: reviews, port: { number: 9080 } }
      headers: ${JSON.stringify(headers)}`);
    const plan = planStage(stageOptions({ stage: 'shift', weight: 20, headerMatch: TEST_USER }), state);
    const [header, primary] = plan.virtualService.spec.http ?? [];
    expect(primary?.route).toEqual([
      { destination: { host: 'reviews', subset: 'v1', port: { number: 9080 } }, headers, weight: 80 },
      { destination: { host: 'reviews', subset: 'v2', port: { number: 9080 } }, headers, weight: 20 },
    ]);
    expect(header?.route).toEqual([
      { destination: { host: 'reviews', subset: 'v2', port: { number: 9080 } }, headers },
    ]);
  });

  it('does not lend a version’s own destination headers to the canary', () => {
    const state = withDefaultRoute(`  - route:
    - destination: { host: reviews, subset: v1 }
      headers: { response: { set: { x-version: v1 } } }`);
    const plan = planStage(stageOptions({ stage: 'shift', weight: 20 }), state);
    expect(plan.virtualService.spec.http?.[0]?.route).toEqual([
      {
        destination: { host: 'reviews', subset: 'v1' },
        headers: { response: { set: { 'x-version': 'v1' } } },
        weight: 80,
      },
      { destination: { host: 'reviews', subset: 'v2' }, weight: 20 },
    ]);
  });
});

describe('a VirtualService without http routes', () => {
  it('is refused when it carries the host by tcp only: an http split would never be taken', () => {
    const state = readRoutingYaml(
      `
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: { name: reviews, namespace: default }
spec:
  hosts: [reviews]
  tcp:
  - match: [{ port: 9080 }]
    route: [{ destination: { host: reviews, subset: v1, port: { number: 9080 } } }]
`,
      'tcp.yaml',
    );
    expect(() => planStage(stageOptions({ stage: 'shift', weight: 30 }), state)).toThrow(
      new CanaryError(
        'check-failed',
        'VirtualService default/reviews routes reviews by tcp routes only, and the stages split http routes, which its traffic never takes: move the weights of its tcp route by hand, or route reviews by http',
      ),
    );
  });
});
