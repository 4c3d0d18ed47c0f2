// The comparison with the stable, against Prometheus: every tick, canary and stable are asked in the same
// queries for their counts since the write; the pure judge decides; the run stops at the first decision,
// or calls it inconclusive at analysis-max-duration.
import type {
  ComparisonOptions,
  ComparisonReport,
  ComparisonTick,
  HealthCheckResult,
  VersionFigures,
} from '../../types.js';
import { InputError } from '../../errors.js';
import { CheckClock, pause, percent, seconds } from '../check.js';
import { clockTime, versionLabelOf, versionValue, type SeriesScope } from '../istio-metrics.js';
import { PrometheusClient, type Sample } from '../prometheus-client.js';
import { exceedances, latencyMargin, type Bucket, type LatencyMargin } from './latency-margin.js';
import { comparisonQueries, REFERENCE_SECONDS, referenceQuery } from './queries.js';
import {
  SequentialJudge,
  type MetricCounts,
  type MetricSpec,
  type TickDecision,
} from './sequential-judge.js';

export interface CompareOptions extends SeriesScope {
  prometheusUrl: string;
  stable: string;
  canary: string;
  /** Seconds between two evaluations (analysis-interval). */
  intervalSeconds: number;
  comparison: ComparisonOptions;
  /** When the routing being judged was in place (epoch ms); default: when the comparison starts. */
  writtenAt?: number;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
}

type Role = 'canary' | 'stable';

/** Counts per version from a `sum by (<version label>)` answer; a version without a series is absent. */
function byVersion(samples: Sample[], label: string, values: Record<Role, string>) {
  const found: Partial<Record<Role, number>> = {};
  for (const role of ['canary', 'stable'] as const) {
    const sample = samples.find((s) => s.labels[label] === values[role]);
    if (sample) found[role] = Math.max(0, Math.round(sample.value));
  }
  return found;
}

function bucketsOf(samples: Sample[]): Bucket[] {
  return samples.map((s) => ({
    le: s.labels.le === '+Inf' ? Infinity : Number(s.labels.le),
    count: Math.max(0, Math.round(s.value)),
  }));
}

function share(part: number | undefined, whole: number): string {
  return whole > 0 && part !== undefined ? percent(part / whole) : '—';
}

export class Comparison {
  private readonly clock: CheckClock;
  private readonly client: PrometheusClient;
  private readonly what: string;
  private readonly values: Record<Role, string>;
  private readonly writtenAt: number;
  private readonly ticks: ComparisonTick[] = [];
  private readonly queries: string[] = [];
  /** Versions that had a series in the requests query at some tick. */
  private readonly seen = new Set<Role>();
  private margin: LatencyMargin | undefined;

  constructor(private readonly options: CompareOptions) {
    for (const [field, value] of [
      ['analysis-interval', options.intervalSeconds],
      ['analysis-max-duration', options.comparison.maxDurationSeconds],
    ] as const)
      if (!(value >= 1))
        throw new InputError(
          field,
          `${field} ${value}s is too short to count requests: set ${field} to e.g. 10s`,
        );
    this.clock = new CheckClock(`comparison ${options.service} ${options.canary} vs ${options.stable}`);
    this.what = `comparison of ${options.service} ${options.canary} with ${options.stable} in ${options.namespace}`;
    this.client = new PrometheusClient(options.prometheusUrl, options.signal, this.clock, this.what);
    this.values = {
      canary: versionValue(options, options.canary),
      stable: versionValue(options, options.stable),
    };
    this.writtenAt = options.writtenAt ?? Date.now();
  }

  async run(): Promise<HealthCheckResult> {
    const { comparison, intervalSeconds } = this.options;
    const metrics = await this.metrics();
    const judge = new SequentialJudge(metrics, comparison.confidence);
    const end = this.writtenAt + comparison.maxDurationSeconds * 1000;
    let last: TickDecision | undefined;
    for (let tick = 1; ; tick++) {
      const at = Math.min(end, this.writtenAt + tick * intervalSeconds * 1000);
      await pause(Math.max(0, at - Date.now()), this.options.signal, this.clock, this.what);
      const counts = await this.countsAt(at);
      last = judge.observe(counts.metrics);
      this.record(at, counts.figures, last);
      if (last.verdict === 'fail') throw this.failed(last);
      if (last.verdict === 'pass')
        return this.clock.pass(this.sentence('pass', last), this.result('pass', last));
      if (at >= end) break;
    }
    return this.inconclusive(last);
  }

