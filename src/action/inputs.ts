// The step's inputs → one typed settings object. Parsing and validation belong to src/options (shared with
// the CLI's flags); here: read each input by the table's names and mask secrets before anything is logged.
import * as core from './actions-core.js';
import { InputError } from '../errors.js';
import {
  ignoredInputWarnings,
  OPTION_DEFINITIONS,
  parseRunOptions,
  type OptionDefinition,
} from '../options/index.js';
import type { RunOptions } from '../types.js';
import { kubeconfigMasks } from '../kube/credentials.js';
import { looksLikeKubeconfigContent } from '../kube/kubeconfig.js';

export interface ActionInputs {
  options: RunOptions;
  /** Token for the pull-request comment; no comment without one. */
  githubToken?: string;
  /** Write the job summary. */
  summary: boolean;
  /** Inputs given that the stage does not use, one sentence each. */
  warnings: string[];
}

/** Inputs only the action has (the CLI prints its report instead). */
export const ACTION_ONLY_INPUTS: readonly OptionDefinition[] = [
  {
    name: 'github-token',
    description:
      'Token for one pull-request comment with the split and how to reach the canary, e.g. the workflow token github.token (needs pull-requests: write); no comment without it.',
    secret: true,
  },
  {
    name: 'summary',
    description: 'Write the job summary.',
    default: 'true',
    boolean: true,
    allowed: ['true', 'false'],
  },
];

/**
 * Masks credentials before anything can be logged (a parse error included). Kubeconfig content is masked as
 * a whole and by each credential in it; a kubeconfig path is not a secret (the file's credentials are masked
 * once it is read, see src/kube/credentials.ts).
 */
function maskSecrets(raw: Record<string, string>, githubToken: string): void {
  if (githubToken) core.setSecret(githubToken);
  for (const definition of OPTION_DEFINITIONS.filter((option) => option.secret)) {
    const value = raw[definition.name] ?? '';
    if (definition.name !== 'kubeconfig') {
      if (value) core.setSecret(value);
    } else if (looksLikeKubeconfigContent(value))
      kubeconfigMasks(value).forEach((mask) => core.setSecret(mask));
  }
}

/** Whether a summary is wanted, read leniently: a bad input error still gets one unless `summary: false`. */
export function summaryWanted(): boolean {
  return !['false', 'False', 'FALSE'].includes(core.getInput('summary'));
}

function readSummarySwitch(): boolean {
  const value = core.getInput('summary') || 'true';
  if (['true', 'True', 'TRUE'].includes(value)) return true;
  if (['false', 'False', 'FALSE'].includes(value)) return false;
  throw new InputError('summary', `summary must be true or false, got "${value}"`);
}

/** The CI run doing this, recorded by runStage in annotations and the lease holder. */
function runUrl(): string | undefined {
  const { GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID } = process.env;
  if (!GITHUB_SERVER_URL || !GITHUB_REPOSITORY || !GITHUB_RUN_ID) return undefined;
  return `${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID}`;
}

export function readInputs(): ActionInputs {
  const raw = Object.fromEntries(OPTION_DEFINITIONS.map(({ name }) => [name, core.getInput(name)]));
  const githubToken = core.getInput('github-token');
  maskSecrets(raw, githubToken);
  const options = parseRunOptions(raw);
  return {
    options: { ...options, runUrl: options.runUrl ?? runUrl() },
    githubToken: githubToken || undefined,
    summary: readSummarySwitch(),
    warnings: ignoredInputWarnings(raw, options.stage),
  };
}
