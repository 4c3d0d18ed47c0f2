// Canary analysis against a real Prometheus scraping Istio-shaped metrics of a good (v2) and a bad
// (v3) canary of `reviews` in `default`.
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { badCanary, goodCanary, prometheusSuite } from '../../test/support/prometheus/index.js';
import { analyzeCanary, type CanaryAnalysisOptions } from '../../src/health/index.js';
import { failureOf } from './failure-of.js';

const time = (ms: number) => new Date(ms).toISOString().slice(11, 19);

/** "03:46:26–03:46:28 UTC, after the write": the interval `rounds` rounds of `seconds` from `from` cover. */
function covers(from: number, seconds: number, rounds = 1): string {
  return `${time(from)}–${time(from + rounds * seconds * 1000)} UTC, after the write`;
}

const suite = await prometheusSuite('Prometheus tests');

/** Short rounds: 2 s apart, rate over 5 s (five 1 s scrapes). */
function options(overrides: Partial<CanaryAnalysisOptions>): CanaryAnalysisOptions {
  return {
    prometheusUrl: suite.prometheus.url,
    namespace: 'default',
    service: 'reviews',
    canary: 'v2',
    minSuccessRate: 0.99,
    maxLatencyMs: 500,
    intervalSeconds: 2,
    rateWindowSeconds: 5,
    runs: 3,
    allowNoData: false,
    ...overrides,
  };
}

suite.describe('analyzeCanary with a real Prometheus', () => {
  // Both canaries have a rate over the window before any test reads it.
  suite.start(
    [goodCanary('default', 'reviews', 'v2'), badCanary('default', 'reviews', 'v3')],
    'count(rate(istio_requests_total{reporter="destination"}[5s]) > 0) >= 4',
  );

  test('a good canary passes every round, each one interval after the write, with its figures', async () => {
    const progress: string[] = [];
    const writtenAt = Date.now();
    const result = await analyzeCanary(
      options({ writtenAt, onProgress: (message) => progress.push(message) }),
    );
    expect(result).toMatchObject({
      name: 'metrics reviews v2',
      ok: true,
      detail: `success 99.5% ≥ 99%, p99 90 ms ≤ 500 ms, 3/3 rounds (${covers(writtenAt, 2, 3)})`,
    });
    // Round k reads the 5 s rate window ending at write + k·2 s, cut at the write: never reaching back before it.
    expect(progress).toEqual(
      [2000, 4000, 6000].map(
        (end, index) =>
          `metric analysis of reviews v2 in default, round ${index + 1}/3 ` +
          `(${time(Math.max(writtenAt, writtenAt + end - 5000))}–${time(writtenAt + end)} UTC, after the write): ` +
          'success 99.5%, p99 90 ms',
      ),
    );
    expect(result.durationMs).toBeGreaterThanOrEqual(6000); // three rounds of 2 s after the write
  }, 60_000);

  test('a bad canary fails in the first round, on the destination reporter figures', async () => {
    const writtenAt = Date.now();
    const failure = await failureOf(analyzeCanary(options({ canary: 'v3', writtenAt })));
    expect(failure.code).toBe('unhealthy');
    expect(failure.message).toBe(
      'canary reviews v3 in default failed metric analysis in round 1/3: success 70% < 99%, p99 2425 ms > 500 ms ' +
        `(Istio metrics over ${covers(writtenAt, 2)}): roll back, then look into the canary's errors and latency`,
    );
    expect(failure.check).toMatchObject({ name: 'metrics reviews v3', ok: false });
  }, 60_000);

  test('only the bound that is set is checked', async () => {
    const writtenAt = Date.now();
    const result = await analyzeCanary(
      options({ canary: 'v3', minSuccessRate: 0.5, maxLatencyMs: undefined, runs: 1, writtenAt }),
    );
    expect(result.detail).toBe(`success 70% ≥ 50%, 1/1 rounds (${covers(writtenAt, 2)})`);
  }, 60_000);

  test('no traffic before the write counts: a window wider than the time since the write is cut at the write', async () => {
    // v2 has served 200 requests/s since the exporter started; a 600 s window would find them. Cut at a
    // write 1 s before the round, the window holds at most one 1 s scrape: no rate, no data.
    const failure = await failureOf(
      analyzeCanary(options({ runs: 1, intervalSeconds: 1, rateWindowSeconds: 600, writtenAt: Date.now() })),
    );
    expect(failure.message).toMatch(/^no data for canary reviews v2 in default in Prometheus/);
  }, 60_000);

  test('no data fails unless allowed', async () => {
    const writtenAt = Date.now();
    const failure = await failureOf(analyzeCanary(options({ canary: 'v9', runs: 1, writtenAt })));
    expect(failure.message).toBe(
      'no data for canary reviews v9 in default in Prometheus (istio_requests_total{reporter="destination",' +
        'destination_workload_namespace="default",destination_service_name="reviews",destination_version="v9"} ' +
        `over ${covers(writtenAt, 2)}, round 1/1): send traffic to the canary, check that Prometheus scrapes its sidecar ` +
        'at least twice per analysis-interval, or set allow-no-data',
    );
    const allowedAt = Date.now();
    const allowed = await analyzeCanary(
      options({ canary: 'v9', runs: 2, allowNoData: true, writtenAt: allowedAt }),
    );
    expect(allowed).toMatchObject({
      ok: true,
      detail: `no canary data, 2/2 rounds (${covers(allowedAt, 2, 2)}) (2 without data, allowed by allow-no-data)`,
    });
  }, 60_000);

  test('another namespace has no data for the same service and version', async () => {
    const failure = await failureOf(analyzeCanary(options({ namespace: 'staging', runs: 1 })));
    expect(failure.message).toMatch(/^no data for canary reviews v2 in staging in Prometheus/);
  }, 60_000);

  test('an error answer from Prometheus is reported', async () => {
    const failure = await failureOf(
      analyzeCanary(options({ prometheusUrl: `${suite.prometheus.url}/nothing-here` })),
    );
    expect(failure.code).toBe('api-error');
    expect(failure.message).toBe(
      `Prometheus at ${suite.prometheus.url}/nothing-here answered 404 to a query (Not Found): check prometheus-url ` +
        '(the server base URL, without /api/v1) and that it serves Prometheus',
    );
  }, 60_000);

  test('stops at once when the run is cancelled between rounds', async () => {
    const controller = new AbortController();
    const work = analyzeCanary(options({ intervalSeconds: 60, signal: controller.signal }));
    setTimeout(() => controller.abort(), 500);
    const failure = await failureOf(work);
    expect(failure.code).toBe('cancelled');
    expect(failure.message).toBe(
      'cancelled while waiting for metric analysis of reviews v2 in default: the run was stopped; run the stage again, or roll back',
    );
  }, 30_000);
});

