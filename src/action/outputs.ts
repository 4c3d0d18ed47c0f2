// The step outputs: one table of names and descriptions (action.yml is generated from it) and their values.
import * as core from './actions-core.js';
import { agreedWeight, clustersJson } from '../report/clusters.js';
import type { StageResult } from '../types.js';

export const OUTPUT_DESCRIPTIONS = {
  stage: 'The stage that ran.',
  'previous-weight':
    'Canary share of the default route before the run, 0–100 (with clusters: when all agree, else empty); empty when the routing could not be read.',
  weight:
    'Canary share of the default route after the run, 0–100 (the restored one after a rollback; with clusters: when all agree, else empty); empty when the routing could not be read.',
  stable: 'The stable version (subset).',
  canary: 'The canary version (subset).',
  changed: 'true when the run changed (or, on a dry run, would change) the routing objects.',
  healthy: 'true when every health check passed.',
  'rolled-back': 'true when a failure made the run restore the objects it had read at the start.',
  analysis:
    'The comparison with the stable: pass, fail or inconclusive (the last one of the run); empty when none ran.',
  'virtual-service':
    "YAML of the VirtualService as written (or as it would be, on a dry run); with clusters: empty, each cluster's is in the job summary.",
  'destination-rule':
    "YAML of the DestinationRule as written (or as it would be, on a dry run); with clusters: empty, each cluster's is in the job summary.",
  clusters:
    'With clusters: JSON, one entry per cluster (cluster, wave, split before and after, weights, healthy, rolledBack, error); empty otherwise.',
  routes:
    'JSON: every route to the service, per VirtualService (mesh, gateway-bound, delegate) and route, with its split before and after, e.g. [{"virtualService":"bookinfo-edge","namespace":"default","door":"gateway","match":"uri prefix /reviews","before":{"v1":100},"after":{"v1":50,"v2":50}}]; routes left as they are carry "leftAlone" with the reason.',
} as const;

export type OutputName = keyof typeof OUTPUT_DESCRIPTIONS;

/** The weight as an output: absent (not 0) when the routing could not be read; with clusters, only when every cluster has the same one. */
function weightOutput(
  result: StageResult,
  pick: (one: StageResult) => number | undefined,
): string | undefined {
  const weight = result.clusters ? agreedWeight(result.clusters, pick) : pick(result);
  return weight === undefined ? (result.clusters ? '' : undefined) : String(weight);
}

/** Every output's value; the weights are absent when the routing could not be read. */
export function outputValues(result: StageResult): Partial<Record<OutputName, string>> {
  return {
    stage: result.stage,
    'previous-weight': weightOutput(result, (one) => one.previousWeight),
    weight: weightOutput(result, (one) => one.weight),
    stable: result.stable,
    canary: result.canary,
    changed: String(result.changed),
    healthy: String(result.healthy),
    'rolled-back': String(result.rolledBack),
    analysis: lastComparison(result) ?? '',
    'virtual-service': result.virtualServiceYaml,
    'destination-rule': result.destinationRuleYaml,
    clusters: clustersJson(result),
    routes: JSON.stringify(routesOutput(result)),
  };
}

/** The `routes` output: one entry per route, splits as `{ subset: weight }`. */
function routesOutput(result: StageResult): Record<string, unknown>[] {
  const weights = (split: { subset: string; weight: number }[]) =>
    Object.fromEntries(split.map(({ subset, weight }) => [subset, weight]));
  return (result.routes ?? []).map((route) => ({
    virtualService: route.object,
    namespace: route.namespace,
    door: route.door,
    ...(route.name !== undefined ? { name: route.name } : {}),
    match: route.match,
    before: weights(route.before),
    after: weights(route.after),
    ...(route.leftAlone !== undefined ? { leftAlone: route.leftAlone } : {}),
  }));
}

function lastComparison(result: StageResult): string | undefined {
  return result.checks.flatMap((check) => (check.comparison ? [check.comparison.decision] : [])).pop();
}

export function setOutputs(result: StageResult): void {
  for (const [name, value] of Object.entries(outputValues(result)))
    if (value !== undefined) core.setOutput(name, value);
}
