// The CLI against a cluster: `istio-canary <stage> --kubeconfig F …` through runCli, as a person runs it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { runCli } from '../../src/cli/index.js';
import { loadBookinfo } from '../../test/support/bookinfo.js';
import { startApiServer, type ApiServer } from '../../test/support/kube-apiserver/index.js';
import { routingSnapshot } from '../../test/support/routing-snapshot.js';

let server: ApiServer;

beforeAll(async () => {
  server = await startApiServer();
  loadBookinfo(server);
});
afterAll(() => server.close());

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
}

const common = ['--service', 'reviews', '--stable', 'v1', '--canary', 'v2', '--settle', '0'];

describe('istio-canary <stage> against a cluster', () => {
  it('route, shift and status print the split; the kubeconfig never reaches the output', async () => {
    const kubeconfig = server.kubeconfigYaml();
    const route = await cli(
      'route',
      ...common,
      '--kubeconfig',
      kubeconfig,
      '--header-match',
      'end-user=test-user',
    );
    expect(route.stderr).not.toContain('admin-token');
    expect(route.stdout).not.toContain('admin-token');
    expect(route.code).toBe(0);
    expect(route.stdout).toContain('istio-canary route reviews (namespace default)');

    const shift = await cli('shift', ...common, '--kubeconfig', server.kubeconfigPath, '--weight', '25');
    expect(shift.code).toBe(0);
    expect(shift.stdout).toContain('canary weight 0 → 25');
    expect(shift.stdout).toMatch(/default +v1: 100 {2}→ {2}v1: 75, v2: 25/);

    const status = await cli('status', ...common, '--kubeconfig', server.kubeconfigPath);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/v1 +█+░+ +75%/);
  });

  it('a failure is one line on stderr, exit 1, nothing changed', async () => {
    const before = routingSnapshot(server);
    const result = await cli(
      'shift',
      ...common,
      '--kubeconfig',
      server.kubeconfigPath,
      '--weight',
      '30',
      '--canary',
      'v7',
    );
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n').at(-1)).toBe(
      'error: Deployment for canary v7 not found in default: app=reviews has versions v1, v2, v3; deploy v7 first or correct the canary input',
    );
    expect(routingSnapshot(server)).toEqual(before);
  });

  it('bad input exits 2 with the field named, before any request', async () => {
    server.requests.length = 0;
    const result = await cli('shift', ...common, '--kubeconfig', server.kubeconfigPath, '--weight', '150');
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('error: weight must be an integer 0–100, got "150"\n');
    expect(server.requests).toHaveLength(0);
  });

  it('a status that cannot read prints the error and nothing that looks like a result', async () => {
    const kubeconfig = server.kubeconfigYaml().replace('admin-token', 'expired-token-2024');
    const status = await cli('status', ...common, '--kubeconfig', kubeconfig);
    const error = `the Kubernetes API at ${server.url} rejected the credentials (401 Unauthorized): refresh the kubeconfig's token or client certificate`;
    expect(status.code).toBe(1);
    expect(status.stdout).toBe(`istio-canary status reviews (namespace default)\n\nError: ${error}\n`);
    expect(status.stderr).toBe(`error: ${error}\n`);
  });

  it('a flag the stage ignores is named in a warning on stderr', async () => {
    const rollback = await cli(
      'rollback',
      ...common,
      '--kubeconfig',
      server.kubeconfigPath,
      '--weight',
      '10',
    );
    expect(rollback.code).toBe(0);
    expect(rollback.stderr).toContain('warning: weight is ignored by stage rollback: only shift uses it\n');
    expect(rollback.stdout).toContain('canary weight');
  });
});
