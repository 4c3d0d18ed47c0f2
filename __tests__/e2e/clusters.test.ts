// One release across several clusters, end to end: one stand-in per cluster, one kubeconfig with a context
// for each. Waves run in order, leases are taken everywhere before the first write, and a failure anywhere
// puts every cluster back exactly as it was read.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { outputValues } from '../../src/action/outputs.js';
import { runCli } from '../../src/cli/index.js';
import { InputError } from '../../src/errors.js';
import { parseRunOptions } from '../../src/options/index.js';
import { renderMarkdown, renderText } from '../../src/report/index.js';
import { runStage } from '../../src/run-stage.js';
import type { RunOptions, RunReporter } from '../../src/types.js';
import { bookinfoObjects, reviewsOptions } from '../../test/support/bookinfo.js';
import { startFleet, type Fleet } from '../../test/support/clusters.js';
import { endpoint } from '../../test/support/http-endpoint.js';
import type { ApiServer } from '../../test/support/kube-apiserver/index.js';
import { routingSnapshot } from '../../test/support/routing-snapshot.js';

const NAMES = ['east', 'west-1', 'west-2'];
const LEASE = ['coordination.k8s.io/v1', 'Lease', 'default', 'istio-canary-reviews'] as const;
const DR = ['networking.istio.io/v1', 'DestinationRule', 'default', 'reviews'] as const;
const testUser = [{ name: 'end-user', kind: 'exact' as const, value: 'test-user' }];

let fleet: Fleet;
let before: Record<string, Record<string, string>>;
const server = (name: string): ApiServer => {
  const found = fleet.servers[name];
  if (!found) throw new Error(`no stand-in ${name}`);
  return found;
};
const each = <T>(work: (server: ApiServer, name: string) => T): Record<string, T> =>
  Object.fromEntries(NAMES.map((name) => [name, work(server(name), name)]));
const snapshots = () => each((s) => routingSnapshot(s));
const isWrite = (method: string) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(method);
const routingWrites = (name: string) =>
  server(name).requests.filter((r) => isWrite(r.method) && r.path.includes('networking.istio.io'));
const anyWriteBut = (name: string, what: RegExp) =>
  server(name).requests.filter((r) => isWrite(r.method) && !what.test(r.path));

/** `route` for test users, through the waves given, against the fleet's kubeconfig. */
function release(clusters: string[][], overrides: Partial<RunOptions> = {}): RunOptions {
  return reviewsOptions({
    stage: 'route',
    headerMatch: testUser,
    kubeconfig: fleet.kubeconfig,
    clusters,
    ...overrides,
  });
}

/** A DestinationRule without the canary subset, so that the stage writes it before the VirtualService. */
function withoutCanarySubset(name: string): void {
  const dr = structuredClone(server(name).store.get(...DR)) as { spec: { subsets?: { name: string }[] } };
  dr.spec.subsets = dr.spec.subsets?.filter((subset) => subset.name !== 'v2');
  server(name).store.put(dr);
}

beforeAll(async () => {
  fleet = await startFleet(NAMES);
  for (const name of NAMES) {
    for (const object of bookinfoObjects('02-bookinfo.yaml')) server(name).store.put(object);
  }
});
afterAll(() => fleet.close());

beforeEach(() => {
  for (const name of NAMES) {
    const s = server(name);
    for (const file of ['03-virtual-services-v1.yaml', '04-destination-rules.yaml']) {
      for (const object of bookinfoObjects(file)) s.store.put(object);
    }
    // Deployments a test deleted come back (the simulator rolls them out again).
    for (const object of bookinfoObjects('02-bookinfo.yaml')) {
      const { kind, metadata } = object as { kind: string; metadata: { name: string } };
      if (kind === 'Deployment' && !s.store.get('apps/v1', kind, 'default', metadata.name))
        s.store.put(object);
    }
    s.store.delete(...LEASE);
    s.faults.clear();
    s.setRules([{ verbs: ['*'], groups: ['*'], resources: ['*'] }]);
  }
});

function arrange(): void {
  before = snapshots();
  for (const name of NAMES) server(name).requests.length = 0;
}

afterEach(() => {
  // Whatever happened, no run leaves its lease behind.
  for (const name of NAMES) {
    const lease = server(name).store.get(...LEASE) as { spec?: { holderIdentity?: string } } | undefined;
    expect(lease?.spec?.holderIdentity ?? 'none').not.toMatch(/^istio-canary|^github-actions/);
  }
});

