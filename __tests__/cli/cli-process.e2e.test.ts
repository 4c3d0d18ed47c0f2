// The bundled CLI (dist/cli/index.js) as a process, the way people run it in a shell: pipes that close
// early, flags typed in the wrong order, Ctrl-C pressed twice.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jest } from '@jest/globals';
import { stringify } from 'yaml';
import { bookinfoObjects, loadBookinfo } from '../../test/support/bookinfo.js';
import { startApiServer, type ApiServer } from '../../test/support/kube-apiserver/index.js';
import { largeReviewsVirtualService } from '../../test/support/large-virtual-service.js';
import { routingSnapshot } from '../../test/support/routing-snapshot.js';

jest.setTimeout(120_000);

const CLI = fileURLToPath(new URL('../../dist/cli/index.js', import.meta.url));

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command line in bash with pipefail, so the exit status is the CLI's even behind `| head -1`. */
function shell(command: string, cwd: string): Promise<Finished> {
  return finished(spawn('bash', ['-o', 'pipefail', '-c', command], { cwd }));
}

function finished(child: ReturnType<typeof spawn>): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'istio-canary-cli-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const node = JSON.stringify(process.execPath);
const cli = `${node} ${JSON.stringify(CLI)}`;

test('plan … | head -1: the first line, exit 0, no EPIPE stack trace', async () => {
  const objects = [largeReviewsVirtualService(2000), ...bookinfoObjects('04-destination-rules.yaml')];
  writeFileSync(join(dir, 'reviews.yaml'), objects.map((object) => stringify(object)).join('---\n'));
  const run = await shell(
    `${cli} plan --from reviews.yaml --stage shift --service reviews --stable v1 --canary v2 --weight 50 | head -1`,
    dir,
  );
  expect(run.stdout).toBe('apiVersion: networking.istio.io/v1\n');
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
});

test('--weight --dry-run: "--weight needs a value", exit 2', async () => {
  const run = await shell(`${cli} shift --service reviews --stable v1 --canary v2 --weight --dry-run`, dir);
  expect(run.stderr).toBe('error: --weight needs a value: see istio-canary shift --help\n');
  expect(run.code).toBe(2);
});

describe('signals', () => {
  let cluster: ApiServer;
  let probe: Server;
  beforeEach(async () => {
    cluster = await startApiServer();
    loadBookinfo(cluster);
  });
  afterEach(async () => {
    probe.closeAllConnections();
    probe.close();
    await cluster.close();
  });

  test('Ctrl-C twice and a SIGTERM during the restore: every further signal waits for it', async () => {
    const before = routingSnapshot(cluster);
    let reached: () => void = () => {};
    const probed = new Promise<void>((resolve) => (reached = resolve));
    // The canary's health endpoint never answers: the run waits on it until it is stopped.
    probe = createServer(() => reached());
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const probeUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}/health`;
    const child = spawn(
      process.execPath,
      [
        CLI,
        'shift',
        ...['--service', 'reviews', '--stable', 'v1', '--canary', 'v2', '--weight', '50'],
        ...['--kubeconfig', cluster.kubeconfigPath, '--settle', '0', '--timeout', '120s'],
        ...['--probe-url', probeUrl],
      ],
      { cwd: dir },
    );
    const done = finished(child);
    await probed;
    expect(routingSnapshot(cluster)).not.toEqual(before);
    // Each request of the restore now takes 400 ms: the signals below arrive while it runs.
    cluster.faults.latencyMs = 400;
    child.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 100));
    child.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 100));
    child.kill('SIGTERM');
    const run = await done;
    expect(run.signal).toBeNull();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('warning: SIGINT received: stopping and restoring what this run changed.\n');
    expect(run.stderr).toContain(
      'SIGINT received again: still restoring what this run changed; it exits when that is done.\n',
    );
    expect(run.stderr).toContain(
      'SIGTERM received again: still restoring what this run changed; it exits when that is done.\n',
    );
    expect(run.stderr).toContain('error: the run was cancelled (SIGINT)\n');
    expect(routingSnapshot(cluster)).toEqual(before);
  });
});
