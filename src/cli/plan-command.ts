// `istio-canary plan`: the offline planner. Reads routing objects from YAML files (or the embedded Bookinfo
// example), plans a stage and prints the service's VirtualService and DestinationRule as they would be.
import { readFile } from 'node:fs/promises';
import { InputError } from '../errors.js';
import { OPTION_DEFINITIONS, parseStageOptions } from '../options/index.js';
import {
  CheckFailedError,
  emptyState,
  formatFinding,
  namespacesRouting,
  planStage,
  readRoutingYaml,
  toYamlDocuments,
} from '../plan/index.js';
import type { ClusterState, StageOptions } from '../plan/index.js';
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
    'Plans a stage offline: prints every VirtualService with a route to the service (its own first), then',
    'its DestinationRule, as YAML on stdout; findings and errors go to stderr. Nothing is read from or',
    'written to a cluster.',
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

/**
 * The namespace to plan in. Objects of `--from` for the host in another namespace would otherwise be passed
 * over, and a new VirtualService planned beside them: without `--namespace`, the one namespace they are in
 * is taken (and said); with it, a namespace holding none of them while another does is refused.
 */
function planningNamespace(
  state: ClusterState,
  options: StageOptions,
  given: boolean,
  io: CliIO,
): StageOptions {
  const found = namespacesRouting(state, options.host);
  if (found.includes(undefined) || found.includes(options.namespace)) return options;
  const namespaces = found.filter((namespace): namespace is string => namespace !== undefined);
  const where = `the objects of ${options.host} in --from are in namespace${namespaces.length > 1 ? 's' : ''} ${namespaces.join(', ')}`;
  if (given && namespaces.length > 0) {
    throw new InputError(
      'namespace',
      `namespace is ${options.namespace}, but ${where}: set --namespace to ${namespaces.length === 1 ? namespaces[0] : 'one of them'}`,
    );
  }
  if (namespaces.length > 1) throw new InputError('namespace', `${where}: choose one with --namespace`);
  const [namespace] = namespaces;
  if (namespace === undefined) return options;
  io.stderr.write(
    `note: planning in namespace ${namespace}, where the objects of ${options.host} in --from are\n`,
  );
  return { ...options, namespace };
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
    const parsed = parseStageOptions(flags.options);
    const state = await readState(flags.extra.from ?? [], io);
    const options = planningNamespace(state, parsed, flags.options.namespace !== undefined, io);
    try {
      const plan = planStage(options, state);
      for (const finding of plan.findings) io.stderr.write(`${formatFinding(finding)}\n`);
      io.stdout.write(toYamlDocuments(plan.objects.map((object) => object.after)));
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
