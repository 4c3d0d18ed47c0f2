// Runs a real Prometheus on loopback for tests: temp config and storage, a free port, scraping the
// given targets every second. `close()` kills it and removes its files.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RunningPrometheus {
  url: string;
  /** Resolves once `query` returns at least one sample. */
  waitForSamples(query: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

function configFor(targets: string[]): string {
  return [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    '  - job_name: istio-mesh',
    '    static_configs:',
    `      - targets: [${targets.map((target) => `'${target}'`).join(', ')}]`,
    '',
  ].join('\n');
}

/** Polls until `check` holds; the process offers no event for readiness, so a short poll it is. */
async function pollUntil(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
  log: () => string,
  alive: () => boolean,
) {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (!alive()) throw new ExitedEarly(`Prometheus test server exited early; its log:\n${log()}`);
    if (await check().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(`Prometheus test server: ${what} not reached within ${timeoutMs} ms; its log:\n${log()}`);
}

class ExitedEarly extends Error {}

const running = new Set<ChildProcess>();
// A test run that dies without afterAll must not leave Prometheus behind.
process.once('exit', () => running.forEach((child) => child.kill('SIGKILL')));

/** Starts Prometheus scraping `targets` (host:port); a port taken meanwhile by another process is retried. */
export async function startPrometheus(binary: string, targets: string[]): Promise<RunningPrometheus> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(binary, targets);
    } catch (error) {
      if (!(error instanceof ExitedEarly) || attempt === 3) throw error;
    }
  }
}

async function startOnce(binary: string, targets: string[]): Promise<RunningPrometheus> {
  const dir = await mkdtemp(join(tmpdir(), 'istio-canary-prometheus-'));
  const configFile = join(dir, 'prometheus.yml');
  await writeFile(configFile, configFor(targets));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  running.add(child);
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let alive = true;
  void exited.then(() => (alive = false));

  const close = async () => {
    if (alive) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    }
    running.delete(child);
    await rm(dir, { recursive: true, force: true });
  };

  const fetchOk = (path: string) => fetch(url + path, { signal: AbortSignal.timeout(2000) });
  const isAlive = () => alive;

  try {
    await pollUntil(
      'readiness (/-/ready)',
      60_000,
      async () => (await fetchOk('/-/ready')).ok,
      () => log,
      isAlive,
    );
  } catch (error) {
    await close();
    throw error;
  }

  return {
    url,
    close,
    waitForSamples: (query, timeoutMs = 60_000) =>
      pollUntil(
        `a sample for ${query}`,
        timeoutMs,
        async () => {
          const answer = await fetchOk(`/api/v1/query?query=${encodeURIComponent(query)}`);
          const body = (await answer.json()) as { data?: { result?: unknown[] } };
          return (body.data?.result?.length ?? 0) > 0;
        },
        () => log,
        isAlive,
      ),
  };
}
