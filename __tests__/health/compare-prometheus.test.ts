// The comparison with the stable against a real Prometheus scraping Istio-shaped metrics of `reviews`:
// stable v1, a good canary v2 (the same figures), a bad canary v3; plus a thin canary, per-version
// Services and a waypoint-reported service for the label and reporter choices.
import {
  goodCanary,
  prometheusSuite,
  reviewsRelease,
  testComparison,
} from '../../test/support/prometheus/index.js';
import { compareWithStable, type CompareOptions } from '../../src/health/index.js';
import { failureOf } from './failure-of.js';

const suite = await prometheusSuite('Prometheus tests');

function options(overrides: Partial<CompareOptions> = {}): CompareOptions {
  return {
    prometheusUrl: suite.prometheus.url,
    namespace: 'default',
    service: 'reviews',
    stable: 'v1',
    canary: 'v2',
    intervalSeconds: 2,
    comparison: testComparison(),
    ...overrides,
  };
}

const comparison = testComparison;

suite.describe('compareWithStable with a real Prometheus', () => {
  // Every workload has a rate over a few scrapes, so the stable has a histogram before any write.
  suite.start(
    [
      ...reviewsRelease(),
      { ...goodCanary('default', 'reviews', 'v4'), requestsPerSecond: 1 },
      goodCanary('default', 'ratings-v1', 'v1'),
      goodCanary('default', 'ratings-v2', 'v2'),
      { ...goodCanary('default', 'details', 'v1'), reporter: 'waypoint' },
      { ...goodCanary('default', 'details', 'v2'), reporter: 'waypoint' },
    ],
    'count(rate(istio_requests_total[5s]) > 0) >= 8',
  );

  test('a good canary passes before analysis-max-duration, counting only requests after the write', async () => {
    const progress: string[] = [];
    const writtenAt = Date.now();
    const result = await compareWithStable(options({ writtenAt, onProgress: (m) => progress.push(m) }));
    expect(result.ok).toBe(true);
    expect(result.name).toBe('comparison reviews v2 vs v1');
    expect(result.detail).toMatch(
      /^canary no worse than v1 within the allowance \(confidence 9\d(\.\d+)?%\) after \d+(\.\d)?s of traffic/,
    );
    const report = result.comparison!;
    expect(report.decision).toBe('pass');
    expect(report.confidence).toBeGreaterThanOrEqual(0.95);
    const last = report.ticks[report.ticks.length - 1]!;
    expect(last.seconds).toBeLessThan(60);
    // 200 requests/s for a few seconds since the write, not the minute the exporter has been counting.
    const first = report.ticks[0]!;
    expect(first.from).toBe(new Date(writtenAt).toISOString());
    expect(first.canary.requests).toBeGreaterThan(0);
    expect(first.canary.requests).toBeLessThanOrEqual(200 * (first.seconds + 2));
    expect(report.latency).toMatchObject({ boundMs: 50 });
    expect(report.latency!.stableShareAbove).toBeCloseTo(0.05, 2);
    expect(report.queries[0]).toMatch(
      /^sum by \(le\) \(increase\(istio_request_duration_milliseconds_bucket\{/,
    );
    expect(report.queries[1]).toContain(
      'sum by (destination_version) (increase(istio_requests_total{reporter="destination",' +
        'destination_workload_namespace="default",destination_service_name="reviews",destination_version=~"v1|v2"}[',
    );
    expect(progress[0]).toMatch(
      /^comparison of reviews v2 with v1 in default, \S+–\S+ UTC \(2s after the write\): errors /,
    );
  }, 90_000);

  test('a bad canary fails at the first tick, with its confidence and figures', async () => {
    const failure = await failureOf(compareWithStable(options({ canary: 'v3' })));
    expect(failure.code).toBe('unhealthy');
    expect(failure.message).toMatch(
      /^reviews v3 in default: canary worse than v1 beyond the allowance \(confidence (9\d|100)(\.\d+)?%\) after 2s of traffic \(\S+–\S+ UTC\): errors 3\d(\.\d+)?% vs 0\.\d+%, .*roll back, then look into the canary's errors and latency$/,
    );
    expect(failure.check.comparison).toMatchObject({ decision: 'fail', canary: 'v3', stable: 'v1' });
    expect(failure.check.comparison!.ticks).toHaveLength(1);
  }, 60_000);

  test('a version with no series is an error naming the query and the label', async () => {
    const failure = await failureOf(
      compareWithStable(
        options({
          canary: 'v9',
          comparison: comparison({ maxLatencyIncrease: undefined, maxDurationSeconds: 4 }),
        }),
      ),
    );
    const query = failure.check.comparison!.queries[0]!;
    expect(query).toContain('destination_version=~"v1|v9"');
    expect(failure.message).toBe(
      `no series for the canary destination_version="v9" in Prometheus: ${query} found none in 4s: ` +
        "check analysis-version-label, analysis-reporter and that Prometheus scrapes the canary's proxy",
    );
  }, 60_000);

  test('thin traffic is inconclusive, not a guess: fails by default, passes with on-inconclusive pass', async () => {
    const thin = {
      canary: 'v4',
      comparison: comparison({ maxLatencyIncrease: undefined, maxDurationSeconds: 4 }),
    };
    const failure = await failureOf(compareWithStable(options(thin)));
    expect(failure.message).toMatch(
      /^reviews v4 in default: inconclusive: too little evidence either way .* within analysis-max-duration 4s: send more traffic to the canary, raise analysis-max-duration, or set on-inconclusive: pass$/,
    );
    expect(failure.check.comparison?.decision).toBe('inconclusive');
    const passed = await compareWithStable(
      options({ ...thin, comparison: { ...thin.comparison, onInconclusive: 'pass' } }),
    );
    expect(passed.ok).toBe(true);
    expect(passed.detail).toMatch(/; passed by on-inconclusive: pass$/);
    expect(passed.comparison?.decision).toBe('inconclusive');
  }, 60_000);

  test('per-version Services: versions told apart by destination_service_name', async () => {
    const result = await compareWithStable(
      options({ service: 'ratings', stable: 'v1', canary: 'v2', versionLabel: 'destination_service_name' }),
    );
    expect(result.comparison?.decision).toBe('pass');
    expect(result.comparison?.queries[1]).toContain('destination_service_name=~"ratings-v1|ratings-v2"');
  }, 90_000);

  test('ambient mode: the waypoint reports the requests', async () => {
    const waypoint = await compareWithStable(
      options({
        service: 'details',
        reporter: 'waypoint',
        comparison: comparison({ maxLatencyIncrease: undefined }),
      }),
    );
    expect(waypoint.comparison?.decision).toBe('pass');
    const sidecar = await failureOf(
      compareWithStable(
        options({
          service: 'details',
          comparison: comparison({ maxLatencyIncrease: undefined, maxDurationSeconds: 3 }),
        }),
      ),
    );
    expect(sidecar.message).toMatch(
      /^no series for the canary destination_version="v2" in Prometheus: .*reporter="destination"/,
    );
  }, 90_000);

  test('counters that restart from zero are read as increase() reads them: counts keep growing', async () => {
    const writtenAt = Date.now();
    setTimeout(() => suite.exporter.resetCounters(), 3000);
    const result = await compareWithStable(
      options({ writtenAt, comparison: comparison({ maxLatencyIncrease: undefined }) }),
    );
    expect(result.comparison?.decision).toBe('pass');
    const requests = result.comparison!.ticks.map((tick) => tick.canary.requests);
    expect(requests.length).toBeGreaterThan(2);
    for (let i = 1; i < requests.length; i++)
      expect(requests[i]!).toBeGreaterThanOrEqual(requests[i - 1]! * 0.9);
  }, 90_000);
});

describe('compareWithStable before any query', () => {
  test('a tick shorter than a second is refused: it could count nothing', async () => {
    const options = {
      prometheusUrl: 'http://127.0.0.1:9',
      namespace: 'default',
      service: 'reviews',
      stable: 'v1',
      canary: 'v2',
      intervalSeconds: 0,
      comparison: comparison({}),
    };
    await expect(compareWithStable(options)).rejects.toThrow(
      'analysis-interval 0s is too short to count requests: set analysis-interval to e.g. 10s',
    );
  });
});
