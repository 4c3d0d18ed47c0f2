// The one orchestration shared by the action, the CLI and library users.
import { validateStageOptions } from './plan/validate.js';
import { checkClusterCombination } from './options/clusters.js';
import { connect } from './run/connect.js';
import { StageRun, asCanaryError } from './run/stage-run.js';
import { emptyResult, readStatus } from './run/status.js';
import { runWaves } from './run/waves.js';
import type { RunContext, RunOptions, RunReporter, StageResult } from './types.js';

const quiet: RunReporter = { info: () => {}, warning: () => {} };

/**
 * Runs one stage against the cluster: read, plan, check, write in make-before-break order, wait for
 * health; on a failure after the first write, restore what was read at the start (rollback-on-failure).
 * With `clusters`, the same in each cluster, wave after wave, and a failure anywhere restores them all
 * (`result.clusters` holds each cluster's result).
 *
 * Invalid options and unusable credentials throw an InputError before anything is read. Every other
 * failure is returned in `result.error`, with the cluster as it was (`rolledBack` says when it had to
 * be put back), so the caller can still report what happened.
 */
export async function runStage(options: RunOptions, context: RunContext = {}): Promise<StageResult> {
  validateStageOptions(options);
  checkClusterCombination(options.clusters, options.workloadClusters, options.context);
  const reporter = context.reporter ?? quiet;
  if (options.clusters) return runWaves(options, context, reporter);
  const connection = connect(options, context, reporter);
  if (options.stage === 'status') {
    try {
      return await readStatus(connection.client, options, reporter);
    } catch (err) {
      const error = asCanaryError(err);
      return { ...emptyResult(options), error };
    } finally {
      await connection.client.close();
    }
  }
  return new StageRun(options, connection, reporter, context.signal).execute();
}
