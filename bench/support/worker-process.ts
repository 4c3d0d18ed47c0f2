// The bench worker (bench/worker.ts) as a child process of the bench: started once, given jobs one after the
// other (so that pairs can interleave with other measurements), ended by the bench.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkerJob, WorkerReport } from '../worker.js';
import { ensureLibraryBuilt } from './library.js';

const WORKER = fileURLToPath(new URL('../worker.ts', import.meta.url));
const WORKER_JS = fileURLToPath(new URL('../../node_modules/.cache/bench/worker.mjs', import.meta.url));
const LIBRARY = new URL('../../lib/run-stage.js', import.meta.url).href;

/**
 * worker.ts as plain JavaScript: run as .ts, node would load its TypeScript parser (a WebAssembly module,
 * about 17 MB of rss) into the very process whose memory is measured, which a library user's has not.
 */
function workerScript(): string {
  mkdirSync(dirname(WORKER_JS), { recursive: true });
  writeFileSync(WORKER_JS, stripTypeScriptTypes(readFileSync(WORKER, 'utf8')));
  return WORKER_JS;
}

type Answer = { ready: true } | { report: WorkerReport } | { error: string };

export interface BenchWorker {
  run(job: WorkerJob): Promise<WorkerReport>;
  /** Ends the worker (it exits when the channel closes; killed if it has not within 10 s). */
  close(): Promise<void>;
}

/** Extra node flags for the worker, to profile it: BENCH_WORKER_FLAGS='--cpu-prof --cpu-prof-dir=/tmp/prof'. */
export const extraFlags = (process.env.BENCH_WORKER_FLAGS ?? '').split(' ').filter((flag) => flag !== '');

function pick(env: NodeJS.ProcessEnv, names: string[]): Record<string, string> {
  return Object.fromEntries(names.flatMap((name) => (env[name] ? [[name, env[name]]] : [])));
}

export async function startWorker(): Promise<BenchWorker> {
  ensureLibraryBuilt();
  // Plain node (no TypeScript loader in the worker): execArgv is not inherited from the bench.
  const child: ChildProcess = fork(workerScript(), [LIBRARY], {
    execArgv: ['--disable-warning=ExperimentalWarning', ...extraFlags],
    env: {
      PATH: process.env.PATH ?? '',
      NO_PROXY: '127.0.0.1,localhost',
      // what to record of the worker's memory (bench/worker.ts)
      ...pick(process.env, ['BENCH_ALLOC_PROFILE', 'BENCH_HEAP_SNAPSHOT_MB']),
    },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const answers: ((answer: Answer) => void)[] = [];
  const exited = new Promise<Answer>((resolve) =>
    child.on('exit', (code) => resolve({ error: `bench worker exited (${code}): ${stderr.trim()}` })),
  );
  const gone = exited.then(() => undefined);
  child.on('message', (answer: Answer) => answers.shift()?.(answer));
  const next = () => Promise.race([new Promise<Answer>((resolve) => answers.push(resolve)), exited]);
  const ready = await next();
  if ('error' in ready) throw new Error(ready.error);
  return {
    async run(job) {
      const answer = next();
      child.send(job);
      const result = await answer;
      if ('error' in result) throw new Error(`bench worker: ${result.error}`);
      if (!('report' in result)) throw new Error('bench worker: unexpected answer');
      return result.report;
    },
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    },
  };
}

/** One job in a worker of its own (a memory figure that is this job's alone). */
export async function runWorker(job: WorkerJob): Promise<WorkerReport> {
  const worker = await startWorker();
  try {
    return await worker.run(job);
  } finally {
    await worker.close();
  }
}