describe('a release through two waves', () => {
  it('routes test users in east, then in west-1 and west-2 together; leases everywhere before any write', async () => {
    arrange();
    const result = await runStage(release([['east'], ['west-1', 'west-2']]));
    expect(result.error).toBeUndefined();
    expect(result.healthy).toBe(true);
    expect(result.clusters?.map((c) => [c.cluster, c.wave, c.outcome])).toEqual([
      ['east', 1, 'healthy'],
      ['west-1', 2, 'healthy'],
      ['west-2', 2, 'healthy'],
    ]);
    for (const name of NAMES) {
      const vs = server(name).store.get('networking.istio.io/v1', 'VirtualService', 'default', 'reviews') as {
        spec: { http: { name?: string; match?: unknown }[] };
      };
      expect(vs.spec.http.map((route) => route.name)).toEqual(['reviews-canary-header', 'reviews-primary']);
    }
    const firstWrite = Math.min(...NAMES.flatMap((name) => routingWrites(name).map((r) => r.at)));
    for (const name of NAMES) {
      const leaseTaken = server(name).requests.find((r) => r.method === 'POST' && r.path.endsWith('/leases'));
      expect(leaseTaken?.at).toBeLessThanOrEqual(firstWrite);
    }
    const eastDone = Math.max(...routingWrites('east').map((r) => r.at));
    for (const name of ['west-1', 'west-2']) {
      expect(Math.min(...routingWrites(name).map((r) => r.at))).toBeGreaterThanOrEqual(eastDone);
    }
    const outputs = outputValues(result);
    expect(outputs.weight).toBe('0');
    expect(JSON.parse(outputs.clusters ?? '')).toEqual(
      NAMES.map((cluster, index) => ({
        cluster,
        wave: index === 0 ? 1 : 2,
        before: { v1: 100 },
        after: { v1: 100 },
        previousWeight: 0,
        weight: 0,
        healthy: true,
        rolledBack: false,
      })),
    );
    const text = renderText(result);
    expect(text).toContain('istio-canary route reviews (namespace default) in 3 clusters');
    expect(text).toMatch(/east\s+1\s+v1 100\s+healthy\s+no/);
    const markdown = renderMarkdown(result);
    expect(markdown).toContain('| west-2 | 2 | v1 100 | ✅ healthy | no |');
    // Each cluster's own report, collapsed: its routing table and checks.
    expect(markdown.match(/<details><summary>(.*?)<\/summary>\n\n\| Namespace/g)).toEqual([
      '<details><summary>east (wave 1)</summary>\n\n| Namespace',
      '<details><summary>west-1 (wave 2)</summary>\n\n| Namespace',
      '<details><summary>west-2 (wave 2)</summary>\n\n| Namespace',
    ]);
  });

  it('shift in waves: the outputs give the weight all clusters agree on, each row its split', async () => {
    arrange();
    const result = await runStage(release([['east'], ['west-1']], { stage: 'shift', weight: 30 }));
    expect(result.error).toBeUndefined();
    expect(outputValues(result)).toMatchObject({ 'previous-weight': '0', weight: '30' });
    expect(renderMarkdown(result)).toContain('| east | 1 | v1 100 → v1 70 · v2 30 | ✅ healthy | no |');
    expect(routingWrites('west-2')).toEqual([]);
    // The Service's port (the pull-request comment's curl) is read once for the release, in its first cluster.
    const portReads = each((s) =>
      s.requests.filter((r) => r.path === '/api/v1/namespaces/default/services/reviews'),
    );
    expect(Object.values(portReads).map((reads) => reads.length)).toEqual([1, 0, 0]);
    expect(result.servicePort).toBe(9080);
  });
});

