// The health checks of one step, in the order that fails cheapest first: the canary's rollout (before any
// traffic goes to it), then, once the routing is written, the HTTP probe and the metric analysis.
import type { KubeConfig, V1Deployment } from '@kubernetes/client-node';
import {
  analyzeCanary,
  HealthCheckFailure,
  probeHttp,
  rolloutProgress,
  waitForRollout,
} from '../health/index.js';
import type { HealthCheckResult, RunOptions, RunReporter } from '../types.js';
import { versionSelector } from './preflight.js';

export interface GateContext {
  kubeConfig: KubeConfig;
  options: RunOptions;
  reporter: RunReporter;
  signal?: AbortSignal;
  /** Every check's result, passed or failed, in order: the summary lists them all. */
  checks: HealthCheckResult[];
}

/** Runs one check, recording its result (a failed check's too) before passing its error on. */
async function record(gate: GateContext, check: () => Promise<HealthCheckResult>): Promise<void> {
  try {
    const result = await check();
    gate.checks.push(result);
    gate.reporter.info(`✓ ${result.name}: ${result.detail} (${(result.durationMs / 1000).toFixed(1)} s)`);
  } catch (err) {
    if (err instanceof HealthCheckFailure) gate.checks.push(err.check);
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
  if (options.analysis) {
    const analysis = options.analysis;
    await record(gate, () =>
      analyzeCanary({
        ...analysis,
        namespace: options.namespace,
        service: options.service,
        canary: options.canary,
        signal: gate.signal,
        onProgress: (message) => gate.reporter.progress?.(message),
      }),
    );
  }
}
