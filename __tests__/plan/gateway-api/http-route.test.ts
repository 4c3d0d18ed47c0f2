// Writing the intent into HTTPRoutes: which rules move, the header twins, untouched rules, names.
import { InputError } from '../../../src/errors.js';
import { planGatewayApiStage, SPLIT_RULES_ANNOTATION } from '../../../src/plan/gateway-api/index.js';
import type { GatewayApiState, HTTPRoute, HTTPRouteRule } from '../../../src/plan/gateway-api/index.js';
import { applyGatewayPlan, gatewayOptions, gatewaySeed, header } from './support.js';

const ratingsRule: HTTPRouteRule = {
  matches: [{ path: { type: 'PathPrefix', value: '/ratings' } }],
  backendRefs: [{ name: 'ratings', port: 9080 }],
};
const reviewsRule: HTTPRouteRule = {
  matches: [
    { path: { type: 'PathPrefix', value: '/reviews' }, queryParams: [{ name: 'lang', value: 'en' }] },
  ],
  timeouts: { request: '5s' },
  backendRefs: [{ name: 'reviews', port: 9080 }],
};
const adminRule: HTTPRouteRule = {
  matches: [{ path: { type: 'Exact', value: '/admin' } }],
  backendRefs: [{ name: 'reviews-v3', port: 9080 }],
};

/** Bookinfo's ingress route, as people write it: the reviews rule sends to the main Service. */
function gatewayRoute(rules: HTTPRouteRule[] = [ratingsRule, reviewsRule, adminRule]): HTTPRoute {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'bookinfo', labels: { 'app.kubernetes.io/managed-by': 'Helm' } },
    spec: { parentRefs: [{ name: 'bookinfo-gateway' }], hostnames: ['bookinfo.example.com'], rules },
  };
}

function withGatewayRoute(route = gatewayRoute()): GatewayApiState {
  const state = gatewaySeed();
  return { ...state, httpRoutes: [...state.httpRoutes, route] };
}

const routeNamed = (routes: HTTPRoute[], name: string) =>
  routes.find((route) => route.metadata.name === name);

