// A separate process that runs stages through the built library (lib/, as users run it) under plain node,
// against a stand-in the parent process serves: the client and the server do not share one event loop (as
// with a real cluster), and the memory measured is the library's, not a TypeScript loader's.
// Started by bench/support/worker-process.ts with an IPC channel, as plain JavaScript (the bench strips its
// types first), so it imports nothing but node's own modules and, at run time, lib/.
// Each message is a WorkerJob; each answer a WorkerReport.
import diagnostics from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import type { RunOptions } from '../src/types.js';

export interface WorkerJob {
  /** sequential: one stage after the other; concurrent: all at once */
  kind: 'sequential' | 'concurrent';
  stages: RunOptions[];
  /** sample memory every 5 ms (it costs the stages some time: only where memory is the figure) */
  sampleMemory?: boolean;
}

export interface TimedStage {
  /** wall-clock instants (performance.timeOrigin + now), comparable with the parent's */
  start: number;
  end: number;
  /** new TCP+TLS connections the client opened (undici's 'undici:client:connected'); sequential runs only */
  connections: number;
  error?: string;
}

export interface WorkerReport {
  stages: TimedStage[];
  /** memory before the job */
  baseRss: number;
  baseHeap: number;
  /** peaks during the job, sampled every 5 ms */
  peakRss: number;
  peakHeap: number;
  /** the kernel's figure for the whole process life */
  maxRssKernel: number;
  /** where the memory was at the sampled rss peak: V8's heap spaces (committed bytes), external, array buffers */
  atPeak: Record<string, number>;
}

// The built library's run-stage.js, as a URL: this file runs as plain JavaScript from elsewhere (see
// bench/support/worker-process.ts).
const library = process.argv[2]!;
const { runStage } = (await import(library)) as typeof import('../src/run-stage.js');

const clock = () => performance.timeOrigin + performance.now();

let connections = 0;
diagnostics.subscribe('undici:client:connected', () => connections++);

async function timed(options: RunOptions): Promise<TimedStage> {
  const opened = connections;
  const start = clock();
  const result = await runStage(options, {});
  const end = clock();
  return {
    start,
    end,
    connections: connections - opened,
    ...(result.error ? { error: result.error.message } : {}),
  };
}

/**
 * BENCH_ALLOC_PROFILE=<file>: V8's sampling heap profile of the job, objects the GC already collected
 * included (what was allocated, by stack, not only what was left): for Chrome DevTools' Memory tab.
 */
async function startAllocationProfile(file: string): Promise<() => Promise<void>> {
  // Loaded only when asked for: the idle process is part of the figure.
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  return async () => {
    const { profile } = await session.post('HeapProfiler.stopSampling');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}

/** BENCH_HEAP_SNAPSHOT_MB=<n>: one heap snapshot (into the working directory) when heapUsed first passes n MB. */
function snapshotAbove(megabytes: number): (heapUsed: number) => void {
  let taken = megabytes <= 0;
  return (heapUsed) => {
    if (taken || heapUsed < megabytes * 1024 * 1024) return;
    taken = true;
    writeHeapSnapshot();
  };
}

async function run(job: WorkerJob): Promise<WorkerReport> {
  const base = process.memoryUsage();
  const peaks = { rss: base.rss, heap: base.heapUsed };
  let atPeak: Record<string, number> = {};
  const snapshot = snapshotAbove(Number(process.env.BENCH_HEAP_SNAPSHOT_MB ?? 0));
  const sample = () => {
    const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
    snapshot(heapUsed);
    if (rss > peaks.rss) {
      atPeak = Object.fromEntries([
        ...getHeapSpaceStatistics().map((space) => [space.space_name, space.physical_space_size]),
        ['external', external],
        ['arrayBuffers', arrayBuffers],
      ]);
    }
    peaks.rss = Math.max(peaks.rss, rss);
    peaks.heap = Math.max(peaks.heap, heapUsed);
  };
  const profileFile = process.env.BENCH_ALLOC_PROFILE;
  const profiled = profileFile ? await startAllocationProfile(profileFile) : undefined;
  const sampler = job.sampleMemory ? setInterval(sample, 5) : undefined;
  const stages: TimedStage[] = [];
  try {
    if (job.kind === 'concurrent') stages.push(...(await Promise.all(job.stages.map(timed))));
    else for (const options of job.stages) stages.push(await timed(options));
  } finally {
    clearInterval(sampler);
    sample();
    await profiled?.();
  }
  return {
    stages,
    baseRss: base.rss,
    baseHeap: base.heapUsed,
    peakRss: peaks.rss,
    peakHeap: peaks.heap,
    maxRssKernel: process.resourceUsage().maxRSS * 1024,
    atPeak,
  };
}

// Jobs one at a time, in the order they come; the process ends when the parent closes the channel (lease
// timers and keep-alive sockets of the runs would otherwise hold it).
let queue = Promise.resolve();
process.on('message', (job: WorkerJob) => {
  queue = queue.then(() =>
    run(job).then(
      (report) => void process.send!({ report }),
      (error: unknown) => void process.send!({ error: String(error) }),
    ),
  );
});
process.on('disconnect', () => process.exit(0));
process.send!({ ready: true });
