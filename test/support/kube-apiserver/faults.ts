// Faults a test injects: latency, failed or reset requests, cut watch streams, a hook before each write.

export interface FaultMatch {
  method?: string;
  path?: RegExp;
  retryAfterSeconds?: number;
}

export interface WriteAttempt {
  method: string;
  path: string;
  object?: object;
}

interface Pending {
  remaining: number;
  match: FaultMatch;
  status?: 500 | 503 | 429;
}

export interface Faults {
  latencyMs: number;
  /** The next `count` requests matching `match` answer `status` with a Status body (429 with Retry-After). */
  failNext(count: number, status: 500 | 503 | 429, match?: FaultMatch): void;
  /** The next `count` requests matching `match` end without an answer (HTTP/1.1: connection dropped; HTTP/2: stream reset). */
  resetNext(count: number, match?: FaultMatch): void;
  /** Every watch stream open now ends after sending `afterEvents` more events (0: at once). */
  cutWatches(afterEvents?: number): void;
  /** Runs before every write (create, update, patch, delete) is looked at: a concurrent writer goes here. */
  beforeWrite(hook: (req: WriteAttempt) => void | Promise<void>): void;
  clear(): void;
}

export interface WatchCutter {
  cut(afterEvents: number): void;
}

export class FaultState implements Faults {
  latencyMs: number;
  private failures: Pending[] = [];
  private resets: Pending[] = [];
  private hooks: ((req: WriteAttempt) => void | Promise<void>)[] = [];
  readonly openWatches = new Set<WatchCutter>();

  constructor(latencyMs: number) {
    this.latencyMs = latencyMs;
  }

  failNext(count: number, status: 500 | 503 | 429, match: FaultMatch = {}): void {
    this.failures.push({ remaining: count, status, match });
  }

  resetNext(count: number, match: FaultMatch = {}): void {
    this.resets.push({ remaining: count, match });
  }

  cutWatches(afterEvents = 0): void {
    for (const w of [...this.openWatches]) w.cut(afterEvents);
  }

  beforeWrite(hook: (req: WriteAttempt) => void | Promise<void>): void {
    this.hooks.push(hook);
  }

  clear(): void {
    this.failures = [];
    this.resets = [];
    this.hooks = [];
    this.latencyMs = 0;
  }

  /** Takes one pending failure matching the request, if any. */
  takeFailure(method: string, path: string): Pending | undefined {
    return take(this.failures, method, path);
  }

  takeReset(method: string, path: string): boolean {
    return take(this.resets, method, path) !== undefined;
  }

  /** Whether a test waits on writes: only then is a write's body parsed for it (a large object costs). */
  get hasWriteHooks(): boolean {
    return this.hooks.length > 0;
  }

  async runWriteHooks(attempt: WriteAttempt): Promise<void> {
    for (const hook of [...this.hooks]) await hook(attempt);
  }
}

function take(list: Pending[], method: string, path: string): Pending | undefined {
  const found = list.find(
    (p) =>
      p.remaining > 0 &&
      (!p.match.method || p.match.method.toUpperCase() === method) &&
      (!p.match.path || p.match.path.test(path)),
  );
  if (found) found.remaining--;
  return found;
}
