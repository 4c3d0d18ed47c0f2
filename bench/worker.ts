// A separate process that runs stages through the library against a stand-in the parent process serves, so
// that the client and the server do not share one event loop (as with a real cluster), and so that the peak
// memory measured is the library's. Usage: node --import tsx bench/worker.ts '<WorkerJob as JSON>'.
// Prints one line of JSON: a WorkerReport.
import diagnostics from 'node:diagnostics_channel';
import { runStage } from '../src/run-stage.js';
import type { RunOptions } from '../src/types.js';
import { MemorySampler } from './support/stats.js';

export interface WorkerJob {
  /** sequential: one stage after the other; concurrent: all at once */
  kind: 'sequential' | 'concurrent';
  stages: RunOptions[];
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
  /** memory after the imports, before any stage */
  baseRss: number;
  baseHeap: number;
  peakRss: number;
  peakHeap: number;
  /** the kernel's figure for the whole process life */
  maxRssKernel: number;
}

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

async function main(job: WorkerJob): Promise<WorkerReport> {
  const base = process.memoryUsage();
  const sampler = new MemorySampler(5);
  const stages: TimedStage[] = [];
  if (job.kind === 'concurrent') stages.push(...(await Promise.all(job.stages.map(timed))));
  else for (const options of job.stages) stages.push(await timed(options));
  const peaks = sampler.stop();
  return {
    stages,
    baseRss: base.rss,
    baseHeap: base.heapUsed,
    ...peaks,
    maxRssKernel: process.resourceUsage().maxRSS * 1024,
  };
}

const job = JSON.parse(process.argv[2] ?? '{}') as WorkerJob;
main(job).then(
  (report) => {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    process.exit(0); // lease timers and keep-alive sockets must not hold the figures back
  },
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  },
);
