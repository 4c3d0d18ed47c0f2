// The bundled CLI (dist/cli/index.js) as a process, the way people run it in a shell: pipes that close
// early, flags typed in the wrong order, Ctrl-C pressed twice.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jest } from '@jest/globals';
import { stringify } from 'yaml';
import { bookinfoObjects } from '../../test/support/bookinfo.js';
import { largeReviewsVirtualService } from '../../test/support/large-virtual-service.js';

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
