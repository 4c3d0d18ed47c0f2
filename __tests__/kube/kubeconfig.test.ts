// Credentials from every source, in kubectl's order, proven by a real request to the stand-in.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { InputError } from '../../src/errors.js';
import { ClusterClient, connect, loadKubeConfig, type KubeConfigEnvironment } from '../../src/kube/index.js';
import { startApiServer, type ApiServer } from '../../test/support/kube-apiserver/index.js';

let server: ApiServer;
let dir: string;
const nothing = (): KubeConfigEnvironment => ({
  env: {},
  homeDir: join(dir, 'empty-home'),
  serviceAccountPrefix: join(dir, 'no-sa'),
});

beforeAll(async () => {
  server = await startApiServer({ users: { 'admin-token': 'admin', 'ci-token': 'ci' } });
  dir = mkdtempSync(join(tmpdir(), 'kubeconfig-test-'));
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function write(name: string, content: string): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  return path;
}

/** The stand-in's kubeconfig with a second context (user ci) added, current-context admin. */
function twoContexts(): string {
  const config = parse(server.kubeconfigYaml('admin'));
  const ci = parse(server.kubeconfigYaml('ci'));
  config.users.push(...ci.users);
  config.contexts.push(...ci.contexts);
  return stringify(config);
}

async function servesIstio(loaded: { kubeConfig: ClusterClient['kubeConfig'] }): Promise<string[]> {
  return new ClusterClient(loaded.kubeConfig).istioVersions();
}

describe('sources', () => {
  test('YAML content given as the kubeconfig option', async () => {
    const loaded = loadKubeConfig({ kubeconfig: server.kubeconfigYaml() }, nothing());
    expect(loaded.source).toBe('the kubeconfig input');
    expect(loaded.kubeConfig.getCurrentCluster()?.server).toBe(server.url);
    await expect(servesIstio(loaded)).resolves.toContain('v1');
  });

  test('JSON content', async () => {
    const json = JSON.stringify(parse(server.kubeconfigYaml()));
    const loaded = loadKubeConfig({ kubeconfig: json }, nothing());
    await expect(servesIstio(loaded)).resolves.toContain('v1');
  });

  test('a path given as the kubeconfig option', async () => {
    const loaded = loadKubeConfig({ kubeconfig: server.kubeconfigPath }, nothing());
    expect(loaded.source).toBe(server.kubeconfigPath);
    await expect(servesIstio(loaded)).resolves.toContain('v1');
  });

  test('KUBECONFIG: every listed file merged, missing ones skipped, the first current-context wins', async () => {
    const admin = write('env/admin.yaml', server.kubeconfigYaml('admin'));
    const ci = parse(server.kubeconfigYaml('ci'));
    ci.clusters[0].name = 'other';
    ci.contexts[0].context.cluster = 'other';
    const second = write('env/ci.yaml', stringify(ci));
    const env = { KUBECONFIG: [admin, join(dir, 'env/missing.yaml'), second].join(delimiter) };
    const loaded = loadKubeConfig({}, { ...nothing(), env });
    expect(loaded.kubeConfig.getContexts().map((c) => c.name)).toEqual([
      'admin@kube-apiserver-stand-in',
      'ci@kube-apiserver-stand-in',
    ]);
    expect(loaded.kubeConfig.getCurrentContext()).toBe('admin@kube-apiserver-stand-in');
    await expect(servesIstio(loaded)).resolves.toContain('v1');
  });

  test('~/.kube/config when nothing else is given', async () => {
    const home = join(dir, 'home');
    write('home/.kube/config', server.kubeconfigYaml());
    const loaded = loadKubeConfig({}, { ...nothing(), homeDir: home });
    expect(loaded.source).toBe(join(home, '.kube', 'config'));
    await expect(servesIstio(loaded)).resolves.toContain('v1');
  });

  test('the in-cluster service account last', async () => {
    const prefix = join(dir, 'pod');
    const sa = '/var/run/secrets/kubernetes.io/serviceaccount';
    const ca = Buffer.from(
      parse(server.kubeconfigYaml()).clusters[0].cluster['certificate-authority-data'],
      'base64',
    );
    write(`pod${sa}/token`, 'admin-token\n');
    write(`pod${sa}/ca.crt`, ca.toString());
    write(`pod${sa}/namespace`, 'default');
    const { hostname, port } = new URL(server.url);
    // client-node reads the service address from process.env itself.
    const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
    process.env.KUBERNETES_SERVICE_HOST = hostname;
    process.env.KUBERNETES_SERVICE_PORT = port;
    try {
      const loaded = loadKubeConfig(
        {},
        { env: process.env, homeDir: join(dir, 'empty-home'), serviceAccountPrefix: prefix },
      );
      expect(loaded.source).toBe('the in-cluster service account');
      expect(loaded.secrets).toEqual(['admin-token']);
      await expect(servesIstio(loaded)).resolves.toContain('v1');
    } finally {
      if (saved.host === undefined) delete process.env.KUBERNETES_SERVICE_HOST;
      else process.env.KUBERNETES_SERVICE_HOST = saved.host;
      if (saved.port === undefined) delete process.env.KUBERNETES_SERVICE_PORT;
      else process.env.KUBERNETES_SERVICE_PORT = saved.port;
    }
  });

  test('the option wins over KUBECONFIG, which wins over ~/.kube/config', () => {
    const home = join(dir, 'home2');
    write('home2/.kube/config', server.kubeconfigYaml());
    const envFile = write('order/env.yaml', server.kubeconfigYaml('ci'));
    const environment = { ...nothing(), homeDir: home, env: { KUBECONFIG: envFile } };
    expect(loadKubeConfig({ kubeconfig: server.kubeconfigPath }, environment).source).toBe(
      server.kubeconfigPath,
    );
    expect(loadKubeConfig({}, environment).source).toBe(`KUBECONFIG (${envFile})`);
  });
});

describe('context', () => {
  test('a named context is selected', async () => {
    const loaded = loadKubeConfig(
      { kubeconfig: twoContexts(), context: 'ci@kube-apiserver-stand-in' },
      nothing(),
    );
    expect(loaded.kubeConfig.getCurrentUser()?.name).toBe('ci');
    await servesIstio(loaded);
    expect(server.requests.at(-1)?.user).toBe('ci');
  });

  test('loads of the same file are independent: a context selected or a file merged in one leaves the next as written', async () => {
    const content = twoContexts();
    const admin = write('same/admin.yaml', content);
    const ci = parse(server.kubeconfigYaml('ci'));
    ci.clusters[0].name = 'merged-only';
    ci.contexts[0].name = 'merged-only';
    ci.contexts[0].context.cluster = 'merged-only';
    const env = { KUBECONFIG: [admin, write('same/ci.yaml', stringify(ci))].join(delimiter) };
    const merged = loadKubeConfig({}, { ...nothing(), env });
    const asCi = loadKubeConfig({ kubeconfig: admin, context: 'ci@kube-apiserver-stand-in' }, nothing());
    const asWritten = loadKubeConfig({ kubeconfig: admin }, nothing());
    expect(merged.kubeConfig.getContexts().map((c) => c.name)).toContain('merged-only');
    expect(asWritten.kubeConfig.getContexts().map((c) => c.name)).toEqual([
      'admin@kube-apiserver-stand-in',
      'ci@kube-apiserver-stand-in',
    ]);
    expect(asCi.kubeConfig.getCurrentUser()?.name).toBe('ci');
    expect(asWritten.kubeConfig.getCurrentUser()?.name).toBe('admin');
    expect(asWritten.secrets).toEqual(loadKubeConfig({ kubeconfig: content }, nothing()).secrets);
    await servesIstio(asWritten);
    expect(server.requests.at(-1)?.user).toBe('admin');
  });

  test('an unknown context names the ones that exist', () => {
    const load = () => loadKubeConfig({ kubeconfig: twoContexts(), context: 'prod' }, nothing());
    expect(load).toThrow(InputError);
    expect(load).toThrow(
      'context "prod" is not in the kubeconfig from the kubeconfig input: it has "admin@kube-apiserver-stand-in", "ci@kube-apiserver-stand-in"; pass one of them',
    );
  });

  test('no current-context and none given', () => {
    const config = parse(server.kubeconfigYaml());
    delete config['current-context'];
    expect(() => loadKubeConfig({ kubeconfig: stringify(config) }, nothing())).toThrow(
      'the kubeconfig from the kubeconfig input has no usable current-context: pass the context input (contexts: "admin@kube-apiserver-stand-in")',
    );
  });
});

describe('secrets', () => {
  test('tokens of every user and the raw content', () => {
    const content = twoContexts();
    const { secrets } = loadKubeConfig({ kubeconfig: content }, nothing());
    expect(secrets).toEqual([content.trim(), 'admin-token', 'ci-token']);
  });

  test('client keys (as written, decoded and by line), passwords, auth-provider and exec env credentials', () => {
    const config = parse(server.kubeconfigYaml());
    const keyPem = '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----';
    const keyData = Buffer.from(keyPem).toString('base64');
    config.users.push(
      { name: 'cert', user: { 'client-certificate-data': 'Y2VydA==', 'client-key-data': keyData } },
      { name: 'basic', user: { username: 'operations', password: 's3cret-passw0rd' } },
      {
        name: 'oidc',
        user: {
          'auth-provider': {
            name: 'oidc',
            config: {
              'id-token': 'eyJpZCI6InRva2VuIn0',
              'client-id': 'public-client',
              'idp-issuer-url': 'https://idp.example.com',
            },
          },
        },
      },
      {
        name: 'exec',
        user: {
          exec: {
            command: 'aws',
            args: ['--region', 'eu-west-1', 'eks', 'get-token', '--cluster-name', 'production'],
            apiVersion: 'client.authentication.k8s.io/v1beta1',
            env: [
              { name: 'AWS_PROFILE', value: 'default' },
              { name: 'AWS_SDK_LOAD_CONFIG', value: '1' },
              { name: 'AWS_SHARED_CREDENTIALS_FILE', value: '/home/runner/.aws/credentials' },
              { name: 'AWS_SECRET_ACCESS_KEY', value: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
              { name: 'VAULT_TOKEN', value: 'short' },
            ],
          },
        },
      },
    );
    const content = stringify(config);
    const { secrets } = loadKubeConfig({ kubeconfig: content }, nothing());
    expect(secrets).toEqual([
      content.trim(),
      'admin-token',
      keyData,
      keyPem,
      '-----BEGIN RSA PRIVATE KEY-----',
      'MIIEpAIBAAKCAQEA',
      '-----END RSA PRIVATE KEY-----',
      's3cret-passw0rd',
      'eyJpZCI6InRva2VuIn0',
      'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    ]);
  });

  test('a kubeconfig path is not a secret: the file content and its credentials are', () => {
    const { secrets } = loadKubeConfig({ kubeconfig: server.kubeconfigPath }, nothing());
    expect(secrets).toEqual([readFileSync(server.kubeconfigPath, 'utf8').trim(), 'admin-token']);
  });
});

describe('errors', () => {
  test('a path that does not exist', () => {
    expect(() => loadKubeConfig({ kubeconfig: '/nowhere/kubeconfig' }, nothing())).toThrow(
      "kubeconfig file /nowhere/kubeconfig (from the kubeconfig input) not found: pass the kubeconfig's content or an existing path",
    );
  });

  test('unparsable content: the line, never the content', () => {
    const broken = 'apiVersion: v1\nusers:\n- name: x\n  user: {token: "hunter2-token"\nclusters: [\n';
    let message = '';
    try {
      loadKubeConfig({ kubeconfig: broken }, nothing());
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(
      /^the kubeconfig from the kubeconfig input is not valid YAML or JSON \(line \d+\): pass the file exactly as kubectl writes it$/,
    );
    expect(message).not.toContain('hunter2');
  });

  test('a YAML file that is not a kubeconfig', () => {
    const path = write(
      'not-kubeconfig.yaml',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n',
    );
    expect(() => loadKubeConfig({ kubeconfig: path }, nothing())).toThrow(
      `the kubeconfig from ${path} has no clusters: pass a kubeconfig (apiVersion: v1, kind: Config), not another file`,
    );
  });

  test('an entry without its required field', () => {
    const config = parse(server.kubeconfigYaml());
    delete config.clusters[0].cluster.server;
    expect(() => loadKubeConfig({ kubeconfig: stringify(config) }, nothing())).toThrow(
      'the kubeconfig from the kubeconfig input is incomplete (clusters[0].cluster.server is missing): fix that entry',
    );
  });

  test('KUBECONFIG naming only missing files', () => {
    const env = { KUBECONFIG: '/nowhere/a' };
    expect(() => loadKubeConfig({}, { ...nothing(), env })).toThrow(
      'KUBECONFIG names no existing file (/nowhere/a): point it at a kubeconfig or pass the kubeconfig input',
    );
  });

  test('nothing anywhere', () => {
    expect(() => loadKubeConfig({}, nothing())).toThrow(
      'no kubeconfig found (no kubeconfig input, KUBECONFIG, ~/.kube/config or in-cluster service account): pass the kubeconfig input or set KUBECONFIG',
    );
  });
});

describe('connect', () => {
  test('every secret goes to the masker before the client exists', async () => {
    const masked: string[] = [];
    const content = server.kubeconfigYaml();
    const client = connect({ kubeconfig: content, setSecret: (s) => void masked.push(s) });
    expect(masked).toEqual([content.trim(), 'admin-token']);
    await expect(client.istioVersions()).resolves.toContain('v1');
  });

  test('a ready KubeConfig is used as is', async () => {
    const masked: string[] = [];
    const client = connect({ kubeConfig: server.kubeConfig(), setSecret: (s) => void masked.push(s) });
    expect(client.server).toBe(server.url);
    expect(masked).toEqual([]);
  });
});
