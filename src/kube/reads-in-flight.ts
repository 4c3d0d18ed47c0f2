// Reads in flight, shared: a read asked for while the same read (same server and credentials, path, query
// and answer form) is already in flight joins it instead of sending its own. Only reads in flight are
// shared, nothing is cached: a read asked for after the answer came sends again, so a caller never sees
// an answer older than the requests it has itself seen finish.
//
// Why: a library user releasing a hundred services of one namespace at once has a hundred runs list the
// namespace's VirtualServices, DestinationRules and Services in the same instant. Each list holds every
// service's objects, so each run parsed and kept a hundred of each: ten thousand objects, most of the
// memory at the peak and a hundred LISTs for kube-apiserver to serve (a LIST is among its costliest
// requests). Shared, a read is sent and parsed once for all the runs that ask while it is in flight.
export class ReadsInFlight {
  private readonly reads = new Map<string, { read: Promise<unknown>; callers: number }>();

  /**
   * The read in flight under `key`, or the one `send` starts. Its answer is frozen (frozen()) when more than
   * one caller took it, and left as it is for a lone caller: a read of one large object (a thousand routes)
   * is not walked for nothing. The count is final when the answer comes: the read is forgotten then, so no
   * caller can join it afterwards.
   */
  join<T>(key: string, send: () => Promise<T>): Promise<T> {
    const inFlight = this.reads.get(key);
    if (inFlight) {
      inFlight.callers++;
      return inFlight.read as Promise<T>;
    }
    const entry = { read: undefined as unknown as Promise<T>, callers: 1 };
    entry.read = send().then(
      (value) => {
        this.reads.delete(key);
        return entry.callers > 1 ? frozen(value) : value;
      },
      (err: unknown) => {
        this.reads.delete(key);
        throw err;
      },
    );
    this.reads.set(key, entry);
    return entry.read;
  }

  /** How many reads are in flight (for tests). */
  get size(): number {
    return this.reads.size;
  }
}

/**
 * The answer of a shared read, frozen through and through: every caller gets the same objects, so one that
 * changed them would change them for the others; frozen, such a change throws (ESM code is strict). Text
 * answers are left as they are.
 */
export function frozen<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  for (const member of Object.values(value)) frozen(member);
  return Object.freeze(value);
}
