// action.yml as data, generated from the option table (shared with the CLI's flags) plus the action's own
// inputs and outputs, so the metadata cannot drift from what the code reads. Written by scripts/action-yml.mjs.
import { OPTION_DEFINITIONS, type OptionDefinition } from '../options/index.js';
import { ACTION_ONLY_INPUTS } from './inputs.js';
import { OUTPUT_DESCRIPTIONS } from './outputs.js';

export interface ActionInputMetadata {
  description: string;
  required: boolean;
  default?: string;
}

export interface ActionMetadata {
  name: string;
  description: string;
  author: string;
  branding: { icon: string; color: string };
  inputs: Record<string, ActionInputMetadata>;
  outputs: Record<string, { description: string }>;
  runs: { using: 'node24'; main: string };
}

/** The table's description, with what the runner cannot show otherwise: allowed values and multi-line. */
export function inputDescription(definition: OptionDefinition): string {
  const allowed = definition.allowed ? ` One of: ${definition.allowed.join(', ')}.` : '';
  const multiple = definition.multiple ? ' (Multi-line input.)' : '';
  return `${definition.description}${allowed}${multiple}`;
}

export function actionInputs(): Record<string, ActionInputMetadata> {
  return Object.fromEntries(
    [...OPTION_DEFINITIONS, ...ACTION_ONLY_INPUTS].map((definition) => [
      definition.name,
      {
        description: inputDescription(definition),
        // Required options depend on the stage; the parser names what is missing, in one line.
        required: false,
        ...(definition.default === undefined ? {} : { default: definition.default }),
      },
    ]),
  );
}

export function actionMetadata(): ActionMetadata {
  return {
    name: 'istio-canary',
    description:
      'Istio canary releases from CI: route test users, shift weights, promote, roll back and finalize, with health checks.',
    author: 'istio-canary',
    branding: { icon: 'git-branch', color: 'blue' },
    inputs: actionInputs(),
    outputs: Object.fromEntries(
      Object.entries(OUTPUT_DESCRIPTIONS).map(([name, description]) => [name, { description }]),
    ),
    runs: { using: 'node24', main: 'dist/index.js' },
  };
}
