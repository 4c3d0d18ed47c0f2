// Every failure of a call, as the user reads it: one line, cause and remedy, exact text.
import { createServer } from 'node:net';
import { parse, stringify } from 'yaml';
import { CanaryError } from '../../src/errors.js';
import { ClusterClient, loadKubeConfig } from '../../src/kube/index.js';
import type { VirtualService } from '../../src/plan/types.js';
import { FAST_RETRY, reviewsVirtualService, startCluster, type TestCluster } from './cluster.js';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster({ users: { 'admin-token': 'admin', 'ci-token': 'ci' } });
  cluster.server.store.put(reviewsVirtualService());
});
afterAll(() => cluster.server.close());
afterEach(() =>
  cluster.server.setRules([{ users: ['admin'], verbs: ['*'], groups: ['*'], resources: ['*'] }]),
);

async function failure(promise: Promise<unknown>): Promise<CanaryError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof CanaryError) return err;
    throw err;
  }
  throw new Error('expected a failure');
}

/** A direct request on one Istio object in default. */
function onIstioObject<V extends 'get' | 'patch'>(verb: V, resource: string, name: string) {
  return { verb, group: 'networking.istio.io', version: 'v1', resource, namespace: 'default', name };
}

function clientFor(kubeconfig: string): ClusterClient {
  return new ClusterClient(loadKubeConfig({ kubeconfig }).kubeConfig, { retry: FAST_RETRY });
}

/** A client for the stand-in's kubeconfig with its cluster entry changed. */
function clientWith(change: (cluster: Record<string, unknown>) => void): ClusterClient {
  const config = parse(cluster.server.kubeconfigYaml());
  change(config.clusters[0].cluster);
  return clientFor(stringify(config));
}

test('unreachable: a closed port', async () => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const client = clientWith((entry) => (entry.server = `https://127.0.0.1:${port}`));
  const error = await failure(client.readRouting('default'));
  expect(error.code).toBe('unreachable');
  expect(error.message).toBe(
    `cannot reach the Kubernetes API at https://127.0.0.1:${port} (ECONNREFUSED: connection refused): check the kubeconfig's server address and that the cluster is up`,
  );
});

test('unreachable: a host name that does not resolve', async () => {
  const client = clientWith((entry) => (entry.server = 'https://api.cluster.invalid:6443'));
  const error = await failure(client.readRouting('default'));
  expect(error.message).toBe(
    "cannot reach the Kubernetes API at https://api.cluster.invalid:6443 (ENOTFOUND: no such host): check the kubeconfig's server address and that the cluster is up",
  );
});

test('a request refused before it is sent names the innermost cause, not "fetch failed"', async () => {
  // A control character in the token makes an invalid Authorization header: undici refuses to send it.
  const config = parse(cluster.server.kubeconfigYaml());
  config.users[0].user.token = 'admin\u0007token';
  const error = await failure(clientFor(stringify(config)).readRouting('default'));
  expect(error.message).toBe(
    `cannot reach the Kubernetes API at ${cluster.server.url} (UND_ERR_INVALID_ARG: invalid Authorization header): check the kubeconfig's server address and that the cluster is up`,
  );
});

test('a server certificate the kubeconfig does not trust: unknown CA', async () => {
  const client = clientWith((entry) => delete entry['certificate-authority-data']);
  const error = await failure(client.readRouting('default'));
  expect(error.code).toBe('unreachable');
  expect(error.message).toBe(
    `the Kubernetes API at ${cluster.server.url} presented a certificate the kubeconfig does not trust (UNABLE_TO_VERIFY_LEAF_SIGNATURE: unknown certificate authority): check the cluster's certificate-authority-data in the kubeconfig`,
  );
});

test('a certificate for another host name', async () => {
  const client = clientWith((entry) => (entry['tls-server-name'] = 'api.other.example'));
  const error = await failure(client.readRouting('default'));
  expect(error.code).toBe('unreachable');
  expect(error.message).toBe(
    `the Kubernetes API at ${cluster.server.url} presented a certificate for another host name (ERR_TLS_CERT_ALTNAME_INVALID: hostname mismatch): use a server address the certificate names, or set tls-server-name in the kubeconfig's cluster`,
  );
});

test('401: a wrong token', async () => {
  const config = parse(cluster.server.kubeconfigYaml());
  config.users[0].user.token = 'expired-token';
  const mark = cluster.mark();
  const error = await failure(clientFor(stringify(config)).readRouting('default'));
  expect(error.code).toBe('unauthorized');
  expect(error.message).toBe(
    `the Kubernetes API at ${cluster.server.url} rejected the credentials (401 Unauthorized): refresh the kubeconfig's token or client certificate`,
  );
  // Not retried: one request per call that went out in parallel.
  expect(cluster.requestsSince(mark)).toHaveLength(3);
});

test('403: RBAC names the verb, resource, namespace and user, and the rule to grant; not retried', async () => {
  cluster.server.setRules([{ users: ['ci'], verbs: ['get', 'list'], groups: ['*'], resources: ['*'] }]);
  const client = cluster.client({ user: 'ci' });
  const { virtualServices } = await client.readRouting('default');
  const mark = cluster.mark();
  const error = await failure(client.write(virtualServices[0]!, { dryRun: false }));
  expect(error.code).toBe('forbidden');
  expect(error.message).toBe(
    'RBAC forbids update on virtualservices.networking.istio.io in namespace "default" for User "ci": grant a Role rule {apiGroups: ["networking.istio.io"], resources: ["virtualservices"], verbs: ["update"]} in "default"',
  );
  expect(cluster.requestsSince(mark)).toEqual([
    'PUT /apis/networking.istio.io/v1/namespaces/default/virtualservices/reviews',
  ]);
});

