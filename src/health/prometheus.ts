// Canary analysis on Istio's standard metrics, read from Prometheus's HTTP API (/api/v1/query).
import { InputError } from '../errors.js';
import type { AnalysisOptions, HealthCheckResult } from '../types.js';
import { CheckClock, pause, percent, rootCause } from './check.js';

export interface CanaryAnalysisOptions extends AnalysisOptions {
  namespace: string;
  service: string;
  /** The canary's version label value (Istio's `destination_version`). */
  canary: string;
  /**
   * Width of the rate() window, seconds; defaults to intervalSeconds. It must hold at least two
   * scrapes (Prometheus advises four scrape intervals), so very short intervals want a wider window.
   */
  rateWindowSeconds?: number;
  signal?: AbortSignal;
  /** Each round's figures, as they come. */
  onProgress?: (message: string) => void;
}

/** Per-request bound: a Prometheus that hangs must not hold the run. */
const QUERY_TIMEOUT_MS = 15_000;

interface RoundFigures {
  /** Non-5xx share of the canary's requests; undefined when it served none in the window. */
  successRate?: number;
  /** 99th percentile of the canary's request duration, ms; undefined without data. */
  p99Ms?: number;
}

interface PrometheusAnswer {
  status?: string;
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: { value?: [number, string] }[] };
}

function labelValue(value: string): string {
  return JSON.stringify(value); // PromQL string literals use Go/JSON escaping.
}

/**
 * The canary's series as the destination sidecar reports them: `reporter="destination"` counts each
 * request once, where the canary's own proxy saw it (clients' proxies report the same requests again
 * with reporter="source"). Labels are those of Istio's standard metrics.
 */
export function canarySelector(options: Pick<CanaryAnalysisOptions, 'namespace' | 'service' | 'canary'>) {
  return [
    'reporter="destination"',
    `destination_workload_namespace=${labelValue(options.namespace)}`,
    `destination_service_name=${labelValue(options.service)}`,
    `destination_version=${labelValue(options.canary)}`,
  ].join(',');
}

/** Success-rate and p99 queries over a window of `windowSeconds`. */
export function canaryQueries(selector: string, windowSeconds: number) {
  const window = `[${windowSeconds}s]`;
  return {
    // `or vector(0)`: when every request failed there is no non-5xx series at all, which must read
    // as 0% success, not as "no data".
    successRate:
      `(sum(rate(istio_requests_total{${selector},response_code!~"5.."}${window})) or vector(0))` +
      ` / sum(rate(istio_requests_total{${selector}}${window}))`,
    p99Ms:
      'histogram_quantile(0.99, sum by (le) ' +
      `(rate(istio_request_duration_milliseconds_bucket{${selector}}${window})))`,
  };
}

function firstLine(text: string): string {
  return text.split('\n')[0]?.trim() ?? '';
}

class PrometheusClient {
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
    const answer = await this.fetchAnswer(query);
    const value = answer.data?.result?.[0]?.value?.[1];
    if (value === undefined) return undefined;
    const number = Number(value);
    return Number.isFinite(number) ? number : undefined;
  }

  private async fetchAnswer(query: string): Promise<PrometheusAnswer> {
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
      throw this.clock.fail(
        'unreachable',
        `Prometheus at ${this.baseUrl} is unreachable (${cause}): check prometheus-url and that the runner can reach it`,
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
    throw this.clock.fail(
      'api-error',
      `Prometheus at ${this.baseUrl} answered ${response.status} to a query (${said}): ` +
        'check prometheus-url (the server base URL, without /api/v1) and that it serves Prometheus',
    );
  }
}

function describeRound(figures: RoundFigures): string {
  const parts = [];
  if (figures.successRate !== undefined) parts.push(`success ${percent(figures.successRate)}`);
  if (figures.p99Ms !== undefined) parts.push(`p99 ${Math.round(figures.p99Ms)} ms`);
  return parts.length ? parts.join(', ') : 'no data';
}

/** What a round's figures break, worded "success 70% < 99%"; empty when they pass. */
function breaches(figures: RoundFigures, options: CanaryAnalysisOptions): string[] {
  const found = [];
  const { minSuccessRate, maxLatencyMs } = options;
  if (
    minSuccessRate !== undefined &&
    figures.successRate !== undefined &&
    figures.successRate < minSuccessRate
  )
    found.push(`success ${percent(figures.successRate)} < ${percent(minSuccessRate)}`);
  if (maxLatencyMs !== undefined && figures.p99Ms !== undefined && figures.p99Ms > maxLatencyMs)
    found.push(`p99 ${Math.round(figures.p99Ms)} ms > ${maxLatencyMs} ms`);
  return found;
}

