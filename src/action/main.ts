// The action: inputs → runStage → outputs, job summary, pull-request comment. The one place that fails the step.
// The summary's renderer and the pull-request code (with @actions/github) are imported only when a run writes
// them: they are not loaded before the first request to the cluster, and not at all when unused.
import * as core from './actions-core.js';
import { InputError } from '../errors.js';
import { abortOnSignals, signalMessages } from '../signals.js';
import { runStage } from '../run-stage.js';
import { readInputs, summaryWanted } from './inputs.js';
import { setOutputs } from './outputs.js';
import { actionReporter } from './reporter.js';

const report = () => import('../report/index.js');

/** The runner shows the first line of a failure as the annotation: keep it one line. */
function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*\r?\n\s*/g, ' ').trim();
}

async function writeSummary(markdown: string): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  try {
    await core.summary.addRaw(markdown).write();
  } catch (error) {
    core.warning(`Could not write the job summary: ${oneLine(error)}`);
  }
}

export async function run(): Promise<void> {
  const controller = new AbortController();
  // A cancelled workflow sends SIGINT, then SIGTERM: the first stops the run, which restores what it wrote.
  const stopListening = abortOnSignals(controller, {
    stopping: (signal) => core.warning(signalMessages.stopping(signal)),
    held: (signal) => core.info(signalMessages.held(signal)),
  });
  try {
    const inputs = readInputs();
    inputs.warnings.forEach((warning) => core.warning(warning));
    const result = await runStage(inputs.options, { reporter: actionReporter, signal: controller.signal });
    setOutputs(result);
    if (inputs.summary) await writeSummary((await report()).renderMarkdown(result));
    if (inputs.githubToken) {
      const { commentOnPullRequest, commentTarget } = await import('./pull-request.js');
      await commentOnPullRequest(commentTarget(inputs.githubToken), result, inputs.options, actionReporter);
    }
    if (result.error) core.setFailed(oneLine(result.error));
  } catch (error) {
    if (error instanceof InputError && summaryWanted())
      await writeSummary((await report()).renderInputError(oneLine(error), error.field));
    core.setFailed(oneLine(error));
  } finally {
    stopListening();
  }
}