describe('a failure in wave 2 restores wave 1 exactly', () => {
  it('a probe failing in wave 2: every cluster is put back, latest wave first', async () => {
    // The canary answers until wave 1 has its two successes, then fails.
    const canary = await endpoint((count) => (count <= 2 ? 200 : 503));
    try {
      arrange();
      const result = await runStage(
        release([['east'], ['west-1', 'west-2']], {
          timeoutSeconds: 5,
          probe: { url: canary.url, headers: {}, successes: 2, failures: 1, intervalSeconds: 0.05 },
        }),
      );
      expect(result.error?.message).toMatch(
        /^cluster "west-[12]" \(wave 2\): probe http:\/\/127\.0\.0\.1:\d+\/reviews failed 1 times in a row .*; restored "east" \(wave 1\), "west-1" \(wave 2\), "west-2" \(wave 2\) to the routing read at the start$/,
      );
      expect(result.rolledBack).toBe(true);
      expect(result.clusters?.find((c) => c.cluster === 'east')).toMatchObject({
        outcome: 'healthy',
        restored: ['restored VirtualService default/reviews'],
      });
      expect(snapshots()).toEqual(before);
      const eastRestore = routingWrites('east').at(-1)?.at ?? 0;
      for (const name of ['west-1', 'west-2']) {
        expect(routingWrites(name).at(-1)?.at).toBeLessThanOrEqual(eastRestore);
      }
      expect(outputValues(result)).toMatchObject({ weight: '0', 'rolled-back': 'true', healthy: 'false' });
    } finally {
      await canary.close();
    }
  });

  it('RBAC refusing the VirtualService in west-2: its DestinationRule and wave 1 are put back', async () => {
    withoutCanarySubset('west-2');
    server('west-2').setRules([
      { verbs: ['get', 'list', 'watch'], groups: ['*'], resources: ['*'] },
      { verbs: ['*'], groups: ['networking.istio.io'], resources: ['destinationrules'] },
      { verbs: ['*'], groups: ['coordination.k8s.io'], resources: ['leases'] },
    ]);
    arrange();
    const result = await runStage(release([['east', 'west-1'], ['west-2']]));
    expect(result.error?.message).toBe(
      'cluster "west-2" (wave 2): RBAC forbids update on virtualservices.networking.istio.io in namespace "default" for User "admin": grant a Role rule {apiGroups: ["networking.istio.io"], resources: ["virtualservices"], verbs: ["update"]} in "default"; restored "east" (wave 1), "west-1" (wave 1), "west-2" (wave 2) to the routing read at the start',
    );
    expect(result.error?.code).toBe('forbidden');
    expect(routingWrites('west-2').map((r) => `${r.method} ${r.path.split('/').at(-2)} ${r.status}`)).toEqual(
      ['PUT destinationrules 200', 'PUT virtualservices 403', 'PUT destinationrules 200'],
    );
    expect(snapshots()).toEqual(before);
    expect(result.clusters?.map((c) => [c.cluster, c.outcome, c.restored.length > 0])).toEqual([
      ['east', 'healthy', true],
      ['west-1', 'healthy', true],
      ['west-2', 'failed', true],
    ]);
    expect(renderMarkdown(result)).toContain(
      '| east | 1 | v1 100 | ✅ healthy | yes: restored VirtualService default/reviews |',
    );
    expect(renderText(result)).toMatch(
      /west-2\s+2\s+v1 100\s+failed: RBAC forbids update .*\s+yes: restored DestinationRule default\/reviews\n/,
    );
  });

  it('an API outage in west-1: retried, then everything is put back', async () => {
    server('west-1').faults.failNext(50, 503, { method: 'PUT', path: /virtualservices\/reviews$/ });
    arrange();
    const result = await runStage(release([['east'], ['west-1', 'west-2']]));
    expect(result.error?.code).toBe('api-error');
    expect(result.error?.message).toMatch(
      /^cluster "west-1" \(wave 2\): the Kubernetes API at https:\/\/127\.0\.0\.1:\d+ failed to update virtualservices.*; restored "east" \(wave 1\)(, "west-2" \(wave 2\))? to the routing read at the start$/,
    );
    expect(snapshots()).toEqual(before);
  });

  it('a cancellation during wave 2 restores wave 1 too', async () => {
    const controller = new AbortController();
    const canary = await endpoint((count) => {
      if (count > 1) controller.abort();
      return 200;
    });
    try {
      arrange();
      const result = await runStage(
        release([['east'], ['west-1']], { probe: { url: canary.url, headers: {}, successes: 1 } }),
        { signal: controller.signal },
      );
      expect(result.error?.code).toBe('cancelled');
      expect(result.error?.message).toMatch(
        /; restored "east" \(wave 1\)(, "west-1" \(wave 2\))? to the routing/,
      );
      expect(snapshots()).toEqual(before);
    } finally {
      await canary.close();
    }
  });
});

