// 5. Canary against stable: the sequential judge (src/health/compare) beside today's fixed-threshold judge
// and a Flagger-style judge, all fed the same simulated streams of Istio counts. Poisson arrivals per
// version, a per-version error share, lognormal latencies counted into Istio's duration buckets; every
// judge sees only the counts after the write, tick by tick, as the queries would give them.
//
// A few runs then go end to end: compareWithStable against a real Prometheus scraping an exporter of
// Istio-shaped counters (stable v1, a good v2, a bad v3), tick 2 s, for the decision time through real
// queries and the lag from a tick to its decision (the queries' round trip).
//
// Counts are drawn per 10 s tick, not per request: by Poisson thinning, a version's requests in a tick that
// land in latency bucket i with outcome o are Poisson(rate · tick · P(i) · P(o)), independent across (i, o).
// Every judge depends on the counts only, so this is the same experiment as drawing each request.
import {
  SequentialJudge,
  exceedances,
  latencyMargin,
  type Bucket,
  type MetricCounts,
  type MetricSpec,
} from '../src/health/compare/index.js';
import { logGamma } from '../src/health/compare/log-gamma.js';
import { compareWithStable, HealthCheckFailure } from '../src/health/index.js';
import {
  ensurePrometheusBinary,
  reviewsRelease,
  startIstioExporter,
  startPrometheus,
  testComparison,
} from '../test/support/prometheus/index.js';
import { ms, table, verdict } from './support/stats.js';

// ---------- seeded randomness ----------

/** sfc32 (Chris Doty-Humphrey's small fast counter): a seeded uniform [0, 1) source, 2^128 state. */
export function seededRandom(seed: number): () => number {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const next = () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 15; i++) next();
  return next;
}

/**
 * A Poisson(mean) draw: inversion below mean 12, else Hörmann's transformed rejection PTRS ("The
 * transformed rejection method for generating Poisson random variables", Insurance: Mathematics and
 * Economics 12, 1993), exact, a few uniforms per draw.
 */
export function poisson(random: () => number, mean: number): number {
  if (mean <= 0) return 0;
  if (mean < 12) {
    let k = 0;
    let p = Math.exp(-mean);
    let sum = p;
    const u = random();
    while (u > sum && k < 1000) {
      k++;
      p *= mean / k;
      sum += p;
    }
    return k;
  }
  const root = Math.sqrt(mean);
  const logMean = Math.log(mean);
  const b = 0.931 + 2.53 * root;
  const a = -0.059 + 0.02483 * b;
  const inverseAlpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = random() - 0.5;
    const v = random();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (
      Math.log(v) + Math.log(inverseAlpha) - Math.log(a / (us * us) + b) <=
      -mean + k * logMean - logGamma(k + 1)
    )
      return k;
  }
}

// ---------- traffic ----------

/** Istio's default duration bucket bounds (ms) up to 10 s; +Inf holds the rest. */
const ISTIO_BUCKETS_MS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, Infinity];

export interface VersionTraffic {
  requestsPerSecond: number;
  /** Error share (0–1); a function of seconds after the write for a time-varying one. */
  errorShare: number | ((second: number) => number);
  /** Lognormal latency: median (ms) and σ of its logarithm. */
  medianMs: number;
  sigma?: number;
}

export interface Scenario {
  name: string;
  canary: VersionTraffic;
  stable: VersionTraffic;
  /** What a correct judge does: 'fail' or 'pass'. */
  expect: 'fail' | 'pass';
}

/** One version's counts in one tick: per bucket, requests and errors. */
export interface TickCounts {
  requests: number[];
  errors: number[];
}

const SIGMA = 0.5;

function normalCdf(z: number): number {
  // Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): enough for bucket shares.
  const t = 1 / (1 + (0.3275911 * Math.abs(z)) / Math.SQRT2);
  const poly =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-(z * z) / 2);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

