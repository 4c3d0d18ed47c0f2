// What a run has written, so a failure can put back exactly what was there before the first write.
import type { ClusterClient, RoutingRef } from '../kube/index.js';
import type { RoutingObject } from '../plan/types.js';

interface Entry {
  ref: RoutingRef;
  /** The object as read just before our first write to it; undefined when we created it. */
  original: RoutingObject | undefined;
}

export function objectKey(object: Pick<RoutingObject, 'kind' | 'metadata'>, namespace: string): string {
  return `${object.kind}/${object.metadata.namespace ?? namespace}/${object.metadata.name}`;
}

export class WriteJournal {
  private readonly entries = new Map<string, Entry>();
  /** Keys in first-write order; restores go the other way (break what we made before what it needed). */
  private readonly order: string[] = [];

  constructor(private readonly namespace: string) {}

  get empty(): boolean {
    return this.order.length === 0;
  }

  /** Remembers `before` the first time an object is written; later writes keep the first original. */
  record(after: RoutingObject, before: RoutingObject | undefined): void {
    const key = objectKey(after, this.namespace);
    if (this.entries.has(key)) return;
    this.entries.set(key, {
      original: before ? structuredClone(before) : undefined,
      ref: {
        kind: after.kind,
        name: after.metadata.name,
        namespace: after.metadata.namespace ?? this.namespace,
        apiVersion: after.apiVersion,
      },
    });
    this.order.push(key);
  }

  /** Puts every written object back as it was, last written first. Returns what was restored. */
  async restore(client: ClusterClient): Promise<string[]> {
    const restored: string[] = [];
    for (const key of [...this.order].reverse()) {
      const entry = this.entries.get(key);
      if (!entry) continue;
      await client.restore(entry.original, entry.ref);
      restored.push(
        `${entry.original ? 'restored' : 'deleted'} ${entry.ref.kind} ${entry.ref.namespace}/${entry.ref.name}`,
      );
    }
    return restored;
  }
}
