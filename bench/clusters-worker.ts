// The library's side of the several-clusters benchmark, in a process of its own (as a CI runner is apart
// from its clusters): runs the stages it is given one after the other through the built library (lib/,
// as users run it) under plain node, and answers how long each took. Forked by bench/clusters.ts with an
// IPC channel: before and after each stage it tells the bench and waits for its answer, so that the bench
// can read its own CPU time (the stand-ins') at the stage's edges. The job comes as the first argument;
// the timings go back as the last message.
import diagnostics from 'node:diagnostics_channel';
import type { RunOptions } from '../src/types.js';

export interface ClustersJob {
  stages: { label: string; options: RunOptions }[];
}

export interface ClustersTiming {
  label: string;
  wallMs: number;
  /** New TCP+TLS connections the stage opened (undici's 'undici:client:connected'). */
  connections: number;
  /** CPU time of this process during the stage (user + system): what a busy machine stretches. */
  cpuMs: number;
  error?: string;
}

/** What the worker tells the bench: a stage starts or has ended (the bench answers each), or all timings. */
export type ClustersMessage = { edge: 'start' | 'end'; label: string } | { timings: ClustersTiming[] };

const library = new URL('../lib/run-stage.js', import.meta.url).href;
const { runStage } = (await import(library)) as typeof import('../src/run-stage.js');

let connections = 0;
diagnostics.subscribe('undici:client:connected', () => connections++);

/** Tells the bench, and waits for its answer. */
function edge(message: ClustersMessage): Promise<void> {
  return new Promise((resolve) => {
    process.once('message', () => resolve());
    process.send?.(message);
  });
}

async function main(job: ClustersJob): Promise<ClustersTiming[]> {
  const timings: ClustersTiming[] = [];
  for (const { label, options } of job.stages) {
    await edge({ edge: 'start', label });
    const opened = connections;
    const cpu = process.cpuUsage();
    const start = performance.now();
    const result = await runStage(options, {});
    const wallMs = performance.now() - start;
    const { user, system } = process.cpuUsage(cpu);
    await edge({ edge: 'end', label });
    timings.push({
      label,
      wallMs,
      connections: connections - opened,
      cpuMs: (user + system) / 1000,
      ...(result.error ? { error: result.error.message } : {}),
    });
  }
  return timings;
}

main(JSON.parse(process.argv[2] ?? '{}') as ClustersJob).then(
  (timings) => {
    const message: ClustersMessage = { timings };
    // Keep-alive sockets and lease timers must not hold the figures back.
    process.send?.(message, () => process.exit(0));
  },
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  },
);
