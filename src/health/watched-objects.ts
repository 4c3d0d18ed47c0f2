// The bookkeeping of a list + watch, without I/O: the objects by namespace and name, what a list or a
// watch event changes among them, the resourceVersion to watch from next, and the pause before a stream
// that ended cleanly is opened again. The rules are those of client-node's informer cache (ListWatch), on
// which the waits were first built: an object keeps its place when updated, a new one goes last, an event
// that repeats the stored resourceVersion changes nothing, and an ERROR 410 means "list again".
import type { KubernetesListObject, KubernetesObject } from '../kube/client-node.js';

/** The event types of a watch stream, as the API server writes them. */
export const ADDED = 'ADDED';
export const MODIFIED = 'MODIFIED';
export const DELETED = 'DELETED';
export const ERROR = 'ERROR';
export const BOOKMARK = 'BOOKMARK';

/** 410 Gone: the resourceVersion to watch from is compacted away (an ERROR event's Status says Expired). */
export const GONE = 410;

/** Pauses before a stream that ended cleanly is opened again: none at first, then doubling, at most 30 s. */
export const FIRST_RESUME_DELAY_MS = 1000;
export const MAX_RESUME_DELAY_MS = 30_000;

export class WatchedObjects<T extends KubernetesObject> {
  /** namespace → name → object, each in the order first seen. */
  private readonly byNamespace = new Map<string, Map<string, T>>();
  /** Where the next watch starts; empty once a list is needed (none yet, or 410 Gone). */
  resourceVersion = '';
  private resumeDelayMs = 0;

  list(): T[] {
    return [...this.byNamespace.values()].flatMap((objects) => [...objects.values()]);
  }

  /**
   * Takes a list's answer: objects it no longer holds are removed, the others added or updated in place,
   * and the next watch starts from its resourceVersion. True when the set changed.
   */
  replace(answer: KubernetesListObject<T>): boolean {
    const items = answer.items ?? [];
    const listed = new Set(items.map(keyOf));
    let changed = false;
    for (const [namespace, objects] of this.byNamespace) {
      for (const name of objects.keys())
        if (!listed.has(keyOf({ metadata: { namespace, name } })))
          changed = this.remove(namespace, name) || changed;
    }
    for (const item of items) changed = this.put(item) || changed;
    this.resourceVersion = answer.metadata?.resourceVersion ?? '';
    return changed;
  }

  /**
   * Takes one watch event; true when the set changed. Every event but an ERROR moves the next watch's
   * start to its resourceVersion (a BOOKMARK only does that) and lets the next resume come at once.
   */
  apply(type: string, object: unknown): boolean {
    if (type === ERROR) {
      if ((object as { code?: unknown } | undefined)?.code === GONE) this.resourceVersion = '';
      return false;
    }
    const item = object as T;
    let changed = false;
    if (type === ADDED || type === MODIFIED) changed = this.put(item);
    else if (type === DELETED)
      changed = this.remove(item.metadata?.namespace ?? '', item.metadata?.name ?? '');
    this.resourceVersion = item.metadata?.resourceVersion ?? '';
    this.resumeDelayMs = 0;
    return changed;
  }

  /** Forgets the resourceVersion: the next start lists first. */
  expire(): void {
    this.resourceVersion = '';
  }

  /**
   * The pause before opening again a stream that ended cleanly: none the first time after an event, then
   * doubling from 1 s up to 30 s while streams keep ending with nothing in them.
   */
  nextResumeDelay(): number {
    const delay = this.resumeDelayMs;
    this.resumeDelayMs = Math.min(delay > 0 ? delay * 2 : FIRST_RESUME_DELAY_MS, MAX_RESUME_DELAY_MS);
    return delay;
  }

  /** After a failure the stream starts afresh: its first resume comes at once. */
  resetResumeDelay(): void {
    this.resumeDelayMs = 0;
  }

  private put(item: T): boolean {
    const namespace = item.metadata?.namespace ?? '';
    const name = item.metadata?.name ?? '';
    let objects = this.byNamespace.get(namespace);
    if (!objects) this.byNamespace.set(namespace, (objects = new Map()));
    const stored = objects.get(name);
    const version = stored?.metadata?.resourceVersion;
    if (stored && version !== undefined && version === item.metadata?.resourceVersion) return false;
    objects.set(name, item);
    return true;
  }

  private remove(namespace: string, name: string): boolean {
    const objects = this.byNamespace.get(namespace);
    if (!objects?.delete(name)) return false;
    if (objects.size === 0) this.byNamespace.delete(namespace);
    return true;
  }
}

function keyOf(item: KubernetesObject): string {
  return JSON.stringify([item.metadata?.namespace ?? '', item.metadata?.name ?? '']);
}
