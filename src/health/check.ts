// What every health check shares: its failure type, cancellation and deadlines, timing.
import { setTimeout as sleep } from 'node:timers/promises';
import { CanaryError, type ErrorCode } from '../errors.js';
import type { HealthCheckResult } from '../types.js';

/**
 * A failed check: the one-line error the user sees, plus the check's result (name, duration, detail)
 * so that the run's summary can list a failed check beside the passed ones.
 */
export class HealthCheckFailure extends CanaryError {
  readonly check: HealthCheckResult;
  constructor(code: ErrorCode, message: string, check: Omit<HealthCheckResult, 'ok' | 'detail'>) {
    super(code, message);
    this.name = 'HealthCheckFailure';
    this.check = { ...check, ok: false, detail: message };
  }
}

/** Measures a check from its start; `fail` and `pass` build its error and result. */
export class CheckClock {
  private readonly started = performance.now();
  constructor(readonly name: string) {}

  elapsedMs(): number {
    return Math.round(performance.now() - this.started);
  }

  /** `extra`: what a check adds to its result, e.g. the comparison's ticks. */
  pass(detail: string, extra: Partial<HealthCheckResult> = {}): HealthCheckResult {
    return { name: this.name, ok: true, durationMs: this.elapsedMs(), detail, ...extra };
  }

  fail(code: ErrorCode, message: string, extra: Partial<HealthCheckResult> = {}): HealthCheckFailure {
    return new HealthCheckFailure(code, message, { ...extra, name: this.name, durationMs: this.elapsedMs() });
  }

  cancelled(what: string): HealthCheckFailure {
    return this.fail(
      'cancelled',
      `cancelled while waiting for ${what}: the run was stopped; run the stage again, or roll back`,
    );
  }
}

/** Waits `ms`, or throws the clock's 'cancelled' error as soon as `signal` aborts. */
export async function pause(ms: number, signal: AbortSignal | undefined, clock: CheckClock, what: string) {
  if (signal?.aborted) throw clock.cancelled(what);
  try {
    await sleep(ms, undefined, { signal });
  } catch (error) {
    if (signal?.aborted) throw clock.cancelled(what);
    throw error;
  }
}

/** One signal for a wait: aborts when the caller's signal aborts or the time is up. */
export function deadlineSignal(signal: AbortSignal | undefined, timeoutMs: number): AbortSignal {
  const timeout = AbortSignal.timeout(Math.max(0, timeoutMs));
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}

/** Formats a share 0–1 as a percentage with at most two decimals: 0.995 → "99.5%". */
export function percent(share: number): string {
  return `${Number((share * 100).toFixed(2))}%`;
}

/** "12.3s" for a wait's length in the detail line. */
export function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))}s`;
}

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  cause?: unknown;
}

function isErrorLike(value: unknown): value is ErrorLike {
  return typeof value === 'object' && value !== null && 'message' in value;
}

/**
 * The innermost cause of a failed request, as its code when it has one ("ECONNREFUSED") else its
 * first line. fetch wraps the socket error in `cause`; errors may come from another realm (test
 * runners), so this looks at their shape rather than using instanceof.
 */
export function rootCause(error: unknown): string {
  let current: unknown = error;
  while (isErrorLike(current) && isErrorLike(current.cause)) current = current.cause;
  if (!isErrorLike(current)) return String(current);
  if (typeof current.code === 'string') return current.code;
  if (current.name === 'TimeoutError') return 'no answer';
  return String(current.message).split('\n')[0] ?? '';
}