/** A loopback URL whose port was free a moment ago: connecting there is refused. */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

describe('analyzeCanary without a Prometheus', () => {
  test('an unreachable Prometheus is retried, then named with the cause', async () => {
    const url = await closedPortUrl();
    const failure = await failureOf(
      analyzeCanary({
        prometheusUrl: url,
        namespace: 'default',
        service: 'reviews',
        canary: 'v2',
        minSuccessRate: 0.99,
        intervalSeconds: 2,
        runs: 1,
        allowNoData: false,
      }),
    );
    expect(failure.code).toBe('unreachable');
    expect(failure.message).toBe(
      `Prometheus at ${url} is unreachable (ECONNREFUSED) after 3 attempts: check prometheus-url and that the runner can reach it`,
    );
  });

  test('a Prometheus that answers 503 is asked again, and its later answer counts', async () => {
    let requests = 0;
    const server = createHttpServer((_request, response) => {
      requests++;
      if (requests <= 2) {
        response.writeHead(503).end('overloaded');
        return;
      }
      const value = [Date.now() / 1000, '1'];
      response.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          status: 'success',
          data: { resultType: 'vector', result: [{ metric: {}, value }] },
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const result = await analyzeCanary({
        prometheusUrl: `http://127.0.0.1:${port}`,
        namespace: 'default',
        service: 'reviews',
        canary: 'v2',
        minSuccessRate: 0.99,
        intervalSeconds: 1,
        runs: 1,
        allowNoData: false,
      });
      expect(result.detail).toMatch(/^success 100% ≥ 99%, 1\/1 rounds/);
      expect(requests).toBe(3);
    } finally {
      server.close();
    }
  });

  test('an analysis with no bound is refused before any query', async () => {
    await expect(
      analyzeCanary({
        prometheusUrl: 'http://127.0.0.1:9',
        namespace: 'default',
        service: 'reviews',
        canary: 'v2',
        intervalSeconds: 2,
        runs: 1,
        allowNoData: false,
      }),
    ).rejects.toThrow(
      'metric analysis has nothing to check: set min-success-rate (e.g. 0.99) or max-latency-ms (e.g. 500)',
    );
  });
});
