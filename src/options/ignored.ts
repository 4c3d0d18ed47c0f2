// Inputs a stage does not use: given anyway, they are a sign the step is not what its author thinks (a
// `weight` on promote, `steps` on shift), so each is named in a warning rather than dropped in silence.
import type { Stage } from '../plan/types.js';
import { findOptionDefinition } from './definitions.js';
import type { RawOptions } from './parse.js';

/** The only stages that read these inputs. */
const USED_BY: Record<string, readonly Stage[]> = {
  weight: ['shift'],
  steps: ['progressive'],
  interval: ['progressive'],
  'delete-stable': ['finalize'],
};

/** `weight is ignored by stage promote: only shift uses it`, for each input given that the stage ignores. */
export function ignoredInputWarnings(raw: RawOptions, stage: Stage): string[] {
  return Object.entries(USED_BY).flatMap(([name, stages]) => {
    const value = raw[name]?.trim();
    // The runner passes every default as if given: a default value is not the author's choice.
    if (!value || value === findOptionDefinition(name)?.default || stages.includes(stage)) return [];
    return [`${name} is ignored by stage ${stage}: only ${stages.join(', ')} uses it`];
  });
}