describe('before any write', () => {
  it('a lease held in west-2 stops the run: nothing written anywhere, every lease taken is released', async () => {
    const holder = 'github-actions https://github.com/o/r/actions/runs/7 (pid 1@runner)';
    const now = new Date().toISOString().replace('Z', '000Z');
    server('west-2').store.put({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'istio-canary-reviews', namespace: 'default' },
      spec: { holderIdentity: holder, leaseDurationSeconds: 3600, acquireTime: now, renewTime: now },
    });
    arrange();
    const result = await runStage(release([['east'], ['west-1', 'west-2']], { timeoutSeconds: 1 }));
    expect(result.error?.code).toBe('lease-held');
    expect(result.error?.message).toMatch(
      /^cluster "west-2" \(wave 2\): the lease istio-canary-reviews is held by github-actions https:\/\/github.com\/o\/r\/actions\/runs\/7 \(pid 1@runner\) until .*; nothing had been written$/,
    );
    for (const name of NAMES) expect(anyWriteBut(name, /\/leases/)).toEqual([]);
    expect(snapshots()).toEqual(before);
    expect(result.clusters?.map((c) => c.outcome)).toEqual(['not reached', 'not reached', 'failed']);
    expect(
      (server('west-2').store.get(...LEASE) as { spec: { holderIdentity: string } }).spec.holderIdentity,
    ).toBe(holder);
    server('west-2').store.delete(...LEASE);
  });

  const badInputs: [string, Record<string, string>, string][] = [
    [
      'an empty wave',
      { clusters: 'east\n,\nwest-1' },
      'clusters: wave 2 is empty: put at least one context on each line, or remove the line',
    ],
    [
      'the same context twice',
      { clusters: 'east, west-1\nwest-1' },
      'clusters: context "west-1" is named twice (wave 1 and wave 2): list each cluster once',
    ],
    [
      'a workload cluster twice',
      { clusters: 'east', 'workload-clusters': 'west-1\nwest-1' },
      'workload-clusters: context "west-1" is named twice (workload-clusters): list each cluster once',
    ],
    [
      'clusters beside context',
      { clusters: 'east', context: 'east' },
      'context and clusters both given: clusters names every context of the release; drop context',
    ],
    [
      'workload clusters without clusters',
      { 'workload-clusters': 'west-1' },
      'workload-clusters needs clusters: name the cluster(s) holding the routing in clusters',
    ],
  ];
  it.each(badInputs)('%s is one line naming the remedy', (_what, raw, message) => {
    const parse = () =>
      parseRunOptions({
        stage: 'route',
        service: 'reviews',
        stable: 'v1',
        canary: 'v2',
        'header-match': 'end-user=test-user',
        ...raw,
      });
    expect(parse).toThrow(InputError);
    expect(parse).toThrow(message);
  });

  it('a context missing from the kubeconfig is named with those it has, before any request', async () => {
    arrange();
    await expect(runStage(release([['east'], ['north', 'west-1']]))).rejects.toThrow(
      'clusters: context "north" is not in the kubeconfig from the kubeconfig input: it has "east", "west-1", "west-2"; pass one of them',
    );
    await expect(runStage(release([['east']], { workloadClusters: ['south'] }))).rejects.toThrow(
      'workload-clusters: context "south" is not in the kubeconfig from the kubeconfig input',
    );
    for (const name of NAMES) expect(server(name).requests).toEqual([]);
  });

  it('the CLI exits 2 on the same context twice, with the one line', async () => {
    let stderr = '';
    const io = { stdout: { write: () => true }, stderr: { write: (text: string) => (stderr += text) } };
    const code = await runCli(
      [
        'route',
        '--service',
        'reviews',
        '--stable',
        'v1',
        '--canary',
        'v2',
        '--header-match',
        'end-user=a',
        '--clusters',
        'east',
        '--clusters',
        'east',
      ],
      io,
    );
    expect(code).toBe(2);
    expect(stderr).toBe(
      'error: clusters: context "east" is named twice (wave 1 and wave 2): list each cluster once\n',
    );
  });

  it('masks every credential of every context, not only those the run uses', async () => {
    const secrets: string[] = [];
    const reporter: RunReporter = { info: () => {}, warning: () => {}, setSecret: (s) => secrets.push(s) };
    const result = await runStage(release([['east']], { stage: 'status' }), { reporter });
    expect(result.error).toBeUndefined();
    for (const name of NAMES) expect(secrets).toContain(fleet.tokens[name]);
    expect(secrets).toContain(fleet.kubeconfig.trim());
  });
});

