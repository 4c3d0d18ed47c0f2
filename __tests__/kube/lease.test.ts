// One run at a time per service: taking, waiting for, taking over, renewing and releasing the Lease.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  acquireLease,
  leaseHolderIdentity,
  type LeaseHandle,
  type LeaseOptions,
} from '../../src/kube/index.js';
import { startCluster, type TestCluster } from './cluster.js';

let cluster: TestCluster;
const LEASE_PATH = '/apis/coordination.k8s.io/v1/namespaces/default/leases';
const base: Omit<LeaseOptions, 'holder'> = {
  namespace: 'default',
  service: 'reviews',
  durationSeconds: 60,
  waitSeconds: 0,
  pollIntervalMs: 10,
};

interface StoredLease {
  metadata: { resourceVersion: string };
  spec: { holderIdentity?: string; renewTime?: string; acquireTime?: string; leaseTransitions?: number };
}

beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(() => cluster.server.close());
beforeEach(() =>
  cluster.server.store.delete('coordination.k8s.io/v1', 'Lease', 'default', 'istio-canary-reviews'),
);

function storedLease(): StoredLease | undefined {
  return cluster.server.store.get('coordination.k8s.io/v1', 'Lease', 'default', 'istio-canary-reviews') as
    StoredLease | undefined;
}