describe('every route to the service moves', () => {
  const options = gatewayOptions({
    stage: 'shift',
    weight: 20,
    headerMatch: [header('end-user', 'jason')],
    uriPrefix: '/reviews/v2',
    method: 'GET',
  });

  it('splits the Gateway route rule to the main Service, its twin AND-ed with the rule own match, others untouched in order', () => {
    const plan = planGatewayApiStage(options, withGatewayRoute());
    const gateway = routeNamed(plan.httpRoutes, 'bookinfo');
    expect(gateway?.spec.rules).toEqual([
      ratingsRule,
      {
        name: 'reviews-canary-header',
        matches: [
          {
            path: { type: 'PathPrefix', value: '/reviews/v2' },
            queryParams: [{ name: 'lang', value: 'en' }],
            headers: [{ name: 'end-user', type: 'Exact', value: 'jason' }],
            method: 'GET',
          },
        ],
        backendRefs: [{ name: 'reviews-v2', port: 9080 }],
        timeouts: { request: '5s' },
      },
      {
        name: 'reviews-primary',
        ...reviewsRule,
        backendRefs: [
          { name: 'reviews-v1', port: 9080, weight: 80 },
          { name: 'reviews-v2', port: 9080, weight: 20 },
        ],
      },
      adminRule,
    ]);
    expect(gateway?.spec.parentRefs).toEqual([{ name: 'bookinfo-gateway' }]);
    expect(gateway?.spec.hostnames).toEqual(['bookinfo.example.com']);
    expect(gateway?.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'Helm' });
    // The mesh route (attached to the Service) moves as well.
    expect(routeNamed(plan.httpRoutes, 'reviews')?.spec.rules?.map((rule) => rule.name)).toEqual([
      'reviews-canary-header',
      'reviews-primary',
    ]);
    expect(plan.writes.map((write) => `${write.action} ${write.kind} ${write.after?.metadata.name}`)).toEqual(
      ['update HTTPRoute reviews', 'update HTTPRoute bookinfo'],
    );
    expect(plan.after.filter((row) => row.name?.startsWith('bookinfo/'))).toEqual([
      {
        name: 'bookinfo/#0',
        match: 'path prefix /ratings',
        destinations: [{ subset: 'ratings', weight: 100 }],
      },
      {
        name: 'bookinfo/reviews-canary-header',
        match: 'path prefix /reviews/v2 and method GET and end-user=jason and query lang=en',
        destinations: [{ subset: 'v2', weight: 100 }],
      },
      {
        name: 'bookinfo/reviews-primary',
        match: 'path prefix /reviews and query lang=en',
        destinations: [
          { subset: 'v1', weight: 80 },
          { subset: 'v2', weight: 20 },
        ],
      },
      { name: 'bookinfo/#3', match: 'path /admin', destinations: [{ subset: 'reviews-v3', weight: 100 }] },
    ]);
  });

  it('lists every rule that carries the service, moved or left alone, in the shape of the VirtualService plan', () => {
    const mixed: HTTPRouteRule = {
      matches: [{ path: { type: 'PathPrefix', value: '/old' } }],
      backendRefs: [
        { name: 'reviews-v1', port: 9080 },
        { name: 'reviews-v3', port: 9080 },
      ],
    };
    const plan = planGatewayApiStage(options, withGatewayRoute(gatewayRoute([reviewsRule, mixed])));
    expect(plan.routes).toEqual([
      {
        resource: 'HTTPRoute default/reviews',
        object: 'reviews',
        namespace: 'default',
        door: 'mesh',
        name: 'reviews-primary',
        match: 'default',
        hosts: [],
        gateways: [],
        before: [{ subset: 'v1', weight: 100 }],
        after: [
          { subset: 'v1', weight: 80 },
          { subset: 'v2', weight: 20 },
        ],
      },
      {
        resource: 'HTTPRoute default/bookinfo',
        object: 'bookinfo',
        namespace: 'default',
        door: 'gateway',
        name: 'reviews-primary',
        match: 'path prefix /reviews and query lang=en',
        hosts: ['bookinfo.example.com'],
        gateways: ['default/bookinfo-gateway'],
        path: '/reviews',
        before: [{ subset: 'reviews', weight: 100 }],
        after: [
          { subset: 'v1', weight: 80 },
          { subset: 'v2', weight: 20 },
        ],
      },
      {
        resource: 'HTTPRoute default/bookinfo',
        object: 'bookinfo',
        namespace: 'default',
        door: 'gateway',
        match: 'path prefix /old',
        hosts: ['bookinfo.example.com'],
        gateways: ['default/bookinfo-gateway'],
        path: '/old',
        before: [
          { subset: 'v1', weight: 50 },
          { subset: 'reviews-v3', weight: 50 },
        ],
        after: [
          { subset: 'v1', weight: 50 },
          { subset: 'reviews-v3', weight: 50 },
        ],
        leftAlone: 'sends to reviews-v1 or reviews besides other backends',
      },
    ]);
    expect(plan.objects.map((object) => `${object.role} ${object.after?.metadata.name}`)).toEqual([
      'mesh reviews',
      'gateway bookinfo',
    ]);
    expect(plan.writes.map((write) => write.batch)).toEqual([1, 1]);
  });

  it('rollback removes the twins and puts the split rules back on the stable, by their names', () => {
    const state = applyGatewayPlan(
      withGatewayRoute(),
      planGatewayApiStage(options, withGatewayRoute()),
      true,
    );
    const plan = planGatewayApiStage(gatewayOptions({ stage: 'rollback' }), state);
    expect(
      routeNamed(plan.httpRoutes, 'bookinfo')?.spec.rules?.map((rule) => [rule.name, rule.backendRefs]),
    ).toEqual([
      [undefined, [{ group: '', kind: 'Service', name: 'ratings', port: 9080, weight: 1 }]],
      ['reviews-primary', [{ group: '', kind: 'Service', name: 'reviews-v1', port: 9080 }]],
      [undefined, [{ group: '', kind: 'Service', name: 'reviews-v3', port: 9080, weight: 1 }]],
    ]);
    expect([plan.previousWeight, plan.weight]).toEqual([20, 0]);
  });

  it('promote then rollback: a user-named rule all on the canary is still found (annotation)', () => {
    const named = gatewayRoute([{ ...reviewsRule, name: 'reviews-default' }]);
    let state = withGatewayRoute(named);
    const promoted = planGatewayApiStage(gatewayOptions({ stage: 'promote' }), state);
    const route = routeNamed(promoted.httpRoutes, 'bookinfo');
    expect(route?.metadata.annotations?.[SPLIT_RULES_ANNOTATION]).toBe('reviews-default');
    expect(route?.spec.rules?.[0]?.backendRefs).toEqual([{ name: 'reviews-v2', port: 9080 }]);
    state = applyGatewayPlan(state, promoted, true);
    const rolledBack = planGatewayApiStage(gatewayOptions({ stage: 'rollback' }), state);
    expect(routeNamed(rolledBack.httpRoutes, 'bookinfo')?.spec.rules?.[0]).toMatchObject({
      name: 'reviews-default',
      backendRefs: [{ name: 'reviews-v1', port: 9080 }],
    });
  });

  it('leaves a rule that sends to the stable and to another backend alone, and says so', () => {
    const mixed: HTTPRouteRule = {
      backendRefs: [
        { name: 'reviews-v1', port: 9080, weight: 90 },
        { name: 'reviews-v3', port: 9080, weight: 10 },
      ],
    };
    const plan = planGatewayApiStage(options, withGatewayRoute(gatewayRoute([mixed])));
    expect(routeNamed(plan.httpRoutes, 'bookinfo')?.spec.rules).toEqual([mixed]);
    expect(plan.findings).toEqual([
      {
        code: 'RuleLeftAlone',
        severity: 'warning',
        resource: 'HTTPRoute default/bookinfo',
        message:
          "rule #0 sends to reviews-v1 or reviews besides other backends: left as it is, so its share of the canary stays what it was; send it to the service's versions only to let stages move it",
      },
    ]);
  });

  it('names the header route it cannot build for a rule that matches another method only', () => {
    const post: HTTPRouteRule = {
      matches: [{ method: 'POST' }],
      backendRefs: [{ name: 'reviews', port: 9080 }],
    };
    const plan = planGatewayApiStage(options, withGatewayRoute(gatewayRoute([post])));
    expect(routeNamed(plan.httpRoutes, 'bookinfo')?.spec.rules?.map((rule) => rule.name)).toEqual([
      'reviews-primary',
    ]);
    expect(plan.findings).toContainEqual({
      code: 'UnreachableMatch',
      severity: 'warning',
      resource: 'HTTPRoute default/bookinfo',
      message:
        'rule reviews-primary: the header route has no rule for match #0: it matches method POST only, the header route GET only',
    });
  });

  it.each([
    [
      header('x-group', 'beta.1', 'prefix'),
      { name: 'x-group', type: 'RegularExpression', value: '^beta\\.1.*' },
    ],
    [header('x-id', '[0-9]+', 'regex'), { name: 'x-id', type: 'RegularExpression', value: '[0-9]+' }],
    [header('end-user', 'jason'), { name: 'end-user', type: 'Exact', value: 'jason' }],
  ])('writes header-match %j as %j', (match, written) => {
    const plan = planGatewayApiStage(gatewayOptions({ stage: 'route', headerMatch: [match] }), gatewaySeed());
    expect(plan.httpRoutes[0]?.spec.rules?.[0]?.matches).toEqual([{ headers: [written] }]);
  });

  it('AND-s the header match with a header the rule already matches, when one value meets both', () => {
    const rule: HTTPRouteRule = {
      matches: [{ headers: [{ name: 'x-group', value: 'beta-7' }] }],
      backendRefs: [{ name: 'reviews-v1', port: 9080 }],
    };
    const plan = planGatewayApiStage(
      gatewayOptions({ stage: 'route', headerMatch: [header('x-group', 'beta', 'prefix')] }),
      withGatewayRoute(gatewayRoute([rule])),
    );
    expect(routeNamed(plan.httpRoutes, 'bookinfo')?.spec.rules?.[0]?.matches).toEqual(rule.matches);
  });
});