function bucketShares(traffic: VersionTraffic): number[] {
  const sigma = traffic.sigma ?? SIGMA;
  let previous = 0;
  return ISTIO_BUCKETS_MS.map((le) => {
    const cumulative = Number.isFinite(le) ? normalCdf(Math.log(le / traffic.medianMs) / sigma) : 1;
    const share = cumulative - previous;
    previous = cumulative;
    return share;
  });
}

function errorShareAt(traffic: VersionTraffic, second: number): number {
  return typeof traffic.errorShare === 'function' ? traffic.errorShare(second) : traffic.errorShare;
}

/** Counts of `seconds` of one version's traffic starting at `second` (error share taken at its middle). */
export function drawCounts(
  random: () => number,
  traffic: VersionTraffic,
  second: number,
  seconds: number,
  shares = bucketShares(traffic),
): TickCounts {
  const errorShare = errorShareAt(traffic, second + seconds / 2);
  const mean = traffic.requestsPerSecond * seconds;
  const requests: number[] = [];
  const errors: number[] = [];
  for (const share of shares) {
    const bad = poisson(random, mean * share * errorShare);
    requests.push(poisson(random, mean * share * (1 - errorShare)) + bad);
    errors.push(bad);
  }
  return { requests, errors };
}

/** Cumulative buckets (what Prometheus' histogram holds) from per-bucket counts. */
function cumulative(perBucket: number[]): Bucket[] {
  let sum = 0;
  return perBucket.map((count, index) => ({ le: ISTIO_BUCKETS_MS[index]!, count: (sum += count) }));
}

function add(into: TickCounts, from: TickCounts): TickCounts {
  return {
    requests: into.requests.map((value, i) => value + from.requests[i]!),
    errors: into.errors.map((value, i) => value + from.errors[i]!),
  };
}

const total = (values: number[]) => values.reduce((sum, value) => sum + value, 0);

/** p99 (ms) the way histogram_quantile computes it: linear inside the bucket; NaN without requests. */
function histogramP99(perBucket: number[]): number {
  const all = total(perBucket);
  if (all === 0) return Number.NaN;
  const rank = 0.99 * all;
  let below = 0;
  for (const [index, count] of perBucket.entries()) {
    if (below + count >= rank) {
      const le = ISTIO_BUCKETS_MS[index]!;
      const lower = index === 0 ? 0 : ISTIO_BUCKETS_MS[index - 1]!;
      if (!Number.isFinite(le)) return lower;
      return lower + ((le - lower) * (rank - below)) / count;
    }
    below += count;
  }
  return ISTIO_BUCKETS_MS[ISTIO_BUCKETS_MS.length - 2]!;
}

// ---------- the judges ----------

export const TICK_SECONDS = 10;

export interface JudgeSettings {
  maxErrorRateIncrease: number; // points, e.g. 1
  maxLatencyIncrease: number; // percent, e.g. 20
  confidence: number;
  maxDurationSeconds: number;
}

export const BENCH_SETTINGS: JudgeSettings = {
  maxErrorRateIncrease: 1,
  maxLatencyIncrease: 20,
  confidence: 0.95,
  maxDurationSeconds: 300,
};

export type Outcome = { decision: 'pass' | 'fail' | 'inconclusive'; seconds: number };

/** One stream: the stable's ten minutes before the write, then ticks of both versions after it. */
export class Stream {
  private readonly ticks: { canary: TickCounts; stable: TickCounts }[] = [];
  private readonly shares: { canary: number[]; stable: number[] };
  readonly stableBefore: TickCounts;

  constructor(
    private readonly random: () => number,
    private readonly scenario: Scenario,
  ) {
    this.shares = { canary: bucketShares(scenario.canary), stable: bucketShares(scenario.stable) };
    this.stableBefore = drawCounts(
      random,
      { ...scenario.stable, errorShare: errorShareAt(scenario.stable, -300) },
      -600,
      600,
      this.shares.stable,
    );
  }

