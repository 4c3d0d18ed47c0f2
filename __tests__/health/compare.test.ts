// The pure statistics of the canary-against-stable judge: exact small cases worked by hand, and seeded
// simulations that check its error guarantees under a look at every tick.
import { poisson, seededRandom } from '../../bench/analysis.js';
import {
  SequentialJudge,
  cumulativeShare,
  evidence,
  exceedances,
  latencyMargin,
  logGamma,
  logMixture,
  type Counts,
  type MetricSpec,
} from '../../src/health/compare/index.js';

describe('logGamma', () => {
  test.each([
    [1, 0],
    [2, 0],
    [5, Math.log(24)],
    [0.5, Math.log(Math.sqrt(Math.PI))],
    [0.25, Math.log(3.625609908221908)],
    [101, 363.73937555556347], // ln 100!
  ])('ln Γ(%p)', (x, expected) => {
    expect(logGamma(x)).toBeCloseTo(expected, 10);
  });
});

describe('evidence for two proportions, worked by hand', () => {
  const even = { slope: 1, offset: 0 };

  test('no requests: no evidence either way', () => {
    const none = { requests: 0, events: 0 };
    expect(evidence(none, none, { slope: 1, offset: 0.01 })).toEqual({ logWorse: 0, logNoWorse: 0 });
  });

  test('the mixture likelihood of one version: half Jeffreys, half Beta(½, 50)', () => {
    // Two requests, both events: a(a+1) / ((a+b)(a+b+1)) per component.
    const jeffreys = (0.5 * 1.5) / (1 * 2);
    const lowRates = (0.5 * 1.5) / (50.5 * 51.5);
    expect(logMixture({ requests: 2, events: 2 })).toBeCloseTo(Math.log((jeffreys + lowRates) / 2), 12);
  });

  test('canary 0 of 2, stable 2 of 2, no increase allowed', () => {
    const canary = { requests: 2, events: 0 };
    const stable = { requests: 2, events: 2 };
    const mCanary = ((0.5 * 1.5) / 2 + (50 * 51) / (50.5 * 51.5)) / 2;
    const mStable = ((0.5 * 1.5) / 2 + (0.5 * 1.5) / (50.5 * 51.5)) / 2;
    const { logWorse, logNoWorse } = evidence(canary, stable, even);
    // The best fit (0, 1) is acceptable: the likelihood there is 1.
    expect(logWorse).toBeCloseTo(Math.log(mCanary * mStable), 12);
    // "Worse" needs p_c ≥ p_s: the best of (1 − p)² p² on that line is 1/16 at p = ½.
    expect(logNoWorse).toBeCloseTo(Math.log(mCanary * mStable * 16), 9);
  });

  test('a version without requests may have any rate: nothing is shown against either null', () => {
    const canary = { requests: 1, events: 1 };
    const { logWorse, logNoWorse } = evidence(canary, { requests: 0, events: 0 }, even);
    const m = Math.log((0.5 + 0.5 / 50.5) / 2);
    expect(logWorse).toBeCloseTo(m, 12);
    expect(logNoWorse).toBeCloseTo(m, 12);
  });

  test('beyond the allowance, more canary errors is more evidence that it is worse; within it, less that it is not', () => {
    const stable = { requests: 9000, events: 9 };
    const allowance = { slope: 1, offset: 0.01 };
    const at = (events: number) => evidence({ requests: 1000, events }, stable, allowance);
    const worse = [20, 30, 40, 60].map((events) => at(events).logWorse);
    const noWorse = [0, 2, 4, 8].map((events) => at(events).logNoWorse);
    for (let i = 1; i < worse.length; i++) expect(worse[i]!).toBeGreaterThan(worse[i - 1]!);
    for (let i = 1; i < noWorse.length; i++) expect(noWorse[i]!).toBeLessThan(noWorse[i - 1]!);
  });

  test('a slope other than 1 (a ratio allowance) moves the line', () => {
    const canary = { requests: 10000, events: 1500 };
    const stable = { requests: 90000, events: 9000 };
    expect(evidence(canary, stable, { slope: 2, offset: 0 }).logNoWorse).toBeGreaterThan(3);
    expect(evidence(canary, stable, { slope: 1, offset: 0 }).logWorse).toBeGreaterThan(3);
  });
});

describe('latency as the share above the stable p90 bucket', () => {
  const before = [
    { le: 50, count: 50 },
    { le: 100, count: 92 },
    { le: 250, count: 100 },
    { le: Infinity, count: 100 },
  ];

  test('bound, shares and allowance from the histogram before the write', () => {
    // p90 lies in (50, 100]: bound 100 ms, 8 % above. 100 / 1.2 = 83.3 ms: 50 + 2/3 · 42 = 78 at or below.
    const margin = latencyMargin(before, 20)!;
    expect(margin.boundMs).toBe(100);
    expect(margin.stableShareAbove).toBeCloseTo(0.08, 12);
    expect(margin.allowedShareAbove).toBeCloseTo(0.22, 12);
    expect(margin.offset).toBeCloseTo(0.14, 12);
  });

  test('interpolation inside buckets, the first from 0, nothing beyond the last finite bound', () => {
    expect(cumulativeShare(before, 25)).toBeCloseTo(0.25, 12);
    expect(cumulativeShare(before, 175)).toBeCloseTo(0.96, 12);
    expect(cumulativeShare(before, 1e6)).toBe(1);
  });

  test('no reference without requests, or with the p90 above every finite bound', () => {
    expect(latencyMargin([{ le: Infinity, count: 0 }], 20)).toBeUndefined();
    expect(
      latencyMargin(
        [
          { le: 100, count: 5 },
          { le: Infinity, count: 100 },
        ],
        20,
      ),
    ).toBeUndefined();
  });

  test('exceedances count the requests above the bound; a histogram without it has none', () => {
    expect(exceedances(before, 100)).toEqual({ requests: 100, events: 8 });
    expect(exceedances(before, 500)).toBeUndefined();
  });
});

