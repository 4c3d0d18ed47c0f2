// One connection pool per API server and credentials, shared by every client of the process (src/kube/pool.ts):
// counted in TLS connections (undici's 'undici:client:connected'), with cancellation and closing kept to
// the client that asks for them.
import diagnostics from 'node:diagnostics_channel';
import { closeIdlePools, heldPools, openPools, setPoolIdleMs } from '../../src/kube/pool.js';
import {
  reviewsDestinationRule,
  reviewsVirtualService,
  startCluster,
  startReviewsCluster,
  type TestCluster,
} from './cluster.js';

let cluster: TestCluster;
let connections = 0;
const counted = (): void => void connections++;

beforeAll(async () => {
  diagnostics.subscribe('undici:client:connected', counted);
  cluster = await startReviewsCluster();
});
afterAll(async () => {
  diagnostics.unsubscribe('undici:client:connected', counted);
  await cluster.server.close();
});
afterEach(() => {
  cluster.server.faults.clear();
  cluster.server.faults.latencyMs = 0;
});

const names = (state: { virtualServices: { metadata: { name?: string } }[] }) =>
  state.virtualServices.map((vs) => vs.metadata.name);

test('concurrent clients of one server and user share one HTTP/2 connection, kept a while after the last client for the next', async () => {
  const pools = openPools();
  const held = heldPools();
  const opened = connections;
  const clients = [cluster.client(), cluster.client(), cluster.client()];
  // Each lists Deployments at once: three requests (reads of the routing would be shared while in flight,
  // and a client that joins another's read sends nothing: reads-in-flight.test.ts).
  const lists = await Promise.all(clients.map((client) => client.listDeployments('default', 'app=reviews')));
  expect(lists).toEqual([[], [], []]);
  expect(connections - opened).toBe(1);
  expect(openPools()).toBe(pools + 1);
  expect(heldPools()).toBe(held + 1);

  await clients[0]!.close();
  await clients[1]!.close();
  expect(heldPools()).toBe(held + 1);
  // The pool still serves the client that holds it, on the same connection.
  expect(names(await clients[2]!.readRouting('default'))).toEqual(['reviews']);
  expect(connections - opened).toBe(1);
  await clients[2]!.close();
  // Nobody holds it now; it stays open, idle, for the next run of the process.
  expect(heldPools()).toBe(held);
  expect(openPools()).toBe(pools + 1);
  const next = cluster.client();
  expect(names(await next.readRouting('default'))).toEqual(['reviews']);
  expect(connections - opened).toBe(1);
  await next.close();
  await closeIdlePools();
  expect(openPools()).toBe(pools);
});

test('an idle pool is closed once it has had no client for its idle time, and not while one holds it again', async () => {
  setPoolIdleMs(100);
  try {
    await closeIdlePools();
    const opened = connections;
    const first = cluster.client();
    await first.listDeployments('default', 'app=reviews');
    await first.close();
    expect(openPools()).toBe(1);
    // Taken again within its idle time: the same connection, and the close it was waiting for is off.
    const second = cluster.client();
    await new Promise((resolve) => setTimeout(resolve, 60));
    await second.listDeployments('default', 'app=reviews');
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(openPools()).toBe(1);
    expect(connections - opened).toBe(1);
    await second.close();
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(openPools()).toBe(0);
    // The next client opens a connection of its own.
    const third = cluster.client();
    await third.listDeployments('default', 'app=reviews');
    expect(connections - opened).toBe(2);
    await third.close();
  } finally {
    setPoolIdleMs();
    await closeIdlePools();
  }
});

test('another user gets a pool of its own, and every request goes as its own user', async () => {
  const pools = heldPools();
  const mark = cluster.mark();
  const admin = cluster.client();
  const ops = cluster.client({ user: 'ops' });
  await Promise.all([admin.readRouting('default'), ops.readRouting('default')]);
  expect(heldPools()).toBe(pools + 2);
  const users = cluster.server.requests.slice(mark).map((entry) => entry.user);
  expect(users.filter((user) => user === 'admin')).toHaveLength(3);
  expect(users.filter((user) => user === 'ops')).toHaveLength(3);
  await Promise.all([admin.close(), ops.close()]);
  expect(heldPools()).toBe(pools);
});

