// WatchedSet against the API server stand-in, through the real client-node: a stream the server ends is
// resumed from the last resourceVersion seen (an event's or a BOOKMARK's) with no list, a failed stream
// is started again after the pause, a 410 Gone on resume lists again, and a stopped set opens nothing.
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, type V1ConfigMap } from '@kubernetes/client-node';
import type { CanaryError } from '../../src/errors.js';
import { WatchedSet } from '../../src/health/watched-set.js';
import { standInPerFile } from './stand-in.js';

const BOOKMARK_INTERVAL_MS = 100;
const cluster = standInPerFile('watched-set', { bookmarkIntervalMs: BOOKMARK_INTERVAL_MS });

const started: WatchedSet<V1ConfigMap>[] = [];
afterEach(() => {
  for (const set of started.splice(0)) set.stop();
});

function path(): string {
  return `/api/v1/namespaces/${cluster.namespace}/configmaps`;
}

/** Writes a ConfigMap as a controller would (no request logged); returns its resourceVersion. */
function put(name: string, value: string, namespace = cluster.namespace): string {
  const stored = cluster.server.store.put({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace },
    data: { value },
  }) as V1ConfigMap;
  return stored.metadata!.resourceVersion!;
}

/** The set of the test namespace's ConfigMaps, and what it held at each onChange ("a=1 b=1"). */
function watchedConfigMaps() {
  const namespace = cluster.namespace;
  const core = cluster.server.kubeConfig().makeApiClient(CoreV1Api);
  const changes: string[] = [];
  const fatal: CanaryError[] = [];
  const set = new WatchedSet<V1ConfigMap>({
    kubeConfig: cluster.server.kubeConfig(),
    path: path(),
    list: () => core.listNamespacedConfigMap({ namespace }),
    attempt: { group: '', resource: 'configmaps', namespace },
    onChange: () => changes.push(contents(set)),
    onFatal: (error) => fatal.push(error),
  });
  started.push(set);
  return { set, changes, fatal };
}

function contents(set: WatchedSet<V1ConfigMap>): string {
  return set
    .objects()
    .map((c) => `${c.metadata?.name}=${c.data?.value}`)
    .join(' ');
}

/** The reads of the test namespace's ConfigMaps, in order. */
function reads() {
  return cluster.server.requests.filter((r) => r.path === path() && r.method === 'GET');
}

function watches() {
  return reads().filter((r) => r.verb === 'watch');
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (check()) return;
    await sleep(10);
  }
  throw new Error(`never reached: ${what}`);
}

/** Once `count` watch requests are open on the server (a logged request reaches its handler at once). */
async function watchesOpen(count: number): Promise<void> {
  await until(`${count} watch(es)`, () => watches().length >= count);
  await sleep(50);
}

/**
 * With a ConfigMap in place and every answer 300 ms late, starts a set and stops it once `sent` reads
 * (the list, then the watch) have reached the server; resolves when its start is over.
 */
async function stopOnceSent(sent: number) {
  put('a', '1');
  const watched = watchedConfigMaps();
  cluster.server.faults.latencyMs = 300;
  const starting = watched.set.start();
  await until(`${sent} read(s) sent`, () => reads().length === sent);
  watched.set.stop();
  await starting;
  cluster.server.faults.latencyMs = 0;
  return watched;
}

describe('WatchedSet', () => {
  test('a stream the server ends is resumed from the last event seen, with no list', async () => {
    put('a', '1');
    put('b', '1');
    const { set, changes } = watchedConfigMaps();
    await set.start();
    await watchesOpen(1);
    const modified = put('a', '2');
    await until('a=2 seen', () => contents(set) === 'a=2 b=1');
    cluster.server.faults.cutWatches(0);
    await watchesOpen(2);
    put('b', '2');
    await until('b=2 seen', () => contents(set) === 'a=2 b=2');
    expect(reads().map((r) => r.verb)).toEqual(['list', 'watch', 'watch']);
    expect(watches()[0]!.query.resourceVersion).not.toBe(modified);
    expect(watches()[1]!.query).toMatchObject({ resourceVersion: modified, allowWatchBookmarks: 'true' });
    expect(changes).toEqual(['a=1 b=1', 'a=2 b=1', 'a=2 b=2']);
  });

  test("a BOOKMARK's resourceVersion is where the resumed stream starts, and changes nothing", async () => {
    put('a', '1');
    const { set, changes } = watchedConfigMaps();
    await set.start();
    await watchesOpen(1);
    // A write the watch does not show: only the bookmarks carry its revision to the client.
    const elsewhere = put(`elsewhere-${cluster.namespace}`, '1', 'default');
    await sleep(BOOKMARK_INTERVAL_MS * 5);
    cluster.server.faults.cutWatches(0);
    await watchesOpen(2);
    expect(reads().map((r) => r.verb)).toEqual(['list', 'watch', 'watch']);
    expect(watches()[0]!.query.resourceVersion).not.toBe(elsewhere);
    expect(watches()[1]!.query.resourceVersion).toBe(elsewhere);
    expect(changes).toEqual(['a=1']);
  });

  test('a failed stream starts again after the pause; a 410 Gone on resume lists again, deletes included', async () => {
    put('a', '1');
    put('b', '1');
    const { set, changes, fatal } = watchedConfigMaps();
    await set.start();
    await watchesOpen(1);
    cluster.server.faults.failNext(1, 503, { method: 'GET', path: new RegExp(`^${path()}$`) });
    cluster.server.faults.cutWatches(0);
    await until('the resumed watch refused', () => reads().some((r) => r.status === 503));
    // During the pause: changes the resumed watch cannot replay, since the history is compacted.
    cluster.server.store.delete('v1', 'ConfigMap', cluster.namespace, 'b');
    put('a', '2');
    cluster.server.store.compact();
    await until('the relist', () => contents(set) === 'a=2');
    await watchesOpen(3); // the refused one has no verb
    const calls = reads();
    // The injected answer comes before the request is classified, hence no verb on it.
    expect(calls.map((r) => r.verb)).toEqual(['list', 'watch', undefined, 'watch', 'list', 'watch']);
    expect(calls[2]!.status).toBe(503);
    expect(calls[3]!.query.resourceVersion).toBe(calls[1]!.query.resourceVersion);
    expect(calls[5]!.query.resourceVersion).not.toBe(calls[1]!.query.resourceVersion);
    expect(changes).toEqual(['a=1 b=1', 'a=2']);
    expect(set.lastError).toBe(
      `the Kubernetes API at ${cluster.server.url} failed to watch configmaps in namespace "${cluster.namespace}" ` +
        '(503 ServiceUnavailable): no message: try again when the API server is healthy',
    );
    expect(fatal).toEqual([]);
  });

  test('a stop while the list is in flight: the answer is dropped and no watch is opened', async () => {
    const { set, changes } = await stopOnceSent(1);
    await sleep(200); // a watch opened after the answer would be logged by now
    expect(reads().map((r) => r.verb)).toEqual(['list']);
    expect(set.synced).toBe(false);
    expect(set.objects()).toEqual([]);
    expect(changes).toEqual([]);
  });

  test('a stop while the watch request is in flight: the stream is closed once answered', async () => {
    const { set, changes } = await stopOnceSent(2);
    // The stand-in records a stream's status when it closes.
    await until('the stream closed', () => watches()[0]?.status === 200);
    put('a', '2');
    await sleep(200);
    expect(changes).toEqual(['a=1']);
    expect(contents(set)).toBe('a=1');
  });
});
