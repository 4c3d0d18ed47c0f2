// The benchmark code runs on tiny sizes and yields figures that make sense. No timing is asserted: the
// figures only have to exist and hang together (counts, orderings, rollbacks, error texts).
import { describe, expect, test } from '@jest/globals';
import { analysisReport, benchAnalysis, benchAnalysisEndToEnd } from '../../bench/analysis.js';
import { benchColdStart, coldStartReport, coldStartTargets } from '../../bench/cold-start.js';
import { interleave, pairedRatio } from '../../bench/support/paired.js';
import { quantile, spread } from '../../bench/support/stats.js';
import { targetsTable } from '../../bench/support/targets.js';
import { roundTrips, type Span } from '../../bench/support/timeline.js';
import { benchRecovery, recoveryReport, recoveryTargets } from '../../bench/recovery.js';
import { benchScale, scaleReport, scaleTargets } from '../../bench/scale.js';
import { benchStage, stageReport, stageTargets } from '../../bench/stage.js';

const LONG = 240_000;

const span = (path: string, start: number, end: number, verb = 'get'): Span => ({
  method: 'GET',
  path: `/apis/x/v1/namespaces/default/${path}`,
  verb,
  status: 200,
  start,
  end,
});

describe('sequential round trips from request spans', () => {
  test('overlapping spans are one round, disjoint ones are rounds of their own, watches apart', () => {
    const trips = roundTrips([
      span('a', 0, 20),
      span('b', 1, 22),
      span('c', 5, 30),
      span('d', 31, 50),
      span('pods', 32, 900, 'watch'),
      span('e', 49, 70), // starts within the 2 ms slack of d's end: sent after d's answer
      span('f', 60, 80),
    ]);
    expect(trips).toEqual({
      requests: 6,
      watches: 1,
      sequential: 3,
      rounds: ['GET a, GET b, GET c', 'GET d', 'GET e, GET f'],
    });
  });

  test('a request still open at the end joins every later one to its round', () => {
    const open: Span = { ...span('a', 0, 0), end: undefined };
    expect(roundTrips([open, span('b', 100, 120)]).sequential).toBe(1);
  });
});

describe('paired, interleaved measurement', () => {
  test('contenders take turns within each round, the warm-up round is dropped, ratios are per round', async () => {
    const calls: string[] = [];
    const times = { ours: [9, 10, 20, 30], theirs: [90, 40, 60, 60] };
    const result = await interleave(
      3,
      {
        ours: async () => (calls.push('ours'), times.ours[calls.filter((c) => c === 'ours').length - 1]!),
        theirs: async () => {
          calls.push('theirs');
          return { ms: times.theirs[calls.filter((c) => c === 'theirs').length - 1]!, note: 'kept' };
        },
      },
      { before: (name) => void calls.push(`before ${name}`) },
    );
    expect(calls.filter((c) => !c.startsWith('before'))).toEqual([
      'ours',
      'theirs',
      'ours',
      'theirs',
      'ours',
      'theirs',
      'ours',
      'theirs',
    ]);
    expect(calls.slice(0, 2)).toEqual(['before ours', 'ours']);
    expect(result.times).toEqual({ ours: [10, 20, 30], theirs: [40, 60, 60] });
    expect(result.samples.theirs[0]).toEqual({ ms: 40, note: 'kept' });
    const speedup = pairedRatio(result, 'theirs', 'ours');
    expect(speedup.ratios).toEqual([4, 3, 2]);
    expect(speedup).toMatchObject({ median: 3, q1: 2.5, q3: 3.5 });
    expect(result.spread.ours).toEqual({ median: 20, q1: 15, q3: 25 });
  });

  test('quartiles interpolate between order statistics', () => {
    expect(quantile([4, 1, 3, 2], 0.25)).toBe(1.75);
    expect(quantile([4, 1, 3, 2], 0.75)).toBe(3.25);
    expect(spread([7])).toEqual({ median: 7, q1: 7, q3: 7 });
    expect(quantile([], 0.5)).toBeNaN();
  });

  test('the closing table lists each target with met or missed', () => {
    const text = targetsTable([
      { target: 'fast', measured: '2.50×', met: true },
      { target: 'small', measured: '250 MB', met: false },
    ]);
    expect(text).toContain('| fast | 2.50× | met |');
    expect(text).toContain('| small | 250 MB | missed |');
    expect(text).toContain('1 of 2 met.');
  });
});

