// The example RBAC manifest (examples/rbac/istio-canary.yaml) is exactly what the product needs: every
// scenario below runs twice, as an admin and as a user holding only the Role's rules, with the same outcome;
// the requests refused are each stage's lists of routes across namespaces, which a run expects; together
// they use every right the Role grants, and nothing else. The optional ClusterRole
// (examples/rbac/istio-canary-other-namespaces.yaml) lifts those refusals, and nothing else.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { runStage } from '../../src/run-stage.js';
import type { HTTPRoute } from '../../src/plan/gateway-api/index.js';
import type { DestinationRule, VirtualService } from '../../src/plan/types.js';
import type { RunOptions, StageResult } from '../../src/types.js';
import {
  loadBookinfo,
  loadBookinfoGatewayApi,
  loadStorefront,
  reviewsOptions,
} from '../../test/support/bookinfo.js';
import {
  startApiServer,
  type ApiServer,
  type RequestLogEntry,
} from '../../test/support/kube-apiserver/index.js';
import {
  accessOf,
  ADMIN,
  grantedAccess,
  RBAC_EXAMPLES,
  readManifest,
  roleAsRbacRules,
  type ManifestObject,
} from '../../test/support/rbac.js';
import { routingSnapshot } from '../../test/support/routing-snapshot.js';

const MANIFEST = join(RBAC_EXAMPLES, 'istio-canary.yaml');
const manifest = readManifest(MANIFEST);
const role = manifest.find((object) => object.kind === 'Role') as ManifestObject;
const OTHER_NAMESPACES = join(RBAC_EXAMPLES, 'istio-canary-other-namespaces.yaml');
const otherNamespaces = readManifest(OTHER_NAMESPACES);
const clusterRole = otherNamespaces.find((object) => object.kind === 'ClusterRole') as ManifestObject;
/**
 * What a namespaced Role cannot do and a run tolerates: each stage's lists of routes across namespaces,
 * VirtualServices unless it runs on Gateway API alone, HTTPRoutes unless on Istio alone.
 */
const ACROSS_NAMESPACES = {
  istio: 'GET /apis/networking.istio.io/v1/virtualservices',
  gatewayApi: 'GET /apis/gateway.networking.k8s.io/v1/httproutes',
};
function listsAcrossNamespaces(stages: RunOptions[]): string[] {
  return stages
    .flatMap((options) => [
      ...(options.routingApi !== 'gateway-api' ? [ACROSS_NAMESPACES.istio] : []),
      ...(options.routingApi !== 'istio' ? [ACROSS_NAMESPACES.gatewayApi] : []),
    ])
    .sort();
}
const GW = 'gateway.networking.k8s.io/v1';
const V1 = 'networking.istio.io/v1';
const testUser = [{ name: 'end-user', kind: 'exact' as const, value: 'test-user' }];
/** Kubernetes lets every authenticated user read these (ClusterRole system:discovery): no Role rule needed. */
const DISCOVERY = /^\/(api|apis|version|openapi)(\/|$)/;
type User = 'admin' | 'ci';

interface Scenario {
  name: string;
  /** The Bookinfo the scenario starts from: on VirtualServices (default) or on HTTPRoutes. */
  load?: (server: ApiServer) => void;
  /** Puts the cluster in the state the scenario starts from; may return what to stop afterwards. */
  arrange(server: ApiServer): (() => void) | void | Promise<(() => void) | void>;
  /** Built when the scenario runs (the probe URL exists only then). */
  stages(): RunOptions[];
  /** What each user must see: the same for both, so a missing right cannot pass as "fails either way". */
  expectOutcome(results: StageResult[], server: ApiServer): void;
  /** The rights this scenario is here to exercise ("group resource verb"). */
  exercises: string[];
}

let probe: { url: string; close: () => Promise<void> };

