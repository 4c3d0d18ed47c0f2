// Canary analysis against a real Prometheus scraping Istio-shaped metrics of a good (v2) and a bad
// (v3) canary of `reviews` in `default`.
import { createServer, type AddressInfo } from 'node:net';
import {
  badCanary,
  ensurePrometheusBinary,
  goodCanary,
  startIstioExporter,
  startPrometheus,
  type IstioExporter,
  type RunningPrometheus,
} from '../../test/support/prometheus/index.js';
import { analyzeCanary, type CanaryAnalysisOptions } from '../../src/health/index.js';
import { failureOf } from './failure-of.js';

const binary = await ensurePrometheusBinary();
if ('skip' in binary) console.warn(`Prometheus tests skipped: ${binary.skip}`);
const describeWithPrometheus = 'skip' in binary ? describe.skip : describe;

let exporter: IstioExporter;
let prometheus: RunningPrometheus;

/** Short rounds: 2 s apart, rate over 5 s (five 1 s scrapes). */
function options(overrides: Partial<CanaryAnalysisOptions>): CanaryAnalysisOptions {
  return {
    prometheusUrl: prometheus.url,
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

describeWithPrometheus('analyzeCanary with a real Prometheus', () => {
  beforeAll(async () => {
    if ('skip' in binary) return;
    exporter = await startIstioExporter([
      goodCanary('default', 'reviews', 'v2'),
      badCanary('default', 'reviews', 'v3'),
    ]);
    prometheus = await startPrometheus(binary.path, [exporter.target]);
    // Both canaries have a rate over the window before any test reads it.
    await prometheus.waitForSamples('count(rate(istio_requests_total{reporter="destination"}[5s]) > 0) >= 4');
  }, 120_000);

  afterAll(async () => {
    await prometheus?.close();
    await exporter?.close();
  });

  test('a good canary passes every round, with its figures', async () => {
    const progress: string[] = [];
    const result = await analyzeCanary(options({ onProgress: (message) => progress.push(message) }));
    expect(result).toMatchObject({
      name: 'metrics reviews v2',
      ok: true,
      detail: 'success 99.5% ≥ 99%, p99 90 ms ≤ 500 ms, 3/3 rounds',
    });
    expect(progress).toEqual(
      [1, 2, 3].map(
        (round) => `metric analysis of reviews v2 in default, round ${round}/3: success 99.5%, p99 90 ms`,
      ),
    );
    expect(result.durationMs).toBeGreaterThanOrEqual(4000); // two pauses of 2 s between three rounds
  }, 60_000);

  test('a bad canary fails in the first round, on the destination reporter figures', async () => {
    const failure = await failureOf(analyzeCanary(options({ canary: 'v3' })));
    expect(failure.code).toBe('unhealthy');
    expect(failure.message).toBe(
      'canary reviews v3 in default failed metric analysis in round 1/3: success 70% < 99%, p99 2425 ms > 500 ms ' +
        "(Istio metrics over the last 5s): roll back, then look into the canary's errors and latency",
    );
    expect(failure.check).toMatchObject({ name: 'metrics reviews v3', ok: false });
  }, 60_000);

  test('only the bound that is set is checked', async () => {
    const result = await analyzeCanary(
      options({ canary: 'v3', minSuccessRate: 0.5, maxLatencyMs: undefined, runs: 1 }),
    );
    expect(result.detail).toBe('success 70% ≥ 50%, 1/1 rounds');
  }, 60_000);

  test('no data fails unless allowed', async () => {
    const failure = await failureOf(analyzeCanary(options({ canary: 'v9', runs: 1 })));
    expect(failure.message).toBe(
      'no data for canary reviews v9 in default in Prometheus (istio_requests_total{reporter="destination",' +
        'destination_workload_namespace="default",destination_service_name="reviews",destination_version="v9"} ' +
        'over the last 5s, round 1/1): send traffic to the canary, check that Prometheus scrapes its sidecar ' +
        'at least twice per analysis-interval, or set allow-no-data',
    );
    const allowed = await analyzeCanary(options({ canary: 'v9', runs: 2, allowNoData: true }));
    expect(allowed).toMatchObject({
      ok: true,
      detail: 'no canary data, 2/2 rounds (2 without data, allowed by allow-no-data)',
    });
  }, 60_000);

  test('another namespace has no data for the same service and version', async () => {
    const failure = await failureOf(analyzeCanary(options({ namespace: 'staging', runs: 1 })));
    expect(failure.message).toMatch(/^no data for canary reviews v2 in staging in Prometheus/);
  }, 60_000);

  test('an error answer from Prometheus is reported', async () => {
    const failure = await failureOf(
      analyzeCanary(options({ prometheusUrl: `${prometheus.url}/nothing-here` })),
    );
    expect(failure.code).toBe('api-error');
    expect(failure.message).toBe(
      `Prometheus at ${prometheus.url}/nothing-here answered 404 to a query (Not Found): check prometheus-url ` +
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
  test('an unreachable Prometheus is named with the cause', async () => {
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
      `Prometheus at ${url} is unreachable (ECONNREFUSED): check prometheus-url and that the runner can reach it`,
    );
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
