// The bundled action (dist/index.js) as workflow authors use it, checked the way the runner treats what it
// writes: GITHUB_OUTPUT parsed as actions/runner parses it, outputs containing a masked string dropped before
// the next job, the log with every mask applied, the job summary file and the pull-request comment.
import { createServer, type AddressInfo } from 'node:net';
import { jest } from '@jest/globals';
import { parse, stringify } from 'yaml';
import { bookinfoObjects, loadBookinfo } from '../../test/support/bookinfo.js';
import { largeReviewsVirtualService } from '../../test/support/large-virtual-service.js';
import { startApiServer, type ApiServer } from '../../test/support/kube-apiserver/index.js';
import { startGitHubApi, type GitHubApiStandIn } from '../../test/support/github-api/server.js';
import {
  jobOutputs,
  maskedValues,
  runAction,
  runnerLog,
  type ActionRun,
  type RunActionOptions,
} from '../../test/support/github-api/run-action.js';

jest.setTimeout(240_000);

const TOKEN = 'ghs_workflowAuthorsToken0123456789ab';
const PR_EVENT = {
  name: 'pull_request',
  payload: {
    number: 7,
    pull_request: { number: 7 },
    repository: { name: 'bookinfo', owner: { login: 'acme' } },
  },
};

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

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

function step(inputs: Record<string, string>, extra: Partial<RunActionOptions> = {}): Promise<ActionRun> {
  return runAction({
    inputs: {
      service: 'reviews',
      stable: 'v1',
      canary: 'v2',
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

const comments = () => github.comments('acme', 'bookinfo', 7);

/** The runner's annotations of the step: `::error::` and `::warning::` lines. */
function annotations(run: ActionRun): string[] {
  return run.stdout.split('\n').filter((line) => /^::(error|warning)( [^:]*)?::/.test(line));
}

describe('masking: credentials only', () => {
  const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

  /** What `aws eks update-kubeconfig --profile default` writes, with a plugin that answers the stand-in. */
  function eksKubeconfig(server = cluster.url): string {
    const config = parse(cluster.kubeconfigYaml());
    config.clusters[0].cluster.server = server;
    const credential = {
      apiVersion: 'client.authentication.k8s.io/v1beta1',
      kind: 'ExecCredential',
      status: { token: 'admin-token' },
    };
    config.users[0].user = {
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1beta1',
        command: process.execPath,
        args: ['-e', `console.log(${JSON.stringify(JSON.stringify(credential))})`],
        env: [
          { name: 'AWS_PROFILE', value: 'default' },
          { name: 'AWS_SDK_LOAD_CONFIG', value: '1' },
          { name: 'AWS_SECRET_ACCESS_KEY', value: AWS_SECRET },
        ],
        interactiveMode: 'IfAvailable',
      },
    };
    return stringify(config);
  }

  test('an EKS exec kubeconfig by relative path: outputs reach the next job, the secret key is masked', async () => {
    const run = await step(
      { stage: 'shift', weight: '50', kubeconfig: 'kubeconfig' },
      { files: { kubeconfig: eksKubeconfig() } },
    );
    expect(run.code).toBe(0);
    const masks = maskedValues(run.stdout);
    expect(masks).toContain(AWS_SECRET);
    expect(masks).toContain(TOKEN);
    for (const value of ['default', '1', 'kubeconfig']) expect(masks).not.toContain(value);
    expect(masks.every((mask) => mask.length >= 8)).toBe(true);
    const next = jobOutputs(run);
    expect(next).toMatchObject({
      stage: 'shift',
      'previous-weight': '0',
      weight: '50',
      stable: 'v1',
      canary: 'v2',
      changed: 'true',
    });
    expect(next).toEqual(run.outputs);
    expect(parse(next['virtual-service'] ?? '').metadata.name).toBe('reviews');
    expect(runnerLog(run)).not.toContain(AWS_SECRET);
  });

  test('an unreachable API server: the cause from the chain, and the kubeconfig named as it is, not "***"', async () => {
    const port = await closedPort();
    const run = await step(
      { stage: 'shift', weight: '50', kubeconfig: 'kubeconfig' },
      { files: { kubeconfig: eksKubeconfig(`https://127.0.0.1:${port}`) } },
    );
    expect(run.code).toBe(1);
    expect(runnerLog(run)).toContain(
      `::error::cannot reach the Kubernetes API at https://127.0.0.1:${port} (ECONNREFUSED: connection refused): check the kubeconfig's server address and that the cluster is up`,
    );
  });
});

test('a failure is annotated once, as the error; the log says it in plain lines', async () => {
  const run = await step({ stage: 'shift', weight: '50', canary: 'v7' });
  expect(run.code).toBe(1);
  const message =
    'Deployment for canary v7 not found in default: app=reviews has versions v1, v2, v3; deploy v7 first or correct the canary input';
  expect(annotations(run)).toEqual([`::error::${message}`]);
  expect(run.stdout).toContain(`failed: ${message}`);
});

describe('a failed read reports no weight it did not read', () => {
  /** Credentials the API server rejects (401), the way an expired token does. */
  const expiredKubeconfig = () => cluster.kubeconfigYaml().replace('admin-token', 'expired-token-2024');

  test('401 with the cluster at 50 %: no weight outputs, "unknown" in the summary and the comment', async () => {
    for (const object of bookinfoObjects('06-reviews-50.yaml')) cluster.store.put(object);
    const run = await step({ stage: 'shift', weight: '75', kubeconfig: expiredKubeconfig() });
    expect(run.code).toBe(1);
    const next = jobOutputs(run);
    expect(next).toMatchObject({
      stage: 'shift',
      changed: 'false',
      healthy: 'false',
      'rolled-back': 'false',
    });
    expect(next).not.toHaveProperty('weight');
    expect(next).not.toHaveProperty('previous-weight');
    const error = `the Kubernetes API at ${cluster.url} rejected the credentials (401 Unauthorized): refresh the kubeconfig's token or client certificate`;
    expect(run.summary).toBe(
      `## istio-canary: \`shift\` reviews\n\n> [!CAUTION]\n> Failed: ${error.replace("'", '&#39;')}\n`,
    );
    const comment = comments()[0]?.body ?? '';
    expect(comment).toContain('`v1` stable, `v2` canary weight unknown (the routing could not be read).');
    expect(comment).not.toContain('| Match |');
    expect(comment).not.toMatch(/\b0%/);
  });
});

test('inputs of another stage are named in a warning, the stage runs', async () => {
  const promote = await step({ stage: 'promote', weight: '50' });
  expect(promote.code).toBe(0);
  expect(annotations(promote)).toEqual(['::warning::weight is ignored by stage promote: only shift uses it']);
  expect(promote.outputs.weight).toBe('100');
  const shift = await step({ stage: 'shift', weight: '20', steps: '10,50,100', interval: '30s' });
  expect(shift.code).toBe(0);
  expect(annotations(shift)).toEqual([
    '::warning::steps is ignored by stage shift: only progressive uses it',
    '::warning::interval is ignored by stage shift: only progressive uses it',
  ]);
  expect(shift.outputs.weight).toBe('20');
});

describe('the lease of a run that was killed mid-release', () => {
  const HOLDER = 'github-actions https://github.com/acme/bookinfo/actions/runs/4100 (pid 77@runner-1)';
  const LEASE = 'istio-canary-reviews';

  /** The lease a killed run leaves: last renewed 30 s ago, 60 s duration, so 30 s left before it expires. */
  function killedRunsLease(): { renewTime: string; expiry: string } {
    const now = Date.now();
    const renewTime = new Date(now - 30_000).toISOString();
    const expiry = new Date(now + 30_000).toISOString();
    cluster.store.put({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: LEASE, namespace: 'default' },
      spec: {
        holderIdentity: HOLDER,
        leaseDurationSeconds: 60,
        acquireTime: new Date(now - 90_000).toISOString(),
        renewTime,
        leaseTransitions: 0,
      },
    });
    return { renewTime, expiry };
  }

  test('rollback takes it over at once, naming the holder in the log and the summary', async () => {
    for (const object of bookinfoObjects('06-reviews-50.yaml')) cluster.store.put(object);
    const { renewTime } = killedRunsLease();
    const run = await step({ stage: 'rollback' });
    expect(run.code).toBe(0);
    const note = `took over the lease ${LEASE} from ${HOLDER}, which stopped renewing it at ${renewTime}: that run is gone (a killed runner); the rollback did not wait for it to expire`;
    expect(annotations(run)).toEqual([`::warning::${note}`]);
    expect(run.summary).toContain(`> [!WARNING]\n> ${note.replace(/'/g, '&#39;')}\n`);
    expect(run.outputs).toMatchObject({ 'previous-weight': '50', weight: '0', changed: 'true' });
    expect(run.stdout).not.toContain('waiting for the lease');
    // Released at the end like any lease of ours.
    expect(cluster.store.get('coordination.k8s.io/v1', 'Lease', 'default', LEASE)).toBeUndefined();
  });

  test('another stage waits, saying who holds it and until when, then fails naming both', async () => {
    const { expiry } = killedRunsLease();
    const run = await step({ stage: 'shift', weight: '50', timeout: '3s' });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      new RegExp(
        `^waiting for the lease ${LEASE}: held by ${HOLDER.replace(/[.()]/g, '\\$&')} until \\S+ \\(renewed \\d+ s ago\\)$`,
        'm',
      ),
    );
    const [, until = '', renewed = '0'] = /until (\S+) \(renewed (\d+) s ago/.exec(run.stdout) ?? [];
    expect(Number(renewed)).toBeGreaterThanOrEqual(30);
    expect(Math.abs(Date.parse(until) - Date.parse(expiry))).toBeLessThan(2000);
    expect(annotations(run)).toEqual([
      `::error::the lease ${LEASE} is held by ${HOLDER} until ${until}: wait for that run to finish, or delete the lease if that run is gone (kubectl delete lease ${LEASE} -n default)`,
    ]);
    expect(jobOutputs(run)).not.toHaveProperty('weight');
  });
});

test('a shift on a 3,000-route VirtualService: summary within 1 MiB, comment within 65,536 characters', async () => {
  cluster.store.put(largeReviewsVirtualService(3000));
  const run = await step({ stage: 'shift', weight: '50', 'header-match': 'end-user=test-user' });
  expect(run.code).toBe(0);
  expect(annotations(run)).toEqual([]);
  // Its YAML and the routing table together would take the summary past the runner's limit.
  expect(Buffer.byteLength(run.outputs['virtual-service'] ?? '')).toBeGreaterThan(512 * 1024);
  expect(Buffer.byteLength(run.summary)).toBeLessThanOrEqual(1024 * 1024);
  expect(run.summary).toMatch(
    /> \[!NOTE\]\n> The applied YAML and the diff \(\d+ KiB\) are left out: a job summary holds at most 1 MiB\. The step&#39;s outputs virtual-service and destination-rule carry the YAML\./,
  );
  expect(run.summary).toContain('| default | v1: 100 | v1: 50, v2: 50 |');
  expect(run.summary).toContain('"v2" : 50');
  const body = comments()[0]?.body ?? '';
  expect(body.length).toBeLessThanOrEqual(65_536);
  expect(body).toMatch(/\| … \d+ more routes not shown \(comment size limit\): see the job summary \| \|/);
  expect(body).toContain('`v2` canary at 50%.');
});

test('GitHub unreachable: the warning names the cause, not a missing permission', async () => {
  const port = await closedPort();
  const run = await step({ stage: 'status' }, { apiUrl: `http://127.0.0.1:${port}` });
  expect(run.code).toBe(0);
  expect(annotations(run)).toEqual([
    `::warning::Could not comment on pull request #7: cannot reach GitHub's API at http://127.0.0.1:${port} (ECONNREFUSED: connection refused); the comment was not updated.`,
  ]);
});

test('gateways given for an existing mesh-only VirtualService: the comment says "from inside the mesh"', async () => {
  const run = await step({
    stage: 'route',
    'header-match': 'end-user=test-user',
    gateways: 'bookinfo-gateway',
  });
  expect(run.code).toBe(0);
  expect(parse(run.outputs['virtual-service'] ?? '').spec.gateways).toBeUndefined();
  const body = comments()[0]?.body ?? '';
  expect(body).toContain('Reach `v2` from inside the mesh:');
  expect(body).not.toContain('through the gateway');
});