/** A canary that answers 503 to every request: the probe fails, the stage restores what it wrote. */
async function failingCanary(): Promise<typeof probe> {
  const http: Server = createServer((_req, res) => res.writeHead(503).end());
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/reviews`,
    close: () => new Promise<void>((resolve) => http.close(() => resolve())),
  };
}

beforeAll(async () => {
  probe = await failingCanary();
});
afterAll(() => probe.close());

const reviewsVs = (server: ApiServer) =>
  server.store.get(V1, 'VirtualService', 'default', 'reviews') as VirtualService | undefined;
const reviewsDr = (server: ApiServer) =>
  server.store.get(V1, 'DestinationRule', 'default', 'reviews') as DestinationRule | undefined;

function withoutCanarySubset(server: ApiServer): void {
  const dr = structuredClone(reviewsDr(server)!);
  dr.spec.subsets = dr.spec.subsets?.filter((subset) => subset.name !== 'v2');
  server.store.put(dr);
}

async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setTimeout(resolve, 5));
}

const failingRoute = (): RunOptions =>
  reviewsOptions({
    stage: 'route',
    headerMatch: testUser,
    timeoutSeconds: 2,
    probe: { url: probe.url, headers: {}, successes: 1 },
  });

/**
 * A route stage whose probe fails, after creating `created` (missing at the start) and updating `updated`:
 * the restore deletes the one and re-reads and puts back the other.
 */
function failingStageThatCreated(
  created: 'VirtualService' | 'DestinationRule',
  updated: 'VirtualService' | 'DestinationRule',
  expectPutBack: (server: ApiServer) => void,
): Scenario {
  const plural = (kind: string) => `networking.istio.io ${kind.toLowerCase()}s`;
  return {
    name: `a failing stage that had to create the ${created}: deleted again, the ${updated} put back`,
    arrange: (server) => {
      server.store.delete(V1, created, 'default', 'reviews');
      // The DestinationRule lacks the canary subset, so that the stage must write it too.
      if (updated === 'DestinationRule') withoutCanarySubset(server);
    },
    stages: () => [failingRoute()],
    expectOutcome: (results, server) => {
      expect(results.map((result) => [result.error?.code, result.rolledBack])).toEqual([['unhealthy', true]]);
      expect(server.store.get(V1, created, 'default', 'reviews')).toBeUndefined();
      expectPutBack(server);
    },
    exercises: [
      `${plural(created)} create`,
      `${plural(created)} delete`,
      `${plural(updated)} get`,
      `${plural(updated)} update`,
    ],
  };
}

/** Bookinfo on HTTPRoute without the canary's version Service: the stage creates reviews-v2. */
function gatewayApiWithoutCanaryService(server: ApiServer): void {
  loadBookinfoGatewayApi(server);
  server.store.delete('v1', 'Service', 'default', 'reviews-v2');
}

const scenarios: Scenario[] = [
  {
    name: 'the whole Bookinfo release, the canary still rolling out, finalize deleting v1',
    arrange: (server) => {
      // The new image rolls out only once the run watches the canary's pods: the rollout wait cannot finish
      // before it has opened both watches, however slow the machine.
      server.workloads.autoRollout(600_000);
      const canary = structuredClone(server.store.get('apps/v1', 'Deployment', 'default', 'reviews-v2')) as {
        spec: { template: { spec: { containers: { image: string }[] } } };
      };
      canary.spec.template.spec.containers[0]!.image = 'docker.io/istio/examples-bookinfo-reviews-v2:1.21.0';
      server.store.put(canary);
      const podsWatched = setInterval(() => {
        if (!server.requests.some((r) => r.verb === 'watch' && r.path.endsWith('/pods'))) return;
        clearInterval(podsWatched);
        server.workloads.autoRollout(300);
        server.workloads.heal('default', 'reviews-v2');
      }, 10);
      return () => clearInterval(podsWatched);
    },
    stages: () => [
      reviewsOptions({ stage: 'route', headerMatch: testUser }),
      reviewsOptions({ stage: 'shift', weight: 10 }),
      reviewsOptions({ stage: 'shift', weight: 50 }),
      reviewsOptions({ stage: 'promote' }),
      reviewsOptions({ stage: 'finalize', deleteStable: true }),
    ],
    expectOutcome: (results, server) => {
      expect(results.map((result) => [result.error?.message, result.weight])).toEqual([
        [undefined, 0],
        [undefined, 10],
        [undefined, 50],
        [undefined, 100],
        [undefined, 100],
      ]);
      expect(results[0]!.checks.find((check) => check.name.startsWith('rollout'))?.ok).toBe(true);
      expect(server.store.get('apps/v1', 'Deployment', 'default', 'reviews-v1')).toBeUndefined();
      expect(reviewsDr(server)?.spec.subsets?.map((subset) => subset.name)).toEqual(['v2', 'v3']);
    },
    exercises: [
      'networking.istio.io virtualservices list',
      'networking.istio.io virtualservices update',
      'networking.istio.io destinationrules list',
      'networking.istio.io destinationrules update',
      'apps deployments list',
      'apps deployments watch',
      'apps deployments delete',
      'core pods list',
      'core pods watch',
      'coordination.k8s.io leases create',
      'coordination.k8s.io leases delete',
    ],
  },
  failingStageThatCreated('VirtualService', 'DestinationRule', (server) => {
    expect(reviewsDr(server)?.spec.subsets?.map((subset) => subset.name)).toEqual(['v1', 'v3']);
  }),
  failingStageThatCreated('DestinationRule', 'VirtualService', (server) => {
    expect(reviewsVs(server)?.spec.http).toEqual([
      { route: [{ destination: { host: 'reviews', subset: 'v1' } }] },
    ]);
  }),
  {
    name: 'istiod writes status (PILOT_ENABLE_STATUS): each write waits for Reconciled of its generation',
    arrange: async (server) => {
      // The DestinationRule lacks the canary subset, so that the stage writes both kinds.
      withoutCanarySubset(server);
      server.istiod.writeReconciled(true);
      // istiod answers a little after each write, so that the run has to watch for it.
      server.istiod.delay(300);
      // The run must read objects that already carry istiod's status, as on a cluster where it runs.
      await until(() =>
        [reviewsVs(server), reviewsDr(server)].every(
          (o) => (o as { status?: { observedGeneration?: string } } | undefined)?.status?.observedGeneration,
        ),
      );
    },
    stages: () => [reviewsOptions({ stage: 'route', headerMatch: testUser })],
    expectOutcome: (results, server) => {
      expect(results.map((result) => result.error?.message)).toEqual([undefined]);
      const propagation = results[0]!.checks.filter((check) => check.name.startsWith('istio propagation'));
      expect(propagation.map((check) => check.detail)).toEqual([
        `reconciled: DestinationRule reviews in default (generation ${reviewsDr(server)!.metadata.generation})`,
        `reconciled: VirtualService reviews in default (generation ${reviewsVs(server)!.metadata.generation})`,
      ]);
    },
    exercises: [
      'networking.istio.io virtualservices watch',
      'networking.istio.io destinationrules watch',
      'networking.istio.io virtualservices update',
      'networking.istio.io destinationrules update',
    ],
  },
  {
    name: 'an expired lease left by a crashed run is taken over',
    arrange: (server) => {
      server.store.put({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: 'istio-canary-reviews', namespace: 'default' },
        spec: {
          holderIdentity: 'github-actions https://github.com/o/r/actions/runs/6 (pid 1@gone)',
          leaseDurationSeconds: 60,
          renewTime: new Date(Date.now() - 3600_000).toISOString(),
        },
      });
    },
    stages: () => [reviewsOptions({ stage: 'shift', weight: 10 })],
    expectOutcome: (results, server) => {
      expect(results.map((result) => [result.error?.message, result.weight])).toEqual([[undefined, 10]]);
      expect(server.store.list('coordination.k8s.io/v1', 'Lease', 'default')).toEqual([]);
    },
    exercises: [
      'coordination.k8s.io leases create',
      'coordination.k8s.io leases get',
      'coordination.k8s.io leases update',
      'coordination.k8s.io leases delete',
    ],
  },
  {
    name: 'the Bookinfo release on HTTPRoute: route, shift 50, promote, finalize',
    load: loadBookinfoGatewayApi,
    arrange: () => {},
    stages: () => [
      reviewsOptions({ stage: 'route', headerMatch: testUser }),
      reviewsOptions({ stage: 'shift', weight: 50 }),
      reviewsOptions({ stage: 'promote' }),
      reviewsOptions({ stage: 'finalize' }),
    ],
    expectOutcome: (results, server) => {
      expect(results.map((r) => [r.routingApi, r.error?.message, r.weight])).toEqual([
        ['gateway-api', undefined, 0],
        ['gateway-api', undefined, 50],
        ['gateway-api', undefined, 100],
        ['gateway-api', undefined, 100],
      ]);
      const route = server.store.get(GW, 'HTTPRoute', 'default', 'reviews') as HTTPRoute;
      expect(route.spec.rules?.map((rule) => rule.backendRefs?.map((ref) => ref.name))).toEqual([
        ['reviews-v2'],
      ]);
    },
    exercises: [
      'gateway.networking.k8s.io httproutes list',
      'gateway.networking.k8s.io httproutes update',
      'gateway.networking.k8s.io referencegrants list',
      'core services list',
    ],
  },
  {
    name: 'a failing stage on HTTPRoute that created the canary version Service: deleted again, the route put back',
    load: gatewayApiWithoutCanaryService,
    arrange: () => {},
    stages: () => [failingRoute()],
    expectOutcome: (results, server) => {
      expect(results.map((result) => [result.error?.code, result.rolledBack])).toEqual([['unhealthy', true]]);
      expect(server.store.get('v1', 'Service', 'default', 'reviews-v2')).toBeUndefined();
      const route = server.store.get(GW, 'HTTPRoute', 'default', 'reviews') as HTTPRoute;
      expect(route.spec.rules?.map((rule) => rule.backendRefs?.map((ref) => ref.name))).toEqual([
        ['reviews-v1'],
      ]);
    },
    exercises: [
      'core services create',
      'core services delete',
      'gateway.networking.k8s.io httproutes get',
      'gateway.networking.k8s.io httproutes update',
    ],
  },
  {
    name: 'routing-api gateway-api on a Service without an HTTPRoute, failing: the route it created is deleted again',
    load: (server) => {
      loadBookinfoGatewayApi(server);
      server.store.delete(GW, 'HTTPRoute', 'default', 'reviews');
    },
    arrange: () => {},
    stages: () => [{ ...failingRoute(), routingApi: 'gateway-api' }],
    expectOutcome: (results, server) => {
      expect(results.map((result) => [result.error?.code, result.rolledBack])).toEqual([['unhealthy', true]]);
      expect(server.store.get(GW, 'HTTPRoute', 'default', 'reviews')).toBeUndefined();
    },
    exercises: ['gateway.networking.k8s.io httproutes create', 'gateway.networking.k8s.io httproutes delete'],
  },
];

/** The manifest's binding gives the role `name` of `kind` to the ServiceAccount istio-canary in default. */
function expectBindsServiceAccount(
  objects: ManifestObject[],
  kind: 'Role' | 'ClusterRole',
  name: string,
): void {
  const binding = objects.find((object) => object.kind === `${kind}Binding`);
  expect(binding?.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind, name });
  expect(binding?.subjects).toEqual([{ kind: 'ServiceAccount', name: 'istio-canary', namespace: 'default' }]);
}

interface Play {
  outcome: unknown;
  requests: RequestLogEntry[];
  /** The stages that ran. */
  stages: RunOptions[];
}

const refusals = (requests: RequestLogEntry[]) =>
  requests
    .filter((r) => r.status === 403 || r.status === 401)
    .map((r) => `${r.method} ${r.path} ${r.status}`);

/** What must not differ between users: results (API address and counts masked) and the cluster after. */
function outcomeOf(results: StageResult[], server: ApiServer): unknown {
  const routing = Object.fromEntries(
    Object.entries(routingSnapshot(server)).map(([key, value]) => [
      key,
      value.replace(/"istio-canary\.io\/updated-at":"[^"]*"/g, ''),
    ]),
  );
  return {
    results: results.map((result) => ({
      error: result.error && [result.error.code, result.error.message.replace(/\d+/g, 'N')],
      changed: result.changed,
      healthy: result.healthy,
      rolledBack: result.rolledBack,
      weights: [result.previousWeight, result.weight],
      checks: result.checks.map((check) => [check.name, check.ok]),
    })),
    routing,
  };
}

async function play(scenario: Scenario, user: User, roles: ManifestObject[] = [role]): Promise<Play> {
  const server = await startApiServer({ users: { 'admin-token': 'admin', 'ci-token': 'ci' } });
  let stop: (() => void) | void = undefined;
  try {
    server.setRules([ADMIN, ...roles.flatMap((granted) => roleAsRbacRules(granted, 'ci'))]);
    (scenario.load ?? loadBookinfo)(server);
    stop = await scenario.arrange(server);
    server.requests.length = 0;
    const results: StageResult[] = [];
    const stages = scenario.stages();
    for (const options of stages) {
      results.push(await runStage(options, { kubeConfig: server.kubeConfig(user) }));
    }
    scenario.expectOutcome(results, server);
    return {
      outcome: outcomeOf(results, server),
      requests: server.requests.filter((r) => r.user === user),
      stages,
    };
  } finally {
    stop?.();
    await server.close();
  }
}

describe('examples/rbac/istio-canary.yaml', () => {
  const used = new Set<string>();
  const discovery: RequestLogEntry[] = [];
  let played = 0;

  it('is a ServiceAccount, a Role and a RoleBinding in one namespace', () => {
    expect(
      manifest.map((object) => `${object.kind} ${object.metadata.namespace ?? ''}/${object.metadata.name}`),
    ).toEqual([
      'ServiceAccount default/istio-canary',
      'Role default/istio-canary',
      'RoleBinding default/istio-canary',
    ]);
    expectBindsServiceAccount(manifest, 'Role', 'istio-canary');
  });

  it.each(scenarios)(
    '$name: the same outcome with only the Role as with admin, no 403 but the cluster-wide list',
    async (scenario) => {
      const [admin, ci] = await Promise.all([play(scenario, 'admin'), play(scenario, 'ci')]);
      expect(ci.outcome).toEqual(admin.outcome);
      expect(refusals(admin.requests)).toEqual([]);
      expect(refusals(ci.requests).sort()).toEqual(
        listsAcrossNamespaces(ci.stages).map((request) => `${request} 403`),
      );
      const granted = ci.requests.filter((r) => r.status !== 403);
      const access = new Set(granted.map(accessOf).filter((key): key is string => key !== undefined));
      expect([...access]).toEqual(expect.arrayContaining(scenario.exercises));
      access.forEach((key) => used.add(key));
      discovery.push(...ci.requests.filter((r) => !r.verb));
      played += 1;
    },
    60_000,
  );

  it('the rights used by all scenarios together are exactly the rights the Role grants', () => {
    expect(played).toBe(scenarios.length);
    expect([...used].sort()).toEqual([...grantedAccess(role)].sort());
  });

  it('asks for nothing else than discovery, which any authenticated user may read', () => {
    expect(discovery.length).toBeGreaterThan(0);
    expect(
      discovery.filter((r) => r.method !== 'GET' || !DISCOVERY.test(r.path) || r.status !== 200),
    ).toEqual([]);
  });
});

describe('examples/rbac/istio-canary-other-namespaces.yaml', () => {
  const storefront = (server: ApiServer) =>
    server.store.get(V1, 'VirtualService', 'storefront', 'storefront') as VirtualService;
  // Each user plays on a server of its own, at the same time.
  const storefrontBefore = new Map<ApiServer, string>();
  const scenario: Scenario = {
    name: 'a route to reviews from another namespace, seen through the ClusterRole',
    arrange: (server) => {
      loadStorefront(server);
      storefrontBefore.set(server, JSON.stringify(storefront(server)));
    },
    stages: () => [
      reviewsOptions({ stage: 'shift', weight: 50 }),
      reviewsOptions({ stage: 'promote' }),
      reviewsOptions({ stage: 'finalize' }),
    ],
    expectOutcome: (results, server) => {
      expect(results.map((result) => result.error?.message)).toEqual([
        undefined,
        undefined,
        'finalize refuses to drop subset v1 of reviews: VirtualService storefront/storefront (route: uri prefix /reviews) still routes to it; move that route to v2 first',
      ]);
      expect(results[0]!.routes?.filter((route) => route.leftAlone !== undefined)).toMatchObject([
        {
          resource: 'VirtualService storefront/storefront',
          leftAlone: 'in namespace storefront: never written',
        },
      ]);
      expect(JSON.stringify(storefront(server))).toBe(storefrontBefore.get(server));
    },
    exercises: ['networking.istio.io virtualservices list'],
  };

  it('is a ClusterRole that lists VirtualServices and HTTPRoutes, bound to the ServiceAccount of istio-canary.yaml', () => {
    expect(otherNamespaces.map((object) => `${object.kind} ${object.metadata.name}`)).toEqual([
      'ClusterRole istio-canary-read-routes',
      'ClusterRoleBinding istio-canary-read-routes',
    ]);
    expectBindsServiceAccount(otherNamespaces, 'ClusterRole', 'istio-canary-read-routes');
  });

  it('beside the Role: the route from another namespace is reported and holds finalize back, no 403', async () => {
    const roles = [role, clusterRole];
    const [admin, ci] = await Promise.all([play(scenario, 'admin', roles), play(scenario, 'ci', roles)]);
    expect(ci.outcome).toEqual(admin.outcome);
    expect(refusals(ci.requests)).toEqual([]);
    // What the ClusterRole is for, and all it is used for: the list across namespaces, once per stage.
    const acrossNamespaces = ci.requests.filter(
      (r) => r.verb !== undefined && !r.path.includes('/namespaces/'),
    );
    expect(acrossNamespaces.map((r) => `${r.method} ${r.path}`).sort()).toEqual(
      listsAcrossNamespaces(ci.stages),
    );
    expect(new Set(acrossNamespaces.map(accessOf))).toEqual(grantedAccess(clusterRole));
  }, 60_000);
});