  /** Counts of tick `index` (0-based: seconds index·10 to index·10 + 10 after the write), drawn once. */
  tick(index: number) {
    while (this.ticks.length <= index) {
      const second = this.ticks.length * TICK_SECONDS;
      this.ticks.push({
        canary: drawCounts(this.random, this.scenario.canary, second, TICK_SECONDS, this.shares.canary),
        stable: drawCounts(this.random, this.scenario.stable, second, TICK_SECONDS, this.shares.stable),
      });
    }
    return this.ticks[index]!;
  }

  /** Sum of ticks [from, to). */
  window(from: number, to: number) {
    let sum = this.tick(from);
    for (let i = from + 1; i < to; i++)
      sum = { canary: add(sum.canary, this.tick(i).canary), stable: add(sum.stable, this.tick(i).stable) };
    return sum;
  }
}

/** The sequential judge, one tick every 10 s over the counts since the write. */
export function sequentialOutcome(stream: Stream, settings: JudgeSettings = BENCH_SETTINGS): Outcome {
  const margin = latencyMargin(cumulative(stream.stableBefore.requests), settings.maxLatencyIncrease);
  if (!margin) throw new Error('the stable had no latency reference before the write');
  const metrics: MetricSpec[] = [
    { name: 'errors', allowance: { slope: 1, offset: settings.maxErrorRateIncrease / 100 } },
    { name: 'latency', allowance: { slope: 1, offset: margin.offset } },
  ];
  const judge = new SequentialJudge(metrics, settings.confidence);
  const since = { canary: emptyCounts(), stable: emptyCounts() };
  const ticks = Math.ceil(settings.maxDurationSeconds / TICK_SECONDS);
  for (let index = 0; index < ticks; index++) {
    const tick = stream.tick(index);
    since.canary = add(since.canary, tick.canary);
    since.stable = add(since.stable, tick.stable);
    const counts = (
      version: TickCounts,
    ): { errors: MetricCounts['canary']; latency: MetricCounts['canary'] } => ({
      errors: { requests: total(version.requests), events: total(version.errors) },
      latency: exceedances(cumulative(version.requests), margin.boundMs)!,
    });
    const canary = counts(since.canary);
    const stable = counts(since.stable);
    const decision = judge.observe({
      errors: { canary: canary.errors, stable: stable.errors },
      latency: { canary: canary.latency, stable: stable.latency },
    });
    if (decision.verdict !== 'continue')
      return { decision: decision.verdict, seconds: (index + 1) * TICK_SECONDS };
  }
  return { decision: 'inconclusive', seconds: ticks * TICK_SECONDS };
}

function emptyCounts(): TickCounts {
  return { requests: ISTIO_BUCKETS_MS.map(() => 0), errors: ISTIO_BUCKETS_MS.map(() => 0) };
}

/** A window's success share and p99 of the canary; a window without requests is "no data". */
function canaryFigures(counts: TickCounts) {
  const requests = total(counts.requests);
  return {
    requests,
    success: requests ? 1 - total(counts.errors) / requests : Number.NaN,
    p99: histogramP99(counts.requests),
  };
}

/**
 * Today's fixed-threshold judge, counting only traffic after the write: `runs` rounds of `interval`,
 * success ≥ min-success-rate and p99 ≤ max-latency-ms each; no data fails (allow-no-data off).
 */
export const FIXED = { intervalSeconds: 60, runs: 3, minSuccessRate: 0.99, maxLatencyMs: 250 };

export function fixedOutcome(stream: Stream): Outcome {
  const ticksPerRound = FIXED.intervalSeconds / TICK_SECONDS;
  for (let round = 1; round <= FIXED.runs; round++) {
    const { canary } = stream.window((round - 1) * ticksPerRound, round * ticksPerRound);
    const figures = canaryFigures(canary);
    const bad =
      !figures.requests || figures.success < FIXED.minSuccessRate || figures.p99 > FIXED.maxLatencyMs;
    if (bad) return { decision: 'fail', seconds: round * FIXED.intervalSeconds };
  }
  return { decision: 'pass', seconds: FIXED.runs * FIXED.intervalSeconds };
}

