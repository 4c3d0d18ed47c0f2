// Watch streams: JSON lines of ADDED/MODIFIED/DELETED events from a resourceVersion, BOOKMARK events when
// asked for, ERROR 410 Gone for a compacted resourceVersion, and an end after timeoutSeconds.
import type { ServerResponse } from 'node:http';
import type { Cluster, ResourceRequest } from './handlers.js';
import { toWire } from './objects.js';
import { tableOf } from './table.js';
import { ResourceRegistry } from './resources.js';
import { fieldMatcher, labelMatcher } from './selectors.js';
import { badRequest, gone } from './status.js';
import type { KubeObject, StoreEvent } from './store.js';

export interface WatchOptions {
  bookmarkIntervalMs: number;
  /** `kubectl get -w` asks for each event's object as a one-row Table */
  table: boolean;
}

export function serveWatch(
  cluster: Cluster,
  req: ResourceRequest,
  res: ServerResponse,
  options: WatchOptions,
): void {
  const byLabel = labelMatcher(req.query.get('labelSelector') ?? undefined);
  const byField = fieldMatcher(req.query.get('fieldSelector') ?? undefined, req.type.kind);
  const relevant = (e: { resource: { plural: string; group: string }; object: KubeObject }) =>
    e.resource === req.type &&
    (!req.type.namespaced || req.namespace === undefined || e.object.metadata.namespace === req.namespace) &&
    (req.name === undefined || e.object.metadata.name === req.name) &&
    byLabel(e.object.metadata.labels ?? {}) &&
    byField(e.object);

  const rvParam = req.query.get('resourceVersion');
  let from: number | undefined;
  if (rvParam !== null && rvParam !== '' && rvParam !== '0') {
    from = Number(rvParam);
    if (!Number.isInteger(from)) throw badRequest(`invalid resource version: ${rvParam}`);
  }

  // No Transfer-Encoding header: node:http chunks a body of unknown length by itself, and HTTP/2 forbids it.
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache' });
  // node:http2 sends the headers with writeHead; node:http holds them until the first write.
  if ('flushHeaders' in res) res.flushHeaders();
  let lastRevision = cluster.store.currentRevision;
  let remainingBeforeCut = Infinity;
  let ended = false;

  const send = (type: string, object: unknown) => {
    if (ended) return;
    res.write(JSON.stringify({ type, object }) + '\n');
    if (type !== 'BOOKMARK' && --remainingBeforeCut <= 0) finish();
  };
  const sendObject = (type: string, obj: KubeObject) => {
    const out = toWire(obj, req.type, req.version);
    send(
      type,
      options.table
        ? tableOf(req.type, { items: [out], metadata: { resourceVersion: obj.metadata.resourceVersion } })
        : out,
    );
  };
  // Objects this watch has shown as present: a MODIFIED that leaves the selector is a DELETED for this
  // watch, and one that enters it an ADDED, as the watch cache reports them.
  const visible = new Set<string>();
  const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  const inScope = (e: StoreEvent) =>
    e.resource === req.type &&
    (!req.type.namespaced || req.namespace === undefined || e.object.metadata.namespace === req.namespace);
  const sendEvent = (e: StoreEvent) => {
    if (!inScope(e)) return;
    const key = keyOf(e.object);
    const wasVisible = visible.has(key);
    const matches = e.type !== 'DELETED' && relevant(e);
    let type: string | undefined;
    if (matches) type = wasVisible ? 'MODIFIED' : 'ADDED';
    else if (wasVisible) type = 'DELETED';
    if (!type) return;
    if (type === 'DELETED') visible.delete(key);
    else visible.add(key);
    lastRevision = e.resourceVersion;
    sendObject(type, e.object);
  };

  const cutter = {
    cut(afterEvents: number) {
      remainingBeforeCut = afterEvents;
      if (afterEvents <= 0) finish();
    },
  };
  const unsubscribe = cluster.store.subscribe(sendEvent);
  const bookmarks =
    req.query.get('allowWatchBookmarks') === 'true'
      ? setInterval(() => {
          send('BOOKMARK', {
            kind: req.type.kind,
            apiVersion: ResourceRegistry.groupVersion(req.type.group, req.version),
            metadata: { resourceVersion: String(Math.max(lastRevision, cluster.store.currentRevision)) },
          });
        }, options.bookmarkIntervalMs)
      : undefined;
  const timeoutSeconds = Number(req.query.get('timeoutSeconds') ?? '0');
  const timer = timeoutSeconds > 0 ? setTimeout(finish, timeoutSeconds * 1000) : undefined;

  function finish() {
    if (ended) return;
    ended = true;
    unsubscribe();
    cluster.faults.openWatches.delete(cutter);
    if (bookmarks) clearInterval(bookmarks);
    if (timer) clearTimeout(timer);
    res.end();
  }
  cluster.faults.openWatches.add(cutter);
  res.on('close', finish);

  if (from === undefined) {
    for (const obj of cluster.store.list(req.type, req.namespace)) {
      if (!relevant({ resource: req.type, object: obj })) continue;
      visible.add(keyOf(obj));
      sendObject('ADDED', obj);
    }
    return;
  }
  const replay = cluster.store.eventsSince(from);
  if (!replay) {
    const status = gone(
      `too old resource version: ${from} (${cluster.store.oldestWatchableRevision})`,
    ).status;
    send('ERROR', status);
    finish();
    return;
  }
  // What matched at `from` is taken as what matches now among the objects no newer than `from`.
  for (const obj of cluster.store.list(req.type, req.namespace)) {
    if (Number(obj.metadata.resourceVersion) <= from && relevant({ resource: req.type, object: obj })) {
      visible.add(keyOf(obj));
    }
  }
  const seen = new Set<string>();
  for (const e of replay) {
    const key = keyOf(e.object);
    // An object first seen here as MODIFIED or DELETED existed at `from`: shown then if it matched.
    if (!seen.has(key) && e.type !== 'ADDED' && relevant(e)) visible.add(key);
    seen.add(key);
    sendEvent(e);
  }
}
