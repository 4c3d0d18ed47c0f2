// The benchmark code runs on tiny sizes and yields figures that make sense. No timing is asserted: the
// figures only have to exist and hang together (counts, orderings, rollbacks, error texts).
import { describe, expect, test } from '@jest/globals';
import { analysisReport, benchAnalysis, benchAnalysisEndToEnd } from '../../bench/analysis.js';
import { benchColdStart, coldStartReport } from '../../bench/cold-start.js';
import { roundTrips, type Span } from '../../bench/support/timeline.js';
import { benchRecovery, recoveryReport } from '../../bench/recovery.js';
import { benchScale, scaleReport } from '../../bench/scale.js';
import { benchStage, stageReport } from '../../bench/stage.js';

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

describe('the benchmark on tiny sizes', () => {
  test(
    'one stage beside kubectl apply: requests and round trips counted, the stage within its request count',
    async () => {
      const [figures] = await benchStage([20], 1);
      const f = figures!;
      expect(f.latencyMs).toBe(20);
      expect(f.stage.requests).toBeGreaterThanOrEqual(3);
      expect(f.stage.sequential).toBeGreaterThanOrEqual(1);
      expect(f.stage.sequential).toBeLessThanOrEqual(f.stage.requests);
      expect(f.stage.rounds).toHaveLength(f.stage.sequential);
      expect(f.stage.rounds.join(', ')).toContain('PUT virtualservices/reviews');
      expect(f.kubectlWarm.rounds.join(', ')).toContain('PATCH virtualservices/reviews');
      expect(f.kubectlCold.requests).toBeGreaterThan(f.kubectlWarm.requests);
      expect(f.medianSpanMs).toBeGreaterThanOrEqual(19); // the injected 20 ms is in every span (timers may round 1 ms early)
      expect(f.stage.wallMs).toBeGreaterThan(0);
      expect(f.stageConnections).toBeGreaterThanOrEqual(1);
      expect(f.stageConnections).toBeLessThanOrEqual(f.stage.requests);
      expect(stageReport([f], 1)).toContain('Target ≤ 4 sequential round trips');
    },
    LONG,
  );

  test(
    'cold start: bundle sizes, and a first request or the reason there was none',
    async () => {
      const f = await benchColdStart(1);
      expect(f.bundles[0]).toMatchObject({ path: 'dist/index.js', bytes: expect.any(Number) });
      if (f.stale) expect(f.stale).toMatch(/^::error::|^exit code/);
      else {
        expect(f.firstRequestMs).toBeGreaterThan(0);
        expect(f.firstRequestMs).toBeLessThan(f.actionWallMs);
      }
      expect(f.kubectlVersionMs).toBeGreaterThan(0);
      expect(coldStartReport(f)).toContain('Target ≤ 300 ms');
    },
    LONG,
  );

  test(
    'scale: every case measured in its worker, peaks above the idle baseline',
    async () => {
      const f = await benchScale([1, 5], [2], 1);
      expect(f.routes.map((c) => c.size)).toEqual([1, 5]);
      expect(f.services.map((c) => c.size)).toEqual([2]);
      for (const c of [...f.routes, ...f.services]) {
        expect(c.wallMs).toBeGreaterThan(0);
        expect(c.peakRss).toBeGreaterThanOrEqual(c.baseRss);
        expect(c.peakHeap).toBeGreaterThan(0);
      }
      expect(f.services[0]!.perStageMs).toBeLessThanOrEqual(f.services[0]!.wallMs);
      expect(scaleReport(f)).toContain('concurrent services with peak memory');
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
      expect(recoveryReport(f)).toContain('routing restored ≤ 2 s');
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
