// The stand-in through kubectl, a real client nobody here wrote: the Bookinfo scenario applied
// server-side, get, patch, delete, wait, rollout status and get -w.
import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { startApiServer, type ApiServer } from '../../test/support/kube-apiserver/index.js';
import { describeWithShared } from './helpers.js';

const KUBECTL = '/usr/bin/kubectl';
const BOOKINFO = join(process.cwd(), 'examples/bookinfo');
const run = promisify(execFile);

let server: ApiServer;
async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run(KUBECTL, ['--kubeconfig', server.kubeconfigPath, ...args], {
    timeout: 60_000,
  });
  return stdout;
}

beforeAll(async () => {
  server = await startApiServer();
});
afterAll(async () => {
  await server.close();
});

const describeWithKubectl = existsSync(KUBECTL) ? describe : describe.skip;

describeWithKubectl('kubectl', () => {
  test('apply --server-side accepts every Bookinfo file', async () => {
    const files = readdirSync(BOOKINFO)
      .filter((f) => f.endsWith('.yaml'))
      .sort();
    expect(files.length).toBeGreaterThanOrEqual(6);
    for (const file of files) {
      const out = await kubectl('apply', '--server-side', '-f', join(BOOKINFO, file));
      const kinds = parseAllDocuments(readFileSync(join(BOOKINFO, file), 'utf8')).filter((d) => d.toJS());
      expect(out.trim().split('\n')).toHaveLength(kinds.length);
      expect(out).toMatch(/serverside-applied/);
    }
    const reviews = server.store.get('networking.istio.io/v1', 'VirtualService', 'default', 'reviews') as {
      spec: { http: { route: { destination: { subset: string }; weight?: number }[] }[] };
      metadata: { managedFields: { manager: string }[] };
    };
    expect(reviews.spec.http).toEqual([
      { route: [{ destination: { host: 'reviews', subset: 'v2' }, weight: 100 }] },
    ]);
    expect(reviews.metadata.managedFields.map((m) => m.manager)).toEqual(['kubectl']);
  }, 120_000);

  test('get prints the server-side table; -o json returns the object', async () => {
    const table = await kubectl('get', 'virtualservices');
    expect(table.split('\n')[0]).toMatch(/^NAME\s+GATEWAYS\s+HOSTS\s+AGE$/);
    // No gateways: the column's cell is null, which kubectl prints as nothing.
    expect(table).toMatch(/^reviews\s+\["reviews"\]/m);
    const dr = JSON.parse(await kubectl('get', 'dr', 'reviews', '-o', 'json')) as {
      spec: { subsets: { name: string }[] };
    };
    expect(dr.spec.subsets.map((s) => s.name)).toEqual(['v1', 'v2', 'v3']);
  }, 120_000);

  test('wait --for=condition=Available and rollout status see the simulated Deployment controller', async () => {
    expect(
      await kubectl('wait', '--for=condition=Available', 'deployment/reviews-v2', '--timeout=60s'),
    ).toMatch('deployment.apps/reviews-v2 condition met');
    await kubectl('patch', 'deployment', 'reviews-v2', '-p', '{"spec":{"replicas":2}}');
    expect(await kubectl('rollout', 'status', 'deployment/reviews-v2', '--timeout=60s')).toMatch(
      'deployment "reviews-v2" successfully rolled out',
    );
    const pods = await kubectl('get', 'pods', '-l', 'app=reviews,version=v2', '-o', 'name');
    expect(pods.trim().split('\n')).toHaveLength(2);
  }, 120_000);

  test('patch --type=merge and --type=json on a VirtualService', async () => {
    await kubectl(
      'patch',
      'vs',
      'reviews',
      '--type=merge',
      '-p',
      '{"spec":{"hosts":["reviews","reviews.default"]}}',
    );
    await kubectl(
      'patch',
      'vs',
      'reviews',
      '--type=json',
      '-p',
      '[{"op":"replace","path":"/spec/http/0/route/0/weight","value":100}]',
    );
    const hosts = await kubectl('get', 'vs', 'reviews', '-o', 'jsonpath={.spec.hosts}');
    expect(JSON.parse(hosts)).toEqual(['reviews', 'reviews.default']);
  }, 120_000);

  test('get -w prints a change as it happens', async () => {
    const watcher = spawn(KUBECTL, [
      '--kubeconfig',
      server.kubeconfigPath,
      'get',
      'vs',
      'ratings',
      '-w',
      '--output-watch-events',
    ]);
    let out = '';
    const seen = (pattern: RegExp) =>
      new Promise<void>((resolve) => {
        const check = () => pattern.test(out) && resolve();
        watcher.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          check();
        });
        check();
      });
    try {
      await seen(/ADDED\s+ratings/);
      await kubectl(
        'patch',
        'vs',
        'ratings',
        '--type=merge',
        '-p',
        '{"spec":{"hosts":["ratings","watched"]}}',
      );
      await seen(/MODIFIED\s+ratings\s+\["ratings","watched"\]/);
    } finally {
      watcher.kill();
    }
    expect(out).toMatch(/MODIFIED/);
  }, 120_000);

  test('delete removes a Deployment with its ReplicaSet and pods', async () => {
    expect(await kubectl('delete', 'deployment', 'reviews-v3')).toMatch(
      'deployment.apps "reviews-v3" deleted',
    );
    expect(await kubectl('get', 'pods,replicasets', '-l', 'app=reviews,version=v3', '-o', 'name')).toBe('');
  }, 120_000);

  test('a server-side validation error comes back through kubectl with the real message', async () => {
    const bad = JSON.stringify({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'bad', namespace: 'default' },
      spec: { hosts: ['bad'], http: [{ route: [{ destination: { host: 'bad' }, weight: 'string' }] }] },
    });
    const child = execFile(KUBECTL, ['--kubeconfig', server.kubeconfigPath, 'create', '-f', '-']);
    child.stdin!.end(bad);
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(1);
    expect(stderr).toMatch(
      'The VirtualService "bad" is invalid: \n* spec.http[0].route[0].weight: Invalid value: "string": spec.http[0].route[0].weight in body must be of type integer: "string"\n* <nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
    );
  }, 120_000);
});

