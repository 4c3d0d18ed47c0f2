// 5. Several clusters: one wave of N clusters (`clusters` with N contexts on one line) against one cluster's
// stage (no `clusters`), each cluster a stand-in of its own with the same injected round-trip latency.
// Paired and interleaved: every round runs the single-cluster stage and each wave size once, in an order
// that rotates from round to round, so that a drift of the machine's load hits all alike; the figure is
// the median over rounds of (wave time / the same round's single-cluster time), after WARM_UP_ROUNDS rounds
// that are not part of it (the first of them are reported apart: the library not yet at its steady state). Self-contained: its own worker process (the built library under plain node) and its own
// small helpers; the bench reads its own CPU time (the stand-ins answering) at the edges of each stage.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBookinfo, reviewsOptions } from '../test/support/bookinfo.js';
import { startFleet } from '../test/support/clusters.js';
import type { RunOptions } from '../src/types.js';
import type { ClustersJob, ClustersMessage, ClustersTiming } from './clusters-worker.js';
import { ensureLibraryBuilt } from './support/library.js';
import type { Target } from './support/targets.js';
import { extraFlags } from './support/worker-process.js';

/** The wave of 10 (or the largest) in rounds soon after the worker started: not yet the steady state. */
export interface EarlyFigures {
  /** 1-based, of all rounds run, warm-up included. */
  fromRound: number;
  toRound: number;
  size: number;
  medianRatio: number;
  cpuMs: number;
}

export interface ClustersFigures {
  latencyMs: number;
  rounds: number;
  warmUpRounds: number;
  early: EarlyFigures | undefined;
  /** The single-cluster stage: median wall time. */
  singleMs: number;
  /** New TLS connections of the single-cluster stage (median). */
  singleConnections: number;
  /** The single-cluster stage's CPU time in the worker (median). */
  singleCpuMs: number;
  /** The bench process's CPU time during the single-cluster stage: its stand-in answering (median). */
  singleStandInCpuMs: number;
  waves: {
    size: number;
    medianMs: number;
    medianRatio: number;
    minRatio: number;
    maxRatio: number;
    /** New TLS connections the whole wave opened (median). */
    connections: number;
    /** The wave's CPU time in the worker (median). */
    cpuMs: number;
    /** The bench process's CPU time during the wave: the wave's stand-ins answering (median). */
    standInCpuMs: number;
  }[];
  errors: string[];
}

const SINGLE = 'single';

/**
 * Rounds run before the measured ones. The figure is the steady state of a process that releases again and
 * again (the single stage's as the waves'), and the library gets there late: its CPU time per wave of 10,
 * by blocks of ten rounds of a single stage and a wave (2026-11-30, this machine, six runs): 45–89 ms in
 * the first block, 23–67 ms in the next four, 14–39 ms from the sixth on (mostly under 25 ms), and the
 * wave's ratio 1.44–1.80× in the first block, 1.23–1.46× from the sixth on. It comes with the number of stages
 * run, not with time (a 9 s pause after ten rounds did not move it) nor with the heap's size (a heap sized
 * up front did not either): most likely V8 compiling, after about 550 stages of one cluster. A round here holds 15 of them (one cluster, then waves of 1, 3 and
 * 10), so 40 rounds (600). The ratio of rounds 7–16 (what one warm-up round and then six gave before) is
 * printed beside it.
 */
const WARM_UP_ROUNDS = 40;
/** The rounds reported as "early": right after the six warm-up rounds an earlier version of this bench threw away. */
const EARLY_ROUNDS = { from: 7, to: 16 };

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? NaN)
    : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

