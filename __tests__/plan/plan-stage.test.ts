import { CanaryError, InputError } from '../../src/errors.js';
import { planProgressiveStep, planStage, readRoutingYaml, routingEssence } from '../../src/plan/index.js';
import type { ClusterState, DestinationRule, Plan, VirtualService } from '../../src/plan/index.js';
import { applyPlan, scenarioVirtualService, fixtureDir, seedState, stageOptions } from './support.js';

const testUser = [{ name: 'end-user', kind: 'exact' as const, value: 'test-user' }];

/** A hand-written VirtualService with more than the tutorial's: extra routes, policies, a gateway. */
const richYaml = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
  namespace: default
  resourceVersion: "42"
  labels: { team: books }
  annotations: { owner: helm }
spec:
  hosts: [reviews, reviews.example.com]
  gateways: [mesh, bookinfo-gateway]
  exportTo: ["."]
  http:
  - name: admin
    match: [{ uri: { prefix: /admin } }]
    route: [{ destination: { host: reviews-admin } }]
  - name: legacy
    match: [{ uri: { prefix: /legacy } }]
    route: [{ destination: { host: reviews, subset: v3 } }]
  - name: main
    timeout: 3s
    retries: { attempts: 3, perTryTimeout: 1s }
    headers: { request: { set: { x-via: mesh } } }
    corsPolicy: { allowOrigins: [{ exact: https://example.com }] }
    fault: { delay: { percentage: { value: 0.1 }, fixedDelay: 2s } }
    route:
    - destination: { host: reviews, subset: v1, port: { number: 9080 } }
  tcp:
  - match: [{ port: 31400 }]
    route: [{ destination: { host: reviews, port: { number: 31400 } } }]
---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata:
  name: reviews
  namespace: default
spec:
  host: reviews.default.svc.cluster.local
  trafficPolicy: { connectionPool: { tcp: { maxConnections: 100 } } }
  subsets:
  - name: v1
    labels: { version: v1 }
    trafficPolicy: { loadBalancer: { simple: ROUND_ROBIN } }
  - name: v3
    labels: { version: v3 }
`;

function rich(): ClusterState {
  return readRoutingYaml(richYaml, 'rich.yaml');
}

function only<T>(items: T[] | undefined): T {
  expect(items).toHaveLength(1);
  return (items ?? [])[0] as T;
}

describe('planStage merging into what is there', () => {
  it('keeps every route, field and metadata it does not own, with its own routes where the default was', () => {
    const plan = planStage(stageOptions({ stage: 'shift', weight: 20, headerMatch: testUser }), rich());
    const vs = plan.virtualService;
    expect(vs.apiVersion).toBe('networking.istio.io/v1');
    expect(vs.metadata).toEqual({
      name: 'reviews',
      namespace: 'default',
      labels: { team: 'books' },
      annotations: {
        owner: 'helm',
        'istio-canary.io/stage': 'shift',
        'istio-canary.io/weights': 'v1=80,v2=20',
      },
    });
    expect(vs.spec.hosts).toEqual(['reviews', 'reviews.example.com']);
    expect(vs.spec.gateways).toEqual(['mesh', 'bookinfo-gateway']);
    expect(vs.spec.exportTo).toEqual(['.']);
    expect(vs.spec.tcp).toEqual(rich().virtualServices[0]?.spec.tcp);
    expect(vs.spec.http?.map((route) => route.name)).toEqual([
      'admin',
      'legacy',
      'reviews-canary-header',
      'reviews-primary',
    ]);
    const [admin, legacy, header, primary] = vs.spec.http ?? [];
    const original = rich().virtualServices[0]?.spec.http ?? [];
    expect(admin).toEqual(original[0]);
    expect(legacy).toEqual(original[1]);
    expect(primary).toEqual({
      ...original[2],
      name: 'reviews-primary',
      route: [
        { destination: { host: 'reviews', subset: 'v1', port: { number: 9080 } }, weight: 80 },
        { destination: { host: 'reviews', subset: 'v2', port: { number: 9080 } }, weight: 20 },
      ],
    });
    // The canary route shares the default route's policies, not its fault injection.
    expect(header).toEqual({
      name: 'reviews-canary-header',
      timeout: '3s',
      retries: { attempts: 3, perTryTimeout: '1s' },
      corsPolicy: { allowOrigins: [{ exact: 'https://example.com' }] },
      headers: { request: { set: { 'x-via': 'mesh' } } },
      match: [{ headers: { 'end-user': { exact: 'test-user' } } }],
      route: [{ destination: { host: 'reviews', subset: 'v2', port: { number: 9080 } } }],
    });
  });

  it('ensures the subsets, keeping others, the traffic policy and subset policies, and the apiVersion', () => {
    const plan = planStage(stageOptions({ stage: 'route', headerMatch: testUser }), rich());
    const dr = plan.destinationRule;
    expect(dr.apiVersion).toBe('networking.istio.io/v1beta1');
    expect(dr.spec).toEqual({
      host: 'reviews.default.svc.cluster.local',
      trafficPolicy: { connectionPool: { tcp: { maxConnections: 100 } } },
      subsets: [
        { name: 'v1', labels: { version: 'v1' }, trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN' } } },
        { name: 'v3', labels: { version: 'v3' } },
        { name: 'v2', labels: { version: 'v2' } },
      ],
    });
  });

  it('matches the host by short and fully qualified names', () => {
    for (const host of ['reviews', 'reviews.default.svc.cluster.local']) {
      const plan = planStage(stageOptions({ stage: 'promote', host }), rich());
      expect(plan.virtualService.spec.http).toHaveLength(3);
      expect(plan.destinationRule.spec.host).toBe('reviews.default.svc.cluster.local');
    }
  });

  it('takes a dotted short name as another host, as Istio does: it would take the objects of reviews', () => {
    expect(() => planStage(stageOptions({ stage: 'promote', host: 'reviews.default' }), rich())).toThrow(
      new InputError(
        'host',
        'VirtualService default/reviews is for reviews, reviews.example.com, not for host reviews.default, and a new VirtualService for reviews.default would take its name: set host to a host it names (Istio expands only names without a dot), or rename that object',
      ),
    );
  });

  it('does not adopt a default route to reviews.default: Istio expands only names without a dot', () => {
    const state = readRoutingYaml(
      `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews, namespace: default }
spec:
  hosts: [reviews]
  http:
  - route: [{ destination: { host: reviews.default, subset: v1 } }]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews, namespace: default }
spec:
  host: reviews
  subsets: [{ name: v1, labels: { version: v1 } }]
`,
      'dotted.yaml',
    );
    expect(() => planStage(stageOptions({ stage: 'shift', weight: 30 }), state)).toThrow(
      new CanaryError(
        'check-failed',
        'VirtualService default/reviews has no default route to take over: spec.http[0] matches every request but sends requests to reviews.default, not only to reviews (Istio expands only names without a dot: reviews.default is not reviews.default.svc.cluster.local), so a default route for reviews after it would never be reached; point that route at reviews, or give it a match so a default route can follow it',
      ),
    );
  });

  it('creates both objects when the namespace has none, with the given gateways and version label', () => {
    const plan = planStage(
      stageOptions({
        stage: 'shift',
        weight: 10,
        gateways: ['bookinfo-gateway'],
        versionLabel: 'app.kubernetes.io/version',
      }),
      { virtualServices: [], destinationRules: [] },
    );
    expect(plan.virtualService).toEqual({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: {
        name: 'reviews',
        namespace: 'default',
        annotations: { 'istio-canary.io/stage': 'shift', 'istio-canary.io/weights': 'v1=90,v2=10' },
      },
      spec: {
        hosts: ['reviews'],
        gateways: ['bookinfo-gateway'],
        http: [
          {
            name: 'reviews-primary',
            route: [
              { destination: { host: 'reviews', subset: 'v1' }, weight: 90 },
              { destination: { host: 'reviews', subset: 'v2' }, weight: 10 },
            ],
          },
        ],
      },
    });
    expect(plan.destinationRule).toEqual({
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'reviews', namespace: 'default' },
      spec: {
        host: 'reviews',
        subsets: [
          { name: 'v1', labels: { 'app.kubernetes.io/version': 'v1' } },
          { name: 'v2', labels: { 'app.kubernetes.io/version': 'v2' } },
        ],
      },
    });
    expect(plan.writes.map((write) => [write.kind, write.action])).toEqual([
      ['DestinationRule', 'create'],
      ['VirtualService', 'create'],
    ]);
  });

  it('creates objects with the apiVersion the cluster serves, when told', () => {
    const plan = planStage(stageOptions({ stage: 'promote' }), {
      virtualServices: [],
      destinationRules: [],
      newObjectApiVersion: 'networking.istio.io/v1beta1',
    });
    expect([plan.virtualService.apiVersion, plan.destinationRule.apiVersion]).toEqual([
      'networking.istio.io/v1beta1',
      'networking.istio.io/v1beta1',
    ]);
  });

  it('ignores objects of other namespaces', () => {
    const elsewhere = rich();
    elsewhere.virtualServices.forEach((vs) => (vs.metadata.namespace = 'prod'));
    const plan = planStage(stageOptions({ stage: 'promote' }), elsewhere);
    expect(plan.writes.map((write) => write.action)).toEqual(['update', 'create']);
  });
});

describe('stages', () => {
  it('route scopes the header route by uri prefix and method, AND-ing every header', () => {
    const plan = planStage(
      stageOptions({
        stage: 'route',
        headerMatch: [
          { name: 'end-user', kind: 'exact', value: 'jason' },
          { name: 'x-group', kind: 'prefix', value: 'beta' },
          { name: 'x-id', kind: 'regex', value: '^[0-9]+$' },
        ],
        uriPrefix: '/api',
        method: 'GET',
      }),
      seedState(),
    );
    expect(plan.virtualService.spec.http?.[0]?.match).toEqual([
      {
        headers: {
          'end-user': { exact: 'jason' },
          'x-group': { prefix: 'beta' },
          'x-id': { regex: '^[0-9]+$' },
        },
        uri: { prefix: '/api' },
        method: { exact: 'GET' },
      },
    ]);
    expect(plan.after.map((row) => row.match)).toEqual([
      'end-user=jason and x-group prefix beta and x-id ~ ^[0-9]+$ and uri prefix /api and method=GET',
      'default',
    ]);
  });

  it('shift keeps an existing header route when none is given, and moves weights', () => {
    const routed = planStage(stageOptions({ stage: 'route', headerMatch: testUser }), seedState());
    const shifted = planStage(stageOptions({ stage: 'shift', weight: 25 }), applyPlan(seedState(), routed));
    expect(shifted.virtualService.spec.http?.[0]).toEqual(routed.virtualService.spec.http?.[0]);
    expect(shifted.after).toEqual([
      {
        object: 'reviews',
        name: 'reviews-canary-header',
        match: 'end-user=test-user',
        destinations: [{ subset: 'v2', weight: 100 }],
      },
      {
        object: 'reviews',
        name: 'reviews-primary',
        match: 'default',
        destinations: [
          { subset: 'v1', weight: 75 },
          { subset: 'v2', weight: 25 },
        ],
      },
    ]);
    expect(shifted.before).toEqual(routed.after);
    expect([shifted.previousWeight, shifted.weight]).toEqual([0, 25]);
  });

  it('a kept header route follows a new canary version', () => {
    const routed = planStage(stageOptions({ stage: 'route', headerMatch: testUser }), seedState());
    const next = planStage(
      stageOptions({ stage: 'shift', weight: 10, canary: 'v3' }),
      applyPlan(seedState(), routed),
    );
    expect(next.virtualService.spec.http?.[0]).toEqual({
      name: 'reviews-canary-header',
      match: [{ headers: { 'end-user': { exact: 'test-user' } } }],
      route: [{ destination: { host: 'reviews', subset: 'v3' } }],
    });
  });

  it('finalize moves every route of our VirtualService that names stable, whatever its match', () => {
    const state = readRoutingYaml(richYaml.replace('subset: v3 } }]', 'subset: v1 } }]'), 'rich.yaml');
    const plan = planStage(stageOptions({ stage: 'finalize' }), state);
    expect(plan.virtualService.spec.http?.find((route) => route.name === 'legacy')).toEqual({
      name: 'legacy',
      match: [{ uri: { prefix: '/legacy' } }],
      route: [{ destination: { host: 'reviews', subset: 'v2' } }],
    });
  });

  it('shift 0 and 100 leave the weight-0 destination out', () => {
    const none = planStage(stageOptions({ stage: 'shift', weight: 0 }), seedState());
    const all = planStage(stageOptions({ stage: 'shift', weight: 100 }), seedState());
    expect(only(none.virtualService.spec.http).route).toEqual([
      { destination: { host: 'reviews', subset: 'v1' } },
    ]);
    expect(only(all.virtualService.spec.http).route).toEqual([
      { destination: { host: 'reviews', subset: 'v2' } },
    ]);
  });

  it('rollback sends everything to stable and removes the header route and canary mirror', () => {
    const shifted = planStage(
      stageOptions({ stage: 'shift', weight: 50, headerMatch: testUser, mirrorPercent: 10 }),
      seedState(),
    );
    const rolledBack = planStage(stageOptions({ stage: 'rollback' }), applyPlan(seedState(), shifted));
    expect(rolledBack.virtualService.spec.http).toEqual([
      { name: 'reviews-primary', route: [{ destination: { host: 'reviews', subset: 'v1' } }] },
    ]);
    expect(rolledBack.destinationRule).toEqual(shifted.destinationRule);
    expect(rolledBack.virtualService.metadata.annotations?.['istio-canary.io/weights']).toBe('v1=100');
  });

  it('shift then rollback restores the original routing', () => {
    const shifted = planStage(
      stageOptions({ stage: 'shift', weight: 30, headerMatch: testUser }),
      seedState(),
    );
    const rolledBack = planStage(stageOptions({ stage: 'rollback' }), applyPlan(seedState(), shifted));
    expect(routingEssence(rolledBack.virtualService)).toEqual(
      routingEssence(scenarioVirtualService(fixtureDir, '03-virtual-services-v1.yaml')),
    );
  });

  it('mirror-percent mirrors the default route to the canary', () => {
    const plan = planStage(stageOptions({ stage: 'shift', weight: 10, mirrorPercent: 5 }), seedState());
    const primary = only(plan.virtualService.spec.http);
    expect(primary.mirror).toEqual({ host: 'reviews', subset: 'v2' });
    expect(primary.mirrorPercentage).toEqual({ value: 5 });
    const promoted = planStage(stageOptions({ stage: 'promote' }), applyPlan(seedState(), plan));
    expect(only(promoted.virtualService.spec.http).mirror).toBeUndefined();
  });

  it('sticky-cookie issues the cookie from the canary destination only and leaves the subsets alone', () => {
    const plan = planStage(
      stageOptions({ stage: 'shift', weight: 10, stickyCookie: 'canary', stickyCookieTtlSeconds: 1800 }),
      rich(),
    );
    const primary = plan.virtualService.spec.http?.find((route) => route.name === 'reviews-primary');
    expect(primary?.route).toEqual([
      { destination: { host: 'reviews', subset: 'v1', port: { number: 9080 } }, weight: 90 },
      {
        destination: { host: 'reviews', subset: 'v2', port: { number: 9080 } },
        weight: 10,
        headers: { response: { add: { 'set-cookie': 'canary=v2; Path=/; Max-Age=1800' } } },
      },
    ]);
    // No consistent hash: the route, not the subset's balancer, decides who sees the canary.
    expect(plan.destinationRule.spec.subsets).toEqual([
      { name: 'v1', labels: { version: 'v1' }, trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN' } } },
      { name: 'v3', labels: { version: 'v3' } },
      { name: 'v2', labels: { version: 'v2' } },
    ]);
    expect(plan.destinationRule.spec.trafficPolicy).toEqual({
      connectionPool: { tcp: { maxConnections: 100 } },
    });
  });

  it('finalize sends everything to canary, then drops the stable subset (VirtualService first)', () => {
    const plan = planStage(stageOptions({ stage: 'finalize' }), seedState());
    expect(only(plan.virtualService.spec.http).route).toEqual([
      { destination: { host: 'reviews', subset: 'v2' } },
    ]);
    expect(plan.destinationRule.spec.subsets?.map((subset) => subset.name)).toEqual(['v2', 'v3']);
    expect(plan.writes.map((write) => [write.kind, write.action, write.reason])).toEqual([
      ['VirtualService', 'update', 'stops routing to v1 before its subset goes'],
      ['DestinationRule', 'update', 'drops subset v1 once no route names it'],
    ]);
  });

  it('finalize adding the canary subset writes the DestinationRule twice around the VirtualService', () => {
    const state = seedState();
    const reviewsRule = state.destinationRules.find(
      (rule) => rule.metadata.name === 'reviews',
    ) as DestinationRule;
    reviewsRule.spec.subsets = [{ name: 'v1', labels: { version: 'v1' } }];
    const plan = planStage(stageOptions({ stage: 'finalize' }), state);
    const subsetsOf = (write: Plan['writes'][number]) =>
      (write.after as DestinationRule).spec.subsets?.map((subset) => subset.name);
    expect(plan.writes.map((write) => write.kind)).toEqual([
      'DestinationRule',
      'VirtualService',
      'DestinationRule',
    ]);
    expect(plan.writes[0] && subsetsOf(plan.writes[0])).toEqual(['v1', 'v2']);
    expect(plan.writes[2] && subsetsOf(plan.writes[2])).toEqual(['v2']);
  });

  it('finalize refuses while a VirtualService left out by virtual-services routes to stable, naming it', () => {
    const state = seedState();
    state.virtualServices.push({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'reviews-internal', namespace: 'default' },
      spec: {
        hosts: ['reviews-internal.example.com'],
        http: [{ route: [{ destination: { host: 'reviews.default.svc.cluster.local', subset: 'v1' } }] }],
      },
    } satisfies VirtualService);
    expect(() => planStage(stageOptions({ stage: 'finalize', virtualServices: ['reviews'] }), state)).toThrow(
      new CanaryError(
        'check-failed',
        'finalize refuses to drop subset v1 of reviews: VirtualService default/reviews-internal (route: default) still routes to it; move that route to v2 first',
      ),
    );
  });

  it('progressive plans each step as a shift; planStage plans the first', () => {
    const options = stageOptions({ stage: 'progressive', steps: [10, 50, 100] });
    expect(planStage(options, seedState()).weight).toBe(10);
    const step = planProgressiveStep(options, seedState(), 50);
    expect(step.weight).toBe(50);
    expect(step.virtualService.metadata.annotations?.['istio-canary.io/stage']).toBe('progressive');
    expect(() => planProgressiveStep(options, seedState(), 150)).toThrow(
      new InputError('weight', 'weight must be an integer 0–100, got "150"'),
    );
  });

  it('refuses status and invalid options with the validation message', () => {
    expect(() => planStage(stageOptions({ stage: 'status' }), seedState())).toThrow(
      'stage must be one of route, shift, promote, rollback, finalize, progressive to plan a change (status only reads), got "status"',
    );
    expect(() => planStage(stageOptions({ stage: 'shift', weight: 150 }), seedState())).toThrow(
      'weight must be an integer 0–100, got "150"',
    );
  });
});

describe('writes, idempotency and diff', () => {
  it('adds subsets DestinationRule first, marks unchanged objects', () => {
    const plan = planStage(stageOptions({ stage: 'route', headerMatch: testUser }), rich());
    expect(plan.writes.map((write) => [write.kind, write.action, write.reason])).toEqual([
      ['DestinationRule', 'update', 'adds subset v2 before a route names it'],
      ['VirtualService', 'update', 'routes once the subsets exist'],
    ]);
    const seeded = planStage(stageOptions({ stage: 'route', headerMatch: testUser }), seedState());
    expect(seeded.writes.map((write) => write.action)).toEqual(['unchanged', 'update']);
  });

  it.each([
    stageOptions({ stage: 'route', headerMatch: testUser }),
    stageOptions({ stage: 'shift', weight: 25, headerMatch: testUser, stickyCookie: 'c' }),
    stageOptions({ stage: 'shift', weight: 40, mirrorPercent: 20 }),
    stageOptions({ stage: 'promote' }),
    stageOptions({ stage: 'rollback' }),
    stageOptions({ stage: 'finalize' }),
  ])('running $stage twice changes nothing the second time', (options) => {
    for (const start of [seedState(), rich()]) {
      const first = planStage(options, start);
      expect(first.changed).toBe(true);
      const second = planStage(options, applyPlan(start, first));
      expect(second.changed).toBe(false);
      expect(second.writes.every((write) => write.action === 'unchanged')).toBe(true);
      expect(second.diff).toBe('');
      expect(second.virtualService).toEqual(first.virtualService);
    }
  });

  it('treats an existing lone weight: 100 as already routed', () => {
    const state = seedState();
    const promoted = planStage(stageOptions({ stage: 'promote' }), state);
    const withWeight = applyPlan(state, promoted);
    const vs = withWeight.virtualServices.find((each) => each.metadata.name === 'reviews') as VirtualService;
    const primary = vs.spec.http?.[0];
    if (primary?.route?.[0]) primary.route[0].weight = 100;
    expect(planStage(stageOptions({ stage: 'promote' }), withWeight).changed).toBe(false);
  });

  it('gives a unified diff of the YAML before → after', () => {
    const plan = planStage(stageOptions({ stage: 'shift', weight: 50 }), seedState());
    expect(plan.diff).toBe(
      [
        '--- VirtualService default/reviews',
        '+++ VirtualService default/reviews',
        '@@ -2,11 +2,20 @@',
        ' kind: VirtualService',
        ' metadata:',
        '   name: reviews',
        '+  annotations:',
        '+    istio-canary.io/stage: shift',
        '+    istio-canary.io/weights: v1=50,v2=50',
        ' spec:',
        '   hosts:',
        '     - reviews',
        '   http:',
        '-    - route:',
        '+    - name: reviews-primary',
        '+      route:',
        '         - destination:',
        '             host: reviews',
        '             subset: v1',
        '+          weight: 50',
        '+        - destination:',
        '+            host: reviews',
        '+            subset: v2',
        '+          weight: 50',
        '',
      ].join('\n'),
    );
  });
});