/**
 * Flagger-style: one check a minute over the last minute (request-success-rate ≥ 99 %, request-duration
 * p99 ≤ 500 ms, its documented defaults), a step forward per passed check (promotion after 5: stepWeight 10
 * to maxWeight 50), rollback when failed checks reach the threshold of 5.
 */
export const FLAGGER = { minSuccessRate: 0.99, maxP99Ms: 500, threshold: 5, steps: 5 };

export function flaggerOutcome(stream: Stream): Outcome {
  let passed = 0;
  let failed = 0;
  const ticksPerMinute = 60 / TICK_SECONDS;
  for (let minute = 1; ; minute++) {
    const { canary } = stream.window((minute - 1) * ticksPerMinute, minute * ticksPerMinute);
    const figures = canaryFigures(canary);
    const ok =
      figures.requests > 0 && figures.success >= FLAGGER.minSuccessRate && !(figures.p99 > FLAGGER.maxP99Ms);
    if (ok) passed++;
    else failed++;
    if (failed >= FLAGGER.threshold) return { decision: 'fail', seconds: minute * 60 };
    if (passed >= FLAGGER.steps) return { decision: 'pass', seconds: minute * 60 };
  }
}

// ---------- scenarios and figures ----------

const healthy = (rps: number): VersionTraffic => ({
  requestsPerSecond: rps,
  errorShare: 0.001,
  medianMs: 50,
});

export const SCENARIOS: Scenario[] = [
  {
    name: 'errors: stable 0.1 %, canary 5 %, 10 req/s',
    canary: { ...healthy(10), errorShare: 0.05 },
    stable: healthy(90),
    expect: 'fail',
  },
  {
    name: 'latency: canary twice as slow (median 50 → 100 ms), 10 req/s',
    canary: { ...healthy(10), medianMs: 100 },
    stable: healthy(90),
    expect: 'fail',
  },
  {
    name: 'identical versions (0.1 % / 0.1 %), 10 req/s',
    canary: healthy(10),
    stable: healthy(90),
    expect: 'pass',
  },
  {
    name: 'identical versions (0.1 % / 0.1 %), 1 req/s',
    canary: healthy(1),
    stable: healthy(9),
    expect: 'pass',
  },
  {
    name: 'identical versions, a bad minute for the whole service (3 % errors from 30 s to 90 s), 10 req/s',
    canary: { ...healthy(10), errorShare: (s) => (s >= 30 && s < 90 ? 0.03 : 0.001) },
    stable: { ...healthy(90), errorShare: (s) => (s >= 30 && s < 90 ? 0.03 : 0.001) },
    expect: 'pass',
  },
  {
    name: 'identical versions at 0.9 % errors (a service just inside 99 % success), 10 req/s',
    canary: { ...healthy(10), errorShare: 0.009 },
    stable: { ...healthy(90), errorShare: 0.009 },
    expect: 'pass',
  },
  {
    // The worst case of the guarantee: on the allowance line itself a rollback is a false one, bounded by
    // 1 − confidence (5 %) however often the judge looks.
    name: 'canary exactly at the allowance (1.1 % vs 0.1 %), 10 req/s',
    canary: { ...healthy(10), errorShare: 0.011 },
    stable: healthy(90),
    expect: 'pass',
  },
];

export type JudgeName = 'sequential' | 'fixed' | 'flagger';
const JUDGES: Record<JudgeName, (stream: Stream) => Outcome> = {
  sequential: (stream) => sequentialOutcome(stream),
  fixed: fixedOutcome,
  flagger: flaggerOutcome,
};

