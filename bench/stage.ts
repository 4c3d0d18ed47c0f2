// 1. One full stage (`shift 50` on Bookinfo) beside `kubectl apply --server-side` of the same two objects,
// at several injected round-trip latencies, interleaved in rounds (stage, kubectl warm, kubectl cold): wall
// time, requests, sequential round trips, and the paired ratio kubectl / stage.
import { runStage } from '../src/run-stage.js';
import { reviewsOptions } from '../test/support/bookinfo.js';
import {
  kubectlApply,
  manifestOf,
  scratchDir,
  startBenchCluster,
  writeScratch,
  type BenchCluster,
} from './support/cluster.js';
import { interleave, pairedRatio } from './support/paired.js';
import { median, ms, msSpread, ratioSpread, sleep, spread, table, type Spread } from './support/stats.js';
import type { Target } from './support/targets.js';
import { roundTrips, type Span } from './support/timeline.js';
import { startWorker, type BenchWorker } from './support/worker-process.js';

const SPEEDUP = 2;
const FLOOR_TRIPS = 3;

export interface StageFigures {
  latencyMs: number;
  stage: Sample;
  kubectlCold: Sample;
  kubectlWarm: Sample;
  /** kubectl / stage, per round */
  warmRatio: Spread;
  coldRatio: Spread;
  /** median duration of one request's span at this latency */
  medianSpanMs: number;
  /** new TLS connections the library opened for one stage (median) */
  stageConnections: number;
}

/** The stage's sequential round trips counted at a long RTT, where the client's own CPU time (long on a
 * busy machine: a request it sends "at once" may leave after another has come back) cannot split a round. */
export interface TripCount {
  latencyMs: number;
  sequential: number;
  requests: number;
  rounds: string[];
}

export interface StageBench {
  latencies: StageFigures[];
  trips: TripCount;
}

const TRIPS_LATENCY_MS = 200;
const TRIPS_STAGES = 3;

export interface Sample {
  wall: Spread;
  requests: number;
  sequential: number;
  rounds: string[];
}

type Measured = { ms: number; requests: number; sequential: number; rounds: string[]; spans: Span[] };

function sampleOf(spans: Span[], wallMs: number): Measured {
  const trips = roundTrips(spans);
  return { ms: wallMs, requests: trips.requests, sequential: trips.sequential, rounds: trips.rounds, spans };
}

/** The count most runs had (the lower one on a tie): a run slowed by the machine can split a round in two. */
function mostCommon(values: number[]): number {
  const counts = new Map<number, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts].sort(([a, n], [b, m]) => m - n || a - b)[0]![0];
}

function summarise(samples: Measured[], wall: Spread): Sample {
  const sequential = mostCommon(samples.map((s) => s.sequential));
  return {
    wall,
    requests: mostCommon(samples.map((s) => s.requests)),
    sequential,
    rounds: samples.findLast((s) => s.sequential === sequential)!.rounds,
  };
}

/** One stage in the worker process; the weight alternates so that every stage writes. */
async function measureStage(
  cluster: BenchCluster,
  worker: BenchWorker,
  weight: number,
): Promise<Measured & { connections: number }> {
  const options = reviewsOptions({
    stage: 'shift',
    weight,
    settleSeconds: 0,
    kubeconfig: cluster.server.kubeconfigPath,
  });
  const mark = cluster.timeline.now();
  // The window on this process's own clock, around the whole job: the worker's clock, read through the
  // wall clock, can be off by more than a round trip on a loaded machine, which cut requests out.
  const from = performance.now();
  const [stage] = (await worker.run({ kind: 'sequential', stages: [options] })).stages;
  const to = performance.now();
  if (!stage || stage.error) throw new Error(`the stage failed: ${stage?.error}`);
  await sleep(20); // the last answer's 'finish' on the server side comes a moment after the client has it
  const spans = cluster.timeline.since(mark).filter((span) => span.start >= from && span.start <= to);
  return { ...sampleOf(spans, stage.end - stage.start), connections: stage.connections };
}

async function measureKubectl(cluster: BenchCluster, manifest: string, cacheDir: string): Promise<Measured> {
  cluster.resetRouting();
  const mark = cluster.timeline.now();
  const run = await kubectlApply(cluster, manifest, cacheDir);
  if (run.code !== 0) throw new Error(`kubectl apply failed: ${run.stderr.trim()}`);
  await sleep(20);
  return sampleOf(cluster.timeline.since(mark), run.wallMs);
}

