// 7. Several VirtualServices for one service: a stage writing K of them (the mesh one and K−1 gateway-bound
// ones) at an injected RTT. The VirtualServices of a stage go out in one batch, each with its own
// precondition, so the sequential round trips should not grow with K: 3 for a shift, 4 when a subset is
// added (route) or dropped (finalize).
import type { VirtualService } from '../src/plan/types.js';
import type { RunOptions } from '../src/types.js';
import { reviewsOptions } from '../test/support/bookinfo.js';
import { startBenchCluster, type BenchCluster } from './support/cluster.js';
import { median, ms, sleep, table, verdict } from './support/stats.js';
import { roundTrips } from './support/timeline.js';
import { startWorker } from './support/worker-process.js';

export interface RoutesFigures {
  virtualServices: number;
  stage: string;
  expected: number;
  wallMs: number;
  requests: number;
  sequential: number;
  rounds: string[];
}

/** The gateway-bound VirtualServices beside the mesh one, each with a `/reviews` route to v1. */
function edges(count: number): VirtualService[] {
  return Array.from({ length: count }, (_, index) => ({
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: `edge-${index + 1}`, namespace: 'default' },
    spec: {
      hosts: [`edge-${index + 1}.example.com`],
      gateways: ['bookinfo-gateway'],
      http: [
        {
          match: [{ uri: { prefix: '/reviews' } }],
          route: [{ destination: { host: 'reviews', subset: 'v1', port: { number: 9080 } } }],
        },
      ],
    },
  }));
}

function reset(cluster: BenchCluster, count: number): void {
  cluster.resetRouting();
  for (const vs of edges(count)) cluster.server.store.put(structuredClone(vs));
}

/**
 * Runs the stages in one worker, one job each, the first a warm-up, and measures each of the others. Each
 * stage's requests are those of the job's window on this process's own clock: the worker's clock, read
 * through the wall clock, can be off by more than a round trip on a loaded machine.
 */
export async function measure(
  cluster: Pick<BenchCluster, 'timeline'>,
  stages: RunOptions[],
): Promise<Omit<RoutesFigures, 'virtualServices' | 'stage' | 'expected'>[]> {
  const worker = await startWorker();
  try {
    const measured: Omit<RoutesFigures, 'virtualServices' | 'stage' | 'expected'>[] = [];
    for (const [index, options] of stages.entries()) {
      const mark = cluster.timeline.now();
      const from = performance.now();
      const [stage] = (await worker.run({ kind: 'sequential', stages: [options] })).stages;
      const to = performance.now();
      if (index === 0) continue;
      if (!stage || stage.error) throw new Error(`the stage failed: ${stage?.error}`);
      await sleep(20); // the last answer's 'finish' on the server side comes a moment after the client has it
      const spans = cluster.timeline.since(mark).filter((span) => span.start >= from && span.start <= to);
      const trips = roundTrips(spans);
      measured.push({
        wallMs: stage.end - stage.start,
        requests: trips.requests,
        sequential: trips.sequential,
        rounds: trips.rounds,
      });
    }
    return measured;
  } finally {
    await worker.close();
  }
}

export function summary(
  virtualServices: number,
  stage: string,
  expected: number,
  samples: Awaited<ReturnType<typeof measure>>,
): RoutesFigures {
  return {
    virtualServices,
    stage,
    expected,
    wallMs: median(samples.map((s) => s.wallMs)),
    requests: median(samples.map((s) => s.requests)),
    sequential: median(samples.map((s) => s.sequential)),
    rounds: samples.at(-1)?.rounds ?? [],
  };
}

