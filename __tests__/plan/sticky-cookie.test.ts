import { RE2JS } from 're2js';
import { planStage, routingEssence, toYaml } from '../../src/plan/index.js';
import type { ClusterState, HTTPRoute, StageOptions, VirtualService } from '../../src/plan/index.js';
import { applyPlan, seedState, stageOptions } from './support.js';

const testUser = [{ name: 'end-user', kind: 'exact' as const, value: 'test-user' }];
const sticky = { stickyCookie: 'canary', stickyCookieTtlSeconds: 3600 };

function reviewsOf(state: ClusterState): VirtualService {
  return state.virtualServices.find((vs) => vs.metadata.name === 'reviews') as VirtualService;
}

/** The seed with a user route before the reviews catch-all, and a response header of its own on v1. */
function seedWithUserRoute(): ClusterState {
  const state = seedState();
  const reviews = reviewsOf(state);
  reviews.spec.http = [
    {
      name: 'ratings-api',
      match: [{ uri: { prefix: '/api' } }],
      route: [{ destination: { host: 'ratings' } }],
    },
    ...(reviews.spec.http ?? []),
  ];
  return state;
}

function run(state: ClusterState, ...steps: Partial<StageOptions>[]): ClusterState {
  return steps.reduce((current, step) => applyPlan(current, planStage(stageOptions(step), current)), state);
}

function names(state: ClusterState): (string | undefined)[] {
  return (reviewsOf(state).spec.http ?? []).map((route: HTTPRoute) => route.name);
}