export async function benchStage(latencies: number[], rounds: number): Promise<StageBench> {
  const cluster = await startBenchCluster();
  const worker = await startWorker();
  try {
    // The manifest kubectl applies: the two objects exactly as a `shift 50` leaves them.
    const first = await runStage(
      reviewsOptions({ stage: 'shift', weight: 50, kubeconfig: cluster.server.kubeconfigPath }),
      {},
    );
    if (first.error) throw new Error(`the stage failed: ${first.error.message}`);
    const dir = scratchDir('kubectl');
    const manifest = writeScratch(
      dir,
      'reviews-50.yaml',
      manifestOf([cluster.virtualService(), cluster.destinationRule()]),
    );
    const warmCache = scratchDir('kubectl-cache');
    await measureKubectl(cluster, manifest, warmCache); // fills the warm discovery cache
    const figures: StageFigures[] = [];
    for (const latencyMs of latencies) {
      cluster.server.faults.latencyMs = latencyMs;
      cluster.resetRouting();
      let stages = 0;
      const result = await interleave(rounds, {
        stage: () => measureStage(cluster, worker, stages++ % 2 === 0 ? 50 : 40),
        warm: () => measureKubectl(cluster, manifest, warmCache),
        cold: () => measureKubectl(cluster, manifest, scratchDir('kubectl-cold')),
      });
      const { stage: ours, warm, cold } = result.samples;
      const spans = [...ours, ...cold, ...warm].flatMap((s) => s.spans).filter((s) => s.end !== undefined);
      figures.push({
        latencyMs,
        stage: summarise(ours, result.spread.stage),
        kubectlCold: summarise(cold, result.spread.cold),
        kubectlWarm: summarise(warm, result.spread.warm),
        warmRatio: pairedRatio(result, 'warm', 'stage'),
        coldRatio: pairedRatio(result, 'cold', 'stage'),
        medianSpanMs: median(spans.map((s) => s.end! - s.start)),
        stageConnections: median(ours.map((s) => s.connections)),
      });
    }
    cluster.server.faults.latencyMs = TRIPS_LATENCY_MS;
    cluster.resetRouting();
    const counted: Measured[] = [];
    for (let i = 0; i < TRIPS_STAGES; i++)
      counted.push(await measureStage(cluster, worker, i % 2 === 0 ? 50 : 40));
    const trips = summarise(counted, spread(counted.map((s) => s.ms)));
    return { latencies: figures, trips: { latencyMs: TRIPS_LATENCY_MS, ...trips } };
  } finally {
    await worker.close();
    cluster.server.faults.latencyMs = 0;
    await cluster.close();
  }
}

export function stageReport({ latencies: figures, trips }: StageBench, rounds: number): string {
  const row = (what: string, sample: Sample, latency = '', span = '') => [
    latency,
    what,
    msSpread(sample.wall),
    sample.requests,
    sample.sequential,
    span,
  ];
  const rows = figures.flatMap((f) => [
    row('istio-canary runStage (built lib/, own process)', f.stage, `${f.latencyMs} ms`, ms(f.medianSpanMs)),
    row('kubectl apply --server-side (cold cache)', f.kubectlCold),
    row('kubectl apply --server-side (warm cache)', f.kubectlWarm),
  ]);
  const ratios = figures.map((f) => [
    `${f.latencyMs} ms`,
    ratioSpread(f.coldRatio),
    ratioSpread(f.warmRatio),
    ms(f.stage.wall.median - f.stage.sequential * f.latencyMs),
  ]);
  const at20 = at20ms(figures);
  return [
    `## 1. One stage (shift 50, settle 0) vs kubectl apply --server-side — ${rounds} interleaved rounds (stage, kubectl warm, kubectl cold)`,
    '',
    table(
      ['RTT', 'what', 'wall time (median, IQR)', 'requests', 'sequential round trips', 'median request span'],
      rows,
    ),
    '',
    table(
      [
        'RTT',
        'kubectl cold / stage (paired)',
        'kubectl warm / stage (paired)',
        'stage time not spent waiting on RTT',
      ],
      ratios,
    ),
    '',
    `Round trips of the stage at ${at20.latencyMs} ms: ${at20.stage.rounds.map((r, i) => `(${i + 1}) ${r}`).join('; ')}.`,
    '',
    `Round trips of the stage at ${trips.latencyMs} ms (${TRIPS_STAGES} stages, the count most had): ${trips.sequential} for ${trips.requests} requests: ${trips.rounds.map((r, i) => `(${i + 1}) ${r}`).join('; ')}.`,
    '',
    `kubectl (warm cache) at ${at20.latencyMs} ms: ${at20.kubectlWarm.rounds.map((r, i) => `(${i + 1}) ${r}`).join('; ')}.`,
    '',
    `New TCP+TLS connections the library opened per stage: ${at20.stageConnections} for ${at20.stage.requests} requests ` +
      '(stages back to back in one process take the connection of the stage before, kept idle for a few seconds: ' +
      'src/kube/pool.ts; a CLI or action run opens one per cluster, as kubectl opens its own). ' +
      'The injected latency delays each request once; connection set-up is not delayed, so on a real link every ' +
      'new connection adds its handshake round trips on top of the figures above.',
  ].join('\n');
}

const at20ms = (figures: StageFigures[]) => figures.find((f) => f.latencyMs === 20) ?? figures.at(-1)!;

export function stageTargets({ latencies: figures, trips }: StageBench): Target[] {
  const f = at20ms(figures);
  return [
    {
      target: `sequential round trips per stage = ${FLOOR_TRIPS} (the floor)`,
      measured: `${trips.sequential} at ${trips.latencyMs} ms RTT (${trips.requests} requests); ${f.stage.sequential} at ${f.latencyMs} ms on this machine`,
      met: trips.sequential <= FLOOR_TRIPS,
    },
    {
      target: `≥ ${SPEEDUP}× faster than warm-cache \`kubectl apply --server-side\` at ${f.latencyMs} ms RTT (paired)`,
      measured: `${ratioSpread(f.warmRatio)}; ${msSpread(f.stage.wall)} vs ${msSpread(f.kubectlWarm.wall)}`,
      met: f.warmRatio.median >= SPEEDUP,
    },
  ];
}