/** Waits for a condition the test cannot await directly (a background renewal, a request arriving). */
async function eventually(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const at = (iso: string) => () => new Date(iso);

test('holder identity names the run and the process', () => {
  expect(
    leaseHolderIdentity('https://github.com/o/r/actions/runs/1', {
      pid: 123,
      host: 'runner-7',
      githubActions: true,
    }),
  ).toBe('github-actions https://github.com/o/r/actions/runs/1 (pid 123@runner-7)');
  expect(leaseHolderIdentity(undefined, { pid: 9, host: 'laptop', githubActions: false })).toBe(
    'istio-canary (pid 9@laptop)',
  );
});

test('a free lease: one create, MicroTime stamps, released with one delete', async () => {
  const mark = cluster.mark();
  const lease = await acquireLease(cluster.client(), { ...base, holder: 'run-a' });
  expect(cluster.requestsSince(mark)).toEqual([`POST ${LEASE_PATH}`]);
  expect(lease.name).toBe('istio-canary-reviews');
  const spec = storedLease()!.spec;
  expect(spec.holderIdentity).toBe('run-a');
  expect(spec.renewTime).toMatch(/\.\d{6}Z$/);
  await lease.release();
  expect(cluster.requestsSince(mark)).toEqual([
    `POST ${LEASE_PATH}`,
    `DELETE ${LEASE_PATH}/istio-canary-reviews`,
  ]);
  expect(storedLease()).toBeUndefined();
});

test('a lease held by another run: fails after the wait, naming the holder, the end and the remedy', async () => {
  const held = await acquireLease(cluster.client({ now: at('2026-11-25T12:00:00.000Z') }), {
    ...base,
    holder: 'run-a',
  });
  try {
    const other = cluster.client({ now: at('2026-11-25T12:00:30.000Z') });
    await expect(acquireLease(other, { ...base, holder: 'run-b' })).rejects.toMatchObject({
      code: 'lease-held',
      message:
        'the lease istio-canary-reviews is held by run-a until 2026-11-25T12:01:00.000Z: wait for that run to finish, or delete the lease if that run is gone (kubectl delete lease istio-canary-reviews -n default)',
    });
    expect(storedLease()!.spec.holderIdentity).toBe('run-a');
  } finally {
    await held.release();
  }
});

test('the wait is bounded by elapsed time, whatever the clock that stamps the lease says', async () => {
  const held = await acquireLease(cluster.client(), { ...base, holder: 'run-a' });
  try {
    const frozen = cluster.client({ now: at('2026-11-25T12:00:30.000Z') });
    await expect(acquireLease(frozen, { ...base, holder: 'run-b', waitSeconds: 0.2 })).rejects.toMatchObject({
      code: 'lease-held',
    });
  } finally {
    await held.release();
  }
});

test('takeOverStale (rollback) takes a lease whose holder missed its renewal, not one renewed on time', async () => {
  const killed = await acquireLease(cluster.client({ now: at('2026-11-25T12:00:00.000Z') }), {
    ...base,
    holder: 'killed-run',
  });
  const waits: string[] = [];
  // 20 s later: the holder renews every 20 s (a third of 60 s), within the 5 s grace it may still be alive.
  const onTime = cluster.client({ now: at('2026-11-25T12:00:20.000Z') });
  await expect(
    acquireLease(onTime, {
      ...base,
      holder: 'rollback',
      waitSeconds: 1,
      takeOverStale: true,
      onWait: (message) => waits.push(message),
    }),
  ).rejects.toMatchObject({ code: 'lease-held' });
  expect(waits).toEqual([
    'waiting for the lease istio-canary-reviews: held by killed-run until 2026-11-25T12:01:00.000Z (renewed 20 s ago)',
  ]);
  // 26 s after its last renewal it has missed one: taken over at once, the holder named.
  const late = cluster.client({ now: at('2026-11-25T12:00:26.000Z') });
  const taken = await acquireLease(late, { ...base, holder: 'rollback', takeOverStale: true });
  expect(taken.takenOver).toEqual({ holder: 'killed-run', renewedAt: new Date('2026-11-25T12:00:00.000Z') });
  expect(storedLease()!.spec.holderIdentity).toBe('rollback');
  await taken.release();
  await killed.release();
});

test('a waiting run gets the lease once the holder releases it', async () => {
  const held = await acquireLease(cluster.client(), { ...base, holder: 'run-a' });
  const mark = cluster.mark();
  const waiting = acquireLease(cluster.client(), { ...base, holder: 'run-b', waitSeconds: 30 });
  await eventually(
    () => cluster.requestsSince(mark).includes(`GET ${LEASE_PATH}/istio-canary-reviews`),
    'run-b to look',
  );
  await held.release();
  const taken = await waiting;
  expect(storedLease()!.spec.holderIdentity).toBe('run-b');
  await taken.release();
});

test('an expired lease is taken over with the resourceVersion read', async () => {
  const stale = await acquireLease(cluster.client({ now: at('2026-11-25T11:00:00.000Z') }), {
    ...base,
    holder: 'crashed-run',
  });
  const mark = cluster.mark();
  const lease = await acquireLease(cluster.client({ now: at('2026-11-25T12:00:00.000Z') }), {
    ...base,
    holder: 'run-b',
  });
  expect(cluster.requestsSince(mark)).toEqual([
    `POST ${LEASE_PATH}`,
    `GET ${LEASE_PATH}/istio-canary-reviews`,
    `PUT ${LEASE_PATH}/istio-canary-reviews`,
  ]);
  expect(storedLease()!.spec).toMatchObject({ holderIdentity: 'run-b', leaseTransitions: 1 });
  // The crashed run's release must not delete the lease run-b holds now.
  await stale.release();
  expect(storedLease()!.spec.holderIdentity).toBe('run-b');
  await lease.release();
});

test('two runs racing for an expired lease: exactly one wins', async () => {
  await acquireLease(cluster.client({ now: at('2026-11-25T11:00:00.000Z') }), {
    ...base,
    holder: 'crashed-run',
  });
  const now = at('2026-11-25T12:00:00.000Z');
  const results = await Promise.allSettled([
    acquireLease(cluster.client({ now }), { ...base, holder: 'run-b' }),
    acquireLease(cluster.client({ now }), { ...base, holder: 'run-c' }),
  ]);
  const won = results.filter((r): r is PromiseFulfilledResult<LeaseHandle> => r.status === 'fulfilled');
  const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  expect(won).toHaveLength(1);
  expect(lost).toHaveLength(1);
  expect(storedLease()!.spec.holderIdentity).toBe(won[0]!.value.holder);
  expect(lost[0]!.reason).toMatchObject({ code: 'lease-held' });
  expect((lost[0]!.reason as Error).message).toContain(`is held by ${won[0]!.value.holder} until`);
  await won[0]!.value.release();
});

test('renewed while held', async () => {
  const lease = await acquireLease(cluster.client(), { ...base, holder: 'run-a', renewIntervalMs: 20 });
  const first = storedLease()!.metadata.resourceVersion;
  await eventually(() => storedLease()!.metadata.resourceVersion !== first, 'a renewal');
  expect(storedLease()!.spec.holderIdentity).toBe('run-a');
  expect(lease.lost).toBeUndefined();
  await lease.release();
  expect(storedLease()).toBeUndefined();
});

test('taken by another run while held: the handle says so', async () => {
  const lease = await acquireLease(cluster.client(), { ...base, holder: 'run-a', renewIntervalMs: 20 });
  const stolen = structuredClone(storedLease()!);
  stolen.spec.holderIdentity = 'run-z';
  cluster.server.store.put({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', ...stolen });
  await eventually(() => lease.lost !== undefined, 'the renewal to notice');
  expect(lease.lost!.message).toBe(
    'the lease istio-canary-reviews in default was taken by run-z while this run held it: another run is changing the same service; check its log before running again',
  );
  await lease.release();
  expect(storedLease()!.spec.holderIdentity).toBe('run-z');
});

test('cancelled while waiting', async () => {
  const held = await acquireLease(cluster.client(), { ...base, holder: 'run-a' });
  const controller = new AbortController();
  const waiting = acquireLease(cluster.client(), {
    ...base,
    holder: 'run-b',
    waitSeconds: 60,
    signal: controller.signal,
  });
  controller.abort();
  await expect(waiting).rejects.toMatchObject({ code: 'cancelled' });
  await held.release();
});

test('released even after the run was cancelled', async () => {
  const controller = new AbortController();
  const lease = await acquireLease(cluster.client({ signal: controller.signal }), {
    ...base,
    holder: 'run-a',
  });
  controller.abort();
  await lease.release();
  expect(storedLease()).toBeUndefined();
});
