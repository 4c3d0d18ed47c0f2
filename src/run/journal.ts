// What a run has written, so a failure can put back exactly what was there before the first write.
import { restoreObject, type ClusterClient, type ObjectRef, type WrittenObject } from '../kube/index.js';

interface Entry {
  ref: ObjectRef;
  /** Objects written in one batch are restored together too. */
  group: number;
  /** The object as read just before our first write to it; undefined when we created it. */
  original: WrittenObject | undefined;
}

export function objectKey(object: Pick<WrittenObject, 'kind' | 'metadata'>, namespace: string): string {
  return `${object.kind}/${object.metadata.namespace ?? namespace}/${object.metadata.name}`;
}

export class WriteJournal {
  private readonly entries = new Map<string, Entry>();
  /** Keys in first-write order; restores go the other way (break what we made before what it needed). */
  private readonly order: string[] = [];
  private groups = 0;

  constructor(private readonly namespace: string) {}

  get empty(): boolean {
    return this.order.length === 0;
  }

  /** A new group for the writes of one batch (they went out together, and come back together). */
  newGroup(): number {
    this.groups += 1;
    return this.groups;
  }

  /**
   * Remembers `before` the first time an object is written (`after` names it: for a delete, the object as
   * read); later writes keep the first original. Without a `group`, the object is restored on its own.
   */
  record(after: WrittenObject, before: WrittenObject | undefined, group = this.newGroup()): void {
    const key = objectKey(after, this.namespace);
    if (this.entries.has(key)) return;
    this.entries.set(key, {
      group,
      // The object as read, kept as it is: nothing changes what it read (a write sends its own copy of
      // what it changes), and a copy of a thousand-route VirtualService per write costs as much as its plan.
      original: before,
      ref: {
        kind: after.kind,
        name: after.metadata.name,
        namespace: after.metadata.namespace ?? this.namespace,
        apiVersion: after.apiVersion,
      },
    });
    this.order.push(key);
  }

  /**
   * Puts every written object back as it was, last written group first; the objects of one group (the
   * VirtualServices of one stage) together. Returns what was restored.
   */
  async restore(client: ClusterClient): Promise<string[]> {
    const entries = this.order
      .map((key) => this.entries.get(key))
      .filter((entry): entry is Entry => entry !== undefined);
    const groups = [...new Set(entries.map((entry) => entry.group))].reverse();
    const restored: string[] = [];
    for (const group of groups) {
      const members = entries.filter((entry) => entry.group === group).reverse();
      const outcomes = await Promise.allSettled(
        members.map((entry) => restoreObject(client, entry.original, entry.ref)),
      );
      members.forEach((entry, index) => {
        if (outcomes[index]?.status !== 'fulfilled') return;
        restored.push(
          `${entry.original ? 'restored' : 'deleted'} ${entry.ref.kind} ${entry.ref.namespace}/${entry.ref.name}`,
        );
      });
      const failed = outcomes.find((outcome) => outcome.status === 'rejected');
      if (failed) throw failed.reason;
    }
    return restored;
  }
}