  /** The metrics compared, with their allowances; latency's comes from the stable's histogram before the write. */
  private async metrics(): Promise<MetricSpec[]> {
    const { maxErrorRateIncrease, maxLatencyIncrease } = this.options.comparison;
    const metrics: MetricSpec[] = [];
    if (maxErrorRateIncrease !== undefined)
      metrics.push({ name: 'errors', allowance: { slope: 1, offset: maxErrorRateIncrease / 100 } });
    if (maxLatencyIncrease !== undefined) {
      const query = referenceQuery(this.options, this.options.stable, this.writtenAt);
      this.queries.push(query);
      this.margin = latencyMargin(bucketsOf(await this.client.vector(query)), maxLatencyIncrease);
      if (!this.margin)
        throw this.clock.fail(
          'unhealthy',
          `no latency reference for the stable ${this.options.service} ${this.options.stable} in ` +
            `${this.options.namespace}: ${query} found no requests at or below a finite bucket for 90 % of ` +
            `the stable's traffic in the ${REFERENCE_SECONDS / 60} minutes before the write ` +
            `(${versionLabelOf(this.options)}="${this.values.stable}"): check the stable serves traffic and ` +
            'analysis-version-label, or drop max-latency-increase',
        );
      metrics.push({ name: 'latency', allowance: { slope: 1, offset: this.margin.offset } });
    }
    return metrics;
  }

  private async countsAt(at: number) {
    const label = versionLabelOf(this.options);
    const queries = comparisonQueries(
      this.options,
      [this.options.stable, this.options.canary],
      this.writtenAt,
      at,
    );
    const [requests, errors, buckets] = await Promise.all([
      this.client.vector(queries.requests),
      this.client.vector(queries.errors),
      this.margin ? this.client.vector(queries.buckets) : Promise.resolve([]),
    ]);
    this.queries.splice(
      this.margin ? 1 : 0,
      Infinity,
      queries.requests,
      queries.errors,
      ...(this.margin ? [queries.buckets] : []),
    );
    const total = byVersion(requests, label, this.values);
    const failed = byVersion(errors, label, this.values);
    const figures = {} as Record<Role, VersionFigures>;
    const metrics: { errors: MetricCounts; latency?: MetricCounts } = {
      errors: { canary: { requests: 0, events: 0 }, stable: { requests: 0, events: 0 } },
    };
    for (const role of ['canary', 'stable'] as const) {
      if (total[role] !== undefined) this.seen.add(role);
      const requestCount = total[role] ?? 0;
      const errorCount = Math.min(requestCount, failed[role] ?? 0);
      figures[role] = { requests: requestCount, errors: errorCount };
      metrics.errors[role] = { requests: requestCount, events: errorCount };
      if (this.margin) {
        const own = buckets.filter((s) => s.labels[label] === this.values[role]);
        const slow = exceedances(bucketsOf(own), this.margin.boundMs) ?? { requests: 0, events: 0 };
        figures[role].slow = slow.events;
        metrics.latency ??= { canary: { requests: 0, events: 0 }, stable: { requests: 0, events: 0 } };
        metrics.latency[role] = slow;
      }
    }
    return { figures, metrics };
  }

  private record(at: number, figures: Record<Role, VersionFigures>, decision: TickDecision): void {
    const tick: ComparisonTick = {
      seconds: Math.round((at - this.writtenAt) / 1000),
      from: new Date(this.writtenAt).toISOString(),
      to: new Date(at).toISOString(),
      canary: figures.canary,
      stable: figures.stable,
      verdict: decision.verdict,
      confidence: decision.confidence,
    };
    this.ticks.push(tick);
    this.options.onProgress?.(
      `${this.what}, ${clockTime(this.writtenAt)}–${clockTime(at)} UTC (${tick.seconds}s after the write): ` +
        `${this.figures(tick)}: ${decision.verdict === 'continue' ? 'no decision yet' : decision.verdict}`,
    );
  }

  /** "errors 5.1% vs 0.1%, above 100 ms 9% vs 8% (canary 300, stable 2700 requests)". */
  private figures({ canary, stable }: ComparisonTick): string {
    const parts = [];
    if (this.options.comparison.maxErrorRateIncrease !== undefined)
      parts.push(
        `errors ${share(canary.errors, canary.requests)} vs ${share(stable.errors, stable.requests)}`,
      );
    if (this.margin)
      parts.push(
        `above ${this.margin.boundMs} ms ${share(canary.slow, canary.requests)} vs ${share(stable.slow, stable.requests)}`,
      );
    return `${parts.join(', ')} (canary ${canary.requests}, stable ${stable.requests} requests)`;
  }

