// Every way a stage can fail, end to end against the stand-in: the exact one-line error, and the cluster
// exactly as it was before the run (restored when something had been written).
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { kubeMessages } from '../../src/kube/index.js';
import { runStage } from '../../src/run-stage.js';
import type { DestinationRule, VirtualService } from '../../src/plan/types.js';
import type { RunOptions } from '../../src/types.js';
import { bookinfoObjects, loadBookinfo, reviewsOptions } from '../../test/support/bookinfo.js';
import { endpoint } from '../../test/support/http-endpoint.js';
import { startApiServer, type ApiServer } from '../../test/support/kube-apiserver/index.js';
import { routingSnapshot } from '../../test/support/routing-snapshot.js';

let server: ApiServer;
let before: Record<string, string>;
const testUser = [{ name: 'end-user', kind: 'exact' as const, value: 'test-user' }];
const route = (overrides: Partial<RunOptions> = {}) =>
  reviewsOptions({ stage: 'route', headerMatch: testUser, ...overrides });

const V1 = 'networking.istio.io/v1';
const reviewsVs = () => server.store.get(V1, 'VirtualService', 'default', 'reviews') as VirtualService;
const reviewsDr = () => server.store.get(V1, 'DestinationRule', 'default', 'reviews') as DestinationRule;
const writes = () => server.requests.filter((r) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method));
const routingWrites = () => writes().filter((r) => r.path.includes('networking.istio.io'));

/** The DestinationRule without the canary subset, so that a stage must write it first. */
function withoutCanarySubset(): void {
  const dr = structuredClone(reviewsDr());
  dr.spec.subsets = dr.spec.subsets?.filter((subset) => subset.name !== 'v2');
  server.store.put(dr);
}

beforeEach(async () => {
  server = await startApiServer({ users: { 'admin-token': 'admin', 'ci-token': 'ci' } });
  loadBookinfo(server);
});
afterEach(() => server.close());

function arrange(): void {
  before = routingSnapshot(server);
  server.requests.length = 0;
}

describe('bad input changes nothing', () => {
  it('an invalid weight is refused before the cluster is asked anything', async () => {
    arrange();
    await expect(
      runStage(reviewsOptions({ stage: 'shift', weight: 150 }), { kubeConfig: server.kubeConfig() }),
    ).rejects.toThrow('weight must be an integer 0–100, got "150"');
    expect(server.requests).toHaveLength(0);
  });

  it('a canary version with no Deployment is named with the versions that exist', async () => {
    arrange();
    const result = await runStage(route({ canary: 'v9' }), { kubeConfig: server.kubeConfig() });
    expect(result.error?.message).toBe(
      'Deployment for canary v9 not found in default: app=reviews has versions v1, v2, v3; deploy v9 first or correct the canary input',
    );
    expect(result.rolledBack).toBe(false);
    expect(writes().filter((r) => !r.path.includes('/leases'))).toHaveLength(0);
    expect(routingSnapshot(server)).toEqual(before);
  });

  it('a cluster without Istio says so', async () => {
    await server.close();
    server = await startApiServer({ istio: false });
    for (const object of bookinfoObjects('02-bookinfo.yaml')) server.store.put(object);
    const result = await runStage(route(), { kubeConfig: server.kubeConfig() });
    expect(result.error?.message).toBe(kubeMessages.istioMissing());
  });
});

