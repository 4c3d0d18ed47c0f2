// Prometheus's HTTP API (/api/v1/query), as the analyses use it: instant queries, retried with backoff
// when the server cannot be reached or answers 429/5xx, every failure one line naming the cause.
import type { ErrorCode } from '../errors.js';
import { pause, rootCause, type CheckClock } from './check.js';

/** Per-request bound: a Prometheus that hangs must not hold the run. */
const QUERY_TIMEOUT_MS = 15_000;
/** Tries of one query: the first, then after 1 s and 2 s. */
export const QUERY_ATTEMPTS = 3;
const RETRY_BASE_MS = 1000;

interface PrometheusAnswer {
  status?: string;
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: { metric?: Record<string, string>; value?: [number, string] }[] };
}

/** One series of an instant vector: its labels and value (NaN and ±Inf are left out). */
export interface Sample {
  labels: Record<string, string>;
  value: number;
}

function firstLine(text: string): string {
  return text.split('\n')[0]?.trim() ?? '';
}

/** A failure worth another try (network, timeout, 429, 5xx), or one that is final. */
class Attempt {
  constructor(
    readonly code: ErrorCode,
    readonly message: string,
    readonly retry: boolean,
  ) {}
}

export class PrometheusClient {
  private readonly endpoint: string;
  constructor(
    private readonly baseUrl: string,
    private readonly signal: AbortSignal | undefined,
    private readonly clock: CheckClock,
    /** What the run waits for when it is cancelled mid-query: the analysis as a whole. */
    private readonly what: string,
  ) {
    this.endpoint = `${baseUrl.replace(/\/+$/, '')}/api/v1/query`;
  }

  /** The single value of an instant query; undefined for an empty result or NaN (no data). */
  async scalar(query: string): Promise<number | undefined> {
    return (await this.vector(query))[0]?.value;
  }

  /** Every series of an instant query with a finite value. */
  async vector(query: string): Promise<Sample[]> {
    const answer = await this.answer(query);
    return (answer.data?.result ?? []).flatMap(({ metric, value }) => {
      const number = Number(value?.[1]);
      return value && Number.isFinite(number) ? [{ labels: metric ?? {}, value: number }] : [];
    });
  }

  private async answer(query: string): Promise<PrometheusAnswer> {
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.attempt(query);
      if (!(outcome instanceof Attempt)) return outcome;
      if (!outcome.retry || attempt === QUERY_ATTEMPTS) {
        const tries = outcome.retry ? ` after ${QUERY_ATTEMPTS} attempts` : '';
        throw this.clock.fail(outcome.code, outcome.message.replace('%TRIES%', tries));
      }
      await pause(RETRY_BASE_MS * 2 ** (attempt - 1), this.signal, this.clock, this.what);
    }
  }

  private async attempt(query: string): Promise<PrometheusAnswer | Attempt> {
    const timeout = AbortSignal.timeout(QUERY_TIMEOUT_MS);
    const signal = this.signal ? AbortSignal.any([this.signal, timeout]) : timeout;
    let response: Response;
    let body: string;
    try {
      response = await fetch(`${this.endpoint}?query=${encodeURIComponent(query)}`, { signal });
      body = await response.text();
    } catch (error) {
      if (this.signal?.aborted) throw this.clock.cancelled(this.what);
      const cause = timeout.aborted ? `no answer within ${QUERY_TIMEOUT_MS / 1000}s` : rootCause(error);
      return new Attempt(
        'unreachable',
        `Prometheus at ${this.baseUrl} is unreachable (${cause})%TRIES%: check prometheus-url and that the runner can reach it`,
        true,
      );
    }
    let parsed: PrometheusAnswer | undefined;
    try {
      parsed = JSON.parse(body) as PrometheusAnswer;
    } catch {
      parsed = undefined;
    }
    if (response.ok && parsed?.status === 'success') return parsed;
    const said = parsed?.error
      ? `${parsed.errorType ?? 'error'}: ${firstLine(parsed.error)}`
      : `${response.statusText || 'no Prometheus API answer'}`;
    return new Attempt(
      'api-error',
      `Prometheus at ${this.baseUrl} answered ${response.status} to a query (${said})%TRIES%: ` +
        'check prometheus-url (the server base URL, without /api/v1) and that it serves Prometheus',
      response.status === 429 || response.status >= 500,
    );
  }
}