describe('mirror-percent', () => {
  it('adds a RequestMirror filter to the canary on the split rule (not on the twin), a fraction when not whole', () => {
    const plan = planGatewayApiStage(
      gatewayOptions({
        stage: 'shift',
        weight: 10,
        mirrorPercent: 12.5,
        headerMatch: [header('end-user', 'jason')],
      }),
      gatewaySeed(),
    );
    const [twin, split] = plan.httpRoutes[0]?.spec.rules ?? [];
    expect(split?.filters).toEqual([
      {
        type: 'RequestMirror',
        requestMirror: {
          backendRef: { name: 'reviews-v2', port: 9080 },
          fraction: { numerator: 125, denominator: 1000 },
        },
      },
    ]);
    expect(twin?.filters).toBeUndefined();
    const state = applyGatewayPlan(gatewaySeed(), plan, true);
    const whole = planGatewayApiStage(
      gatewayOptions({ stage: 'shift', weight: 10, mirrorPercent: 5 }),
      state,
    );
    expect(whole.httpRoutes[0]?.spec.rules?.[1]?.filters).toEqual([
      // Shaped like the stable's backendRef as the server gave it back (group and kind filled in).
      {
        type: 'RequestMirror',
        requestMirror: {
          backendRef: { group: '', kind: 'Service', name: 'reviews-v2', port: 9080 },
          percent: 5,
        },
      },
    ]);
    const promoted = planGatewayApiStage(
      gatewayOptions({ stage: 'promote' }),
      applyGatewayPlan(state, whole, true),
    );
    expect(promoted.httpRoutes[0]?.spec.rules?.map((rule) => rule.filters)).toEqual([undefined]);
  });
});