describe('a failure after the first write restores what was read', () => {
  it('RBAC refusing the VirtualService write: the DestinationRule written before it is put back', async () => {
    withoutCanarySubset();
    server.setRules([
      { users: ['admin'], verbs: ['*'], groups: ['*'], resources: ['*'] },
      { users: ['ci'], verbs: ['get', 'list', 'watch'], groups: ['*'], resources: ['*'] },
      {
        users: ['ci'],
        verbs: ['create', 'update', 'delete'],
        groups: ['networking.istio.io'],
        resources: ['destinationrules'],
      },
      {
        users: ['ci'],
        verbs: ['create', 'update', 'delete'],
        groups: ['coordination.k8s.io'],
        resources: ['leases'],
      },
    ]);
    arrange();
    const result = await runStage(route(), { kubeConfig: server.kubeConfig('ci') });
    expect(result.error?.message).toBe(
      'RBAC forbids update on virtualservices.networking.istio.io in namespace "default" for User "ci": grant a Role rule {apiGroups: ["networking.istio.io"], resources: ["virtualservices"], verbs: ["update"]} in "default"',
    );
    expect(result.rolledBack).toBe(true);
    expect(
      routingWrites().map((r) => `${r.method} ${r.path.split('/').slice(-2).join('/')} ${r.status}`),
    ).toEqual([
      'PUT destinationrules/reviews 200',
      'PUT virtualservices/reviews 403',
      'PUT destinationrules/reviews 200',
    ]);
    expect(routingSnapshot(server)).toEqual(before);
  });

  it('an API outage on the second write: retried, then the first write is undone', async () => {
    withoutCanarySubset();
    arrange();
    server.faults.failNext(50, 503, { method: 'PUT', path: /virtualservices\/reviews$/ });
    const result = await runStage(route(), { kubeConfig: server.kubeConfig() });
    expect(result.error?.code).toBe('api-error');
    expect(result.error?.message).toMatch(
      /^the Kubernetes API at https:\/\/127\.0\.0\.1:\d+ failed to update virtualservices/,
    );
    expect(result.rolledBack).toBe(true);
    expect(
      server.requests.filter((r) => r.method === 'PUT' && r.path.endsWith('virtualservices/reviews')).length,
    ).toBeGreaterThan(1);
    expect(routingSnapshot(server)).toEqual(before);
  });

  it('a probe that never passes: rolled back, the failed check reported', async () => {
    const canary = await endpoint(() => 503);
    try {
      withoutCanarySubset();
      arrange();
      const result = await runStage(
        route({ timeoutSeconds: 2, probe: { url: canary.url, headers: {}, successes: 2 } }),
        {
          kubeConfig: server.kubeConfig(),
        },
      );
      expect(result.error?.message).toMatch(
        /^probe http:\/\/127\.0\.0\.1:\d+\/reviews did not get 2 consecutive 2xx within 2s \(\d+ requests?: \d+×503; last streak 0\): check the canary's logs, or raise the probe timeout$/,
      );
      expect(result.rolledBack).toBe(true);
      expect(result.healthy).toBe(false);
      expect(result.checks.at(-1)).toMatchObject({ ok: false, name: expect.stringContaining('probe') });
      expect(routingSnapshot(server)).toEqual(before);
    } finally {
      await canary.close();
    }
  });

  it('a run cancelled mid-way (SIGTERM from a cancelled workflow) puts everything back', async () => {
    const controller = new AbortController();
    const canary = await endpoint(() => {
      controller.abort();
      return 503;
    });
    try {
      withoutCanarySubset();
      arrange();
      const result = await runStage(route({ probe: { url: canary.url, headers: {}, successes: 1 } }), {
        kubeConfig: server.kubeConfig(),
        signal: controller.signal,
      });
      expect(result.error?.code).toBe('cancelled');
      expect(result.rolledBack).toBe(true);
      expect(routingSnapshot(server)).toEqual(before);
    } finally {
      await canary.close();
    }
  });

  it('without rollback-on-failure the new routing stays, and the error says so', async () => {
    const canary = await endpoint(() => 503);
    try {
      arrange();
      const result = await runStage(
        route({
          rollbackOnFailure: false,
          timeoutSeconds: 1,
          probe: { url: canary.url, headers: {}, successes: 1 },
        }),
        { kubeConfig: server.kubeConfig() },
      );
      expect(result.error?.message).toMatch(
        /\(rollback-on-failure is off: the new routing stays in place\)$/,
      );
      expect(result.rolledBack).toBe(false);
      expect(reviewsVs().spec.http).toHaveLength(2);
    } finally {
      await canary.close();
    }
  });

  it('a progressive release failing at its second step goes back to 100% stable', async () => {
    const canary = await endpoint((count) => (count <= 1 ? 200 : 503));
    try {
      arrange();
      const result = await runStage(
        reviewsOptions({
          stage: 'progressive',
          steps: [10, 50, 100],
          timeoutSeconds: 2,
          probe: { url: canary.url, headers: {}, successes: 1 },
        }),
        { kubeConfig: server.kubeConfig() },
      );
      expect(result.error?.code).toBe('unhealthy');
      expect(result.rolledBack).toBe(true);
      expect(result.weight).toBe(0);
      expect(result.checks.filter((check) => check.name.includes('probe')).map((check) => check.ok)).toEqual([
        true,
        false,
      ]);
      expect(routingSnapshot(server)).toEqual(before);
    } finally {
      await canary.close();
    }
  });
});

