// Per-version Services (created before routes name them, deleted only when ours and unnamed) and the
// checks before any write.
import { CheckFailedError } from '../../../src/plan/index.js';
import { planGatewayApiStage } from '../../../src/plan/gateway-api/index.js';
import type {
  GatewayApiState,
  HTTPRoute,
  ReferenceGrant,
  Service,
} from '../../../src/plan/gateway-api/index.js';
import { applyGatewayPlan, gatewayOptions, gatewaySeed, header } from './support.js';

/** The seed without 01: only the main Service; the route still sends to reviews (a first run). */
function withoutVersionServices(): GatewayApiState {
  const state = gatewaySeed();
  const route = state.httpRoutes[0] as HTTPRoute;
  return {
    ...state,
    services: state.services.filter((service) => !service.metadata.name.startsWith('reviews-')),
    httpRoutes: [
      { ...route, spec: { ...route.spec, rules: [{ backendRefs: [{ name: 'reviews', port: 9080 }] }] } },
    ],
  };
}

const versionService = (version: string): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: {
    name: `reviews-${version}`,
    namespace: 'default',
    labels: { 'app.kubernetes.io/managed-by': 'istio-canary' },
  },
  spec: { ports: [{ port: 9080, name: 'http' }], selector: { app: 'reviews', version } },
});

describe('version Services', () => {
  it('creates the missing ones from the main Service before the route names them', () => {
    const plan = planGatewayApiStage(
      gatewayOptions({ stage: 'route', headerMatch: [header('end-user', 'jason')] }),
      withoutVersionServices(),
    );
    expect(plan.writes.map((write) => [write.batch, write.action, write.kind, write.reason])).toEqual([
      [0, 'create', 'Service', 'makes reviews-v1 addressable before a route names it'],
      [0, 'create', 'Service', 'makes reviews-v2 addressable before a route names it'],
      [1, 'update', 'HTTPRoute', 'routes once the version Services exist'],
    ]);
    expect(plan.writes.slice(0, 2).map((write) => write.after)).toEqual([
      versionService('v1'),
      versionService('v2'),
    ]);
  });

  it('finalize deletes the stable one after the route stops naming it, when this tool created it', () => {
    let state = withoutVersionServices();
    for (const stage of ['route', 'promote'] as const) {
      state = applyGatewayPlan(
        state,
        planGatewayApiStage(gatewayOptions({ stage, headerMatch: [header('end-user', 'jason')] }), state),
        true,
      );
    }
    const plan = planGatewayApiStage(gatewayOptions({ stage: 'finalize' }), state);
    expect(
      plan.writes.map(
        (write) => `${write.action} ${write.kind} ${(write.after ?? write.before)?.metadata.name}`,
      ),
    ).toEqual(['update HTTPRoute reviews', 'delete Service reviews-v1']);
    expect(plan.diff).toContain('--- Service default/reviews-v1\n+++ /dev/null\n');
    expect(plan.writes.map((write) => write.batch)).toEqual([1, 2]);
    expect(
      plan.objects.map((object) => [object.role, object.before?.metadata.name, object.after?.metadata.name]),
    ).toEqual([
      ['mesh', 'reviews', 'reviews'],
      ['version-service', 'reviews-v1', undefined],
    ]);
    const again = planGatewayApiStage(
      gatewayOptions({ stage: 'finalize' }),
      applyGatewayPlan(state, plan, true),
    );
    expect(again.changed).toBe(false);
  });

  it('finalize keeps a stable Service it did not create, or one a route still names, and says why', () => {
    const state = applyGatewayPlan(
      gatewaySeed(),
      planGatewayApiStage(gatewayOptions({ stage: 'promote' }), gatewaySeed()),
      true,
    );
    const plan = planGatewayApiStage(gatewayOptions({ stage: 'finalize' }), state);
    expect(plan.writes.filter((write) => write.kind === 'Service')).toEqual([]);
    expect(plan.findings).toEqual([
      {
        code: 'ServiceKept',
        severity: 'warning',
        resource: 'Service default/reviews-v1',
        message:
          'kept: istio-canary did not create it (no label app.kubernetes.io/managed-by: istio-canary); delete it yourself when nothing needs it',
      },
    ]);

    const ours = {
      ...state,
      services: state.services.map((service) =>
        service.metadata.name === 'reviews-v1' ? { ...versionService('v1') } : service,
      ),
    };
    const legacy: HTTPRoute = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'legacy', namespace: 'default' },
      spec: {
        rules: [
          {
            backendRefs: [
              { name: 'reviews-v1', port: 9080, weight: 1 },
              { name: 'reviews-v3', port: 9080 },
            ],
          },
        ],
      },
    };
    const inUse = planGatewayApiStage(gatewayOptions({ stage: 'finalize' }), {
      ...ours,
      httpRoutes: [...ours.httpRoutes, legacy],
    });
    expect(inUse.writes.filter((write) => write.kind === 'Service')).toEqual([]);
    expect(
      inUse.findings.filter((found) => found.code === 'ServiceKept').map((found) => found.message),
    ).toEqual(['kept: HTTPRoute default/legacy still sends to it']);
  });

  it('creates an HTTPRoute attached to the Service when none routes it (routing-api gateway-api)', () => {
    const state = { ...withoutVersionServices(), httpRoutes: [] };
    const plan = planGatewayApiStage(gatewayOptions({ stage: 'shift', weight: 10 }), state);
    expect(plan.writes.map((write) => `${write.action} ${write.kind}`)).toEqual([
      'create Service',
      'create Service',
      'create HTTPRoute',
    ]);
    expect(plan.httpRoutes[0]?.spec).toEqual({
      parentRefs: [{ group: '', kind: 'Service', name: 'reviews' }],
      rules: [
        {
          name: 'reviews-primary',
          backendRefs: [
            { name: 'reviews-v1', port: 9080, weight: 90 },
            { name: 'reviews-v2', port: 9080, weight: 10 },
          ],
        },
      ],
    });
  });

  it('says the main Service is missing when a version Service has to be made from it', () => {
    const state = { ...withoutVersionServices(), services: [] };
    expect(() => planGatewayApiStage(gatewayOptions({ stage: 'promote' }), state)).toThrow(
      'Service default/reviews not found, and Service reviews-v1 is made from it: check service and namespace',
    );
  });
});

