// The health checks of one step, in the order that fails cheapest first: the canary's rollout (before any
// traffic goes to it), then, once the routing is written, the HTTP probe and the metric analyses (fixed
// thresholds and the comparison with the stable, both on the traffic after the write).
import type { KubeConfig, V1Deployment } from '../kube/client-node.js';
import {
  analyzeCanary,
  compareWithStable,
  HealthCheckFailure,
  probeHttp,
  rolloutProgress,
  waitForRollout,
} from '../health/index.js';
import type { AnalysisOptions, HealthCheckResult, RunOptions, RunReporter } from '../types.js';
import { versionSelector } from './preflight.js';

export interface GateContext {
  kubeConfig: KubeConfig;
  options: RunOptions;
  reporter: RunReporter;
  signal?: AbortSignal;
  /** Every check's result, passed or failed, in order: the summary lists them all. */
  checks: HealthCheckResult[];
}

/**
 * Runs one check, recording its result (a failed check's too) before passing its error on; `stopped`
 * says when a failure is only the check being stopped for a sibling's failure, which is not recorded.
 */
async function record(
  gate: GateContext,
  check: () => Promise<HealthCheckResult>,
  stopped: () => boolean = () => false,
): Promise<void> {
  try {
    const result = await check();
    gate.checks.push(result);
    gate.reporter.info(`✓ ${result.name}: ${result.detail} (${(result.durationMs / 1000).toFixed(1)} s)`);
  } catch (err) {
    if (err instanceof HealthCheckFailure && !stopped()) gate.checks.push(err.check);
    throw err;
  }
}

/**
 * The version's Deployments have rolled out. When the list read before the write already shows them done
 * (the usual case) that is the answer, without a watch; otherwise wait by watch.
 */
export async function checkRollout(
  gate: GateContext,
  version: string,
  listed: V1Deployment[],
): Promise<void> {
  const selector = versionSelector(gate.options, version);
  const started = performance.now();
  const progress = listed.map(rolloutProgress);
  if (listed.length > 0 && progress.every((p) => p.done)) {
    await record(gate, async () => ({
      name: `rollout ${selector}`,
      ok: true,
      durationMs: Math.round(performance.now() - started),
      detail: progress.map((p) => p.text).join(', '),
    }));
    return;
  }
  await record(gate, () =>
    waitForRollout(gate.kubeConfig, {
      namespace: gate.options.namespace,
      selector,
      timeoutMs: gate.options.timeoutSeconds * 1000,
      signal: gate.signal,
      onProgress: (message) => gate.reporter.progress?.(message),
    }),
  );
}

/** The checks on traffic, after the routing is in place: HTTP probe, then Prometheus analysis. */
export async function checkTraffic(gate: GateContext): Promise<void> {
  const { options } = gate;
  // The routing is in place (written, and propagated or settled): only traffic from now on is judged.
  const writtenAt = Date.now();
  if (options.probe) {
    const probe = options.probe;
    await record(gate, () =>
      probeHttp({
        url: probe.url,
        headers: probe.headers,
        successes: probe.successes,
        ...(probe.failures !== undefined ? { failures: probe.failures } : {}),
        timeoutMs: options.timeoutSeconds * 1000,
        intervalMs: (probe.intervalSeconds ?? 1) * 1000,
        signal: gate.signal,
        onProgress: (message) => gate.reporter.progress?.(message),
      }),
    );
  }
  if (options.analysis) await checkMetrics(gate, options.analysis, writtenAt);
}

/**
 * The fixed thresholds and the comparison with the stable, side by side on the same traffic; both count
 * only requests after `writtenAt`. The first to fail stops the other (which is then not listed).
 */
async function checkMetrics(gate: GateContext, analysis: AnalysisOptions, writtenAt: number): Promise<void> {
  const { options } = gate;
  const sibling = new AbortController();
  const signal = gate.signal ? AbortSignal.any([gate.signal, sibling.signal]) : sibling.signal;
  const common = {
    prometheusUrl: analysis.prometheusUrl,
    namespace: options.namespace,
    service: options.service,
    canary: options.canary,
    reporter: analysis.reporter,
    versionLabel: analysis.versionLabel,
    versionService: options.versionService,
    intervalSeconds: analysis.intervalSeconds,
    writtenAt,
    signal,
    onProgress: (message: string) => gate.reporter.progress?.(message),
  };
  const checks: (() => Promise<HealthCheckResult>)[] = [];
  if (analysis.minSuccessRate !== undefined || analysis.maxLatencyMs !== undefined)
    checks.push(() => analyzeCanary({ ...analysis, ...common }));
  const comparison = analysis.comparison;
  if (comparison) checks.push(() => compareWithStable({ ...common, stable: options.stable, comparison }));
  const outcomes = await Promise.allSettled(
    checks.map(async (check) => {
      try {
        await record(gate, check, () => sibling.signal.aborted && !gate.signal?.aborted);
      } catch (error) {
        sibling.abort();
        throw error;
      }
    }),
  );
  const failure = outcomes.find((outcome) => outcome.status === 'rejected' && !isSiblingStop(outcome.reason));
  const first = failure ?? outcomes.find((outcome) => outcome.status === 'rejected');
  if (first?.status === 'rejected') throw first.reason;
}

/** A check cancelled because its sibling failed first: not a result of its own. */
function isSiblingStop(reason: unknown): boolean {
  return reason instanceof HealthCheckFailure && reason.code === 'cancelled';
}