describe('concurrency', () => {
  it('a second writer between our read and our write: their change survives, ours goes on top', async () => {
    arrange();
    let interfered = false;
    server.faults.beforeWrite((attempt) => {
      if (interfered || attempt.method !== 'PUT' || !attempt.path.endsWith('virtualservices/reviews')) return;
      interfered = true;
      const theirs = structuredClone(reviewsVs());
      theirs.spec.http = [
        {
          name: 'admin',
          match: [{ uri: { prefix: '/admin' } }],
          route: [{ destination: { host: 'reviews', subset: 'v3' } }],
        },
        ...(theirs.spec.http ?? []),
      ];
      server.store.put(theirs);
    });
    const result = await runStage(route(), { kubeConfig: server.kubeConfig() });
    expect(result.error).toBeUndefined();
    expect(interfered).toBe(true);
    expect(reviewsVs().spec.http?.map((r) => r.name)).toEqual([
      'admin',
      'reviews-canary-header',
      'reviews-primary',
    ]);
    expect(
      server.requests
        .filter((r) => r.method === 'PUT' && r.path.endsWith('virtualservices/reviews'))
        .map((r) => r.status),
    ).toEqual([409, 200]);
  });

  it('a run holding the lease makes the next one wait, then fail naming the holder', async () => {
    server.store.put({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'istio-canary-reviews', namespace: 'default' },
      spec: {
        holderIdentity: 'github-actions https://github.com/o/r/actions/runs/7 (pid 1@runner)',
        leaseDurationSeconds: 600,
        renewTime: new Date().toISOString(),
      },
    });
    arrange();
    const result = await runStage(route({ timeoutSeconds: 1 }), { kubeConfig: server.kubeConfig() });
    expect(result.error?.message).toMatch(
      /^the lease istio-canary-reviews is held by github-actions https:\/\/github.com\/o\/r\/actions\/runs\/7 \(pid 1@runner\) until .+: wait for that run to finish, or delete the lease if that run is gone \(kubectl delete lease istio-canary-reviews -n default\)$/,
    );
    expect(routingSnapshot(server)).toEqual(before);
  });
});

describe('dry run and status', () => {
  it('dry run: the server validates each write, nothing is stored, the diff is returned', async () => {
    arrange();
    const result = await runStage(route({ dryRun: true }), { kubeConfig: server.kubeConfig() });
    expect(result.error).toBeUndefined();
    expect(result.diff).toContain('+');
    expect(routingWrites().every((r) => r.query.dryRun === 'All')).toBe(true);
    expect(routingWrites().length).toBeGreaterThan(0);
    expect(routingSnapshot(server)).toEqual(before);
  });

  it('status reads the current split and writes nothing', async () => {
    await runStage(reviewsOptions({ stage: 'shift', weight: 25, headerMatch: testUser }), {
      kubeConfig: server.kubeConfig(),
    });
    arrange();
    const result = await runStage(reviewsOptions({ stage: 'status' }), { kubeConfig: server.kubeConfig() });
    expect(result).toMatchObject({ weight: 25, changed: false });
    expect(result.after.at(-1)?.destinations).toEqual([
      { subset: 'v1', weight: 75 },
      { subset: 'v2', weight: 25 },
    ]);
    expect(writes()).toHaveLength(0);
  });
});