describe('bad input at plan time', () => {
  it('refuses sticky-cookie (routing-api auto chose Gateway API)', () => {
    expect(() =>
      planGatewayApiStage(
        gatewayOptions({ stage: 'shift', weight: 10, stickyCookie: 'canary' }),
        gatewaySeed(),
      ),
    ).toThrow(
      new InputError(
        'sticky-cookie',
        'sticky-cookie cannot be used with routing-api gateway-api: the standard channel of Gateway API has no session persistence; remove sticky-cookie or use routing-api istio',
      ),
    );
  });

  it('says when no rule sends the service to its stable', () => {
    const state = gatewaySeed();
    const onV3 = state.httpRoutes.map((route) => ({
      ...route,
      spec: { ...route.spec, rules: [{ backendRefs: [{ name: 'reviews-v3', port: 9080 }] }] },
    }));
    expect(() =>
      planGatewayApiStage(gatewayOptions({ stage: 'promote' }), { ...state, httpRoutes: onV3 }),
    ).toThrow(
      'no HTTPRoute rule sends the traffic of reviews to reviews-v1 (or to reviews itself) only, so promote has nothing to move: HTTPRoute default/reviews route it elsewhere; send a rule to reviews-v1 first',
    );
  });
});

describe('progressive', () => {
  it('plans the first step from steps, any other step from the weight given', () => {
    const options = gatewayOptions({ stage: 'progressive', steps: [10, 50, 100] });
    const first = planGatewayApiStage(options, gatewaySeed());
    expect([first.options.stage, first.previousWeight, first.weight]).toEqual(['progressive', 0, 10]);
    const next = planGatewayApiStage(options, applyGatewayPlan(gatewaySeed(), first, true), 50);
    expect([next.previousWeight, next.weight]).toEqual([10, 50]);
    expect(() => planGatewayApiStage(options, gatewaySeed(), 150)).toThrow(
      'weight must be an integer 0–100, got "150"',
    );
  });
});
