// 1. One full stage (`shift 50` on Bookinfo) beside `kubectl apply --server-side` of the same two objects,
// at several injected round-trip latencies: wall time, requests, sequential round trips.
import { runStage } from '../src/run-stage.js';
import { reviewsOptions } from '../test/support/bookinfo.js';
import {
  fromWallClock,
  kubectlApply,
  runWorker,
  manifestOf,
  scratchDir,
  startBenchCluster,
  writeScratch,
  type BenchCluster,
} from './support/cluster.js';
import { median, ms, ratio, sleep, table, verdict } from './support/stats.js';
import { roundTrips, type Span } from './support/timeline.js';

export interface StageFigures {
  latencyMs: number;
  stage: Sample;
  kubectlCold: Sample;
  kubectlWarm: Sample;
  /** median duration of one request's span at this latency */
  medianSpanMs: number;
  /** new TLS connections the library opened for one stage (median) */
  stageConnections: number;
}

export interface Sample {
  wallMs: number;
  requests: number;
  sequential: number;
  rounds: string[];
}

type Measured = Sample & { spans: Span[] };

function sampleOf(spans: Span[], wallMs: number): Measured {
  const trips = roundTrips(spans);
  return { wallMs, requests: trips.requests, sequential: trips.sequential, rounds: trips.rounds, spans };
}

function summarise(samples: Measured[]): Sample {
  return {
    wallMs: median(samples.map((s) => s.wallMs)),
    requests: median(samples.map((s) => s.requests)),
    sequential: median(samples.map((s) => s.sequential)),
    rounds: samples.at(-1)!.rounds,
  };
}

/** The stage, `runs` times after one warm-up, in a worker process: weights alternate so each run writes. */
async function measureStages(
  cluster: BenchCluster,
  runs: number,
): Promise<{ samples: Measured[]; connections: number }> {
  const stages = Array.from({ length: runs + 1 }, (_, i) =>
    reviewsOptions({
      stage: 'shift',
      weight: i % 2 === 0 ? 50 : 40,
      settleSeconds: 0,
      kubeconfig: cluster.server.kubeconfigPath,
    }),
  );
  const mark = cluster.timeline.now();
  const report = await runWorker({ kind: 'sequential', stages });
  await sleep(20); // the last answer's 'finish' on the server side comes a moment after the client has it
  const spans = cluster.timeline.since(mark);
  const measured = report.stages.slice(1);
  const samples = measured.map((stage) => {
    if (stage.error) throw new Error(`the stage failed: ${stage.error}`);
    const [from, to] = [fromWallClock(stage.start), fromWallClock(stage.end)];
    return sampleOf(
      spans.filter((span) => span.start >= from && span.start <= to),
      stage.end - stage.start,
    );
  });
  return { samples, connections: median(measured.map((stage) => stage.connections)) };
}

async function measureKubectl(cluster: BenchCluster, manifest: string, cacheDir: string): Promise<Measured> {
  cluster.resetRouting();
  const mark = cluster.timeline.now();
  const run = await kubectlApply(cluster, manifest, cacheDir);
  if (run.code !== 0) throw new Error(`kubectl apply failed: ${run.stderr.trim()}`);
  await sleep(20);
  return sampleOf(cluster.timeline.since(mark), run.wallMs);
}

export async function benchStage(latencies: number[], runs: number): Promise<StageFigures[]> {
  const cluster = await startBenchCluster();
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
      const { samples: ours, connections } = await measureStages(cluster, runs);
      const cold: Measured[] = [];
      const warm: Measured[] = [];
      for (let i = 0; i < runs; i++) {
        cold.push(await measureKubectl(cluster, manifest, scratchDir('kubectl-cold')));
        warm.push(await measureKubectl(cluster, manifest, warmCache));
      }
      const spans = [...ours, ...cold, ...warm].flatMap((s) => s.spans).filter((s) => s.end !== undefined);
      figures.push({
        latencyMs,
        stage: summarise(ours),
        kubectlCold: summarise(cold),
        kubectlWarm: summarise(warm),
        medianSpanMs: median(spans.map((s) => s.end! - s.start)),
        stageConnections: connections,
      });
    }
    return figures;
  } finally {
    cluster.server.faults.latencyMs = 0;
    await cluster.close();
  }
}

export function stageReport(figures: StageFigures[], runs: number): string {
  const rows = figures.flatMap((f) => [
    [
      `${f.latencyMs} ms`,
      'istio-canary runStage',
      ms(f.stage.wallMs),
      f.stage.requests,
      f.stage.sequential,
      ms(f.medianSpanMs),
    ],
    [
      '',
      'kubectl apply --server-side (cold cache)',
      ms(f.kubectlCold.wallMs),
      f.kubectlCold.requests,
      f.kubectlCold.sequential,
      '',
    ],
    [
      '',
      'kubectl apply --server-side (warm cache)',
      ms(f.kubectlWarm.wallMs),
      f.kubectlWarm.requests,
      f.kubectlWarm.sequential,
      '',
    ],
  ]);
  const ratios = figures.map((f) => [
    `${f.latencyMs} ms`,
    ratio(f.kubectlCold.wallMs, f.stage.wallMs),
    ratio(f.kubectlWarm.wallMs, f.stage.wallMs),
    ms(f.stage.wallMs - f.stage.sequential * f.latencyMs),
  ]);
  const at20 = figures.find((f) => f.latencyMs === 20) ?? figures.at(-1)!;
  const trips = at20.stage.sequential;
  const speedup = at20.kubectlWarm.wallMs / at20.stage.wallMs;
  return [
    `## 1. One stage (shift 50, settle 0) vs kubectl apply --server-side — median of ${runs} runs`,
    '',
    table(['RTT', 'what', 'wall time', 'requests', 'sequential round trips', 'median request span'], rows),
    '',
    table(
      ['RTT', 'kubectl cold / stage', 'kubectl warm / stage', 'stage time not spent waiting on RTT'],
      ratios,
    ),
    '',
    `Round trips of the stage at ${at20.latencyMs} ms: ${at20.stage.rounds.map((r, i) => `(${i + 1}) ${r}`).join('; ')}.`,
    '',
    `kubectl (warm cache) at ${at20.latencyMs} ms: ${at20.kubectlWarm.rounds.map((r, i) => `(${i + 1}) ${r}`).join('; ')}.`,
    '',
    `New TCP+TLS connections the library opened per stage: ${at20.stageConnections} for ${at20.stage.requests} requests. ` +
      'The injected latency delays each request once; connection set-up is not delayed, so on a real link every ' +
      'new connection adds its handshake round trips on top of the figures above.',
    '',
    `- Target ≤ 4 sequential round trips (floor 3): ${trips} — ${verdict(trips <= 4, `${trips - 4} over`)}; ${trips - 3} above the floor.`,
    `- Target ≥ 2× faster than kubectl at ${at20.latencyMs} ms RTT: ${speedup.toFixed(2)}× vs the warm-cache kubectl, ${(at20.kubectlCold.wallMs / at20.stage.wallMs).toFixed(2)}× vs the cold-cache one — ${verdict(speedup >= 2, `${(2 - speedup).toFixed(2)}× short against the warm cache`)}.`,
  ].join('\n');
}
