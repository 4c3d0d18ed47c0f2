// The stand-in through kubectl, a real client nobody here wrote: the Bookinfo scenario applied
// server-side, get, patch, delete, wait, rollout status and get -w.
import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { startApiServer, type ApiServer } from '../../test/support/kube-apiserver/index.js';

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
    expect(table).toMatch(/^reviews\s+\[\]\s+\["reviews"\]/m);
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
      await seen(/MODIFIED\s+ratings\s+\[\]\s+\["ratings","watched"\]/);
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
      'The VirtualService "bad" is invalid: spec.http[0].route[0].weight: Invalid value: "string": spec.http[0].route[0].weight in body must be of type integer: "string"',
    );
  }, 120_000);
});
