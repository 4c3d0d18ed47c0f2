// One exchange through undici's dispatch() (src/kube/dispatch.ts), against the stand-in over HTTP/2: the
// answer as request() gave it, and the same abort reasons and connection errors.
import { createServer } from 'node:net';
import { UndiciAgent } from '../../src/kube/client-node.js';
import { exchange } from '../../src/kube/dispatch.js';
import { startReviewsCluster, type TestCluster } from './cluster.js';

let cluster: TestCluster;
let agent: UndiciAgent;
let server: string;
const headers = { authorization: 'Bearer admin-token', accept: 'application/json' };

beforeAll(async () => {
  cluster = await startReviewsCluster();
  const kubeConfig = cluster.server.kubeConfig();
  const tls: { ca?: Buffer } = {};
  await kubeConfig.applyToHTTPSOptions(tls);
  agent = new UndiciAgent({ connect: { ca: tls.ca, allowH2: true } });
  server = kubeConfig.getCurrentCluster()!.server;
});
afterAll(async () => {
  await agent.close();
  await cluster.server.close();
});
afterEach(() => {
  cluster.server.faults.latencyMs = 0;
});

const virtualService = () =>
  `${server}/apis/networking.istio.io/v1/namespaces/default/virtualservices/reviews`;

test('answers the status, the headers and the whole body as text', async () => {
  const answer = await exchange(virtualService(), { dispatcher: agent, method: 'GET', headers });
  expect(answer.statusCode).toBe(200);
  expect(answer.headers['content-type']).toBe('application/json');
  expect(JSON.parse(answer.text)).toMatchObject({ kind: 'VirtualService', metadata: { name: 'reviews' } });
});

test("a refusal is an answer too: the status and the server's Status text", async () => {
  const answer = await exchange(`${virtualService()}-none`, { dispatcher: agent, method: 'GET', headers });
  expect(answer.statusCode).toBe(404);
  expect(JSON.parse(answer.text)).toMatchObject({ kind: 'Status', reason: 'NotFound' });
});

test('a body is sent as given', async () => {
  const current = JSON.parse(
    (await exchange(virtualService(), { dispatcher: agent, method: 'GET', headers })).text,
  );
  current.metadata.labels.stage = 'sent';
  const answer = await exchange(virtualService(), {
    dispatcher: agent,
    method: 'PUT',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(current),
  });
  expect(answer.statusCode).toBe(200);
  expect(JSON.parse(answer.text).metadata.labels.stage).toBe('sent');
});

test('an already aborted signal rejects with its reason, and nothing is sent', async () => {
  const mark = cluster.mark();
  const reason = new Error('stopped before');
  await expect(
    exchange(virtualService(), {
      dispatcher: agent,
      method: 'GET',
      headers,
      signal: AbortSignal.abort(reason),
    }),
  ).rejects.toBe(reason);
  expect(cluster.requestsSince(mark)).toEqual([]);
});

test('an abort in flight rejects at once with the reason, and the stream is given up', async () => {
  cluster.server.faults.latencyMs = 600;
  const controller = new AbortController();
  const reason = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
  const started = performance.now();
  const sent = exchange(virtualService(), {
    dispatcher: agent,
    method: 'GET',
    headers,
    signal: controller.signal,
  });
  setTimeout(() => controller.abort(reason), 50);
  await expect(sent).rejects.toBe(reason);
  expect(performance.now() - started).toBeLessThan(400);
  // The connection is still good for the next request.
  cluster.server.faults.latencyMs = 0;
  const answer = await exchange(virtualService(), { dispatcher: agent, method: 'GET', headers });
  expect(answer.statusCode).toBe(200);
});

test("a server that is not there: undici's connection error", async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const { port } = closed.address() as { port: number };
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const refused = new UndiciAgent({ connect: {} });
  try {
    await expect(
      exchange(`https://127.0.0.1:${port}/version`, { dispatcher: refused, method: 'GET', headers }),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  } finally {
    await refused.close();
  }
});