/** One round's order: the conditions rotated by the round number. */
function rotated<T>(items: T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/** A timing of the worker with the bench's own CPU time during that stage: the stand-ins answering it. */
interface MeasuredStage extends ClustersTiming {
  standInCpuMs: number;
}

/** Runs the job in a worker process of its own (the built library under plain node). */
async function runJob(job: ClustersJob): Promise<MeasuredStage[]> {
  ensureLibraryBuilt();
  const worker = fileURLToPath(new URL('./clusters-worker.ts', import.meta.url));
  const child = fork(worker, [JSON.stringify(job)], {
    execArgv: ['--disable-warning=ExperimentalWarning', ...extraFlags],
    env: { PATH: process.env.PATH ?? '', NO_PROXY: '127.0.0.1,localhost' },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const standIn = new Map<string, number>();
  let started = process.cpuUsage();
  const cpuSince = (from: NodeJS.CpuUsage) => {
    const { user, system } = process.cpuUsage(from);
    return (user + system) / 1000;
  };
  const timings = await new Promise<ClustersTiming[]>((resolve, reject) => {
    child.on('message', (message: ClustersMessage) => {
      if ('timings' in message) return resolve(message.timings);
      if (message.edge === 'start') started = process.cpuUsage();
      else standIn.set(message.label, cpuSince(started));
      child.send('go');
    });
    child.on('exit', (code) => reject(new Error(`clusters worker exited (${code}): ${stderr.trim()}`)));
  });
  return timings.map((timing) => ({ ...timing, standInCpuMs: standIn.get(timing.label) ?? NaN }));
}

export async function benchClusters(
  sizes: number[],
  rounds: number,
  latencyMs = 20,
  warmUpRounds = WARM_UP_ROUNDS,
): Promise<ClustersFigures> {
  const names = Array.from({ length: Math.max(...sizes) }, (_, i) => `cluster-${i + 1}`);
  const fleet = await startFleet(names);
  // The stages name the kubeconfig by path: its content, once per stage, would not fit in the arguments.
  const dir = mkdtempSync(join(tmpdir(), 'istio-canary-bench-clusters-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, fleet.kubeconfig);
  try {
    for (const server of Object.values(fleet.servers)) {
      loadBookinfo(server);
      server.faults.latencyMs = latencyMs;
    }
    await new Promise((resolve) => setTimeout(resolve, 50)); // the Deployment simulators roll out
    // Each stage a weight of its own, so that every stage writes in every cluster it touches.
    let weight = 0;
    const stage = (overrides: Partial<RunOptions>): RunOptions => {
      weight = (weight % 98) + 1;
      return reviewsOptions({ stage: 'shift', weight, kubeconfig, ...overrides });
    };
    const conditions = [SINGLE, ...sizes.map(String)];
    const optionsOf = (label: string): RunOptions =>
      label === SINGLE ? stage({ context: names[0] }) : stage({ clusters: [names.slice(0, Number(label))] });
    // Every round rotated alike, warm-up included; rounds numbered from 1 over the whole job.
    const all = Array.from({ length: warmUpRounds + rounds }, (_, index) =>
      rotated(conditions, index).map((label) => ({
        label: `${index + 1}:${label}`,
        options: optionsOf(label),
      })),
    ).flat();
    const timings = await runJob({ stages: all });
    const byRound = new Map<number, Map<string, MeasuredStage>>();
    for (const timing of timings) {
      const [round = '', label = ''] = timing.label.split(':');
      const row = byRound.get(Number(round)) ?? new Map<string, MeasuredStage>();
      row.set(label, timing);
      byRound.set(Number(round), row);
    }
    const roundsFrom = (from: number, to: number) =>
      [...byRound].filter(([round]) => round >= from && round <= to).map(([, row]) => row);
    const rows = roundsFrom(warmUpRounds + 1, warmUpRounds + rounds);
    const of = (label: string, pick: (timing: MeasuredStage) => number, among = rows) =>
      among.map((row) => {
        const timing = row.get(label);
        return timing ? pick(timing) : NaN;
      });
    const single = of(SINGLE, (timing) => timing.wallMs);
    const largest = String(Math.max(...sizes));
    const earlyRows = roundsFrom(EARLY_ROUNDS.from, Math.min(EARLY_ROUNDS.to, warmUpRounds));
    const earlySingle = of(SINGLE, (timing) => timing.wallMs, earlyRows);
    const early: EarlyFigures | undefined =
      earlyRows.length > 0
        ? {
            fromRound: EARLY_ROUNDS.from,
            toRound: EARLY_ROUNDS.from + earlyRows.length - 1,
            size: Number(largest),
            medianRatio: median(
              of(largest, (timing) => timing.wallMs, earlyRows).map(
                (time, index) => time / (earlySingle[index] ?? NaN),
              ),
            ),
            cpuMs: median(of(largest, (timing) => timing.cpuMs, earlyRows)),
          }
        : undefined;
    return {
      latencyMs,
      rounds,
      warmUpRounds,
      early,
      singleMs: median(single),
      singleConnections: median(of(SINGLE, (timing) => timing.connections)),
      singleCpuMs: median(of(SINGLE, (timing) => timing.cpuMs)),
      singleStandInCpuMs: median(of(SINGLE, (timing) => timing.standInCpuMs)),
      waves: sizes.map((size) => {
        const times = of(String(size), (timing) => timing.wallMs);
        const ratios = times.map((time, index) => time / (single[index] ?? NaN));
        return {
          size,
          medianMs: median(times),
          medianRatio: median(ratios),
          minRatio: Math.min(...ratios),
          maxRatio: Math.max(...ratios),
          connections: median(of(String(size), (timing) => timing.connections)),
          cpuMs: median(of(String(size), (timing) => timing.cpuMs)),
          standInCpuMs: median(of(String(size), (timing) => timing.standInCpuMs)),
        };
      }),
      errors: timings.flatMap((timing) => (timing.error ? [`round ${timing.label}: ${timing.error}`] : [])),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await fleet.close();
  }
}

const fmt = (ms: number) => (ms >= 100 ? `${Math.round(ms)} ms` : `${ms.toFixed(1)} ms`);

const WAVE_LIMIT = 1.5;

/** The wave of 10 (or the largest measured) against one cluster's stage. */
function largestWave(figures: ClustersFigures) {
  return figures.waves.find((wave) => wave.size === 10) ?? figures.waves.at(-1);
}

/** For the closing table: a wave of 10 clusters within 1.5× one cluster's stage. */
export function clustersTargets(figures: ClustersFigures): Target[] {
  const wave = largestWave(figures);
  if (!wave) return [];
  return [
    {
      target: `a wave of 10 clusters at ${figures.latencyMs} ms RTT ≤ ${WAVE_LIMIT}× one cluster's stage (paired)`,
      measured: `${wave.size} clusters ${wave.medianRatio.toFixed(2)}× (range ${wave.minRatio.toFixed(2)}–${wave.maxRatio.toFixed(2)}×); ${fmt(wave.medianMs)} vs ${fmt(figures.singleMs)}; library CPU ${fmt(wave.cpuMs)} vs ${fmt(figures.singleCpuMs)}`,
      met: wave.medianRatio <= WAVE_LIMIT,
    },
  ];
}

export function clustersReport(figures: ClustersFigures): string {
  const header =
    '| clusters in the wave | wave time (median) | wave / one cluster (median of paired rounds) | range | new TLS connections | CPU time of the library (median) | CPU time of the stand-ins (median) |';
  const rows = figures.waves.map(
    (wave) =>
      `| ${wave.size} | ${fmt(wave.medianMs)} | ${wave.medianRatio.toFixed(2)}× | ${wave.minRatio.toFixed(2)}–${wave.maxRatio.toFixed(2)}× | ${wave.connections} | ${fmt(wave.cpuMs)} | ${fmt(wave.standInCpuMs)} |`,
  );
  const ten = largestWave(figures);
  const target = ten
    ? `- Target: a wave of 10 clusters at ${figures.latencyMs} ms RTT within ${WAVE_LIMIT}× one cluster's stage: ${ten.size} clusters ${ten.medianRatio.toFixed(2)}× — ${ten.medianRatio <= WAVE_LIMIT ? 'met' : `missed (${(ten.medianRatio - WAVE_LIMIT).toFixed(2)}× over)`}.`
    : '';
  return [
    `## 6. Several clusters: one wave (shift, settle 0) vs one cluster's stage — ${figures.latencyMs} ms RTT, ${figures.rounds} paired rounds after ${figures.warmUpRounds}`,
    '',
    `The steady state of a process that releases again and again: ${figures.warmUpRounds} rounds run first, as V8 gets the library there late (see WARM_UP_ROUNDS in bench/clusters.ts).${figures.early ? ` Earlier, in rounds ${figures.early.fromRound}–${figures.early.toRound}, the wave of ${figures.early.size} read ${figures.early.medianRatio.toFixed(2)}× (library CPU ${fmt(figures.early.cpuMs)} per wave): a CI step's one release runs colder still.` : ''}`,
    '',
    `One cluster's stage (no \`clusters\`): ${fmt(figures.singleMs)} (median), ${figures.singleConnections} new TLS connections, ${fmt(figures.singleCpuMs)} of CPU time in the library's process (the figure a busy machine does not stretch as much as the wall time), ${fmt(figures.singleStandInCpuMs)} in the stand-in's.`,
    '',
    // Real clusters answer on machines of their own; here every stand-in answers on the bench's one thread,
    // beside the library's on the same few cores.
    "The stand-ins all answer in the bench's process, on one thread: a wave's stand-in CPU time is spent one request after the other, on the same cores as the library's process.",
    '',
    header,
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    target,
    ...(figures.errors.length > 0 ? ['', `Stages that failed: ${figures.errors.join('; ')}`] : []),
  ].join('\n');
}