export interface JudgeFigures {
  runs: number;
  fail: number;
  pass: number;
  inconclusive: number;
  /** Seconds to the decision the scenario expects, over the runs that reached it. */
  correctSeconds: number[];
}

export interface ScenarioFigures {
  scenario: Scenario;
  judges: Record<JudgeName, JudgeFigures>;
  millis: number;
}

/** `runs` seeded streams of each scenario through the three judges (the same stream for all three). */
export function benchAnalysis(
  runs: number,
  scenarios: Scenario[] = SCENARIOS,
  seed = 20261130,
): ScenarioFigures[] {
  return scenarios.map((scenario, index) => {
    const started = performance.now();
    const random = seededRandom(seed + index);
    const judges = Object.fromEntries(
      Object.keys(JUDGES).map((name) => [
        name,
        { runs, fail: 0, pass: 0, inconclusive: 0, correctSeconds: [] },
      ]),
    ) as unknown as Record<JudgeName, JudgeFigures>;
    for (let run = 0; run < runs; run++) {
      const stream = new Stream(random, scenario);
      for (const [name, judge] of Object.entries(JUDGES) as [JudgeName, (s: Stream) => Outcome][]) {
        const outcome = judge(stream);
        const figures = judges[name];
        figures[outcome.decision]++;
        if (outcome.decision === scenario.expect) figures.correctSeconds.push(outcome.seconds);
      }
    }
    return { scenario, judges, millis: performance.now() - started };
  });
}

export function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

const share = (count: number, runs: number) => `${((100 * count) / runs).toFixed(2)} %`;
const secondsText = (value: number) => (Number.isFinite(value) ? `${value} s` : '—');

function judgeRows(figures: ScenarioFigures): (string | number)[][] {
  const wrong = figures.scenario.expect === 'fail' ? 'pass' : 'fail';
  return (Object.entries(figures.judges) as [JudgeName, JudgeFigures][]).map(([name, f]) => [
    name,
    share(f[figures.scenario.expect], f.runs),
    share(f[wrong], f.runs),
    share(f.inconclusive, f.runs),
    secondsText(quantile(f.correctSeconds, 0.5)),
    secondsText(quantile(f.correctSeconds, 0.95)),
  ]);
}

export interface AnalysisFigures {
  simulated: ScenarioFigures[];
  endToEnd?: EndToEndFigures;
}

/** The simulated scenarios, then (unless `endToEndRuns` is 0) a few runs through a real Prometheus. */
export async function benchAnalysisAll(runs: number, endToEndRuns: number): Promise<AnalysisFigures> {
  const simulated = benchAnalysis(runs);
  return endToEndRuns > 0
    ? { simulated, endToEnd: await benchAnalysisEndToEnd(endToEndRuns) }
    : { simulated };
}