describe('primary-remote: the routing in one cluster, the Deployments in others', () => {
  function withoutDeployment(name: string, deployment: string): void {
    server(name).store.delete('apps/v1', 'Deployment', 'default', deployment);
  }

  it('checks the canary in west-1 and west-2 and writes the routing in east only', async () => {
    // east holds no Deployments of reviews: it is the config cluster.
    for (const version of ['v1', 'v2', 'v3']) withoutDeployment('east', `reviews-${version}`);
    arrange();
    const result = await runStage(release([['east']], { workloadClusters: ['west-1', 'west-2'] }));
    expect(result.error).toBeUndefined();
    expect(result.clusters?.map((c) => [c.cluster, c.wave, c.outcome])).toEqual([
      ['east', 1, 'healthy'],
      ['west-1', undefined, 'healthy'],
      ['west-2', undefined, 'healthy'],
    ]);
    const deploymentReads = each((s) => s.requests.filter((r) => r.path.includes('/deployments')).length);
    expect(deploymentReads.east).toBe(0);
    expect(deploymentReads['west-1']).toBeGreaterThan(0);
    expect(deploymentReads['west-2']).toBeGreaterThan(0);
    expect(routingWrites('east').length).toBeGreaterThan(0);
    expect(routingWrites('west-1')).toEqual([]);
    expect(routingWrites('west-2')).toEqual([]);
    expect(result.clusters?.[1]?.result.checks.map((check) => check.name)).toEqual([
      'rollout app=reviews,version=v2',
    ]);
    expect(renderMarkdown(result)).toContain('| west-1 | workloads | — | ✅ healthy | — |');
  });

  it('finalize with delete-stable deletes the stable Deployments in the workload clusters only', async () => {
    for (const version of ['v1', 'v2', 'v3']) withoutDeployment('east', `reviews-${version}`);
    const remotes = ['west-1', 'west-2'];
    const promoted = await runStage(
      release([['east']], { stage: 'promote', headerMatch: [], workloadClusters: remotes }),
    );
    expect(promoted.error).toBeUndefined();
    arrange();
    const result = await runStage(
      release([['east']], {
        stage: 'finalize',
        headerMatch: [],
        deleteStable: true,
        workloadClusters: remotes,
      }),
    );
    expect(result.error).toBeUndefined();
    const deleted = each((s) =>
      s.requests.filter((r) => r.method === 'DELETE' && r.path.includes('/deployments/')).map((r) => r.path),
    );
    expect(deleted).toEqual({
      east: [],
      'west-1': ['/apis/apps/v1/namespaces/default/deployments/reviews-v1'],
      'west-2': ['/apis/apps/v1/namespaces/default/deployments/reviews-v1'],
    });
    // The routing was finalized before any Deployment went: the last routing write precedes the deletes.
    const lastRoutingWrite = Math.max(...routingWrites('east').map((r) => r.at));
    for (const name of ['west-1', 'west-2']) {
      const deleteAt = server(name).requests.find((r) => r.method === 'DELETE')?.at ?? 0;
      expect(deleteAt).toBeGreaterThanOrEqual(lastRoutingWrite);
    }
  });

  it('a workload cluster without the canary Deployment stops the run before any write', async () => {
    withoutDeployment('west-2', 'reviews-v2');
    arrange();
    const result = await runStage(release([['east']], { workloadClusters: ['west-1', 'west-2'] }));
    expect(result.error?.message).toBe(
      'cluster "west-2" (workloads): Deployment for canary v2 not found in default: app=reviews has versions v1, v3; deploy v2 first or correct the canary input; nothing had been written',
    );
    for (const name of NAMES) expect(anyWriteBut(name, /\/leases/)).toEqual([]);
    expect(snapshots()).toEqual(before);
  });
});

describe('status across clusters', () => {
  it('shows the split in each and warns when they differ', async () => {
    const shifted = await runStage(release([['east']], { stage: 'shift', weight: 50 }));
    expect(shifted.error).toBeUndefined();
    const warnings: string[] = [];
    const reporter: RunReporter = { info: () => {}, warning: (m) => warnings.push(m) };
    const result = await runStage(release([['east', 'west-1']], { stage: 'status' }), { reporter });
    const drift =
      'the split differs across clusters (east: v1 50 · v2 50, west-1: v1 100): run the stage again with the same clusters to bring them in line';
    expect(warnings).toEqual([drift]);
    expect(result.error).toBeUndefined();
    expect(outputValues(result)).toMatchObject({ weight: '', 'previous-weight': '' });
    expect(JSON.parse(outputValues(result).clusters ?? '')).toMatchObject([
      { cluster: 'east', weight: 50, after: { v1: 50, v2: 50 } },
      { cluster: 'west-1', weight: 0, after: { v1: 100 } },
    ]);
    expect(renderText(result)).toContain(`Warning: ${drift}`);
    expect(renderMarkdown(result)).toContain('| east | 1 | v1 50 · v2 50 | ✅ read | no |');
  });
});
