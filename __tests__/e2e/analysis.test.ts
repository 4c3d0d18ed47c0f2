// A release step judged on traffic, end to end: the stand-in API server holds Bookinfo, a real Prometheus
// scrapes Istio-shaped metrics of reviews v1 (stable), v2 (as good as v1) and v3 (failing, slow). The
// comparison with the stable passes v2 before analysis-max-duration and fails v3, whose routing is restored.
import { afterEach, beforeEach, expect, it } from '@jest/globals';
import { outputValues } from '../../src/action/outputs.js';
import { renderMarkdown, renderText } from '../../src/report/index.js';
import { runStage } from '../../src/run-stage.js';
import type { AnalysisOptions } from '../../src/types.js';
import { loadBookinfo, reviewsOptions } from '../../test/support/bookinfo.js';
import { startApiServer, type ApiServer } from '../../test/support/kube-apiserver/index.js';
import { prometheusSuite, reviewsRelease, testComparison } from '../../test/support/prometheus/index.js';
import { routingSnapshot } from '../../test/support/routing-snapshot.js';

const suite = await prometheusSuite('Prometheus end-to-end tests');
let server: ApiServer;

function analysis(overrides: Partial<AnalysisOptions> = {}): AnalysisOptions {
  return {
    prometheusUrl: suite.prometheus.url,
    intervalSeconds: 2,
    runs: 3,
    allowNoData: false,
    comparison: testComparison(),
    ...overrides,
  };
}

suite.describe('shift judged against the stable, with a real Prometheus', () => {
  suite.start(reviewsRelease(), 'count(rate(istio_requests_total[5s]) > 0) >= 3');

  beforeEach(async () => {
    server = await startApiServer({ users: { 'admin-token': 'admin' } });
    loadBookinfo(server);
  });
  afterEach(() => server.close());

  it('a good canary passes before analysis-max-duration, beside the fixed thresholds', async () => {
    const result = await runStage(
      reviewsOptions({
        stage: 'shift',
        weight: 50,
        analysis: analysis({ minSuccessRate: 0.99, maxLatencyMs: 500 }),
      }),
      { kubeConfig: server.kubeConfig() },
    );
    expect(result.error).toBeUndefined();
    expect(result).toMatchObject({ healthy: true, rolledBack: false, weight: 50 });
    const comparison = result.checks.find((check) => check.comparison);
    expect(comparison).toMatchObject({ name: 'comparison reviews v2 vs v1', ok: true });
    expect(comparison!.comparison!.ticks.at(-1)!.seconds).toBeLessThan(60);
    expect(result.checks.find((check) => check.name === 'metrics reviews v2')?.ok).toBe(true);
    expect(outputValues(result).analysis).toBe('pass');

    const markdown = renderMarkdown(result);
    expect(markdown).toContain('### comparison reviews v2 vs v1: v2 against v1');
    expect(markdown).toContain(
      '```mermaid\nxychart-beta\n  title "Error rate: stable v1 (first line), canary v2 (second)"',
    );
    expect(markdown).toContain(
      '  title "Share of requests slower than 50 ms: stable v1 (first line), canary v2 (second)"',
    );
    expect(markdown).toMatch(
      /Decision: pass \(confidence 9\d(\.\d+)?%\); allowed: error rate \+1 points, latency \+20%/,
    );
    expect(markdown).toContain('<details><summary>PromQL used</summary>');
    expect(markdown).toContain('increase(istio_requests_total{reporter="destination"');
    const text = renderText(result);
    expect(text).toContain('comparison reviews v2 vs v1: v2 against v1');
    expect(text).toMatch(/after write +canary requests +stable requests +canary errors \(%\)/);
    expect(text).toContain('PromQL used:');
  }, 120_000);

  it('a bad canary fails the step and the routing is restored exactly', async () => {
    const before = routingSnapshot(server);
    const result = await runStage(
      reviewsOptions({ stage: 'shift', weight: 50, canary: 'v3', analysis: analysis() }),
      { kubeConfig: server.kubeConfig() },
    );
    expect(result.error?.code).toBe('unhealthy');
    expect(result.error?.message).toMatch(
      /^reviews v3 in default: canary worse than v1 beyond the allowance \(confidence (9\d|100)(\.\d+)?%\) after 2s of traffic/,
    );
    expect(result).toMatchObject({ healthy: false, rolledBack: true, weight: 0 });
    expect(routingSnapshot(server)).toEqual(before);
    expect(outputValues(result).analysis).toBe('fail');
    expect(renderMarkdown(result)).toContain('Decision: fail');
  }, 120_000);
});