export function analysisReport(figures: AnalysisFigures): string {
  const all = figures.simulated;
  const runs = all[0]?.judges.sequential.runs ?? 0;
  const byName = (prefix: string) => all.find((f) => f.scenario.name.startsWith(prefix));
  const sections = all.map((figures) =>
    [
      `**${figures.scenario.name}** — a correct judge ${figures.scenario.expect === 'fail' ? 'fails (rolls back)' : 'passes'}; ${runs} runs in ${(figures.millis / 1000).toFixed(1)} s`,
      '',
      table(
        [
          'judge',
          `correct (${figures.scenario.expect})`,
          figures.scenario.expect === 'fail' ? 'wrong pass' : 'false rollback',
          'inconclusive',
          'median time to correct',
          'p95',
        ],
        judgeRows(figures),
      ),
    ].join('\n'),
  );
  return [
    `### 5. Canary against stable: sequential judge vs fixed thresholds vs Flagger-style — ${runs} simulated runs per scenario`,
    '',
    `Sequential: tick ${TICK_SECONDS} s, max-error-rate-increase ${BENCH_SETTINGS.maxErrorRateIncrease}, max-latency-increase ${BENCH_SETTINGS.maxLatencyIncrease}, confidence ${BENCH_SETTINGS.confidence}, analysis-max-duration ${BENCH_SETTINGS.maxDurationSeconds} s. ` +
      `Fixed: ${FIXED.runs} rounds of ${FIXED.intervalSeconds} s after the write, min-success-rate ${FIXED.minSuccessRate}, max-latency-ms ${FIXED.maxLatencyMs}. ` +
      `Flagger-style: a check a minute, success ≥ ${FLAGGER.minSuccessRate * 100} %, p99 ≤ ${FLAGGER.maxP99Ms} ms, rollback at ${FLAGGER.threshold} failed checks, promotion after ${FLAGGER.steps} passed. ` +
      "Stable at 9× the canary's rate (canary weight 10 %); lognormal latencies, σ 0.5.",
    '',
    ...sections.flatMap((section) => [section, '']),
    ...(figures.endToEnd ? [endToEndReport(figures.endToEnd), ''] : []),
    targetLines(
      all,
      byName('errors'),
      byName('latency'),
      byName('identical versions (0.1 % / 0.1 %), 10'),
      byName('identical versions (0.1 % / 0.1 %), 1 '),
    ),
  ].join('\n');
}

function targetLines(
  all: ScenarioFigures[],
  errors: ScenarioFigures | undefined,
  latency: ScenarioFigures | undefined,
  same10: ScenarioFigures | undefined,
  same1: ScenarioFigures | undefined,
): string {
  const lines: string[] = [];
  const seq = (f: ScenarioFigures | undefined) => f?.judges.sequential;
  const e = seq(errors);
  if (e) {
    const [p50, p95] = [quantile(e.correctSeconds, 0.5), quantile(e.correctSeconds, 0.95)];
    lines.push(
      `- Target 5 % vs 0.1 % errors fails within 30 s (median), 60 s (p95): ${p50} s / ${p95} s — ${verdict(p50 <= 30 && p95 <= 60, `median ${p50} s, p95 ${p95} s`)}.`,
    );
  }
  const l = seq(latency);
  if (l) {
    const p50 = quantile(l.correctSeconds, 0.5);
    lines.push(
      `- Target twice as slow fails within 60 s (median): ${p50} s — ${verdict(p50 <= 60, `${p50} s`)}.`,
    );
  }
  const s = seq(same10);
  if (s) {
    const falseRollbacks = s.fail / s.runs;
    const p50 = quantile(s.correctSeconds, 0.5);
    lines.push(
      `- Target identical versions at 10 req/s: false rollbacks ≤ 1 %: ${share(s.fail, s.runs)} — ${verdict(falseRollbacks <= 0.01, share(s.fail, s.runs))}; pass within 2 min (median): ${secondsText(p50)} — ${verdict(p50 <= 120, secondsText(p50))}.`,
    );
  }
  const one = seq(same1);
  if (one) {
    lines.push(
      `- Target identical versions at 1 req/s: false rollbacks ≤ 1 %: ${share(one.fail, one.runs)} — ${verdict(one.fail / one.runs <= 0.01, share(one.fail, one.runs))}; inconclusive ${share(one.inconclusive, one.runs)}, passed ${share(one.pass, one.runs)} (the fixed judge rolls back ${share(same1!.judges.fixed.fail, one.runs)}).`,
    );
  }
  if (errors && same10) {
    const ours = quantile(errors.judges.sequential.correctSeconds, 0.5);
    const flagger = quantile(errors.judges.flagger.correctSeconds, 0.5);
    const healthy = all.filter(
      (f) => f.scenario.expect === 'pass' && !f.scenario.name.startsWith('canary exactly'),
    );
    const falseRollbacks = (judge: JudgeName) => healthy.reduce((sum, f) => sum + f.judges[judge].fail, 0);
    const runs = healthy.reduce((sum, f) => sum + f.judges.sequential.runs, 0);
    const [oursFalse, flaggerFalse] = [falseRollbacks('sequential'), falseRollbacks('flagger')];
    lines.push(
      `- Target time to a correct fail ≥ 5× shorter than Flagger-style, with fewer false rollbacks: ${ours} s vs ${flagger} s (${(flagger / ours).toFixed(1)}×); ` +
        `false rollbacks over the ${healthy.length} scenarios with healthy canaries: ${share(oursFalse, runs)} vs ${share(flaggerFalse, runs)} — ` +
        verdict(
          flagger / ours >= 5 && oursFalse < flaggerFalse,
          `${(flagger / ours).toFixed(1)}×, ${oursFalse} vs ${flaggerFalse} false rollbacks`,
        ) +
        '.',
    );
  }
  return lines.join('\n');
}