describe('sticky-cookie', () => {
  it('shift 25 issues the cookie from the canary and routes it to the canary before the split', () => {
    const plan = planStage(
      stageOptions({ stage: 'shift', weight: 25, headerMatch: testUser, ...sticky }),
      seedState(),
    );
    expect(toYaml(plan.virtualService)).toBe(
      [
        'apiVersion: networking.istio.io/v1beta1',
        'kind: VirtualService',
        'metadata:',
        '  name: reviews',
        '  annotations:',
        '    istio-canary.io/stage: shift',
        '    istio-canary.io/weights: v1=75,v2=25',
        'spec:',
        '  hosts:',
        '    - reviews',
        '  http:',
        '    - name: reviews-canary-header',
        '      match:',
        '        - headers:',
        '            end-user:',
        '              exact: test-user',
        '      route:',
        '        - destination:',
        '            host: reviews',
        '            subset: v2',
        '    - name: reviews-canary-sticky',
        '      match:',
        '        - headers:',
        '            cookie:',
        '              regex: (.*;\\s*)?canary=v2(\\s*;.*)?',
        '      route:',
        '        - destination:',
        '            host: reviews',
        '            subset: v2',
        '    - name: reviews-primary',
        '      route:',
        '        - destination:',
        '            host: reviews',
        '            subset: v1',
        '          weight: 75',
        '        - destination:',
        '            host: reviews',
        '            subset: v2',
        '          weight: 25',
        '          headers:',
        '            response:',
        '              add:',
        '                set-cookie: canary=v2; Path=/; Max-Age=3600',
        '',
      ].join('\n'),
    );
    expect(plan.after.map((row) => row.match)).toEqual([
      'end-user=test-user',
      'cookie ~ (.*;\\s*)?canary=v2(\\s*;.*)?',
      'default',
    ]);
  });

  it('goes after the header route and before the default route, other routes staying in order', () => {
    const state = run(seedWithUserRoute(), { stage: 'shift', weight: 25, headerMatch: testUser, ...sticky });
    expect(names(state)).toEqual([
      'ratings-api',
      'reviews-canary-header',
      'reviews-canary-sticky',
      'reviews-primary',
    ]);
    expect(names(run(seedWithUserRoute(), { stage: 'shift', weight: 25, ...sticky }))).toEqual([
      'ratings-api',
      'reviews-canary-sticky',
      'reviews-primary',
    ]);
  });

  it('matches the cookie among others as Envoy does (whole header, RE2), and no look-alike', () => {
    const plan = planStage(stageOptions({ stage: 'shift', weight: 25, ...sticky }), seedState());
    const regex = plan.virtualService.spec.http?.[0]?.match?.[0]?.headers?.cookie?.regex ?? '';
    const pattern = RE2JS.compile(regex);
    for (const header of ['canary=v2', 'a=1; canary=v2', 'canary=v2; b=2', 'a=1;canary=v2 ; b=2']) {
      expect([header, pattern.matches(header)]).toEqual([header, true]);
    }
    for (const header of ['canary=v1', 'canary=v22', 'xcanary=v2', 'a=canary=v2x', '']) {
      expect([header, pattern.matches(header)]).toEqual([header, false]);
    }
  });

  it('quotes a cookie name holding regex metacharacters; ttl 0 issues a session cookie', () => {
    const plan = planStage(
      stageOptions({ stage: 'shift', weight: 25, stickyCookie: 'a.b|c', stickyCookieTtlSeconds: 0 }),
      seedState(),
    );
    const [stickyRoute, primary] = plan.virtualService.spec.http ?? [];
    const regex = stickyRoute?.match?.[0]?.headers?.cookie?.regex ?? '';
    expect(regex).toBe('(.*;\\s*)?a\\.b\\|c=v2(\\s*;.*)?');
    expect(RE2JS.compile(regex).matches('x=1; a.b|c=v2')).toBe(true);
    expect(RE2JS.compile(regex).matches('aXb|c=v2')).toBe(false);
    expect(primary?.route?.[1]?.headers).toEqual({ response: { add: { 'set-cookie': 'a.b|c=v2; Path=/' } } });
  });

  it('running the same shift again writes nothing', () => {
    const options = stageOptions({ stage: 'shift', weight: 25, headerMatch: testUser, ...sticky });
    const first = planStage(options, seedWithUserRoute());
    const second = planStage(options, applyPlan(seedWithUserRoute(), first));
    expect(second.writes.map((write) => write.action)).toEqual(['unchanged', 'unchanged']);
    expect(second.changed).toBe(false);
    expect(second.diff).toBe('');
  });

  it('a later shift without sticky-cookie keeps it, for the new weight and for a new canary', () => {
    const shifted = run(seedState(), { stage: 'shift', weight: 25, ...sticky });
    const kept = run(shifted, { stage: 'shift', weight: 50 });
    expect(names(kept)).toEqual(['reviews-canary-sticky', 'reviews-primary']);
    expect(reviewsOf(kept).spec.http?.[1]?.route?.[1]).toEqual({
      destination: { host: 'reviews', subset: 'v2' },
      weight: 50,
      headers: { response: { add: { 'set-cookie': 'canary=v2; Path=/; Max-Age=3600' } } },
    });
    const nextCanary = run(kept, { stage: 'shift', weight: 10, canary: 'v3' });
    const [stickyRoute, primary] = reviewsOf(nextCanary).spec.http ?? [];
    expect(stickyRoute?.match).toEqual([{ headers: { cookie: { regex: '(.*;\\s*)?canary=v3(\\s*;.*)?' } } }]);
    expect(stickyRoute?.route).toEqual([{ destination: { host: 'reviews', subset: 'v3' } }]);
    expect(primary?.route).toEqual([
      { destination: { host: 'reviews', subset: 'v1' }, weight: 90 },
      {
        destination: { host: 'reviews', subset: 'v3' },
        weight: 10,
        headers: { response: { add: { 'set-cookie': 'canary=v3; Path=/; Max-Age=3600' } } },
      },
    ]);
  });

  it('goes when the canary has no share of the split (shift 0, route)', () => {
    const shifted = run(seedState(), { stage: 'shift', weight: 25, headerMatch: testUser, ...sticky });
    for (const step of [
      { stage: 'shift' as const, weight: 0, ...sticky },
      { stage: 'route' as const, headerMatch: testUser, ...sticky },
    ]) {
      const after = run(shifted, step);
      expect(names(after)).toEqual(['reviews-canary-header', 'reviews-primary']);
      expect(reviewsOf(after).spec.http?.[1]?.route).toEqual([
        { destination: { host: 'reviews', subset: 'v1' } },
      ]);
    }
  });

  it.each(['promote', 'finalize'] as const)('%s removes the sticky route and the cookie', (stage) => {
    const shifted = run(seedState(), { stage: 'shift', weight: 25, headerMatch: testUser, ...sticky });
    const plan = planStage(stageOptions({ stage }), shifted);
    expect(plan.virtualService.spec.http).toEqual([
      { name: 'reviews-primary', route: [{ destination: { host: 'reviews', subset: 'v2' } }] },
    ]);
  });

  it('shift then rollback restores the original routing, keeping response headers that are not ours', () => {
    const start = seedWithUserRoute();
    const primary = reviewsOf(start).spec.http?.[1];
    if (primary?.route?.[0]) primary.route[0].headers = { response: { add: { 'x-served-by': 'reviews' } } };
    const shifted = run(start, { stage: 'shift', weight: 25, headerMatch: testUser, ...sticky });
    const rolledBack = planStage(stageOptions({ stage: 'rollback' }), shifted);
    expect(routingEssence(rolledBack.virtualService)).toEqual(routingEssence(reviewsOf(start)));
    expect(rolledBack.virtualService.spec.http?.map((route) => route.name)).toEqual([
      'ratings-api',
      'reviews-primary',
    ]);
    expect(rolledBack.destinationRule).toEqual(
      planStage(stageOptions({ stage: 'rollback' }), start).destinationRule,
    );
  });

  it('leaves a Set-Cookie it did not write alone, and removes only its own from a header block it shares', () => {
    const state = seedState();
    const primary = reviewsOf(state).spec.http?.[0];
    if (primary) {
      primary.route = [
        {
          destination: { host: 'reviews', subset: 'v1' },
          weight: 75,
          headers: { response: { add: { 'set-cookie': 'theme=dark; Path=/' } } },
        },
        {
          destination: { host: 'reviews', subset: 'v2' },
          weight: 25,
          headers: {
            request: { set: { 'x-canary': 'yes' } },
            response: { add: { 'set-cookie': 'canary=v2; Path=/', 'x-version': 'v2' } },
          },
        },
      ];
    }
    const promoted = planStage(stageOptions({ stage: 'promote' }), state);
    expect(promoted.virtualService.spec.http?.[0]?.route).toEqual([
      {
        destination: { host: 'reviews', subset: 'v2' },
        headers: { request: { set: { 'x-canary': 'yes' } }, response: { add: { 'x-version': 'v2' } } },
      },
    ]);
    const kept = planStage(stageOptions({ stage: 'shift', weight: 25 }), state);
    expect(kept.virtualService.spec.http?.[1]?.route?.[0]?.headers).toEqual({
      response: { add: { 'set-cookie': 'theme=dark; Path=/' } },
    });
  });
});