/** A Gateway route in namespace `ingress` sending to default/reviews, and grants into `default`. */
function crossNamespace(grants: ReferenceGrant[]): GatewayApiState {
  const state = gatewaySeed();
  const route: HTTPRoute = {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'edge', namespace: 'ingress' },
    spec: {
      parentRefs: [{ name: 'public' }],
      rules: [{ backendRefs: [{ name: 'reviews-v1', namespace: 'default', port: 9080 }] }],
    },
  };
  return { ...state, httpRoutes: [...state.httpRoutes, route], referenceGrants: grants };
}

function grant(to: { name?: string }): ReferenceGrant {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1beta1',
    kind: 'ReferenceGrant',
    metadata: { name: 'from-ingress', namespace: 'default' },
    spec: {
      from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'ingress' }],
      to: [{ group: '', kind: 'Service', ...to }],
    },
  };
}

function checkFailure(run: () => unknown): CheckFailedError {
  try {
    run();
  } catch (error) {
    if (error instanceof CheckFailedError) return error;
    throw error;
  }
  throw new Error('expected the checks to fail');
}

describe('checks before any write', () => {
  const shift = gatewayOptions({ stage: 'shift', weight: 30 });

  it('refuses a cross-namespace backendRef no ReferenceGrant allows', () => {
    const failure = checkFailure(() =>
      planGatewayApiStage(shift, crossNamespace([grant({ name: 'reviews-v1' })])),
    );
    expect(failure.message).toBe(
      'routing check failed, nothing written: Error [RefNotPermitted] (HTTPRoute ingress/edge) rule reviews-primary sends to Service default/reviews-v2 in another namespace, and no ReferenceGrant in default lets HTTPRoutes of ingress reach it: add one (from HTTPRoute in ingress, to Service reviews-v2); fix the objects named and run again',
    );
    const allowed = planGatewayApiStage(shift, crossNamespace([grant({})]));
    expect(
      allowed.httpRoutes.find((route) => route.metadata.name === 'edge')?.spec.rules?.[0]?.backendRefs,
    ).toEqual([
      { name: 'reviews-v1', namespace: 'default', port: 9080, weight: 70 },
      { name: 'reviews-v2', namespace: 'default', port: 9080, weight: 30 },
    ]);
  });

  it('refuses a backend port the version Service does not have', () => {
    const state = gatewaySeed();
    const route = state.httpRoutes[0] as HTTPRoute;
    const wrongPort = {
      ...route,
      spec: { ...route.spec, rules: [{ backendRefs: [{ name: 'reviews-v1', port: 8080 }] }] },
    };
    const failure = checkFailure(() => planGatewayApiStage(shift, { ...state, httpRoutes: [wrongPort] }));
    expect(failure.findings.map((found) => `${found.severity} ${found.code} ${found.message}`)).toEqual([
      'error BackendNotFound rule reviews-primary sends to port 8080 of Service default/reviews-v1, which has ports 9080',
      'error BackendNotFound rule reviews-primary sends to port 8080 of Service default/reviews-v2, which has ports 9080',
    ]);
  });

  it('reports, without refusing, problems of rules it does not own: weights, missing backends, shadowed matches', () => {
    const state = gatewaySeed();
    const route = state.httpRoutes[0] as HTTPRoute;
    const rules = [
      {
        matches: [{ headers: [{ name: 'end-user', value: 'jason' }] }],
        backendRefs: [{ name: 'reviews-v3', port: 9080, weight: 0 }],
      },
      {
        matches: [{ path: { type: 'PathPrefix' as const, value: '/gone' } }],
        backendRefs: [{ name: 'reviews-v9', port: 9080 }],
      },
      ...(route.spec.rules ?? []),
    ];
    const plan = planGatewayApiStage(
      gatewayOptions({ stage: 'route', headerMatch: [header('end-user', 'jason')] }),
      { ...state, httpRoutes: [{ ...route, spec: { ...route.spec, rules } }] },
    );
    expect(plan.findings.map((found) => `${found.severity} ${found.code} ${found.message}`)).toEqual([
      'warning InvalidWeight rule #0 has weight 0 on every backendRef, so it answers every request with 500',
      'warning BackendNotFound rule #1 sends to Service default/reviews-v9, which does not exist',
      'warning UnreachableMatch rule reviews-canary-header match #0 is never used: rule #0 match #0 matches the same requests and comes first',
    ]);
  });
});

