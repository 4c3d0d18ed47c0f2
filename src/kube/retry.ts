// Retries for calls that may succeed a moment later: 429, 5xx (except a schema error), dropped connections.
// Hand-written rather than p-retry: the policy needs full jitter, the server's Retry-After, a 500 that must
// not be retried depending on its message, and an injectable sleep for tests; p-retry offers none of these
// without wrapping it in as much code as this file.
import { setTimeout as delay } from 'node:timers/promises';
import { CanaryError } from '../errors.js';
import { connectionErrorCode, responseHeader, statusCodeOf } from './api-error-shape.js';
import { isSchemaError } from './errors.js';

export interface RetryInfo {
  /** The attempt that failed, 1-based. */
  attempt: number;
  /** The wait before the next attempt. */
  delayMs: number;
  error: unknown;
  /** `503`, `429`, `ECONNRESET`: what made the attempt worth repeating. */
  reason: string;
}

export interface RetryOptions {
  /** Attempts in all, the first included (default 5). */
  attempts?: number;
  /** First backoff ceiling; doubles per attempt (default 200 ms). */
  baseDelayMs?: number;
  /** Ceiling of one backoff (default 5 s). */
  maxDelayMs?: number;
  /** Ceiling on a server's Retry-After (default 30 s): a longer wait is the server asking us to stop. */
  maxRetryAfterMs?: number;
  signal?: AbortSignal;
  onRetry?: (info: RetryInfo) => void;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Which errors to retry and why (default `retryReason`: 429, 5xx, dropped connections). */
  retryOn?: (error: unknown) => string | undefined;
  /** Source of randomness for jitter, [0, 1). */
  random?: () => number;
}

export const RETRY_DEFAULTS = { attempts: 5, baseDelayMs: 200, maxDelayMs: 5000, maxRetryAfterMs: 30_000 };

/** Why an error is worth another attempt, or undefined when it is final (401/403/404/409/422, schema 500). */
export function retryReason(err: unknown): string | undefined {
  const code = statusCodeOf(err);
  if (code !== undefined) {
    if (code === 429) return '429';
    if (code >= 500 && !isSchemaError(err)) return String(code);
    return undefined;
  }
  return connectionErrorCode(err);
}

/** Retry-After in seconds (the form the API server sends); an HTTP date is honoured too. */
export function retryAfterMs(err: unknown, now: number = Date.now()): number | undefined {
  const value = responseHeader(err, 'retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Full jitter (AWS's "Exponential Backoff And Jitter"): uniform in [0, min(max, base·2^n)). */
export function backoffMs(failedAttempt: number, base: number, max: number, random: () => number): number {
  const ceiling = Math.min(max, base * 2 ** (failedAttempt - 1));
  return Math.floor(random() * ceiling);
}

const abortableSleep = async (ms: number, signal?: AbortSignal): Promise<void> => {
  await delay(ms, undefined, { signal });
};

function cancelled(err: unknown): CanaryError {
  return new CanaryError('cancelled', 'the run was cancelled while waiting to retry a Kubernetes API call', {
    cause: err,
  });
}

export async function withRetry<T>(operation: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? RETRY_DEFAULTS.attempts);
  const base = options.baseDelayMs ?? RETRY_DEFAULTS.baseDelayMs;
  const max = options.maxDelayMs ?? RETRY_DEFAULTS.maxDelayMs;
  const maxRetryAfter = options.maxRetryAfterMs ?? RETRY_DEFAULTS.maxRetryAfterMs;
  const sleep = options.sleep ?? abortableSleep;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (err) {
      const reason = (options.retryOn ?? retryReason)(err);
      if (reason === undefined || attempt >= attempts || options.signal?.aborted) throw err;
      const serverWait = retryAfterMs(err);
      const delayMs =
        serverWait !== undefined
          ? Math.min(serverWait, maxRetryAfter)
          : backoffMs(attempt, base, max, random);
      options.onRetry?.({ attempt, delayMs, error: err, reason });
      try {
        await sleep(delayMs, options.signal);
      } catch {
        throw cancelled(err);
      }
      if (options.signal?.aborted) throw cancelled(err);
    }
  }
}