// ---------- end to end through a real Prometheus ----------

export interface EndToEndRun {
  canary: string;
  decision: string;
  seconds: number;
  /** From each tick's instant to its decision: the three queries' round trip, ms. */
  lagMs: number[];
}

export type EndToEndFigures = { runs: EndToEndRun[] } | { skipped: string };

/** `runs` comparisons of the good (v2) and the bad (v3) canary with v1, through a real Prometheus. */
export async function benchAnalysisEndToEnd(runs: number): Promise<EndToEndFigures> {
  const binary = await ensurePrometheusBinary();
  if ('skip' in binary) return { skipped: binary.skip };
  const exporter = await startIstioExporter(reviewsRelease());
  const prometheus = await startPrometheus(binary.path, [exporter.target]);
  try {
    await prometheus.waitForSamples('count(rate(istio_requests_total[5s]) > 0) >= 3');
    const all: EndToEndRun[] = [];
    for (let run = 0; run < runs; run++)
      for (const canary of ['v2', 'v3']) {
        const decidedAt: number[] = [];
        const outcome = await compareWithStable({
          prometheusUrl: prometheus.url,
          namespace: 'default',
          service: 'reviews',
          stable: 'v1',
          canary,
          intervalSeconds: 2,
          comparison: testComparison(),
          onProgress: () => decidedAt.push(Date.now()),
        }).catch((error: unknown) => (error instanceof HealthCheckFailure ? error.check : undefined));
        const report = outcome?.comparison;
        if (!report) throw new Error(`the comparison of ${canary} ended without a report`);
        all.push({
          canary,
          decision: report.decision,
          seconds: report.ticks.at(-1)?.seconds ?? 0,
          lagMs: report.ticks.map((tick, index) => (decidedAt[index] ?? 0) - Date.parse(tick.to)),
        });
      }
    return { runs: all };
  } finally {
    await prometheus.close();
    await exporter.close();
  }
}

function endToEndReport(figures: EndToEndFigures): string {
  if ('skipped' in figures) return `End to end through a real Prometheus: skipped (${figures.skipped}).`;
  const rows = ['v2', 'v3'].map((canary) => {
    const runs = figures.runs.filter((run) => run.canary === canary);
    const lags = runs.flatMap((run) => run.lagMs);
    return [
      canary === 'v2' ? 'v2 (as good as v1: 0.5 % errors, p99 < 100 ms)' : 'v3 (30 % errors, p99 in seconds)',
      runs.map((run) => run.decision).join(', '),
      runs.map((run) => `${run.seconds} s`).join(', '),
      ms(quantile(lags, 0.5)),
      ms(Math.max(...lags)),
    ];
  });
  return [
    `End to end through a real Prometheus (1 s scrapes of an exporter at 200 requests/s per version, tick 2 s, ${figures.runs.length / 2} run(s) each):`,
    '',
    table(['canary against v1', 'decisions', 'time to decision', 'tick → decision (median)', 'max'], rows),
  ].join('\n');
}
