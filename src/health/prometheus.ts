// Canary analysis on Istio's standard metrics, read from Prometheus's HTTP API (/api/v1/query).
import { InputError } from '../errors.js';
import type { AnalysisOptions, HealthCheckResult } from '../types.js';
import { CheckClock, pause, percent } from './check.js';
import { clockTime, rangeAt, seriesSelector } from './istio-metrics.js';
import { PrometheusClient } from './prometheus-client.js';

export interface CanaryAnalysisOptions extends AnalysisOptions {
  namespace: string;
  service: string;
  /** The canary's version label value (Istio's `destination_version`). */
  canary: string;
  /**
   * Width of the rate() window, seconds; defaults to intervalSeconds. It must hold at least two
   * scrapes (Prometheus advises four scrape intervals), so very short intervals want a wider window.
   * A window never reaches back before `writtenAt`.
   */
  rateWindowSeconds?: number;
  /** When the routing being judged was in place (epoch ms); default: when the analysis starts. */
  writtenAt?: number;
  signal?: AbortSignal;
  /** Each round's figures, as they come. */
  onProgress?: (message: string) => void;
}

interface RoundFigures {
  /** Non-5xx share of the canary's requests; undefined when it served none in the window. */
  successRate?: number;
  /** 99th percentile of the canary's request duration, ms; undefined without data. */
  p99Ms?: number;
}

/**
 * The canary's series, as the `reporter` proxy reports them (by default the destination sidecar, which
 * counts each request once, where the canary's own proxy saw it). Labels are those of Istio's standard metrics.
 */
export function canarySelector(
  options: Pick<CanaryAnalysisOptions, 'namespace' | 'service' | 'canary' | 'reporter' | 'versionLabel'>,
) {
  return seriesSelector(options, [options.canary]);
}

/** Success-rate and p99 queries over a range such as `[5s]` or `rangeAt(from, to)`. */
export function canaryQueries(selector: string, range: string) {
  return {
    // `or vector(0)`: when every request failed there is no non-5xx series at all, which must read
    // as 0% success, not as "no data".
    successRate:
      `(sum(rate(istio_requests_total{${selector},response_code!~"5.."}${range})) or vector(0))` +
      ` / sum(rate(istio_requests_total{${selector}}${range}))`,
    p99Ms:
      'histogram_quantile(0.99, sum by (le) ' +
      `(rate(istio_request_duration_milliseconds_bucket{${selector}}${range})))`,
  };
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
 * Runs `runs` rounds, `intervalSeconds` apart, the first one interval after the write: only requests
 * served after the write count, so round k reads the rate window that ends at write + k·interval (with the
 * `@` modifier) and starts no earlier than the write. A round that breaks a bound fails the analysis
 * ('unhealthy'); so does a round without data unless `allowNoData`.
 */
export async function analyzeCanary(options: CanaryAnalysisOptions): Promise<HealthCheckResult> {
  validate(options);
  const clock = new CheckClock(`metrics ${options.service} ${options.canary}`);
  const writtenAt = options.writtenAt ?? Date.now();
  const windowMs = (options.rateWindowSeconds ?? options.intervalSeconds) * 1000;
  const selector = canarySelector(options);
  const target = `${options.service} ${options.canary} in ${options.namespace}`;
  const what = `metric analysis of ${target}`;
  const client = new PrometheusClient(options.prometheusUrl, options.signal, clock, what);
  const rounds: RoundFigures[] = [];

  for (let round = 1; round <= options.runs; round++) {
    const at = writtenAt + round * options.intervalSeconds * 1000;
    await pause(Math.max(0, at - Date.now()), options.signal, clock, what);
    const from = Math.max(writtenAt, at - windowMs);
    const queries = canaryQueries(selector, rangeAt(from, at));
    const covers = `${clockTime(from)}–${clockTime(at)} UTC, after the write`;
    const figures: RoundFigures = {};
    const successRate = await client.scalar(queries.successRate);
    if (successRate !== undefined) figures.successRate = successRate;
    if (options.maxLatencyMs !== undefined) {
      const p99Ms = await client.scalar(queries.p99Ms);
      if (p99Ms !== undefined) figures.p99Ms = p99Ms;
    }
    const of = `round ${round}/${options.runs}`;
    options.onProgress?.(`${what}, ${of} (${covers}): ${describeRound(figures)}`);
    const broken = breaches(figures, options);
    if (broken.length)
      throw clock.fail(
        'unhealthy',
        `canary ${target} failed metric analysis in ${of}: ${broken.join(', ')} (Istio metrics over ` +
          `${covers}): roll back, then look into the canary's errors and latency`,
      );
    const missing = missingMetric(figures, options);
    if (missing && !options.allowNoData)
      throw clock.fail(
        'unhealthy',
        `no data for canary ${target} in Prometheus (${missing}{${selector}} over ${covers}, ${of}): ` +
          'send traffic to the canary, check that Prometheus scrapes its sidecar at least twice per ' +
          'analysis-interval, or set allow-no-data',
      );
    rounds.push(figures);
  }
  return clock.pass(summarize(rounds, options, writtenAt));
}

/** "success 99.5% ≥ 99%, p99 90 ms ≤ 500 ms, 3/3 rounds (…)": the worst figures seen across rounds. */
function summarize(rounds: RoundFigures[], options: CanaryAnalysisOptions, writtenAt: number): string {
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
  const end = writtenAt + rounds.length * options.intervalSeconds * 1000;
  parts.push(
    `${rounds.length}/${options.runs} rounds (${clockTime(writtenAt)}–${clockTime(end)} UTC, after the write)`,
  );
  const noData = rounds.filter((figures) => missingMetric(figures, options)).length;
  const detail = parts.join(', ');
  return noData ? `${detail} (${noData} without data, allowed by allow-no-data)` : detail;
}
