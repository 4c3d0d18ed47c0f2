// The canary-against-stable judge. The statistics (sequential-test, sequential-judge, latency-margin)
// are pure; queries.ts writes the PromQL, analyze.ts asks Prometheus every tick.
export { evidence, logMixture, type Allowance, type Counts, type Evidence } from './sequential-test.js';
export {
  SequentialJudge,
  confidenceOf,
  type MetricCounts,
  type MetricEvidence,
  type MetricName,
  type MetricSpec,
  type TickDecision,
  type Verdict,
} from './sequential-judge.js';
export {
  cumulativeShare,
  exceedances,
  latencyMargin,
  type Bucket,
  type LatencyMargin,
} from './latency-margin.js';
export { logBeta, logGamma } from './log-gamma.js';
export { compareWithStable, type CompareOptions } from './analyze.js';
export { comparisonQueries, referenceQuery, REFERENCE_SECONDS } from './queries.js';
