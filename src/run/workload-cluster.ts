// A cluster that runs the service's Deployments but holds none of its routing (Istio primary-remote: the
// VirtualService lives in the config cluster). Before any write: the versions the stage routes to are
// deployed here and the canary has rolled out; after a healthy finalize: `delete-stable` deletes here.
import type { HealthCheckResult, RunOptions, RunReporter, StageResult } from '../types.js';
import type { Connection } from './connect.js';
import { checkRollout, type GateContext } from './health-gate.js';
import { checkVersionsDeployed, deleteStableDeployments } from './preflight.js';
import { emptyResult } from './status.js';

export class WorkloadCluster {
  private readonly checks: HealthCheckResult[] = [];
  private readonly gate: GateContext;

  constructor(
    private readonly options: RunOptions,
    private readonly connection: Connection,
    private readonly reporter: RunReporter,
    signal: AbortSignal,
  ) {
    this.gate = { kubeConfig: connection.kubeConfig, options, reporter, signal, checks: this.checks };
  }

  async prepare(): Promise<void> {
    const canaryDeployments = await checkVersionsDeployed(this.connection.client, this.options);
    if (!this.options.dryRun && this.options.stage !== 'rollback') {
      await checkRollout(this.gate, this.options.canary, canaryDeployments);
    }
  }

  async finish(): Promise<void> {
    if (this.options.stage === 'finalize' && this.options.deleteStable) {
      await deleteStableDeployments(this.connection.client, this.options, this.reporter);
    }
  }

  async release(): Promise<void> {
    await Promise.all([this.connection.client.close(), this.connection.restoreClient.close()]);
  }

  result(error?: StageResult['error']): StageResult {
    return {
      ...emptyResult(this.options),
      healthy: !error && this.checks.every((check) => check.ok),
      checks: this.checks,
      ...(error ? { error } : {}),
    };
  }
}
