// Object storage with one cluster-wide resourceVersion counter and an event history for watches.
import { randomUUID } from 'node:crypto';
import type { ResourceType } from './resources.js';

export type KubeObject = Record<string, unknown> & {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
};

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
  managedFields?: unknown[];
  finalizers?: string[];
  [key: string]: unknown;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: WatchEventType;
  resource: ResourceType;
  object: KubeObject; // stored form; a deep copy is made before it leaves the server
  resourceVersion: number;
}

type Listener = (event: StoreEvent) => void;

/** How many events a watch can replay; older resourceVersions answer 410 Gone, as an etcd compaction does. */
const HISTORY_LIMIT = 5000;

/**
 * A deep copy, as structuredClone makes one. Plain data (what JSON and YAML give, and objects written in
 * tests) is copied member by member, several times faster than structuredClone on an object of a thousand
 * routes; anything else (a Date, a class instance, a function, which structuredClone refuses) goes through
 * structuredClone itself.
 */
export function clone<T>(value: T): T {
  return cloneValue(value) as T;
}

function cloneValue(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) {
    return typeof value === 'function' || typeof value === 'symbol' ? structuredClone(value) : value;
  }
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (Array.isArray(value) && prototype === Array.prototype) {
    const items: unknown[] = new Array<unknown>(value.length);
    for (let index = 0; index < value.length; index++) {
      if (index in value) items[index] = cloneValue((value as unknown[])[index]); // holes stay holes
    }
    return items;
  }
  const keys = Object.keys(value);
  // An assignment to `__proto__` would set the prototype, where structuredClone makes a field.
  if (prototype !== Object.prototype || keys.includes('__proto__')) return structuredClone(value);
  const members: Record<string, unknown> = {};
  for (const key of keys) members[key] = cloneValue((value as Record<string, unknown>)[key]);
  return members;
}

/** The objects of one resource type, by etcd's key within it: `<namespace>/<name>` (`/<name>` when cluster-scoped). */
function typeKey(t: ResourceType): string {
  return `${t.group}/${t.plural}`;
}

function nameKey(t: ResourceType, namespace: string | undefined, name: string): string {
  return `${t.namespaced ? (namespace ?? '') : ''}/${name}`;
}

/** Fields that are not spec: changing only these does not bump metadata.generation. */
function specPart(obj: KubeObject): unknown {
  const rest: Record<string, unknown> = { ...obj };
  delete rest.metadata;
  delete rest.status;
  delete rest.apiVersion;
  delete rest.kind;
  return rest;
}

/** The generation a write of `next` over `previous` gives: 1 for a new object, +1 when the spec changes. */
export function nextGeneration(previous: KubeObject | undefined, next: KubeObject): number {
  if (!previous) return 1;
  const generation = previous.metadata.generation ?? 1;
  return sameJsonText(specPart(previous), specPart(next)) ? generation : generation + 1;
}

/** A JSON member as JSON.stringify sees it: undefined and functions are left out of an object. */
const written = (member: unknown) => member !== undefined && typeof member !== 'function';

/**
 * Whether JSON.stringify would write `a` and `b` as the same text (same members in the same order), without
 * writing either: a write of a large object compares two specs that differ early or not at all.
 */
export function sameJsonText(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    // JSON writes an undefined or function item as null.
    const item = (value: unknown) => (written(value) ? value : null);
    return a.every((value: unknown, i) => sameJsonText(item(value), item(b[i])));
  }
  const ours = Object.keys(a).filter((key) => written((a as Record<string, unknown>)[key]));
  const theirs = Object.keys(b).filter((key) => written((b as Record<string, unknown>)[key]));
  return (
    ours.length === theirs.length &&
    ours.every(
      (key, i) =>
        key === theirs[i] &&
        sameJsonText((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
    )
  );
}

export class ObjectStore {
  /** The objects by resource type, then by namespace and name: a list reads its own type's objects only. */
  private objects = new Map<string, Map<string, KubeObject>>();
  private history: StoreEvent[] = [];
  private listeners = new Set<Listener>();
  private revision = 1;
  /** The oldest resourceVersion a watch may still start from. */
  private compactedRevision = 1;

  get currentRevision(): number {
    return this.revision;
  }

  get oldestWatchableRevision(): number {
    return this.compactedRevision;
  }

  get(t: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.objects.get(typeKey(t))?.get(nameKey(t, namespace, name));
  }

  private ofType(t: ResourceType): Map<string, KubeObject> {
    let objects = this.objects.get(typeKey(t));
    if (!objects) this.objects.set(typeKey(t), (objects = new Map()));
    return objects;
  }

  list(t: ResourceType, namespace?: string): KubeObject[] {
    const found: [string, KubeObject][] = [];
    for (const entry of this.objects.get(typeKey(t)) ?? []) {
      if (t.namespaced && namespace !== undefined && entry[1].metadata.namespace !== namespace) continue;
      found.push(entry);
    }
    // etcd's order: the keys' bytes, namespace then name.
    found.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return found.map(([, obj]) => obj);
  }

  /**
   * Stores a new or changed object: fills uid, timestamps, generation and a new resourceVersion. The store
   * keeps a copy, unless the caller hands the object over (`owned`: plain data made for this write alone,
   * sharing nothing with a stored object, and not used by the caller afterwards).
   */
  write(t: ResourceType, obj: KubeObject, { owned = false }: { owned?: boolean } = {}): KubeObject {
    const meta = obj.metadata;
    const objects = this.ofType(t);
    const k = nameKey(t, meta.namespace, meta.name!);
    const previous = objects.get(k);
    const stored = owned ? obj : clone(obj);
    const m = stored.metadata;
    if (!t.namespaced) delete m.namespace;
    if (previous) {
      m.uid = previous.metadata.uid;
      m.creationTimestamp = previous.metadata.creationTimestamp;
    } else {
      m.uid = m.uid ?? randomUUID();
      m.creationTimestamp = m.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    }
    m.generation = nextGeneration(previous, stored);
    this.revision++;
    m.resourceVersion = String(this.revision);
    objects.set(k, stored);
    this.emit({
      type: previous ? 'MODIFIED' : 'ADDED',
      resource: t,
      object: stored,
      resourceVersion: this.revision,
    });
    return stored;
  }

  remove(t: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const objects = this.ofType(t);
    const k = nameKey(t, namespace, name);
    const previous = objects.get(k);
    if (!previous) return undefined;
    objects.delete(k);
    this.revision++;
    const gone = clone(previous);
    gone.metadata.resourceVersion = String(this.revision);
    this.emit({ type: 'DELETED', resource: t, object: gone, resourceVersion: this.revision });
    return gone;
  }

  /** Forgets the event history, as an etcd compaction does: watches from older versions get 410 Gone. */
  compact(): void {
    this.history = [];
    this.compactedRevision = this.revision;
  }

  /** Events after `fromRevision` for a watch that starts there, or undefined when they are compacted away. */
  eventsSince(fromRevision: number): StoreEvent[] | undefined {
    if (fromRevision < this.compactedRevision) return undefined;
    return this.history.filter((e) => e.resourceVersion > fromRevision);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: StoreEvent): void {
    this.history.push(event);
    if (this.history.length > HISTORY_LIMIT) {
      const dropped = this.history.splice(0, this.history.length - HISTORY_LIMIT);
      this.compactedRevision = dropped[dropped.length - 1]!.resourceVersion;
    }
    for (const l of [...this.listeners]) l(event);
  }
}