/** The metric a round has no data for, if any. */
function missingMetric(figures: RoundFigures, options: CanaryAnalysisOptions): string | undefined {
  if (figures.successRate === undefined) return 'istio_requests_total';
  if (options.maxLatencyMs !== undefined && figures.p99Ms === undefined)
    return 'istio_request_duration_milliseconds_bucket';
  return undefined;
}

function validate(options: CanaryAnalysisOptions): void {
  if (options.minSuccessRate === undefined && options.maxLatencyMs === undefined)
    throw new InputError(
      'min-success-rate',
      'metric analysis has nothing to check: set min-success-rate (e.g. 0.99) or max-latency-ms (e.g. 500)',
    );
  if (options.minSuccessRate !== undefined && !(options.minSuccessRate >= 0 && options.minSuccessRate <= 1))
    throw new InputError(
      'min-success-rate',
      `min-success-rate ${options.minSuccessRate} is not a share between 0 and 1: write e.g. 0.99 for 99%`,
    );
  for (const [field, value] of [
    ['analysis-interval', options.intervalSeconds],
    ['analysis-runs', options.runs],
  ] as const)
    if (!Number.isInteger(value) || value < 1)
      throw new InputError(field, `${field} ${value} is not a whole number ≥ 1: set ${field} to e.g. 3`);
}

/**
 * Runs `runs` rounds spaced `intervalSeconds` apart (the first at once); each round reads the canary's
 * success rate and p99 over the rate window and compares them with the bounds. The first round that
 * breaks a bound fails the analysis ('unhealthy'); so does a round without data unless `allowNoData`.
 */
export async function analyzeCanary(options: CanaryAnalysisOptions): Promise<HealthCheckResult> {
  validate(options);
  const clock = new CheckClock(`metrics ${options.service} ${options.canary}`);
  const windowSeconds = options.rateWindowSeconds ?? options.intervalSeconds;
  const queries = canaryQueries(canarySelector(options), windowSeconds);
  const target = `${options.service} ${options.canary} in ${options.namespace}`;
  const what = `metric analysis of ${target}`;
  const client = new PrometheusClient(options.prometheusUrl, options.signal, clock, what);
  const rounds: RoundFigures[] = [];

  for (let round = 1; round <= options.runs; round++) {
    if (round > 1) await pause(options.intervalSeconds * 1000, options.signal, clock, what);
    const figures: RoundFigures = {};
    const successRate = await client.scalar(queries.successRate);
    if (successRate !== undefined) figures.successRate = successRate;
    if (options.maxLatencyMs !== undefined) {
      const p99Ms = await client.scalar(queries.p99Ms);
      if (p99Ms !== undefined) figures.p99Ms = p99Ms;
    }
    const of = `round ${round}/${options.runs}`;
    options.onProgress?.(`${what}, ${of}: ${describeRound(figures)}`);
    const broken = breaches(figures, options);
    if (broken.length)
      throw clock.fail(
        'unhealthy',
        `canary ${target} failed metric analysis in ${of}: ${broken.join(', ')} (Istio metrics over ` +
          `the last ${windowSeconds}s): roll back, then look into the canary's errors and latency`,
      );
    const missing = missingMetric(figures, options);
    if (missing && !options.allowNoData)
      throw clock.fail(
        'unhealthy',
        `no data for canary ${target} in Prometheus (${missing}{${canarySelector(options)}} over the ` +
          `last ${windowSeconds}s, ${of}): send traffic to the canary, check that Prometheus scrapes ` +
          'its sidecar at least twice per analysis-interval, or set allow-no-data',
      );
    rounds.push(figures);
  }
  return clock.pass(summarize(rounds, options));
}

/** "success 99.5% ≥ 99%, p99 90 ms ≤ 500 ms, 3/3 rounds": the worst figures seen across rounds. */
function summarize(rounds: RoundFigures[], options: CanaryAnalysisOptions): string {
  const rates = rounds.flatMap((r) => (r.successRate === undefined ? [] : [r.successRate]));
  const latencies = rounds.flatMap((r) => (r.p99Ms === undefined ? [] : [r.p99Ms]));
  const parts = [];
  if (rates.length) {
    const bound = options.minSuccessRate === undefined ? '' : ` ≥ ${percent(options.minSuccessRate)}`;
    parts.push(`success ${percent(Math.min(...rates))}${bound}`);
  }
  if (latencies.length && options.maxLatencyMs !== undefined)
    parts.push(`p99 ${Math.round(Math.max(...latencies))} ms ≤ ${options.maxLatencyMs} ms`);
  if (!parts.length) parts.push('no canary data');
  parts.push(`${rounds.length}/${options.runs} rounds`);
  const noData = rounds.filter((figures) => missingMetric(figures, options)).length;
  const detail = parts.join(', ');
  return noData ? `${detail} (${noData} without data, allowed by allow-no-data)` : detail;
}