describe('the benchmark on tiny sizes', () => {
  test(
    'one stage beside kubectl apply: requests and round trips counted, the stage within its request count',
    async () => {
      const bench = await benchStage([20], 2);
      const f = bench.latencies[0]!;
      expect(bench.trips).toMatchObject({ latencyMs: 200, requests: f.stage.requests });
      expect(bench.trips.rounds).toHaveLength(bench.trips.sequential);
      expect(f.latencyMs).toBe(20);
      expect(f.stage.requests).toBeGreaterThanOrEqual(3);
      expect(f.stage.sequential).toBeGreaterThanOrEqual(1);
      expect(f.stage.sequential).toBeLessThanOrEqual(f.stage.requests);
      expect(f.stage.rounds).toHaveLength(f.stage.sequential);
      expect(f.stage.rounds.join(', ')).toContain('PUT virtualservices/reviews');
      expect(f.kubectlWarm.rounds.join(', ')).toContain('PATCH virtualservices/reviews');
      expect(f.kubectlCold.requests).toBeGreaterThan(f.kubectlWarm.requests);
      expect(f.medianSpanMs).toBeGreaterThanOrEqual(19); // the injected 20 ms is in every span (timers may round 1 ms early)
      expect(f.stage.wall.median).toBeGreaterThan(0);
      expect(f.warmRatio.q1).toBeLessThanOrEqual(f.warmRatio.q3);
      expect(f.warmRatio.median).toBeCloseTo(f.kubectlWarm.wall.median / f.stage.wall.median, 0);
      // Each measured stage takes the connection of the stage before it (the warm-up round opened it).
      expect(f.stageConnections).toBe(0);
      expect(stageReport(bench, 2)).toContain('kubectl warm / stage (paired)');
      expect(stageTargets(bench).map((t) => t.target)).toEqual([
        'sequential round trips per stage = 3 (the floor)',
        '≥ 2× faster than warm-cache `kubectl apply --server-side` at 20 ms RTT (paired)',
      ]);
    },
    LONG,
  );

  test(
    'cold start: bundle sizes, and a first request or the reason there was none',
    async () => {
      const f = await benchColdStart(2);
      expect(f.bundles[0]).toMatchObject({ path: 'dist/index.js', bytes: expect.any(Number) });
      const [target] = coldStartTargets(f);
      if (f.stale) {
        expect(f.stale).toMatch(/^::error::|^exit code/);
        expect(target!.met).toBe(false);
      } else {
        expect(f.firstRequest.median).toBeGreaterThan(0);
        expect(f.firstRequest.median).toBeLessThan(f.actionWall.median);
        expect(f.nodeBare.median).toBeGreaterThan(0);
        expect(f.ratio.q1).toBeLessThanOrEqual(f.ratio.q3);
        expect(target!.met).toBe(f.ratio.median <= 3);
      }
      expect(coldStartReport(f)).toContain('bundle file');
    },
    LONG,
  );

  test(
    'scale: every case measured in its worker, peaks above the idle baseline',
    async () => {
      const f = await benchScale([1, 5], [2], 2);
      expect(f.routes.map((c) => c.size)).toEqual([1, 5]);
      expect(f.routes[0]!.growth).toMatchObject({ median: 1, q1: 1, q3: 1 }); // each round paired with itself
      for (const c of f.routes) expect(c.wall.median).toBeGreaterThan(0);
      expect(f.services.map((c) => c.size)).toEqual([2]);
      const [crowd] = f.services;
      expect(crowd!.wallMs).toBeGreaterThan(0);
      expect(crowd!.peakRss).toBeGreaterThanOrEqual(crowd!.baseRss);
      expect(crowd!.peakHeap).toBeGreaterThan(0);
      expect(crowd!.perStageMs).toBeLessThanOrEqual(crowd!.wallMs);
      expect(scaleReport(f)).toContain('Services released concurrently');
      expect(scaleTargets(f).map((t) => t.met)).toHaveLength(2);
    },
    LONG,
  );

  test(
    'recovery: the failed probe is rolled back, the crash loop fails the run without a write',
    async () => {
      const f = await benchRecovery([2], [50]);
      for (const c of f.probeCases) {
        expect(c.rolledBack).toBe(true);
        expect(c.restoredMs).toBeGreaterThan(0);
        expect(c.detectedMs).toBeLessThanOrEqual(c.restoredMs);
      }
      expect(f.intervals[0]!.detectedMs).toBeGreaterThanOrEqual(0);
      expect(f.crashLoop.error).toMatch(
        /^canary pod reviews-v2-\S+ is not starting: container reviews is in CrashLoopBackOff/,
      );
      expect(f.crashLoop.routingUnchanged).toBe(true);
      expect(f.crashLoop.detectedMs).toBeGreaterThan(0);
      expect(recoveryReport(f)).toContain('flip → VS 100% stable');
      const [target] = recoveryTargets(f);
      expect(target!.measured).toContain('probe-failures 2');
    },
    LONG,
  );
});

describe('analysis section', () => {
  test('every judge decides every run; the same seed gives the same figures', () => {
    const first = benchAnalysis(30);
    expect(benchAnalysis(30)).toEqual(first.map((f) => ({ ...f, millis: expect.any(Number) })));
    for (const { judges } of first)
      for (const f of Object.values(judges)) {
        expect(f.fail + f.pass + f.inconclusive).toBe(30);
        expect(f.correctSeconds.every((s) => s > 0)).toBe(true);
      }
    const broken = first.find((f) => f.scenario.name.startsWith('errors'))!;
    expect(broken.judges.sequential.fail).toBe(30);
    const report = analysisReport({ simulated: first });
    expect(report).toContain('### 5. Canary against stable');
    expect(report).toContain('- Target twice as slow fails within 60 s (median)');
  });

  test(
    'end to end through a real Prometheus: the good canary passes, the bad one fails',
    async () => {
      const figures = await benchAnalysisEndToEnd(1);
      if ('skipped' in figures) return console.warn(`end-to-end analysis bench skipped: ${figures.skipped}`);
      expect(figures.runs.map((run) => [run.canary, run.decision])).toEqual([
        ['v2', 'pass'],
        ['v3', 'fail'],
      ]);
      for (const run of figures.runs) expect(run.lagMs.every((lag) => lag >= 0)).toBe(true);
      expect(analysisReport({ simulated: [], endToEnd: figures })).toContain(
        'End to end through a real Prometheus',
      );
    },
    LONG,
  );
});
