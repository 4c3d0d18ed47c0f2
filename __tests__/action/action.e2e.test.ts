// The bundled action (dist/index.js) as the runner starts it, against the Kubernetes API server stand-in
// (HTTPS, real client) and the GitHub API stand-in: outputs, job summary, the pull-request comment, exit
// codes, masking, rollback on a failed check and on cancellation.
import { createServer, type Server } from 'node:http';
import { jest } from '@jest/globals';
import type { AddressInfo } from 'node:net';
import { parse } from 'yaml';
import { loadBookinfo } from '../../test/support/bookinfo.js';
import { startApiServer, type ApiServer } from '../../test/support/kube-apiserver/index.js';
import { startGitHubApi, type GitHubApiStandIn } from '../../test/support/github-api/server.js';
import {
  maskedValues,
  runAction,
  visibleLog,
  type ActionRun,
  type RunActionOptions,
} from '../../test/support/github-api/run-action.js';

jest.setTimeout(240_000);

const TOKEN = 'ghs_e2eCommentToken0123456789abcdef';
const PR_EVENT = {
  name: 'pull_request',
  payload: {
    action: 'synchronize',
    number: 7,
    pull_request: { number: 7, head: { ref: 'feature', sha: 'abc123' } },
    repository: { name: 'bookinfo', owner: { login: 'acme' } },
  },
};
const MARKER = '<!-- istio-canary:default/reviews -->';

let cluster: ApiServer;
let github: GitHubApiStandIn;

beforeEach(async () => {
  cluster = await startApiServer();
  loadBookinfo(cluster);
  github = await startGitHubApi({ token: TOKEN });
});
afterEach(async () => {
  await cluster.close();
  await github.close();
});

const reviewsVirtualService = () =>
  cluster.store.get('networking.istio.io/v1', 'VirtualService', 'default', 'reviews') as {
    spec: { http: { match?: unknown; route: { destination: { subset: string }; weight?: number }[] }[] };
  };
const defaultRoute = () => reviewsVirtualService().spec.http.find((route) => !route.match)?.route;
const comments = () => github.comments('acme', 'bookinfo', 7);

/** A stage on reviews v1 → v2 from a pull request, the way a workflow step would pass it. */
function step(inputs: Record<string, string>, extra: Partial<RunActionOptions> = {}): Promise<ActionRun> {
  return runAction({
    inputs: {
      service: 'reviews',
      kubeconfig: cluster.kubeconfigYaml(),
      'github-token': TOKEN,
      settle: '0',
      timeout: '60s',
      ...inputs,
    },
    event: PR_EVENT,
    apiUrl: github.url,
    ...extra,
  });
}

/** No secret is ever shown: only the runner-consumed `::add-mask::` commands carry them. */
function expectNoSecretShown(run: ActionRun): void {
  const shown = visibleLog(run);
  for (const secret of [TOKEN, 'admin-token']) expect(shown).not.toContain(secret);
  expect(maskedValues(run.stdout)).toEqual(
    expect.arrayContaining([TOKEN, 'admin-token', cluster.kubeconfigYaml().trim()]),
  );
}

