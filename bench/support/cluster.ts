// The stand-in as the benchmarks use it: Bookinfo loaded, the routing put back to the seed state before each
// measured run, and child processes (kubectl, the bundled action) timed against it.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { DestinationRule, VirtualService } from '../../src/plan/types.js';
import { loadBookinfo } from '../../test/support/bookinfo.js';
import { startApiServer, type ApiServer } from '../../test/support/kube-apiserver/index.js';
import { sleep } from './stats.js';
import { RequestTimeline } from './timeline.js';

export const KUBECTL = '/usr/bin/kubectl';
const ISTIO = 'networking.istio.io/v1';

export interface BenchCluster {
  server: ApiServer;
  timeline: RequestTimeline;
  /** Puts the reviews VirtualService and DestinationRule back as the seed has them. */
  resetRouting(): void;
  virtualService(name?: string): VirtualService;
  destinationRule(name?: string): DestinationRule;
  close(): Promise<void>;
}

export async function startBenchCluster(latencyMs = 0): Promise<BenchCluster> {
  const server = await startApiServer({ latencyMs });
  loadBookinfo(server);
  await sleep(20); // the Deployment simulator reconciles on the next tick
  const vs = (name = 'reviews') =>
    server.store.get(ISTIO, 'VirtualService', 'default', name) as VirtualService;
  const dr = (name = 'reviews') =>
    server.store.get(ISTIO, 'DestinationRule', 'default', name) as DestinationRule;
  const seed = [vs(), dr()].map((object) => ({
    apiVersion: object.apiVersion,
    kind: object.kind,
    metadata: { name: object.metadata.name, namespace: 'default' },
    spec: structuredClone(object.spec),
  }));
  return {
    server,
    timeline: new RequestTimeline(server),
    resetRouting: () => seed.forEach((object) => server.store.put(structuredClone(object))),
    virtualService: vs,
    destinationRule: dr,
    close: () => server.close(),
  };
}

/** The objects as `kubectl apply -f` takes them: name, namespace and spec only. */
export function manifestOf(objects: (VirtualService | DestinationRule)[]): string {
  return objects
    .map((object) =>
      stringify({
        apiVersion: object.apiVersion,
        kind: object.kind,
        metadata: { name: object.metadata.name, namespace: object.metadata.namespace ?? 'default' },
        spec: object.spec,
      }),
    )
    .join('---\n');
}

let scratchRoot: string | undefined;

/** A fresh directory for one run's files (kubectl caches, action outputs), all removed when the process exits. */
export function scratchDir(prefix: string): string {
  if (!scratchRoot) {
    const root = mkdtempSync(join(tmpdir(), 'istio-canary-bench-'));
    process.on('exit', () => rmSync(root, { recursive: true, force: true }));
    scratchRoot = root;
  }
  return mkdtempSync(join(scratchRoot, `${prefix}-`));
}

export function writeScratch(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

export interface ProcessRun {
  code: number | null;
  wallMs: number;
  stdout: string;
  stderr: string;
  /** performance.now() when the process was spawned */
  spawnedAt: number;
}

/** Runs a command to its end, timing it from spawn to exit. */
export function timeProcess(
  command: string,
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const spawnedAt = performance.now();
    const child = spawn(command, args, {
      env: { PATH: process.env.PATH ?? '', NO_PROXY: '127.0.0.1,localhost', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, wallMs: performance.now() - spawnedAt, stdout, stderr, spawnedAt });
    });
  });
}

/** `kubectl apply --server-side` of a manifest, with its own discovery cache directory and HOME. */
export function kubectlApply(
  cluster: BenchCluster,
  manifestPath: string,
  cacheDir: string,
): Promise<ProcessRun> {
  return timeProcess(
    KUBECTL,
    [
      '--kubeconfig',
      cluster.server.kubeconfigPath,
      '--cache-dir',
      cacheDir,
      'apply',
      '--server-side',
      '--force-conflicts',
      '--field-manager',
      'kubectl-bench',
      '-f',
      manifestPath,
    ],
    { HOME: cacheDir },
  );
}

/** A wall-clock instant from another process, on this process's performance.now() scale. */
export function fromWallClock(instant: number): number {
  return instant - performance.timeOrigin;
}
