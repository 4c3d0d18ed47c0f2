// The library's side of the several-clusters benchmark, in a process of its own (as a CI runner is apart
// from its clusters): runs the stages it is given one after the other and prints, as one JSON line, how
// long each took. Usage: node --import tsx bench/clusters-worker.ts '<ClustersJob as JSON>'.
import diagnostics from 'node:diagnostics_channel';
import { runStage } from '../src/run-stage.js';
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

let connections = 0;
diagnostics.subscribe('undici:client:connected', () => connections++);

async function main(job: ClustersJob): Promise<ClustersTiming[]> {
  const timings: ClustersTiming[] = [];
  for (const { label, options } of job.stages) {
    const opened = connections;
    const cpu = process.cpuUsage();
    const start = performance.now();
    const result = await runStage(options, {});
    const wallMs = performance.now() - start;
    const { user, system } = process.cpuUsage(cpu);
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
    process.stdout.write(`${JSON.stringify(timings)}\n`);
    process.exit(0); // keep-alive sockets and lease timers must not hold the figures back
  },
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  },
);
