// The decision across metrics and ticks, on top of sequential-test.ts: fail as soon as one metric is
// shown worse than allowed, pass once every metric has been shown no worse, else wait for the next tick;
// the caller calls it inconclusive when its time is up. Pure: no I/O, no clock.
import { evidence, type Allowance, type Counts } from './sequential-test.js';

export type MetricName = 'errors' | 'latency';

export interface MetricSpec {
  name: MetricName;
  allowance: Allowance;
}

/** A metric's counts since the write, per version. */
export interface MetricCounts {
  canary: Counts;
  stable: Counts;
}

export type Verdict = 'pass' | 'fail' | 'continue';

export interface MetricEvidence {
  name: MetricName;
  logWorse: number;
  logNoWorse: number;
  /** Shown no worse than allowed, at this tick or before (a rejected null stays rejected). */
  passed: boolean;
  /** Shown worse than allowed at this tick. */
  failed: boolean;
}

export interface TickDecision {
  verdict: Verdict;
  metrics: MetricEvidence[];
  /**
   * How sure the verdict is: 1 − (the e-value threshold's α spent); for 'continue', the larger of the
   * two confidences reached so far, to show how close a decision is.
   */
  confidence: number;
}

export class SequentialJudge {
  private readonly failAt: number;
  private readonly passAt: number;
  private readonly bestNoWorse = new Map<MetricName, number>();

  /** `confidence` 0.5–0.9999; each metric is judged on the counts passed for it at every tick. */
  constructor(
    private readonly metrics: readonly MetricSpec[],
    confidence: number,
  ) {
    const alpha = 1 - confidence;
    this.failAt = Math.log(metrics.length / alpha);
    this.passAt = Math.log(1 / alpha);
  }

  observe(counts: Partial<Record<MetricName, MetricCounts>>): TickDecision {
    const metrics = this.metrics.map(({ name, allowance }): MetricEvidence => {
      const seen = counts[name] ?? { canary: EMPTY, stable: EMPTY };
      const { logWorse, logNoWorse } = evidence(seen.canary, seen.stable, allowance);
      const best = Math.max(this.bestNoWorse.get(name) ?? -Infinity, logNoWorse);
      this.bestNoWorse.set(name, best);
      return { name, logWorse, logNoWorse, passed: best >= this.passAt, failed: logWorse >= this.failAt };
    });
    const worst = Math.max(...metrics.map((m) => m.logWorse));
    const weakestPass = Math.min(...metrics.map((m) => this.bestNoWorse.get(m.name) ?? -Infinity));
    const failConfidence = confidenceOf(worst, this.metrics.length);
    const passConfidence = confidenceOf(weakestPass, 1);
    if (metrics.some((m) => m.failed)) return { verdict: 'fail', metrics, confidence: failConfidence };
    if (metrics.every((m) => m.passed)) return { verdict: 'pass', metrics, confidence: passConfidence };
    return { verdict: 'continue', metrics, confidence: Math.max(failConfidence, passConfidence) };
  }
}

const EMPTY: Counts = { requests: 0, events: 0 };

/** The confidence an e-value of exp(logE) buys after a Bonferroni split over `tests`: 1 − tests/E, ≥ 0. */
export function confidenceOf(logE: number, tests: number): number {
  return Math.max(0, 1 - tests * Math.exp(-logE));
}
