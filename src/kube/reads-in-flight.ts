// Reads in flight, shared: a read asked for while the same read (same server and credentials, path, query
// and answer form) is already in flight joins it instead of sending its own. Only reads in flight are
// shared, nothing is cached, and a read never joins one sent before a write to that server finished (the
// writes' count, `epoch`, is part of what it must match): a run that rereads after its own write, or after
// a conflict, gets an answer sent after that write.
//
// Why: a library user releasing a hundred services of one namespace at once has a hundred runs list the
// namespace's VirtualServices, DestinationRules and Services in the same instant. Each list holds every
// service's objects, so each run parsed and kept a hundred of each: ten thousand objects, most of the
// memory at the peak and a hundred LISTs for kube-apiserver to serve (a LIST is among its costliest
// requests). Shared, a read is sent and parsed once for all the runs that ask while it is in flight.
//
// The read is sent for all: with the retries and the request bound of the client that started it, and its
// own cancellation, which comes when every caller has stopped waiting (each stops on its own run's).

export class ReadsInFlight {
  private readonly reads = new Map<string, InFlight>();

  /**
   * The read in flight under `key` (sent at the same `epoch`), or the one `send` starts, with the signal
   * that ends it once no caller waits. Its answer is frozen (frozen()) when more than one caller took it,
   * and left as it is for a lone caller: a read of one large object (a thousand routes) is not walked for
   * nothing. The count is final when the answer comes: the read is forgotten then, so no caller can join it
   * afterwards. A caller that stops waiting calls `leave`. `settled` (of the caller that starts the read)
   * runs after every caller has reacted to the answer.
   */
  join<T>(
    key: string,
    epoch: number,
    send: (signal: AbortSignal) => Promise<T>,
    settled: () => void,
  ): { read: Promise<T>; leave: () => void } {
    let entry = this.reads.get(key);
    if (entry && entry.epoch === epoch) {
      entry.callers++;
      entry.waiting++;
    } else {
      entry = this.start(key, epoch, send, settled);
    }
    const joined = entry;
    let left = false;
    const leave = () => {
      if (left) return;
      left = true;
      if (--joined.waiting > 0) return;
      if (this.reads.get(key) === joined) this.reads.delete(key);
      joined.stop.abort(new DOMException('no caller waits for this read any more', 'AbortError'));
    };
    return { read: joined.read as Promise<T>, leave };
  }

  /**
   * Sends the read; `settled` runs once every caller's own reaction to the answer has run (the callers
   * react to `read` as soon as it settles; `settled` comes two reactions later).
   */
  private start<T>(
    key: string,
    epoch: number,
    send: (signal: AbortSignal) => Promise<T>,
    settled: () => void,
  ): InFlight {
    const stop = new AbortController();
    const entry: InFlight = { read: Promise.resolve(), epoch, callers: 1, waiting: 1, stop };
    const forget = () => {
      if (this.reads.get(key) === entry) this.reads.delete(key);
    };
    entry.read = send(stop.signal).then(
      (value) => {
        forget();
        return entry.callers > 1 ? frozen(value) : value;
      },
      (err: unknown) => {
        forget();
        throw err;
      },
    );
    // Every caller may have stopped waiting: the read's failure is then nobody's to handle.
    entry.read.catch(() => undefined).then(settled, settled);
    this.reads.set(key, entry);
    return entry;
  }

  /** How many reads are in flight (for tests). */
  get size(): number {
    return this.reads.size;
  }
}

interface InFlight {
  read: Promise<unknown>;
  /** The server's write count when the read was sent. */
  epoch: number;
  /** Callers that took the read (for freezing), and those still waiting for it (for stopping it). */
  callers: number;
  waiting: number;
  stop: AbortController;
}

/** Writes finished per API server: a read sent before one of them is not joined after it. */
export class WriteEpochs {
  private readonly epochs = new Map<string, number>();

  of(server: string): number {
    return this.epochs.get(server) ?? 0;
  }

  /** A write to `server` has ended (done or failed: a failed write may have changed the object all the same). */
  ended(server: string): void {
    this.epochs.set(server, this.of(server) + 1);
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