test('403 on a core resource names the core group', async () => {
  cluster.server.setRules([{ users: ['ci'], verbs: ['get'], groups: ['*'], resources: ['*'] }]);
  const error = await failure(cluster.client({ user: 'ci' }).listDeployments('default', 'app=reviews'));
  expect(error.message).toBe(
    'RBAC forbids list on deployments.apps in namespace "default" for User "ci": grant a Role rule {apiGroups: ["apps"], resources: ["deployments"], verbs: ["list"]} in "default"',
  );
});

test('Istio missing: the cluster serves no networking.istio.io', async () => {
  const bare = await startCluster({ istio: false });
  try {
    const error = await failure(bare.client().readRouting('default'));
    expect(error.code).toBe('istio-missing');
    expect(error.message).toBe(
      "Istio's CRDs are not installed: the cluster serves no networking.istio.io/v1 or v1beta1 (install Istio, or check the context)",
    );
  } finally {
    await bare.server.close();
  }
});

test('422: the server refuses an invalid object with its own message', async () => {
  const bad = reviewsVirtualService();
  bad.metadata.name = 'bad';
  (bad.spec.http![0]!.route![0] as { weight: unknown }).weight = 'fifty';
  const mark = cluster.mark();
  const error = await failure(cluster.client().write(bad, { dryRun: false }));
  expect(error.code).toBe('api-error');
  expect(error.message).toBe(
    'the Kubernetes API refused to create virtualservices.networking.istio.io "bad" in namespace "default" (422 Invalid): VirtualService.networking.istio.io "bad" is invalid: [spec.http[0].route[0].weight: Invalid value: "string": spec.http[0].route[0].weight in body must be of type integer: "string", <nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation]: fix the field it names, in the inputs or in the object already in the cluster',
  );
  expect(cluster.requestsSince(mark)).toHaveLength(1);
});

test('500 from server-side apply of a schema-invalid object: the message, not retried', async () => {
  const client = cluster.client();
  const bad = reviewsVirtualService() as VirtualService & {
    spec: { http: { route: { wieght?: number }[] }[] };
  };
  bad.metadata.name = 'bad-apply';
  bad.spec.http[0]!.route[0]!.wieght = 50;
  const mark = cluster.mark();
  const error = await failure(
    client.send({
      ...onIstioObject('patch', 'virtualservices', 'bad-apply'),
      body: bad,
      contentType: 'application/apply-patch+yaml',
      query: { fieldManager: 'istio-canary' },
    }),
  );
  expect(error.code).toBe('api-error');
  expect(error.message).toBe(
    'the Kubernetes API refused to patch virtualservices.networking.istio.io "bad-apply" in namespace "default" (500 InternalError): failed to create typed patch object (default/bad-apply; networking.istio.io/v1, Kind=VirtualService): .spec.http[0].route[0].wieght: field not declared in schema: fix the field it names, in the inputs or in the object already in the cluster',
  );
  expect(cluster.requestsSince(mark)).toHaveLength(1);
});

test('404 on a named object', async () => {
  const client = cluster.client();
  const error = await failure(client.send(onIstioObject('get', 'destinationrules', 'ratings')));
  expect(error.code).toBe('not-found');
  expect(error.message).toBe(
    'destinationrules.networking.istio.io "ratings" in namespace "default" was not found (404 Not Found): it was deleted while the run worked; run the stage again',
  );
});

test('certificate-authority-data that is not a certificate: one line naming the cause, nothing sent', async () => {
  const client = clientWith(
    (entry) => (entry['certificate-authority-data'] = Buffer.from('not a certificate').toString('base64')),
  );
  const mark = cluster.server.requests.length;
  const error = await failure(client.readRouting('default'));
  expect(error.message).toBe(
    `the Kubernetes API at ${cluster.server.url} presented a certificate the kubeconfig does not trust (UNABLE_TO_VERIFY_LEAF_SIGNATURE: unknown certificate authority): check the cluster's certificate-authority-data in the kubeconfig`,
  );
  expect(cluster.server.requests.length).toBe(mark);
});

test('client-certificate-data and client-key-data that are not a certificate and key: one line, nothing sent', async () => {
  const config = parse(cluster.server.kubeconfigYaml());
  config.users[0].user['client-certificate-data'] = Buffer.from('not a certificate').toString('base64');
  config.users[0].user['client-key-data'] = Buffer.from('not a key').toString('base64');
  const mark = cluster.server.requests.length;
  const error = await failure(clientFor(stringify(config)).readRouting('default'));
  expect(error.code).toBe('invalid-input');
  expect(error.message).toBe(
    `the kubeconfig's client certificate or key for ${cluster.server.url} cannot be used (ERR_OSSL_PEM_NO_START_LINE: error:0480006C:PEM routines::no start line): check the user's client-certificate-data and client-key-data (or the files they name) in the kubeconfig`,
  );
  expect(cluster.server.requests.length).toBe(mark);
});
