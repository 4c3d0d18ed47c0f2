// `npm start` and `npm start -- --gateway-api`: the README's first command and its Gateway API form run the
// whole Bookinfo release on the stand-in through the CLI, as a newcomer runs them (a child process).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';

const ROOT = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);

/** `tsx scripts/demo.ts <args>` (what `npm start -- <args>` runs): exit code and output. */
async function demo(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      join(ROOT, 'node_modules', '.bin', 'tsx'),
      ['scripts/demo.ts', ...args],
      {
        cwd: ROOT,
        timeout: 120_000,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

const STAGES = [
  '━━ 1/5 istio-canary route --header-match end-user=test-user',
  '━━ 2/5 istio-canary shift --weight 10',
  '━━ 3/5 istio-canary shift --weight 50',
  '━━ 4/5 istio-canary promote',
  '━━ 5/5 istio-canary finalize --delete-stable',
];

describe('npm start', () => {
  it('runs the release on the VirtualService, every stage, ending with v1 gone', async () => {
    const { code, stdout } = await demo();
    expect(code).toBe(0);
    for (const stage of STAGES) expect(stdout).toContain(stage);
    expect(stdout).toContain(
      '(examples/bookinfo/02-bookinfo.yaml, examples/bookinfo/03-virtual-services-v1.yaml',
    );
    expect(stdout).toMatch(
      /VirtualService reviews, spec:\n {4}hosts:\n {6}- reviews\n {4}http:\n {6}- name: reviews-primary\n {8}route:\n {10}- destination:\n {14}host: reviews\n {14}subset: v2\n/,
    );
    expect(stdout).toContain('Deployments: details-v1, productpage-v1, ratings-v1, reviews-v2, reviews-v3');
  });

  it('runs the same release on HTTPRoute with --gateway-api, each stage waiting for the route status', async () => {
    const { code, stdout } = await demo('--gateway-api');
    expect(code).toBe(0);
    for (const stage of STAGES) expect(stdout).toContain(stage);
    expect(stdout).toContain('examples/bookinfo-gateway-api/03-route-reviews-v1.yaml)');
    expect(stdout.match(/✓ +route status +\d+ ms +accepted: HTTPRoute reviews in default/g)).toHaveLength(5);
    // At the end everything goes to reviews-v2 through the HTTPRoute; no VirtualService was written.
    const spec = stdout.slice(stdout.indexOf('HTTPRoute reviews, spec:'));
    expect(spec).toMatch(
      /rules:\n {6}- name: reviews-primary\n {8}backendRefs:\n(?: {10}.*\n)*? {12}name: reviews-v2\n/,
    );
    expect(spec).not.toContain('reviews-v1\n');
    expect(stdout).not.toMatch(/VirtualService \(applied\)/);
    expect(stdout).toContain('Deployments: details-v1, productpage-v1, ratings-v1, reviews-v2, reviews-v3');
  });

  it('refuses an argument it does not know, with exit 2', async () => {
    expect(await demo('--gateway')).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'demo: unknown arguments --gateway: npm start (VirtualService) or npm start -- --gateway-api (HTTPRoute)\n',
    });
  });
});