describe('the decision across metrics', () => {
  const metrics: MetricSpec[] = [
    { name: 'errors', allowance: { slope: 1, offset: 0.01 } },
    { name: 'latency', allowance: { slope: 1, offset: 0.1 } },
  ];
  const clean = { canary: { requests: 5000, events: 5 }, stable: { requests: 45000, events: 45 } };
  const unknown = { canary: { requests: 10, events: 1 }, stable: { requests: 90, events: 9 } };

  test('one metric shown worse fails at once, the other unknown', () => {
    const judge = new SequentialJudge(metrics, 0.95);
    const decision = judge.observe({
      errors: { ...clean, canary: { requests: 5000, events: 500 } },
      latency: unknown,
    });
    expect(decision.verdict).toBe('fail');
    expect(decision.metrics.map((m) => [m.name, m.failed])).toEqual([
      ['errors', true],
      ['latency', false],
    ]);
    expect(decision.confidence).toBeGreaterThan(0.95);
  });

  test('passing needs every metric; a metric shown no worse stays so', () => {
    const judge = new SequentialJudge(metrics, 0.95);
    expect(judge.observe({ errors: clean, latency: unknown }).verdict).toBe('continue');
    const later = judge.observe({ errors: unknown, latency: clean });
    expect(later.verdict).toBe('pass');
    expect(later.metrics.every((m) => m.passed)).toBe(true);
  });

  test('no counts at all: continue, with no confidence either way', () => {
    const decision = new SequentialJudge(metrics, 0.95).observe({});
    expect(decision).toMatchObject({ verdict: 'continue', confidence: 0 });
  });
});

/**
 * Seeded streams of error counts, one 10 s tick at a time (stable at 9× the canary's rate), judged at
 * every tick for up to 5 minutes with 1 point allowed; returns how the runs ended. Poisson thinning: a
 * tick's errors and successes are independent Poissons.
 */
function simulate(options: { seed: number; runs: number; canaryPerSecond?: number; canaryRate: number }) {
  const { seed, runs, canaryPerSecond = 10, canaryRate } = options;
  const random = seededRandom(seed);
  const outcome = { pass: 0, fail: 0, inconclusive: 0 };
  const draw = (counts: Counts, perTick: number, rate: number) => {
    const events = poisson(random, perTick * rate);
    return {
      requests: counts.requests + events + poisson(random, perTick * (1 - rate)),
      events: counts.events + events,
    };
  };
  for (let run = 0; run < runs; run++) {
    const judge = new SequentialJudge([{ name: 'errors', allowance: { slope: 1, offset: 0.01 } }], 0.95);
    let canary = { requests: 0, events: 0 };
    let stable = { requests: 0, events: 0 };
    let verdict = 'continue';
    for (let tick = 0; tick < 30 && verdict === 'continue'; tick++) {
      canary = draw(canary, canaryPerSecond * 10, canaryRate);
      stable = draw(stable, canaryPerSecond * 90, 0.001);
      verdict = judge.observe({ errors: { canary, stable } }).verdict;
    }
    outcome[verdict === 'continue' ? 'inconclusive' : (verdict as 'pass' | 'fail')]++;
  }
  return outcome;
}

describe('error guarantees under a look at every tick (seeded simulation, stable at 0.1 % errors)', () => {
  // A binomial count over `runs` exceeds its mean by 3 standard deviations with probability ~0.1 %.
  const bound = (alpha: number, runs: number) => runs * alpha + 3 * Math.sqrt(runs * alpha * (1 - alpha));

  test('a canary exactly at the allowed increase fails, and passes, each at most 5 % of the time', () => {
    const outcome = simulate({ seed: 1, runs: 400, canaryRate: 0.011 });
    expect(outcome.fail).toBeLessThanOrEqual(bound(0.05, 400));
    expect(outcome.pass).toBeLessThanOrEqual(bound(0.05, 400));
  });

  test('identical versions at 10 requests/s: no false rollback, and a pass within 5 minutes', () => {
    const outcome = simulate({ seed: 3, runs: 300, canaryRate: 0.001 });
    expect(outcome.fail).toBeLessThanOrEqual(3); // ≤ 1 %
    expect(outcome.pass).toBeGreaterThanOrEqual(290);
  });

  test('identical versions at 1 request/s: inconclusive rather than a guess', () => {
    const outcome = simulate({ seed: 4, runs: 300, canaryPerSecond: 1, canaryRate: 0.001 });
    expect(outcome.fail).toBeLessThanOrEqual(3);
    expect(outcome.inconclusive).toBeGreaterThan(outcome.pass);
  });

  test('a clearly broken canary (5 % vs 0.1 %) fails in every run', () => {
    expect(simulate({ seed: 5, runs: 200, canaryRate: 0.05 })).toEqual({
      pass: 0,
      fail: 200,
      inconclusive: 0,
    });
  });
});