test("one run's cancellation ends its own request only: the other run's request on the same connection is answered", async () => {
  const steady = cluster.client();
  await steady.readRouting('default'); // the pool and its connection are up
  const opened = connections;
  const controller = new AbortController();
  const cancelled = cluster.client({ signal: controller.signal });
  cluster.server.faults.latencyMs = 300;
  const answered = steady.listDeployments('default', 'app=reviews');
  const stopped = cancelled.listDeployments('default', 'app=reviews');
  setTimeout(() => controller.abort(), 50);
  await expect(stopped).rejects.toMatchObject({ code: 'cancelled' });
  await expect(answered).resolves.toEqual([]);
  expect(connections - opened).toBe(0);
  await Promise.all([steady.close(), cancelled.close()]);
});

test("closing a run's clients while another run has a request in flight leaves that request and its pool alone", async () => {
  const pools = heldPools();
  const other = cluster.client();
  const finishing = cluster.client();
  await Promise.all([other.readRouting('default'), finishing.readRouting('default')]);
  cluster.server.faults.latencyMs = 200;
  const inFlight = other.readRouting('default');
  await finishing.close();
  expect(names(await inFlight)).toEqual(['reviews']);
  expect(heldPools()).toBe(pools + 1);
  await other.close();
  expect(heldPools()).toBe(pools);
});

test('a detached copy (the restore client) shares its client’s hold: closing both gives it back once', async () => {
  const pools = heldPools();
  const controller = new AbortController();
  const client = cluster.client({ signal: controller.signal });
  const restoreClient = client.detached();
  await client.readRouting('default');
  controller.abort();
  // The cancelled run can still put things back through the detached copy, on the pool it holds.
  expect(names(await restoreClient.readRouting('default'))).toEqual(['reviews']);
  await Promise.all([client.close(), restoreClient.close()]);
  expect(heldPools()).toBe(pools);
});

test('an API server that speaks HTTP/1.1 only: concurrent clients share the pool, one connection per request in flight', async () => {
  const http1 = await startCluster({ http1Only: true });
  http1.server.store.put(reviewsVirtualService());
  http1.server.store.put(reviewsDestinationRule());
  try {
    const pools = heldPools();
    const clients = [http1.client(), http1.client()];
    const states = await Promise.all(clients.map((client) => client.readRouting('default')));
    expect(states.map(names)).toEqual([['reviews'], ['reviews']]);
    expect(heldPools()).toBe(pools + 1);
    const opened = connections;
    // Kept alive: a second read of both reuses the connections the first one opened.
    await Promise.all(clients.map((client) => client.readRouting('default')));
    expect(connections - opened).toBe(0);
    await Promise.all(clients.map((client) => client.close()));
    expect(heldPools()).toBe(pools);
  } finally {
    await http1.server.close();
  }
});

test('a later pool to the same server resumes the TLS session of the pool before (src/kube/tls-connector.ts)', async () => {
  const resumed: boolean[] = [];
  const onConnected = (message: unknown) => {
    const { socket } = message as { socket: { isSessionReused(): boolean } };
    resumed.push(socket.isSessionReused());
  };
  await closeIdlePools();
  diagnostics.subscribe('undici:client:connected', onConnected);
  try {
    for (let run = 0; run < 2; run++) {
      const client = cluster.client();
      expect(names(await client.readRouting('default'))).toEqual(['reviews']);
      await client.close();
      // As after the pool's idle time: the next run opens a connection of its own.
      await closeIdlePools();
    }
  } finally {
    diagnostics.unsubscribe('undici:client:connected', onConnected);
  }
  // Each run opened a connection of its own; the second skipped the full handshake.
  expect(resumed).toHaveLength(2);
  expect(resumed[1]).toBe(true);
});
