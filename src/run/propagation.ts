// After each write, before the next: the proxies must have the new config, or make-before-break is only
// make-before-break in etcd. istiod's status (Reconciled for the new generation) says when; without it, a
// settle delay stands in.
import { setTimeout as sleep } from 'node:timers/promises';
import { CanaryError } from '../errors.js';
import { propagationState, waitForPropagation } from '../health/index.js';
import type { WrittenObject } from '../kube/index.js';
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
            },
          ],
          {
            timeoutMs: options.timeoutSeconds * 1000,
            settleMs: options.settleSeconds * 1000,
            signal: gate.signal,
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