describe('what a plan writes', () => {
  it('refuses a route that the twins would take past 16 rules, as the API server would', () => {
    const state = gatewaySeed();
    const route = state.httpRoutes[0] as HTTPRoute;
    const rules = Array.from({ length: 9 }, (_, index) => ({
      matches: [{ path: { type: 'PathPrefix' as const, value: `/p${index}` } }],
      backendRefs: [{ name: 'reviews-v1', port: 9080 }],
    }));
    const failure = checkFailure(() =>
      planGatewayApiStage(gatewayOptions({ stage: 'route', headerMatch: [header('end-user', 'jason')] }), {
        ...state,
        httpRoutes: [{ ...route, spec: { ...route.spec, rules } }],
      }),
    );
    expect(failure.findings.filter((found) => found.code === 'RouteTooLarge')).toEqual([
      {
        code: 'RouteTooLarge',
        severity: 'error',
        resource: 'HTTPRoute default/reviews',
        message: 'has 18 rules, more than the 16 an HTTPRoute may hold: split it into several routes',
      },
    ]);
  });

  it('plans from the route as kept in Git: status and server-owned metadata stay on the read side only', () => {
    const state = gatewaySeed();
    const route = state.httpRoutes[0] as HTTPRoute;
    const read: HTTPRoute = {
      ...route,
      metadata: { ...route.metadata, resourceVersion: '42', generation: 3, uid: 'u-1' },
      status: { parents: [] },
    };
    const plan = planGatewayApiStage(gatewayOptions({ stage: 'shift', weight: 10 }), {
      ...state,
      httpRoutes: [read],
    });
    const [write] = plan.writes;
    expect(write?.before).toBe(read);
    expect(write?.after?.metadata).toEqual({
      name: 'reviews',
      annotations: { 'istio-canary.io/stage': 'shift', 'istio-canary.io/weights': 'v1=90,v2=10' },
    });
    expect(write?.after).not.toHaveProperty('status');
  });
});
