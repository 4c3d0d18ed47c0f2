// `istio-canary plan`: the offline planner. Reads routing objects from YAML files (or the embedded Bookinfo
// example), plans a stage and prints the service's VirtualService and DestinationRule as they would be.
import { readFile } from 'node:fs/promises';
import { InputError } from '../errors.js';
import { OPTION_DEFINITIONS, parseStageOptions } from '../options/index.js';
import {
  CheckFailedError,
  emptyState,
  formatFinding,
  planStage,
  readRoutingYaml,
  toYamlDocuments,
} from '../plan/index.js';
import type { ClusterState } from '../plan/index.js';
import { BOOKINFO_EXAMPLE } from './bookinfo-example.js';
import { errorShape } from './error-shape.js';
import type { CliCommand, CliIO } from './commands.js';
import { EXIT_FAILED, EXIT_OK } from './commands.js';
import { describeFlags, parseFlags } from './flags.js';
import type { ExtraFlag } from './flags.js';

const PLAN_DEFINITIONS = OPTION_DEFINITIONS.filter((definition) => definition.planning);
const FROM_FLAG: ExtraFlag = {
  name: 'from',
  description:
    'YAML file of the current objects (multi-document, kubectl get -o yaml output too); repeatable. Without it: the Bookinfo example.',
  multiple: true,
};

function planHelp(): string {
  return [
    'Usage: istio-canary plan --stage <stage> --service <name> --stable <version> --canary <version> [flags]',
    '',
    'Plans a stage offline: prints the VirtualService then the DestinationRule of the service as YAML on',
    'stdout; findings and errors go to stderr. Nothing is read from or written to a cluster.',
    '',
    'Flags:',
    describeFlags(PLAN_DEFINITIONS, [FROM_FLAG]),
    '',
    'Example:',
    "  istio-canary plan --stage route --service reviews --stable v1 --canary v2 --header-match 'end-user=jason'",
    '',
  ].join('\n');
}

async function readState(files: string[], io: CliIO): Promise<ClusterState> {
  if (files.length === 0) {
    io.stderr.write(
      'note: no --from given, planning on the embedded Bookinfo example (every service on v1)\n',
    );
    return BOOKINFO_EXAMPLE.reduce(
      (state, { file, yaml }) => readRoutingYaml(yaml, file, state),
      emptyState(),
    );
  }
  let state = emptyState();
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      const reason = errorShape(error).code || 'unreadable';
      throw new InputError('from', `from must name a readable file, got "${file}" (${reason})`);
    }
    state = readRoutingYaml(text, file, state);
  }
  return state;
}

export const planCommand: CliCommand = {
  name: 'plan',
  summary: 'Plan a stage offline from YAML files and print the resulting VirtualService and DestinationRule',
  help: planHelp,
  async run(args: string[], io: CliIO): Promise<number> {
    const flags = parseFlags('plan', args, PLAN_DEFINITIONS, [FROM_FLAG]);
    if (flags.help) {
      io.stdout.write(planHelp());
      return EXIT_OK;
    }
    const options = parseStageOptions(flags.options);
    const state = await readState(flags.extra.from ?? [], io);
    try {
      const plan = planStage(options, state);
      for (const finding of plan.findings) io.stderr.write(`${formatFinding(finding)}\n`);
      io.stdout.write(toYamlDocuments([plan.virtualService, plan.destinationRule]));
      return EXIT_OK;
    } catch (error) {
      if (!(error instanceof CheckFailedError)) throw error;
      for (const finding of error.findings) io.stderr.write(`${formatFinding(finding)}\n`);
      const errors = error.findings.filter((finding) => finding.severity === 'error').length;
      io.stderr.write(
        `error: ${errors} routing check${errors === 1 ? '' : 's'} failed; fix the objects named above\n`,
      );
      return EXIT_FAILED;
    }
  },
};