/** A probe target answering `status` to every request, and a promise of its first request. */
async function probeTarget(
  status: number,
): Promise<{ url: string; firstRequest: Promise<void>; server: Server }> {
  let reached: () => void = () => {};
  const firstRequest = new Promise<void>((resolve) => (reached = resolve));
  const server = createServer((_request, response) => {
    reached();
    response.writeHead(status).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`, firstRequest, server };
}

test('route → shift 50 → promote, chained through outputs as a workflow does, with one PR comment', async () => {
  const route = await step({
    stage: 'route',
    stable: 'v1',
    canary: 'v2',
    'header-match': 'end-user=test-user',
  });
  expect(route.stderr).toBe('');
  expect(route.code).toBe(0);
  expect(route.outputs).toMatchObject({
    stage: 'route',
    'previous-weight': '0',
    weight: '0',
    stable: 'v1',
    canary: 'v2',
    changed: 'true',
    healthy: 'true',
    'rolled-back': 'false',
  });
  expect(parse(route.outputs['virtual-service'] ?? '').spec.http[0].match).toEqual([
    { headers: { 'end-user': { exact: 'test-user' } } },
  ]);
  expect(
    parse(route.outputs['destination-rule'] ?? '').spec.subsets.map((s: { name: string }) => s.name),
  ).toEqual(['v1', 'v2', 'v3']);
  expect(route.summary).toContain('## istio-canary: `route` reviews\n');
  expect(route.summary).toContain('| end-user=test-user | — | v2: 100 |\n| default | v1: 100 | v1: 100 |');
  expect(route.summary).toContain('| ✅ | rollout app=reviews,version=v2 |');
  expect(route.summary).toContain('<details><summary>VirtualService (applied)</summary>');
  expect(route.stdout).toContain('::group::');
  expectNoSecretShown(route);
  expect(comments()).toHaveLength(1);
  expect(comments()[0]?.body).toContain(MARKER);
  expect(comments()[0]?.body).toContain("curl -H 'end-user: test-user' 'http://reviews:9080/'");

  const shift = await step({
    stage: 'shift',
    weight: '50',
    stable: route.outputs.stable ?? '',
    canary: route.outputs.canary ?? '',
    'header-match': 'end-user=test-user',
  });
  expect(shift.code).toBe(0);
  expect(shift.outputs).toMatchObject({
    stage: 'shift',
    'previous-weight': '0',
    weight: '50',
    changed: 'true',
  });
  expect(defaultRoute()).toEqual([
    { destination: { host: 'reviews', subset: 'v1' }, weight: 50 },
    { destination: { host: 'reviews', subset: 'v2' }, weight: 50 },
  ]);
  expect(shift.summary).toContain('| default | v1 | v2 | 0 → 50 | yes | ✅ yes |');
  expect(shift.summary).toContain(
    '```mermaid\npie showData title Default route split\n    "v1" : 50\n    "v2" : 50\n```',
  );
  expect(comments()).toHaveLength(1);
  expect(comments()[0]?.body).toContain('| default | v1: 50, v2: 50 |');

  const promote = await step({
    stage: 'promote',
    stable: shift.outputs.stable ?? '',
    canary: shift.outputs.canary ?? '',
  });
  expect(promote.code).toBe(0);
  expect(promote.outputs).toMatchObject({ stage: 'promote', 'previous-weight': '50', weight: '100' });
  expect(defaultRoute()).toEqual([{ destination: { host: 'reviews', subset: 'v2' } }]);
  expect(comments()).toHaveLength(1);
  expect(comments()[0]?.body).toContain('🚀 **Promoted**: `v2` serves all traffic.');

  const writes = github.requests.filter(({ method }) => method !== 'GET').map(({ method }) => method);
  expect(writes).toEqual(['POST', 'PATCH', 'PATCH']);
  expect(github.requests.every(({ authorization }) => authorization === `token ${TOKEN}`)).toBe(true);
});

test('a failing probe after the write: rolled back, one-line failure, exit 1, summary and comment say so', async () => {
  const before = structuredClone(reviewsVirtualService().spec);
  const probe = await probeTarget(503);
  try {
    const run = await step({
      stage: 'shift',
      weight: '50',
      stable: 'v1',
      canary: 'v2',
      'probe-url': probe.url,
      timeout: '3s',
    });
    expect(run.code).toBe(1);
    const errors = run.stdout.split('\n').filter((line) => line.startsWith('::error::'));
    expect(errors).toHaveLength(1);
    expect(run.outputs).toMatchObject({ 'rolled-back': 'true', healthy: 'false' });
    expect(reviewsVirtualService().spec).toEqual(before);
    expect(run.summary).toContain('> [!WARNING]\n> Rolled back: ');
    expect(run.summary).toMatch(/\| ❌ \| probe/);
    expect(comments()[0]?.body).toContain('⚠️ **Rolled back**');
    expectNoSecretShown(run);
  } finally {
    probe.server.close();
  }
});

test('SIGTERM from a cancelled workflow: the run stops, restores what it wrote and fails', async () => {
  const before = structuredClone(reviewsVirtualService().spec);
  const probe = await probeTarget(503);
  try {
    const run = await step(
      { stage: 'shift', weight: '50', stable: 'v1', canary: 'v2', 'probe-url': probe.url, timeout: '120s' },
      { cancel: { after: probe.firstRequest, signal: 'SIGTERM' } },
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      '::warning::SIGTERM received: stopping and restoring what this run changed.',
    );
    expect(run.outputs['rolled-back']).toBe('true');
    expect(reviewsVirtualService().spec).toEqual(before);
  } finally {
    probe.server.close();
  }
});

test('dry run: the diff in the summary, nothing written', async () => {
  const before = structuredClone(reviewsVirtualService());
  const run = await step({ stage: 'shift', weight: '25', stable: 'v1', canary: 'v2', 'dry-run': 'true' });
  expect(run.code).toBe(0);
  expect(run.outputs).toMatchObject({ changed: 'true', weight: '25' });
  expect(run.summary).toContain('> [!NOTE]\n> Dry run: nothing was written; this is what would be applied.');
  expect(run.summary).toContain('<details open><summary>Diff (dry run)</summary>');
  expect(reviewsVirtualService()).toEqual(before);
});

test('no pull request (or no token): no comment and no error; an API refusal is only a warning', async () => {
  const push = await step(
    { stage: 'status', stable: 'v1', canary: 'v2' },
    { event: { name: 'push', payload: {} } },
  );
  expect(push.code).toBe(0);
  const tokenless = await step({ stage: 'status', stable: 'v1', canary: 'v2', 'github-token': '' });
  expect(tokenless.code).toBe(0);
  expect(github.requests).toEqual([]);

  github.failWith(403, 'Resource not accessible by integration');
  const refused = await step({ stage: 'status', stable: 'v1', canary: 'v2' });
  expect(refused.code).toBe(0);
  expect(refused.stdout).toContain(
    '::warning::Could not comment on pull request #7: HTTP 403 Resource not accessible by integration; ' +
      'give the token pull-requests: write, or leave github-token empty.',
  );
  expect(refused.outputs).toMatchObject({ stage: 'status', weight: '0' });
});

test('summary: false writes no job summary', async () => {
  const run = await step({ stage: 'status', stable: 'v1', canary: 'v2', summary: 'false' });
  expect(run.code).toBe(0);
  expect(run.summary).toBe('');
});
