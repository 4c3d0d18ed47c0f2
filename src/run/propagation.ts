// After each write, before the next: the proxies must have the new config, or make-before-break is only
// make-before-break in etcd. istiod's status (Reconciled for the new generation) says when; without it, a
// settle delay stands in.
import { setTimeout as sleep } from 'node:timers/promises';
import { CanaryError } from '../errors.js';
import { propagationState, waitForPropagation, waitForRouteStatus } from '../health/index.js';
import type { WrittenObject } from '../kube/index.js';
import type { HTTPRoute } from '../plan/gateway-api/types.js';
import type { HealthCheckResult } from '../types.js';
import type { GateContext } from './health-gate.js';

export async function waitForPropagationOf(gate: GateContext, written: WrittenObject): Promise<void> {
  const { options } = gate;
  const generation = written.metadata.generation ?? 0;
  const result =
    propagationState(written as Parameters<typeof propagationState>[0], generation).kind === 'no-status'
      ? await settle(gate, written)
      : await waitForPropagation(
          gate.kubeConfig,
          [
            {
              apiVersion: written.apiVersion,
              kind: written.kind,
              namespace: written.metadata.namespace ?? options.namespace,
              name: written.metadata.name,
              generation,
              // The PUT's answer: the wait watches from it instead of listing the object again.
              written,
            },
          ],
          waitOptions(gate),
        );
  gate.checks.push(result);
  gate.reporter.info(`✓ ${result.name}: ${result.detail}`);
}

function waitOptions(gate: GateContext) {
  return {
    timeoutMs: gate.options.timeoutSeconds * 1000,
    settleMs: gate.options.settleSeconds * 1000,
    signal: gate.signal,
  };
}

/**
 * After a batch of HTTPRoute writes: every parent of every route Accepted and ResolvedRefs for the written
 * generation (Istio always writes HTTPRoute status); a parent no controller lists waits the settle delay
 * and warns; a refusal (ResolvedRefs=False BackendNotFound…) fails at once with the controller's reason.
 */
export async function waitForRoutesOf(gate: GateContext, routes: HTTPRoute[]): Promise<void> {
  if (routes.length === 0) return;
  const result = await waitForRouteStatus(
    gate.kubeConfig,
    routes.map((route) => ({
      apiVersion: route.apiVersion,
      kind: route.kind,
      namespace: route.metadata.namespace ?? gate.options.namespace,
      name: route.metadata.name,
      generation: route.metadata.generation ?? 0,
      // The PUT's answer: the wait watches from it instead of listing the routes again.
      written: route,
    })),
    {
      ...waitOptions(gate),
      ...(gate.reporter.progress ? { onProgress: gate.reporter.progress } : {}),
      onWarning: (message) => gate.reporter.warning(message),
    },
  );
  gate.checks.push(result);
  gate.reporter.info(`✓ ${result.name}: ${result.detail}`);
}

/**
 * The write's answer carries the object's status: with no Reconciled condition on it, istiod writes no
 * status in this cluster, so watching for one would only time out — wait the settle delay instead.
 */
async function settle(gate: GateContext, written: WrittenObject): Promise<HealthCheckResult> {
  const ms = gate.options.settleSeconds * 1000;
  if (ms > 0) {
    gate.reporter.progress?.(
      `no istiod status on ${written.kind} ${written.metadata.name}: settling ${ms / 1000} s`,
    );
    try {
      await sleep(ms, undefined, { signal: gate.signal });
    } catch {
      throw new CanaryError(
        'cancelled',
        `the run was cancelled while ${written.kind} ${written.metadata.name} settled`,
      );
    }
  }
  return {
    name: `istio propagation ${written.kind} ${written.metadata.name}`,
    ok: true,
    durationMs: ms,
    detail: `no istiod status: waited ${ms / 1000} s`,
  };
}
