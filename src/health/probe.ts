// HTTP probe of the canary: N consecutive 2xx answers within a time bound.
import { InputError } from '../errors.js';
import type { HealthCheckResult } from '../types.js';
import { CheckClock, deadlineSignal, pause, rootCause, seconds } from './check.js';

export interface ProbeHttpOptions {
  url: string;
  /** Sent with every request (e.g. the header that routes to the canary); values never printed. */
  headers?: Record<string, string>;
  /** Consecutive 2xx answers needed. */
  successes: number;
  /** Consecutive failed answers that fail the probe at once (a canary answering 503 is not worth the timeout). */
  failures?: number;
  timeoutMs: number;
  /** Pause between two requests. */
  intervalMs: number;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
}

/** Bound on one request, so that a hanging server still leaves time for the next tries. */
const REQUEST_TIMEOUT_MS = 10_000;

/** Tallies what the probe got: "3×200, 2×503, 1×ECONNREFUSED". */
class Tally {
  private readonly counts = new Map<string, number>();
  requests = 0;

  add(outcome: string): void {
    this.requests++;
    this.counts.set(outcome, (this.counts.get(outcome) ?? 0) + 1);
  }

  toString(): string {
    const outcomes = [...this.counts].map(([outcome, count]) => `${count}×${outcome}`).join(', ');
    return `${this.requests} request${this.requests === 1 ? '' : 's'}: ${outcomes || 'none'}`;
  }
}

/** A URL fetch cannot use, or a count that makes the probe pass without asking, fails before any request. */
function validate(options: ProbeHttpOptions): void {
  let protocol = '';
  try {
    protocol = new URL(options.url).protocol;
  } catch {
    protocol = '';
  }
  if (protocol !== 'http:' && protocol !== 'https:')
    throw new InputError(
      'probe-url',
      `probe-url "${options.url}" is not an http(s) URL: write e.g. http://reviews.default:9080/health`,
    );
  if (!Number.isInteger(options.successes) || options.successes < 1)
    throw new InputError(
      'probe-successes',
      `probe-successes ${options.successes} is not a whole number ≥ 1: set the consecutive 2xx answers needed, e.g. 3`,
    );
}

/** One request: the status code as text, or why there was none. */
async function attempt(
  options: ProbeHttpOptions,
  deadline: AbortSignal,
): Promise<{ ok: boolean; outcome: string }> {
  const signal = AbortSignal.any([deadline, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]);
  try {
    const response = await fetch(options.url, { headers: options.headers ?? {}, signal });
    await response.body?.cancel(); // only the status matters; free the connection.
    return { ok: response.status >= 200 && response.status < 300, outcome: String(response.status) };
  } catch (error) {
    if (deadline.aborted) throw error;
    return { ok: false, outcome: rootCause(error) };
  }
}

/**
 * Requests `url` every `intervalMs` until `successes` answers in a row are 2xx; a non-2xx answer or a
 * failed request starts the count again. Throws 'unhealthy' when `timeoutMs` passes first.
 */
export async function probeHttp(options: ProbeHttpOptions): Promise<HealthCheckResult> {
  validate(options);
  const clock = new CheckClock(`probe ${options.url}`);
  const deadline = deadlineSignal(options.signal, options.timeoutMs);
  const tally = new Tally();
  let streak = 0;
  let failedStreak = 0;
  try {
    while (streak < options.successes) {
      if (tally.requests > 0) await pause(options.intervalMs, deadline, clock, `probe ${options.url}`);
      const { ok, outcome } = await attempt(options, deadline);
      tally.add(outcome);
      streak = ok ? streak + 1 : 0;
      failedStreak = ok ? 0 : failedStreak + 1;
      if (options.failures !== undefined && failedStreak >= options.failures) {
        throw clock.fail(
          'unhealthy',
          `probe ${options.url} failed ${failedStreak} times in a row (${tally}): the canary is not serving; check its logs`,
        );
      }
      options.onProgress?.(`probe ${options.url}: ${streak}/${options.successes} consecutive 2xx (${tally})`);
    }
  } catch (error) {
    if (options.signal?.aborted) throw clock.cancelled(`probe ${options.url}`);
    if (!deadline.aborted) throw error;
    throw clock.fail(
      'unhealthy',
      `probe ${options.url} did not get ${options.successes} consecutive 2xx within ` +
        `${seconds(options.timeoutMs)} (${tally}; last streak ${streak}): check the canary's logs, ` +
        'or raise the probe timeout',
    );
  }
  return clock.pass(`${options.successes} consecutive 2xx (${tally})`);
}