export async function benchRoutes(
  counts: number[],
  latencyMs: number,
  runs: number,
): Promise<RoutesFigures[]> {
  const cluster = await startBenchCluster();
  const figures: RoutesFigures[] = [];
  try {
    for (const count of counts) {
      const options = (overrides: Partial<RunOptions>) =>
        reviewsOptions({ settleSeconds: 0, kubeconfig: cluster.server.kubeconfigPath, ...overrides });
      reset(cluster, count - 1);
      cluster.server.faults.latencyMs = latencyMs;
      // shift: weights alternate, so every run writes every VirtualService and nothing else.
      const shifts = Array.from({ length: runs + 1 }, (_, i) =>
        options({ stage: 'shift', weight: i % 2 === 0 ? 50 : 40 }),
      );
      figures.push(summary(count, 'shift', 3, await measure(cluster, shifts)));
      // route then finalize, the versions swapping roles each time: route adds the canary's subset
      // (DestinationRule first), finalize drops the stable's (VirtualServices first).
      cluster.server.faults.latencyMs = 0;
      reset(cluster, count - 1);
      cluster.server.faults.latencyMs = latencyMs;
      const versions = (i: number) =>
        Math.floor(i / 2) % 2 === 0 ? { stable: 'v1', canary: 'v2' } : { stable: 'v2', canary: 'v1' };
      const cycle = Array.from({ length: 2 * runs + 2 }, (_, i) =>
        options({
          ...versions(i),
          ...(i % 2 === 0
            ? { stage: 'route', headerMatch: [{ name: 'end-user', kind: 'exact', value: 'test-user' }] }
            : { stage: 'finalize' }),
        }),
      );
      // The DestinationRule of the seed has v1 and v2: drop v2 first, so the first route adds it.
      const rule = cluster.destinationRule();
      rule.spec.subsets = rule.spec.subsets?.filter((subset) => subset.name !== 'v2');
      cluster.server.store.put(rule);
      const samples = await measure(cluster, [options({ stage: 'status' }), ...cycle]);
      figures.push(
        summary(
          count,
          'route (adds a subset)',
          4,
          samples.filter((_, i) => i % 2 === 0),
        ),
      );
      figures.push(
        summary(
          count,
          'finalize (drops a subset)',
          4,
          samples.filter((_, i) => i % 2 === 1),
        ),
      );
      cluster.server.faults.latencyMs = 0;
    }
    return figures;
  } finally {
    cluster.server.faults.latencyMs = 0;
    await cluster.close();
  }
}

/** The rounds of each stage at the largest K, one line a stage (long rounds cut). */
export function largestRounds(figures: RoutesFigures[]): { largest: number; rounds: string[] } {
  const largest = Math.max(...figures.map((f) => f.virtualServices));
  const rounds = figures
    .filter((f) => f.virtualServices === largest)
    .map(
      (f) =>
        `- ${f.stage}: ${f.rounds.map((r, i) => `(${i + 1}) ${r.length > 160 ? `${r.slice(0, 160)}…` : r}`).join('; ')}`,
    );
  return { largest, rounds };
}

export function routesReport(figures: RoutesFigures[], latencyMs: number, runs: number): string {
  const rows = figures.map((f) => [
    f.virtualServices,
    f.stage,
    ms(f.wallMs),
    f.requests,
    f.sequential,
    f.expected,
  ]);
  const { largest, rounds } = largestRounds(figures);
  const over = figures.filter((f) => f.sequential > f.expected);
  return [
    `## 7. Several VirtualServices for one service, at ${latencyMs} ms RTT — median of ${runs} runs`,
    '',
    'K VirtualServices route to reviews: the mesh one and K−1 gateway-bound ones, each with a `/reviews` route.',
    '',
    table(['K', 'stage', 'wall time', 'requests', 'sequential round trips', 'target'], rows),
    '',
    `Round trips at K = ${largest}:`,
    ...rounds,
    '',
    `- Target: 3 sequential round trips for a shift, 4 when a subset is added or dropped, whatever K: ${verdict(
      over.length === 0,
      over.map((f) => `K = ${f.virtualServices} ${f.stage}: ${f.sequential}`).join(', '),
    )}.`,
  ].join('\n');
}
