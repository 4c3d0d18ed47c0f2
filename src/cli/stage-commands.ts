// `istio-canary <stage>`: one stage against a cluster, with the same flags as `plan` (the action's inputs)
// plus the cluster ones. Prints what the job summary shows, as text; exit 1 when the stage failed.
import { ignoredInputWarnings, OPTION_DEFINITIONS, parseRunOptions } from '../options/index.js';
import { renderText } from '../report/index.js';
import { runStage } from '../run-stage.js';
import { abortOnSignals, signalMessages } from '../signals.js';
import type { Stage } from '../plan/types.js';
import type { CliCommand, CliIO } from './commands.js';
import { EXIT_FAILED, EXIT_OK } from './commands.js';
import { describeFlags, parseFlags } from './flags.js';
import { terminalReporter, type TerminalStream } from './terminal-reporter.js';

const STAGE_SUMMARIES: Record<Stage, string> = {
  route: 'Send requests matching --header-match to the canary, everyone else to stable',
  shift: 'Send --weight percent of the default route to the canary (header routes kept)',
  promote: 'Send all traffic to the canary',
  rollback: 'Send all traffic back to stable and remove the header route',
  finalize: 'All traffic on the canary, drop the stable subset (--delete-stable deletes its Deployments)',
  progressive: 'Shift through --steps with the health checks at each; roll back on the first failure',
  status: 'Print the current split (reads only)',
};

const CLUSTER_DEFINITIONS = OPTION_DEFINITIONS.filter((definition) => definition.name !== 'stage');

function stageHelp(stage: Stage): string {
  return [
    `Usage: istio-canary ${stage} --service <name> --stable <version> --canary <version> [flags]`,
    '',
    `${STAGE_SUMMARIES[stage]}.`,
    'The cluster comes from --kubeconfig (content or path), else KUBECONFIG, ~/.kube/config, in-cluster.',
    '',
    'Flags:',
    describeFlags(CLUSTER_DEFINITIONS),
    '',
  ].join('\n');
}

export function stageCommand(stage: Stage): CliCommand {
  return {
    name: stage,
    summary: STAGE_SUMMARIES[stage],
    help: () => stageHelp(stage),
    async run(args: string[], io: CliIO): Promise<number> {
      const flags = parseFlags(stage, args, CLUSTER_DEFINITIONS);
      if (flags.help) {
        io.stdout.write(stageHelp(stage));
        return EXIT_OK;
      }
      const options = parseRunOptions({ ...flags.options, stage });
      const reporter = terminalReporter(io.stderr as TerminalStream);
      ignoredInputWarnings(flags.options, stage).forEach((warning) => reporter.warning(warning));
      const controller = new AbortController();
      const stopListening = abortOnSignals(controller, {
        stopping: (signal) => reporter.warning(signalMessages.stopping(signal)),
        held: (signal) => reporter.info(signalMessages.held(signal)),
      });
      try {
        const result = await runStage(options, { reporter, signal: controller.signal });
        io.stdout.write(renderText(result));
        if (!result.error) return EXIT_OK;
        io.stderr.write(`error: ${result.error.message}\n`);
        return EXIT_FAILED;
      } finally {
        stopListening();
      }
    },
  };
}

export const STAGE_COMMANDS: CliCommand[] = (Object.keys(STAGE_SUMMARIES) as Stage[]).map(stageCommand);