/** kubectl's exit code and stderr for a command expected to fail. */
async function kubectlFails(...args: string[]): Promise<{ code: number | undefined; stderr: string }> {
  try {
    await kubectl(...args);
  } catch (e) {
    const failed = e as { code?: number; stderr?: string };
    return { code: failed.code, stderr: failed.stderr ?? '' };
  }
  throw new Error(`kubectl ${args.join(' ')} succeeded`);
}

const reviewsPatchFails = (type: 'json' | 'merge', patch: unknown) =>
  kubectlFails('patch', 'vs', 'reviews', `--type=${type}`, '-p', JSON.stringify(patch));

describeWithKubectl('kubectl and the real-server answers', () => {
  test('an invalid label selector is an error, not an empty list', async () => {
    const { code, stderr } = await kubectlFails('get', 'pods', '-l', 'a=b=c');
    expect(code).toBe(1);
    expect(stderr).toMatch("found '=', expected: ',' or 'end of string'");
  }, 120_000);

  test('a JSON patch whose path is missing', async () => {
    const { stderr } = await reviewsPatchFails('json', [
      { op: 'replace', path: '/spec/tcp/0/route', value: [] },
    ]);
    expect(stderr).toMatch('the server rejected our request due to an error in our request');
  }, 120_000);

  test('timeout 0s on a VirtualService is refused by its CRD rule', async () => {
    const { stderr } = await reviewsPatchFails('merge', {
      spec: { http: [{ timeout: '0s', route: [{ destination: { host: 'reviews' } }] }] },
    });
    expect(stderr).toMatch(
      'The VirtualService "reviews" is invalid: spec.http[0].timeout: Invalid value: "string": must be a valid duration greater than 1ms',
    );
  }, 120_000);
});

describeWithShared('scenarios/bookinfo-reviews-gateway-api', 'kubectl on Gateway API', (scenario) => {
  if (!existsSync(KUBECTL)) return;
  const files = () =>
    readdirSync(scenario)
      .filter((f) => f.endsWith('.yaml'))
      .sort();

  test('apply --server-side of every scenario file, in order; the route keeps the defaults', async () => {
    expect(files()).toHaveLength(5);
    for (const file of files()) {
      const out = await kubectl('apply', '--server-side', '-f', join(scenario, file));
      expect(out).toMatch(/serverside-applied/);
      if (file.startsWith('05-')) {
        const route = await kubectl('get', 'httproute', 'reviews', '-o', 'yaml');
        // The server-side defaults, as `kubectl get -o yaml` shows them.
        expect(route).toContain(
          [
            '  - backendRefs:',
            '    - group: ""',
            '      kind: Service',
            '      name: reviews-v2',
            '      port: 9080',
            '      weight: 1',
            '    matches:',
            '    - headers:',
            '      - name: end-user',
            '        type: Exact',
            '        value: test-user',
            '      path:',
            '        type: PathPrefix',
            '        value: /',
          ].join('\n'),
        );
      }
    }
    const route = server.store.get('gateway.networking.k8s.io/v1', 'HTTPRoute', 'default', 'reviews') as {
      spec: { rules: { backendRefs: { name: string; weight: number }[] }[] };
    };
    expect(route.spec.rules.map((r) => r.backendRefs.map((b) => [b.name, b.weight]))).toEqual([
      [['reviews-v2', 1]],
    ]);
  }, 120_000);

  test('get lists the route by its printer columns; istiod has written its status', async () => {
    const table = await kubectl('get', 'httproutes');
    expect(table.split('\n')[0]).toMatch(/^NAME\s+HOSTNAMES\s+AGE$/);
    expect(table).toMatch(/^reviews\s+\d+s$/m);
    await kubectl(
      'wait',
      '--for=jsonpath={.status.parents[0].conditions[1].status}=True',
      'httproute/reviews',
      '--timeout=60s',
    );
    expect(
      await kubectl('get', 'httproute', 'reviews', '-o', 'jsonpath={.status.parents[0].conditions[*].type}'),
    ).toBe('Accepted ResolvedRefs');
  }, 120_000);
});