  /** What is allowed, in the user's words: "errors +1 points, latency +20%". */
  private allowed(): string {
    const { maxErrorRateIncrease, maxLatencyIncrease } = this.options.comparison;
    const parts = [];
    if (maxErrorRateIncrease !== undefined) parts.push(`errors +${maxErrorRateIncrease} points`);
    if (maxLatencyIncrease !== undefined && this.margin)
      parts.push(
        `latency +${maxLatencyIncrease}% (above ${this.margin.boundMs} ms: +${percent(this.margin.offset)})`,
      );
    return parts.join(', ');
  }

  private sentence(decision: ComparisonReport['decision'], last: TickDecision | undefined): string {
    const tick = this.ticks[this.ticks.length - 1];
    const when = tick
      ? `after ${seconds(tick.seconds * 1000)} of traffic (${clockTime(this.writtenAt)}–${clockTime(Date.parse(tick.to))} UTC)`
      : '';
    const confidence = last ? `confidence ${percent(last.confidence)}` : '';
    const figures = tick ? this.figures(tick) : 'no figures';
    const verdict = {
      pass: `canary no worse than ${this.options.stable} within the allowance`,
      fail: `canary worse than ${this.options.stable} beyond the allowance`,
      inconclusive: 'inconclusive: too little evidence either way',
    }[decision];
    return `${verdict} (${confidence}) ${when}: ${figures}; allowed ${this.allowed()}`;
  }

  private result(
    decision: ComparisonReport['decision'],
    last: TickDecision | undefined,
  ): Partial<HealthCheckResult> {
    const { comparison } = this.options;
    const report: ComparisonReport = {
      decision,
      confidence: last?.confidence ?? 0,
      stable: this.options.stable,
      canary: this.options.canary,
      ...(comparison.maxErrorRateIncrease !== undefined
        ? { maxErrorRateIncrease: comparison.maxErrorRateIncrease }
        : {}),
      ...(comparison.maxLatencyIncrease !== undefined
        ? { maxLatencyIncrease: comparison.maxLatencyIncrease }
        : {}),
      ...(this.margin
        ? {
            latency: {
              boundMs: this.margin.boundMs,
              stableShareAbove: this.margin.stableShareAbove,
              allowedShareAbove: this.margin.allowedShareAbove,
              from: new Date(this.writtenAt - REFERENCE_SECONDS * 1000).toISOString(),
              to: new Date(this.writtenAt).toISOString(),
            },
          }
        : {}),
      ticks: this.ticks,
      queries: this.queries,
    };
    return { comparison: report };
  }

  private failed(last: TickDecision) {
    return this.clock.fail(
      'unhealthy',
      `${this.options.service} ${this.options.canary} in ${this.options.namespace}: ${this.sentence('fail', last)}: ` +
        "roll back, then look into the canary's errors and latency",
      this.result('fail', last),
    );
  }

  /** Time is up without a decision: an error when a version never had a series, else on-inconclusive decides. */
  private inconclusive(last: TickDecision | undefined): HealthCheckResult {
    const label = versionLabelOf(this.options);
    const missing = (['canary', 'stable'] as const).find((role) => !this.seen.has(role));
    if (missing)
      throw this.clock.fail(
        'unhealthy',
        `no series for the ${missing} ${label}="${this.values[missing]}" in Prometheus: ${this.queries[this.margin ? 1 : 0]} ` +
          `found none in ${this.options.comparison.maxDurationSeconds}s: check analysis-version-label, ` +
          `analysis-reporter and that Prometheus scrapes the ${missing}'s proxy`,
        this.result('inconclusive', last),
      );
    const detail = this.sentence('inconclusive', last);
    if (this.options.comparison.onInconclusive === 'pass')
      return this.clock.pass(`${detail}; passed by on-inconclusive: pass`, this.result('inconclusive', last));
    throw this.clock.fail(
      'unhealthy',
      `${this.options.service} ${this.options.canary} in ${this.options.namespace}: ${detail} within ` +
        `analysis-max-duration ${this.options.comparison.maxDurationSeconds}s: send more traffic to the canary, ` +
        'raise analysis-max-duration, or set on-inconclusive: pass',
      this.result('inconclusive', last),
    );
  }
}

/** Compares the canary with the stable until a decision or analysis-max-duration. */
export async function compareWithStable(options: CompareOptions): Promise<HealthCheckResult> {
  return new Comparison(options).run();
}
