// Reads in flight shared between the clients of the process (src/kube/reads-in-flight.ts): counted in the
// stand-in's request log, with each caller's cancellation kept to itself and the shared answer frozen.
import { CanaryError } from '../../src/errors.js';
import { startReviewsCluster, type TestCluster } from './cluster.js';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startReviewsCluster();
});
afterAll(async () => {
  await cluster.server.close();
});
afterEach(() => cluster.server.faults.clear());

const VS_LIST = 'GET /apis/networking.istio.io/v1/namespaces/default/virtualservices';

function requestsSince(mark: number): string[] {
  return cluster.server.requests.slice(mark).map((entry) => `${entry.method} ${entry.path}`);
}

const count = (lines: string[], line: string) => lines.filter((each) => each === line).length;

test('clients reading the same list at once share one request and one answer, frozen', async () => {
  cluster.server.faults.latencyMs = 30;
  const mark = cluster.mark();
  const clients = Array.from({ length: 5 }, () => cluster.client());
  const states = await Promise.all(clients.map((client) => client.readRouting('default')));
  const requests = requestsSince(mark);
  expect(count(requests, VS_LIST)).toBe(1);
  expect(count(requests, 'GET /apis/networking.istio.io/v1/namespaces/default/destinationrules')).toBe(1);
  expect(count(requests, 'GET /apis')).toBe(1);
  // Each run has objects of its own (top level and metadata), on one frozen spec.
  const [first, second] = states;
  expect(first!.virtualServices[0]).not.toBe(second!.virtualServices[0]);
  expect(first!.virtualServices[0]!.spec).toBe(second!.virtualServices[0]!.spec);
  expect(() => first!.virtualServices[0]!.spec.hosts!.push('ratings')).toThrow(TypeError);
  expect(second!.virtualServices[0]!.spec.hosts).toEqual(['reviews']);
  await Promise.all(clients.map((client) => client.close()));
});

test('a read asked for after the answer came sends again: nothing is cached, and a lone answer is not frozen', async () => {
  const client = cluster.client();
  const mark = cluster.mark();
  await client.readRouting('default');
  const state = await client.readRouting('default');
  expect(count(requestsSince(mark), VS_LIST)).toBe(2);
  // Taken by one caller alone, the answer is that caller's, as a read of its own was (no walk to freeze it).
  expect(Object.isFrozen(state.virtualServices[0]!.spec)).toBe(false);
  await client.close();
});

test('another user never shares: each request goes as its own user', async () => {
  cluster.server.faults.latencyMs = 30;
  const mark = cluster.mark();
  const admin = cluster.client();
  const ops = cluster.client({ user: 'ops' });
  await Promise.all([admin.readRouting('default'), ops.readRouting('default')]);
  const lists = cluster.server.requests
    .slice(mark)
    .filter((entry) => `${entry.method} ${entry.path}` === VS_LIST)
    .map((entry) => entry.user);
  expect(lists.sort()).toEqual(['admin', 'ops']);
  await Promise.all([admin.close(), ops.close()]);
});

test('a cancelled run stops waiting alone: the run that joined its read still gets the answer', async () => {
  cluster.server.faults.latencyMs = 200;
  const run = new AbortController();
  const cancelled = cluster.client({ signal: run.signal });
  const other = cluster.client();
  const mark = cluster.mark();
  const first = cancelled.readRouting('default');
  const second = other.readRouting('default');
  setTimeout(() => run.abort(new CanaryError('cancelled', 'the run was cancelled')), 50);
  await expect(first).rejects.toThrow('the run was cancelled');
  const state = await second;
  expect(state.virtualServices.map((vs) => vs.metadata.name)).toEqual(['reviews']);
  expect(count(requestsSince(mark), VS_LIST)).toBe(1);
  await Promise.all([cancelled.close(), other.close()]);
});

const RATINGS = {
  group: 'networking.istio.io',
  version: 'v1',
  resource: 'virtualservices',
  namespace: 'default',
} as const;

test('a read asked for after a write to the server ended does not join a read sent before it', async () => {
  cluster.server.faults.latencyMs = 150;
  const reader = cluster.client();
  const writer = cluster.client();
  const mark = cluster.mark();
  const early = reader.readRouting('default');
  // While that read is in flight, a write ends: a read asked for now must see it.
  await new Promise((resolve) => setTimeout(resolve, 20));
  cluster.server.faults.latencyMs = 0;
  await writer.send({
    ...RATINGS,
    verb: 'create',
    body: {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'ratings', namespace: 'default' },
      spec: { hosts: ['ratings'], http: [{ route: [{ destination: { host: 'ratings' } }] }] },
    },
  });
  const late = await writer.readRouting('default');
  expect(late.virtualServices.map((vs) => vs.metadata.name)).toEqual(['ratings', 'reviews']);
  await early;
  expect(count(requestsSince(mark), VS_LIST)).toBe(2);
  await writer.send({ ...RATINGS, verb: 'delete', name: 'ratings' });
  await Promise.all([reader.close(), writer.close()]);
});

test('a read no caller waits for any more is stopped: no retries for nobody, no unhandled failure', async () => {
  // Every list of VirtualServices fails (503, retried): only the first attempt may go out before the stop.
  cluster.server.faults.latencyMs = 50;
  cluster.server.faults.failNext(10, 503, { method: 'GET', path: /virtualservices$/ });
  const run = new AbortController();
  const client = cluster.client({ signal: run.signal });
  const mark = cluster.mark();
  const read = client.readRouting('default');
  setTimeout(() => run.abort(new CanaryError('cancelled', 'the run was cancelled')), 20);
  await expect(read).rejects.toThrow('the run was cancelled');
  await new Promise((resolve) => setTimeout(resolve, 400));
  expect(count(requestsSince(mark), VS_LIST)).toBe(1);
  await client.close();
});
