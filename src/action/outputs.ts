// The step outputs: one table of names and descriptions (action.yml is generated from it) and their values.
import * as core from '@actions/core';
import type { StageResult } from '../types.js';

export const OUTPUT_DESCRIPTIONS = {
  stage: 'The stage that ran.',
  'previous-weight':
    'Canary share of the default route before the run, 0–100; empty when the routing could not be read.',
  weight:
    'Canary share of the default route after the run, 0–100 (the restored one after a rollback); empty when the routing could not be read.',
  stable: 'The stable version (subset).',
  canary: 'The canary version (subset).',
  changed: 'true when the run changed (or, on a dry run, would change) the routing objects.',
  healthy: 'true when every health check passed.',
  'rolled-back': 'true when a failure made the run restore the objects it had read at the start.',
  'virtual-service': 'YAML of the VirtualService as written (or as it would be, on a dry run).',
  'destination-rule': 'YAML of the DestinationRule as written (or as it would be, on a dry run).',
} as const;

export type OutputName = keyof typeof OUTPUT_DESCRIPTIONS;

/** Every output's value; the weights are absent (not 0) when the routing could not be read. */
export function outputValues(result: StageResult): Partial<Record<OutputName, string>> {
  const weight = (value: number | undefined) => (value === undefined ? undefined : String(value));
  return {
    stage: result.stage,
    'previous-weight': weight(result.previousWeight),
    weight: weight(result.weight),
    stable: result.stable,
    canary: result.canary,
    changed: String(result.changed),
    healthy: String(result.healthy),
    'rolled-back': String(result.rolledBack),
    'virtual-service': result.virtualServiceYaml,
    'destination-rule': result.destinationRuleYaml,
  };
}

export function setOutputs(result: StageResult): void {
  for (const [name, value] of Object.entries(outputValues(result)))
    if (value !== undefined) core.setOutput(name, value);
}
