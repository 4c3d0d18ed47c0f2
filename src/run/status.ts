// `status`: reads the current split and reports it; writes nothing.
import type { ClusterClient } from '../kube/index.js';
import { toYaml } from '../plan/diff.js';
import { canaryShare, routeRows } from '../plan/routes.js';
import { sameHost } from '../plan/objects.js';
import type { ClusterState } from '../plan/types.js';
import type { RunOptions, StageResult } from '../types.js';

/** The service's routing objects in a state read from the cluster, its route rows and canary share. */
export function splitOf(state: ClusterState, options: RunOptions) {
  const forHost = (host: string | undefined) => sameHost(host, options.host, options.namespace);
  const virtualService = state.virtualServices.find((vs) => (vs.spec.hosts ?? []).some(forHost));
  const destinationRule = state.destinationRules.find((dr) => forHost(dr.spec.host));
  return {
    virtualService,
    destinationRule,
    rows: routeRows(virtualService),
    weight: canaryShare(virtualService, options),
  };
}

export async function readStatus(client: ClusterClient, options: RunOptions): Promise<StageResult> {
  const state = await client.readRouting(options.namespace);
  const { virtualService, destinationRule, rows, weight } = splitOf(state, options);
  return {
    ...emptyResult(options),
    healthy: true,
    previousWeight: weight,
    weight,
    before: rows,
    after: rows,
    virtualServiceYaml: virtualService ? toYaml(virtualService) : '',
    destinationRuleYaml: destinationRule ? toYaml(destinationRule) : '',
  };
}

/** A result that reports nothing done yet: what a failed read still returns, and what status fills in. */
export function emptyResult(options: RunOptions): StageResult {
  return {
    stage: options.stage,
    service: options.service,
    namespace: options.namespace,
    stable: options.stable,
    canary: options.canary,
    dryRun: options.dryRun,
    changed: false,
    healthy: false,
    rolledBack: false,
    previousWeight: 0,
    weight: 0,
    before: [],
    after: [],
    checks: [],
    virtualServiceYaml: '',
    destinationRuleYaml: '',
    diff: '',
  };
}
