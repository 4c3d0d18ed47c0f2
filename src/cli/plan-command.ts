// `istio-canary plan`: the offline planner. Reads routing objects from YAML files (or the embedded Bookinfo
// example), plans a stage on the routing API the files use (`routing-api`) and prints the objects as they
// would be: VirtualServices and the DestinationRule, or the version Services to create and the HTTPRoutes.
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
import type { ClusterState, Finding, StageOptions } from '../plan/index.js';
import {
  emptyGatewayApiState,
  gatewayApiOptions,
  namespacesRoutedBy,
  planGatewayApiStage,
  readGatewayApiYaml,
} from '../plan/gateway-api/index.js';
import type { GatewayApiState } from '../plan/gateway-api/index.js';
import type { KubeObject } from '../plan/objects.js';
import { chooseRoutingApi } from '../plan/routing-api.js';
import type { RoutingApi } from '../plan/routing-api.js';
import { BOOKINFO_EXAMPLE, BOOKINFO_GATEWAY_API_EXAMPLE } from './bookinfo-example.js';
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
    'written to a cluster. On Gateway API (--routing-api gateway-api, or auto with HTTPRoutes in --from):',
    'the version Services to create, then every HTTPRoute that routes the service.',
    '',
    'Flags:',
    describeFlags(PLAN_DEFINITIONS, [FROM_FLAG]),
    '',
    'Example:',
    "  istio-canary plan --stage route --service reviews --stable v1 --canary v2 --header-match 'end-user=jason'",
    '',
  ].join('\n');
}

/** The objects of `--from` as each routing API's planner reads them. */
interface PlanInput {
  istio: ClusterState;
  gatewayApi: GatewayApiState;
}

function readInput(files: readonly { file: string; yaml: string }[]): PlanInput {
  return files.reduce(
    (input, { file, yaml }) => ({
      istio: readRoutingYaml(yaml, file, input.istio),
      gatewayApi: readGatewayApiYaml(yaml, file, input.gatewayApi),
    }),
    { istio: emptyState(), gatewayApi: emptyGatewayApiState() },
  );
}

async function readFiles(files: string[], options: StageOptions, io: CliIO): Promise<PlanInput> {
  if (files.length === 0) {
    const gatewayApi = options.routingApi === 'gateway-api';
    io.stderr.write(
      gatewayApi
        ? 'note: no --from given, planning on the embedded Bookinfo example on Gateway API (the HTTPRoute reviews sends everything to reviews-v1)\n'
        : 'note: no --from given, planning on the embedded Bookinfo example (every service on v1)\n',
    );
    return readInput(gatewayApi ? BOOKINFO_GATEWAY_API_EXAMPLE : BOOKINFO_EXAMPLE);
  }
  const texts: { file: string; yaml: string }[] = [];
  for (const file of files) {
    try {
      texts.push({ file, yaml: await readFile(file, 'utf8') });
    } catch (error) {
      const reason = errorShape(error).code || 'unreadable';
      throw new InputError('from', `from must name a readable file, got "${file}" (${reason})`);
    }
  }
  return readInput(texts);
}

/**
 * The namespace to plan in. Objects of `--from` for the service in another namespace would otherwise be
 * passed over, and new objects planned beside them: without `--namespace`, the one namespace they are in
 * is taken (and said); with it, a namespace holding none of them while another does is refused.
 */
function planningNamespace(input: PlanInput, options: StageOptions, given: boolean, io: CliIO): StageOptions {
  const found = [
    ...new Set([
      ...namespacesRouting(input.istio, options.host),
      ...namespacesRoutedBy(input.gatewayApi.httpRoutes, gatewayApiOptions(options)),
    ]),
  ];
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

/** What a plan prints: its findings (stderr), the objects to apply (stdout) and notes on what apply cannot do. */
interface Printed {
  findings: Finding[];
  objects: KubeObject[];
  notes: string[];
}

function planOn(api: RoutingApi, options: StageOptions, input: PlanInput): Printed {
  if (api === 'istio') {
    const plan = planStage(options, input.istio);
    return { findings: plan.findings, objects: plan.objects.map((object) => object.after), notes: [] };
  }
  const plan = planGatewayApiStage(gatewayApiOptions(options), input.gatewayApi);
  // In write order, so `kubectl apply -f` makes a version Service addressable before a route names it.
  const applied = plan.writes.flatMap((write) =>
    write.action === 'delete' || !write.after ? [] : [write.after],
  );
  const notes = plan.writes
    .filter((write) => write.action === 'delete' && write.before)
    .map(
      (write) =>
        `note: ${options.stage} deletes Service ${write.before?.metadata.namespace ?? options.namespace}/${write.before?.metadata.name} once the HTTPRoutes above are written (istio-canary created it; no route names it any more)`,
    );
  return { findings: plan.findings, objects: applied, notes };
}

export const planCommand: CliCommand = {
  name: 'plan',
  summary:
    'Plan a stage offline from YAML files and print the resulting VirtualService and DestinationRule (or HTTPRoutes)',
  help: planHelp,
  async run(args: string[], io: CliIO): Promise<number> {
    const flags = parseFlags('plan', args, PLAN_DEFINITIONS, [FROM_FLAG]);
    if (flags.help) {
      io.stdout.write(planHelp());
      return EXIT_OK;
    }
    const parsed = parseStageOptions(flags.options);
    const input = await readFiles(flags.extra.from ?? [], parsed, io);
    const options = planningNamespace(input, parsed, flags.options.namespace !== undefined, io);
    const api = chooseRoutingApi(options.routingApi ?? 'auto', gatewayApiOptions(options), {
      virtualServices: input.istio.virtualServices,
      httpRoutes: input.gatewayApi.httpRoutes,
    });
    try {
      const plan = planOn(api, options, input);
      for (const finding of plan.findings) io.stderr.write(`${formatFinding(finding)}\n`);
      io.stdout.write(toYamlDocuments(plan.objects));
      for (const note of plan.notes) io.stderr.write(`${note}\n`);
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
