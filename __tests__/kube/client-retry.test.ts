// Transient failures seen through the client: what is retried, how many requests go out, and the one
// line left when the bound is reached. Waits are recorded instead of slept; the policy's timing is in
// retry.test.ts.
import { CanaryError } from '../../src/errors.js';
import type { RetryInfo } from '../../src/kube/index.js';
import { reviewsDestinationRule, reviewsVirtualService, startCluster, type TestCluster } from './cluster.js';

let cluster: TestCluster;
const VS_LIST = 'GET /apis/networking.istio.io/v1/namespaces/default/virtualservices';

beforeAll(async () => {
  cluster = await startCluster();
  cluster.server.store.put(reviewsVirtualService());
  cluster.server.store.put(reviewsDestinationRule());
});
afterAll(() => cluster.server.close());
afterEach(() => cluster.server.faults.clear());

/** A client that records its retries and waits no real time. */
function recordingClient(retry: { attempts?: number; maxRetryAfterMs?: number } = {}) {
  const retries: RetryInfo[] = [];
  const client = cluster.client({
    retry: { ...retry, sleep: async () => undefined, onRetry: (info) => void retries.push(info) },
  });
  return { client, retries };
}

test('503 twice, then success: the list goes out three times and the read succeeds', async () => {
  const { client, retries } = recordingClient();
  cluster.server.faults.failNext(2, 503, { path: /virtualservices$/ });
  const mark = cluster.mark();
  const state = await client.readRouting('default');
  expect(state.virtualServices.map((vs) => vs.metadata.name)).toEqual(['reviews']);
  expect(cluster.requestsSince(mark).filter((r) => r === VS_LIST)).toHaveLength(3);
  expect(retries.map((r) => r.reason)).toEqual(['503', '503']);
});

test("429 waits the server's Retry-After", async () => {
  const { client, retries } = recordingClient({ maxRetryAfterMs: 60_000 });
  cluster.server.faults.failNext(1, 429, { path: /destinationrules$/, retryAfterSeconds: 2 });
  await client.readRouting('default');
  expect(retries.map((r) => [r.reason, r.delayMs])).toEqual([['429', 2000]]);
});

test('a connection reset without an answer is retried', async () => {
  const { client, retries } = recordingClient();
  cluster.server.faults.resetNext(1, { path: /virtualservices$/ });
  const mark = cluster.mark();
  const state = await client.readRouting('default');
  expect(state.virtualServices).toHaveLength(1);
  expect(retries).toHaveLength(1);
  // Over HTTP/2 the stand-in resets the request's stream; over HTTP/1.1 it drops the connection.
  expect(retries[0]!.reason).toMatch(/^(ERR_HTTP2_STREAM_ERROR|ECONNRESET|UND_ERR_SOCKET)$/);
  expect(cluster.server.requests.slice(mark).filter((r) => r.status === -1)).toHaveLength(1);
});

test('gives up after the bound with the last answer in one line', async () => {
  const { client } = recordingClient({ attempts: 3 });
  cluster.server.faults.failNext(10, 503, { path: /virtualservices$/ });
  const mark = cluster.mark();
  const error = await client.readRouting('default').catch((e: unknown) => e);
  expect(error).toBeInstanceOf(CanaryError);
  expect((error as CanaryError).message).toBe(
    `the Kubernetes API at ${cluster.server.url} failed to list virtualservices.networking.istio.io in namespace "default" (503 ServiceUnavailable): the server is currently unable to handle the request: try again when the API server is healthy`,
  );
  expect(cluster.requestsSince(mark).filter((r) => r === VS_LIST)).toHaveLength(3);
});

test('a server that does not answer in time: the request is bounded and reported', async () => {
  cluster.server.faults.latencyMs = 2000;
  const client = cluster.client({
    requestTimeoutMs: 100,
    retry: { attempts: 2, sleep: async () => undefined },
  });
  const error = (await client
    .listDeployments('default', 'app=reviews')
    .catch((e: unknown) => e)) as CanaryError;
  expect(error.message).toBe(
    `cannot reach the Kubernetes API at ${cluster.server.url} (ETIMEDOUT: no answer in time): check the kubeconfig's server address and that the cluster is up`,
  );
});

test('cancellation stops a call in flight', async () => {
  cluster.server.faults.latencyMs = 5000;
  const controller = new AbortController();
  const client = cluster.client({ signal: controller.signal });
  const pending = client.listDeployments('default', 'app=reviews');
  // The request has left (the server holds it 5 s); cancelling now must not wait for the answer.
  controller.abort();
  await expect(pending).rejects.toMatchObject({
    code: 'cancelled',
    message:
      'the run was cancelled during list deployments.apps in namespace "default": nothing more was sent',
  });
});
