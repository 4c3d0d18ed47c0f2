// Is the canary worse than the stable by more than allowed? A sequential test of two proportions that
// stays valid however often it is looked at. Pure: counts in, evidence out; no I/O, no clock.
//
// Model. Within one analysis each request to a version is an independent Bernoulli trial: it is an
// "event" (a 5xx answer, or an answer slower than a latency bound) with probability p_c on the canary
// and p_s on the stable. The allowed difference is a line, p_c = slope·p_s + offset (errors: slope 1,
// offset = the allowed increase in points; latency: see latency-margin.ts). Two composite nulls:
//   H_ok:  p_c ≤ slope·p_s + offset   (the canary is acceptable)      — rejecting it means "fail"
//   H_bad: p_c ≥ slope·p_s + offset   (the canary is worse than allowed) — rejecting it means "pass"
//
// Method: universal inference with a mixture numerator (Wasserman, Ramdas & Balakrishnan, "Universal
// inference", PNAS 117(29), 2020, §7 on sequential tests; also Ramdas, Grünwald, Vovk & Shafer,
// "Game-theoretic statistics and safe anytime-valid inference", Statistical Science 2023). For a null H,
//   E_n = m_c(S_c, F_c) · m_s(S_s, F_s) / sup_{(p_c, p_s) ∈ H} L(p_c, p_s)
// where m is the marginal likelihood of a version's sequence of outcomes under a fixed mixture of Beta
// priors (Robbins' method of mixtures, "Statistical methods related to the law of the iterated
// logarithm", Ann. Math. Statist. 41, 1970). For every (p_c, p_s) in H, m_c·m_s / L(p_c, p_s) is a
// nonnegative martingale with mean 1 (a Bayes factor against a simple null); E_n is below each of them,
// so by Ville's inequality P(∃n: E_n ≥ 1/α) ≤ α under H. That is the guarantee under continuous
// monitoring: the test may be read after every request, every tick, or at any stopping time, and counts
// may arrive in batches (the statistic depends on the counts only).
//
// Error rates, with α = 1 − confidence and m the metrics compared:
//   - a canary within the allowance fails (false rollback) with probability ≤ α overall: each metric's
//     H_ok is rejected at E ≥ m/α (Bonferroni over metrics);
//   - a canary worse than allowed passes with probability ≤ α: passing needs every metric's H_bad rejected
//     at E ≥ 1/α, and the worse metric alone has that chance at most;
//   - neither threshold reached by the time limit: inconclusive, never a guess.
// The bounds are worst cases at the line itself; a canary far from it errs far less often (bench/).
//
// Assumptions: outcomes independent given the version, with a constant rate during the analysis; the
// traffic each version receives does not depend on its outcomes (client retries bend this). A shock
// common to both versions shifts both rates together and so mostly cancels in the difference.
//
// The mixture is half Jeffreys' Beta(½, ½) and half Beta(½, 50), whose mass near small rates makes the
// evidence grow sooner for the error rates of healthy services (0.01 %–1 %); mixing costs at most ln 2.
import { logBeta } from './log-gamma.js';

export interface Counts {
  /** Requests served. */
  requests: number;
  /** Of which were events (errors, or slower than the latency bound). */
  events: number;
}

/** The allowed canary share as a line in the stable's: p_c = slope · p_s + offset. */
export interface Allowance {
  slope: number;
  offset: number;
}

export interface Evidence {
  /** ln E against H_ok: large when the canary is shown worse than allowed. */
  logWorse: number;
  /** ln E against H_bad: large when the canary is shown no worse than allowed. */
  logNoWorse: number;
}

const PRIOR = [
  { weight: 0.5, a: 0.5, b: 0.5 },
  { weight: 0.5, a: 0.5, b: 50 },
] as const;

/** x·ln(y) with 0·ln(0) = 0: a count of zero contributes nothing to a likelihood. */
function xlogy(x: number, y: number): number {
  return x === 0 ? 0 : x * Math.log(y);
}

function logLikelihood({ requests, events }: Counts, p: number): number {
  return xlogy(events, p) + xlogy(requests - events, 1 - p);
}

/** ln of the marginal likelihood of one version's outcomes under the Beta mixture. */
export function logMixture({ requests, events }: Counts): number {
  const terms = PRIOR.map(
    ({ weight, a, b }) => Math.log(weight) + logBeta(a + events, b + requests - events) - logBeta(a, b),
  );
  const top = Math.max(...terms);
  return top + Math.log(terms.reduce((sum, term) => sum + Math.exp(term - top), 0));
}

/** The maximum likelihood shares; a version without requests may have any share, so its range is [0, 1]. */
function shareRange({ requests, events }: Counts): [number, number] {
  return requests === 0 ? [0, 1] : [events / requests, events / requests];
}

/**
 * The largest log-likelihood on the line p_c = slope·p_s + offset inside the unit square. The
 * log-likelihood is concave along the line, so the maximum is where its derivative changes sign: bisection.
 */
function lineMaximum(canary: Counts, stable: Counts, { slope, offset }: Allowance): number {
  const low = Math.max(0, -offset / slope);
  const high = Math.min(1, (1 - offset) / slope);
  if (low > high) return -Infinity;
  const value = (p: number) => logLikelihood(canary, slope * p + offset) + logLikelihood(stable, p);
  const slopeAt = (p: number) => {
    const q = slope * p + offset;
    const canaryFailures = canary.requests - canary.events;
    const stableFailures = stable.requests - stable.events;
    return (
      (canary.events ? (slope * canary.events) / q : 0) -
      (canaryFailures ? (slope * canaryFailures) / (1 - q) : 0) +
      (stable.events ? stable.events / p : 0) -
      (stableFailures ? stableFailures / (1 - p) : 0)
    );
  };
  let [from, to] = [low, high];
  if (!(slopeAt(from + 1e-300) > 0)) return value(from);
  if (!(slopeAt(to - 1e-16) < 0)) return value(to);
  for (let i = 0; i < 200 && to - from > 1e-15; i++) {
    const middle = (from + to) / 2;
    if (slopeAt(middle) > 0) from = middle;
    else to = middle;
  }
  return value((from + to) / 2);
}

/**
 * The evidence, after `canary` and `stable` counts, against each null. Each ln E is ≤ 0 when the
 * maximum likelihood point already lies in that null (the data do not speak against it at all).
 */
export function evidence(canary: Counts, stable: Counts, allowance: Allowance): Evidence {
  const numerator = logMixture(canary) + logMixture(stable);
  const [canaryLow, canaryHigh] = shareRange(canary);
  const [stableLow, stableHigh] = shareRange(stable);
  const best = logLikelihood(canary, canaryLow) + logLikelihood(stable, stableLow);
  const onLine = lineMaximum(canary, stable, allowance);
  const line = (p: number) => allowance.slope * p + allowance.offset;
  // sup over a half-plane of a concave function: its maximum if that lies inside, else the border's.
  const okContainsBest = canaryLow <= line(stableHigh);
  const badContainsBest = canaryHigh >= line(stableLow);
  return {
    logWorse: numerator - (okContainsBest ? best : onLine),
    logNoWorse: numerator - (badContainsBest ? best : onLine),
  };
}
