// The frame of a wait driven by watch events: it ends at the first outcome among success, a failure
// seen in the events, the timeout and cancellation, and always stops its watches.
import type { HealthCheckResult } from '../types.js';
import type { CheckClock, HealthCheckFailure } from './check.js';

export abstract class WatchWait {
  private settle: ((outcome: HealthCheckResult | HealthCheckFailure) => void) | undefined;

  constructor(
    protected readonly clock: CheckClock,
    /** What is waited for, for messages: "canary Deployment(s) app=reviews,version=v2 in default". */
    protected readonly what: string,
    private readonly limits: { timeoutMs: number; signal?: AbortSignal },
  ) {}

  /** Starts the watches; their events call `finish` when the wait is decided. */
  protected abstract startWatching(): void;
  protected abstract stopWatching(): void;
  /** The 'timeout' failure, with what was reached. */
  protected abstract timedOut(): HealthCheckFailure;

  /** False once an outcome is decided: later events are ignored. */
  protected get open(): boolean {
    return this.settle !== undefined;
  }

  protected finish(outcome: HealthCheckResult | HealthCheckFailure): void {
    const settle = this.settle;
    this.settle = undefined;
    settle?.(outcome);
  }

  async run(): Promise<HealthCheckResult> {
    const { signal, timeoutMs } = this.limits;
    if (signal?.aborted) throw this.clock.cancelled(this.what);
    const outcome = new Promise<HealthCheckResult | HealthCheckFailure>((resolve) => (this.settle = resolve));
    const onAbort = () => this.finish(this.clock.cancelled(this.what));
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => this.finish(this.timedOut()), timeoutMs);
    this.startWatching();
    try {
      const result = await outcome;
      if (result instanceof Error) throw result;
      return result;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      this.stopWatching();
    }
  }
}
