// Every way a stage on Gateway API can fail, end to end against the stand-in: the exact one-line error, and
// the cluster exactly as it was before the run (a version Service the run created deleted again, a route
// put back), or nothing written at all when the failure comes before the first write.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { kubeMessages } from '../../src/kube/index.js';
import type { HTTPRoute } from '../../src/plan/gateway-api/index.js';
import { runStage } from '../../src/run-stage.js';
import type { RunOptions } from '../../src/types.js';
import { bookinfoObjects, loadBookinfoGatewayApi, reviewsOptions } from '../../test/support/bookinfo.js';
import { endpoint } from '../../test/support/http-endpoint.js';
import {
  startApiServer,
  type ApiServer,
  type StartOptions,
} from '../../test/support/kube-apiserver/index.js';
import { routingSnapshot } from '../../test/support/routing-snapshot.js';

const GW = 'gateway.networking.k8s.io/v1';
const testUser = [{ name: 'end-user', kind: 'exact' as const, value: 'test-user' }];
const shift = (overrides: Partial<RunOptions> = {}) =>
  reviewsOptions({ stage: 'shift', weight: 50, headerMatch: testUser, ...overrides });

let server: ApiServer;
let before: Record<string, string>;
const reviewsRoute = () => server.store.get(GW, 'HTTPRoute', 'default', 'reviews') as HTTPRoute;
const writes = () =>
  server.requests.filter(
    (r) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method) && !r.path.includes('/leases'),
  );
const writeLog = () =>
  writes().map((r) => `${r.method} ${r.path.split('/').slice(-2).join('/')} ${r.status}`);

async function start(options: StartOptions = {}): Promise<void> {
  server = await startApiServer({ users: { 'admin-token': 'admin', 'ci-token': 'ci' }, ...options });
}

/** Bookinfo on HTTPRoute without reviews-v2's Service: a stage creates it before the route names it. */
function withoutCanaryService(): void {
  loadBookinfoGatewayApi(server);
  server.store.delete('v1', 'Service', 'default', 'reviews-v2');
}

function arrange(): void {
  before = routingSnapshot(server);
  server.requests.length = 0;
}

afterEach(() => server.close());

describe('before any write: the error, nothing written', () => {
  it('routing-api gateway-api on a cluster without the Gateway API CRDs names the group', async () => {
    await start({ gatewayApi: false });
    for (const object of bookinfoObjects('02-bookinfo.yaml')) server.store.put(object);
    arrange();
    const result = await runStage(shift({ routingApi: 'gateway-api' }), { kubeConfig: server.kubeConfig() });
    expect(result.error?.code).toBe('gateway-api-missing');
    expect(result.error?.message).toBe(kubeMessages.gatewayApiMissing());
    expect(result.rolledBack).toBe(false);
    expect(writes()).toEqual([]);
    expect(routingSnapshot(server)).toEqual(before);
  });

  it('routing-api auto on a cluster without the Gateway API CRDs is Istio, silently', async () => {
    await start({ gatewayApi: false });
    for (const file of ['02-bookinfo.yaml', '03-virtual-services-v1.yaml', '04-destination-rules.yaml']) {
      for (const object of bookinfoObjects(file)) server.store.put(object);
    }
    const warnings: string[] = [];
    const result = await runStage(shift(), {
      kubeConfig: server.kubeConfig(),
      reporter: { info: () => {}, warning: (message) => warnings.push(message) },
    });
    expect(result.error).toBeUndefined();
    expect([result.routingApi, result.weight, warnings]).toEqual(['istio', 50, []]);
  });

  it('routing-api auto with credentials that may not read HTTPRoutes: Istio, with a warning saying so', async () => {
    await start();
    for (const file of ['02-bookinfo.yaml', '03-virtual-services-v1.yaml', '04-destination-rules.yaml']) {
      for (const object of bookinfoObjects(file)) server.store.put(object);
    }
    server.setRules([
      { users: ['admin'], verbs: ['*'], groups: ['*'], resources: ['*'] },
      {
        users: ['ci'],
        verbs: ['*'],
        groups: ['networking.istio.io', 'apps', '', 'coordination.k8s.io'],
        resources: ['*'],
      },
    ]);
    const warnings: string[] = [];
    const result = await runStage(shift(), {
      kubeConfig: server.kubeConfig('ci'),
      reporter: { info: () => {}, warning: (message) => warnings.push(message) },
    });
    expect(result.error).toBeUndefined();
    expect(result.routingApi).toBe('istio');
    expect(warnings).toEqual([
      'routing-api auto could not read the HTTPRoutes (RBAC forbids list on httproutes.gateway.networking.k8s.io in namespace "default" for User "ci": grant a Role rule {apiGroups: ["gateway.networking.k8s.io"], resources: ["httproutes"], verbs: ["list"]} in "default"): it chose from the other API alone; grant the read, or set routing-api',
    ]);
  });

  it('routing-api auto with both a VirtualService and an HTTPRoute for the service: both named', async () => {
    await start();
    loadBookinfoGatewayApi(server);
    for (const object of bookinfoObjects('03-virtual-services-v1.yaml')) server.store.put(object);
    arrange();
    const result = await runStage(shift(), { kubeConfig: server.kubeConfig() });
    expect(result.error?.message).toBe(
      'routing-api auto cannot choose: VirtualService default/reviews, HTTPRoute default/reviews all route reviews (Istio leaves a workload routed by both APIs undefined); remove the ones not in use, or set routing-api to istio or gateway-api',
    );
    expect(writes()).toEqual([]);
    expect(routingSnapshot(server)).toEqual(before);
  });
});

describe('a failure after the first write restores what was read', () => {
  beforeEach(async () => {
    await start();
    withoutCanaryService();
  });

  it('RBAC refusing the HTTPRoute write: the version Service created before it is deleted again', async () => {
    server.setRules([
      { users: ['admin'], verbs: ['*'], groups: ['*'], resources: ['*'] },
      { users: ['ci'], verbs: ['get', 'list', 'watch'], groups: ['*'], resources: ['*'] },
      { users: ['ci'], verbs: ['create', 'delete'], groups: [''], resources: ['services'] },
      {
        users: ['ci'],
        verbs: ['create', 'update', 'delete'],
        groups: ['coordination.k8s.io'],
        resources: ['leases'],
      },
    ]);
    arrange();
    const result = await runStage(shift(), { kubeConfig: server.kubeConfig('ci') });
    expect(result.error?.message).toBe(
      'RBAC forbids update on httproutes.gateway.networking.k8s.io in namespace "default" for User "ci": grant a Role rule {apiGroups: ["gateway.networking.k8s.io"], resources: ["httproutes"], verbs: ["update"]} in "default"',
    );
    expect(result).toMatchObject({ rolledBack: true, changed: false, previousWeight: 0, weight: 0 });
    expect(writeLog()).toEqual([
      'POST default/services 201',
      'PUT httproutes/reviews 403',
      'DELETE services/reviews-v2 200',
    ]);
    expect(routingSnapshot(server)).toEqual(before);
  });

  it('ResolvedRefs=False after the write (the Service deleted meanwhile): fails at once, route put back', async () => {
    loadBookinfoGatewayApi(server); // reviews-v2 exists: the stage writes only the route
    let deleted = false;
    server.faults.beforeWrite((attempt) => {
      if (deleted || attempt.method !== 'PUT' || !attempt.path.endsWith('httproutes/reviews')) return;
      deleted = true;
      server.store.delete('v1', 'Service', 'default', 'reviews-v2');
    });
    arrange();
    const result = await runStage(shift({ timeoutSeconds: 60 }), { kubeConfig: server.kubeConfig() });
    expect(result.error?.code).toBe('unhealthy');
    expect(result.error?.message).toBe(
      "HTTPRoute reviews in default, parent Service reviews port 9080: ResolvedRefs=False BackendNotFound: backend(reviews-v2.default.svc.cluster.local) not found (istio.io/mesh-controller, generation 2): create the missing backend Service, or correct the route's backendRefs",
    );
    expect(result.rolledBack).toBe(true);
    expect(writeLog()).toEqual(['PUT httproutes/reviews 200', 'PUT httproutes/reviews 200']);
    const { ['Service/reviews-v2']: gone, ...rest } = before;
    expect(gone).toBeDefined();
    expect(routingSnapshot(server)).toEqual(rest);
  });

  it('a second writer between our read and our write: their change survives, ours goes on top', async () => {
    arrange();
    let interfered = false;
    server.faults.beforeWrite((attempt) => {
      if (interfered || attempt.method !== 'PUT' || !attempt.path.endsWith('httproutes/reviews')) return;
      interfered = true;
      const theirs = structuredClone(reviewsRoute());
      theirs.metadata.labels = { team: 'books' };
      server.store.put(theirs);
    });
    const result = await runStage(shift(), { kubeConfig: server.kubeConfig() });
    expect(result.error).toBeUndefined();
    expect(interfered).toBe(true);
    expect(reviewsRoute().metadata.labels).toEqual({ team: 'books' });
    expect(
      reviewsRoute()
        .spec.rules?.at(-1)
        ?.backendRefs?.map((ref) => [ref.name, ref.weight]),
    ).toEqual([
      ['reviews-v1', 50],
      ['reviews-v2', 50],
    ]);
    // The version Service is created once: the second attempt plans from the re-read, which has it.
    expect(writeLog()).toEqual([
      'POST default/services 201',
      'PUT httproutes/reviews 409',
      'PUT httproutes/reviews 200',
    ]);
  });

  it('another writer changing the route at every attempt: the conflict error, the created Service deleted', async () => {
    arrange();
    server.faults.beforeWrite((attempt) => {
      if (attempt.method !== 'PUT' || !attempt.path.endsWith('httproutes/reviews')) return;
      const theirs = structuredClone(reviewsRoute());
      theirs.metadata.annotations = { touched: String(Math.random()) };
      server.store.put(theirs);
    });
    const result = await runStage(shift(), { kubeConfig: server.kubeConfig() });
    expect(result.error?.message).toBe(
      'another writer kept changing the routing of reviews in "default" (4 conflicts in a row): find who else writes it (kubectl get httproute,service -n default --show-managed-fields) and run again',
    );
    expect(result.rolledBack).toBe(true);
    expect(server.store.get('v1', 'Service', 'default', 'reviews-v2')).toBeUndefined();
    expect(writeLog().at(-1)).toBe('DELETE services/reviews-v2 200');
  });

  it('finalize deleted the stable version Service, then the probe failed: the Service is back as it was', async () => {
    loadBookinfoGatewayApi(server);
    // reviews-v1 made by istio-canary in an earlier release; everyone moved to reviews-v2 by promote.
    const stable = server.store.get('v1', 'Service', 'default', 'reviews-v1') as {
      metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
    };
    stable.metadata.labels = { 'app.kubernetes.io/managed-by': 'istio-canary' };
    stable.metadata.annotations = { 'team.example.com/owner': 'books' };
    server.store.put(stable);
    const promoted = await runStage(reviewsOptions({ stage: 'promote' }), {
      kubeConfig: server.kubeConfig(),
    });
    expect(promoted.error).toBeUndefined();
    arrange();
    const canary = await endpoint(() => 503);
    try {
      const result = await runStage(
        reviewsOptions({
          stage: 'finalize',
          timeoutSeconds: 2,
          probe: { url: canary.url, headers: {}, successes: 1 },
        }),
        { kubeConfig: server.kubeConfig() },
      );
      expect(result.error?.code).toBe('unhealthy');
      expect(result.rolledBack).toBe(true);
    } finally {
      await canary.close();
    }
    // Route first, then the Service no route names; the restore the other way round.
    expect(writeLog()).toEqual([
      'PUT httproutes/reviews 200',
      'DELETE services/reviews-v1 200',
      'POST default/services 201',
      'PUT httproutes/reviews 200',
    ]);
    expect(routingSnapshot(server)).toEqual(before);
  });
});
