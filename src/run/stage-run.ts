// One run of one stage, from the first read to a healthy end state, or back to exactly where it started.
//
//   lease ∥ read routing ∥ list Deployments     one round trip
//   canary rollout (already done: no request)    the Deployments listed above
//   plan (pure) → checks → writes in order       one round trip per object written
//   propagation, probe, analysis                 only what the options ask for
//   release the lease                            one round trip
import { CanaryError } from '../errors.js';
import {
  acquireLease,
  kubeMessages,
  leaseHolderIdentity,
  readServicePort,
  type LeaseHandle,
} from '../kube/index.js';
import { planProgressiveStep, planStage } from '../plan/plan-stage.js';
import { toYaml } from '../plan/diff.js';
import type { ClusterState, Plan, RoutingObject, StageOptions } from '../plan/types.js';
import type { HealthCheckResult, RunOptions, RunReporter, StageResult } from '../types.js';
import { applyPlan } from './apply-plan.js';
import type { Connection } from './connect.js';
import { checkRollout, checkTraffic, type GateContext } from './health-gate.js';
import { WriteJournal } from './journal.js';
import { checkVersionsDeployed } from './preflight.js';
import { waitForPropagationOf } from './propagation.js';

/** How long a run holds the lease without renewing it: a crashed run frees it after this. */
const LEASE_SECONDS = 60;

export class StageRun {
  private readonly journal: WriteJournal;
  private readonly checks: HealthCheckResult[] = [];
  private readonly gate: GateContext;
  private lastPlan: Plan | undefined;
  private firstPlan: Plan | undefined;
  private written: RoutingObject[] = [];
  private readonly notes: string[] = [];
  private servicePort: number | undefined;

  constructor(
    private readonly options: RunOptions,
    private readonly connection: Connection,
    private readonly reporter: RunReporter,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.journal = new WriteJournal(options.namespace);
    this.gate = { kubeConfig: connection.kubeConfig, options, reporter, signal, checks: this.checks };
  }

  async execute(): Promise<StageResult> {
    const { client } = this.connection;
    let lease: LeaseHandle | undefined;
    try {
      // One round trip: the lease, the routing and the Deployments are asked for at once. All three are
      // awaited, so that a lease taken while a read failed is still released.
      // The Service's port (for the PR comment's curl) rides along; it never fails the run.
      const [leaseTaken, read, listed, port] = await Promise.allSettled([
        this.options.dryRun ? undefined : this.takeLease(),
        client.readRouting(this.options.namespace),
        checkVersionsDeployed(client, this.options),
        readServicePort(client, this.options.namespace, this.options.service),
      ]);
      if (port.status === 'fulfilled') this.servicePort = port.value;
      if (leaseTaken.status === 'fulfilled') lease = leaseTaken.value;
      if (lease?.takenOver) this.noteTakeOver(lease);
      const state = valueOf(read);
      const canaryDeployments = valueOf(listed);
      valueOf(leaseTaken);
      if (!this.options.dryRun && this.sendsTrafficToCanary()) {
        await this.phase('canary rollout', () =>
          checkRollout(this.gate, this.options.canary, canaryDeployments),
        );
      }
      if (this.options.stage === 'progressive') await this.progressive(state);
      else await this.single(state);
      if (lease?.lost) throw lease.lost;
      return this.result();
    } catch (err) {
      return this.result(await this.recover(err));
    } finally {
      await lease
        ?.release()
        .catch((err: unknown) => this.reporter.warning(`could not release the lease: ${String(err)}`));
      await Promise.all([this.connection.client.close(), this.connection.restoreClient.close()]);
    }
  }

  private sendsTrafficToCanary(): boolean {
    return this.options.stage !== 'rollback';
  }

  private takeLease(): Promise<LeaseHandle> {
    return acquireLease(this.connection.client, {
      namespace: this.options.namespace,
      service: this.options.service,
      holder: leaseHolderIdentity(this.options.runUrl),
      durationSeconds: LEASE_SECONDS,
      waitSeconds: this.options.timeoutSeconds,
      signal: this.signal,
      // Back to stable is the safe direction: a run that stopped renewing (killed) does not hold it up.
      takeOverStale: this.options.stage === 'rollback',
      onWait: (message) => (this.reporter.progress ?? this.reporter.info)(message),
    });
  }

  private noteTakeOver(lease: LeaseHandle): void {
    const { holder, renewedAt } = lease.takenOver ?? { holder: '', renewedAt: new Date(0) };
    const note = kubeMessages.leaseTakenOver(lease.name, holder, renewedAt.toISOString());
    this.reporter.warning(note);
    this.notes.push(note);
  }

  private phase<T>(name: string, work: () => Promise<T>): Promise<T> {
    return this.reporter.group ? this.reporter.group(name, work) : work();
  }

  /** Writes one plan and waits for what it asked to be healthy. */
  private async writeAndCheck(
    state: ClusterState,
    makePlan: (state: ClusterState) => Plan,
  ): Promise<ClusterState> {
    const { client } = this.connection;
    const applied = await this.phase(`write ${this.options.stage}`, () =>
      applyPlan(client, state, makePlan, {
        namespace: this.options.namespace,
        dryRun: this.options.dryRun,
        reporter: this.reporter,
        journal: this.journal,
        afterWrite: (written) => waitForPropagationOf(this.gate, written),
      }),
    );
    this.firstPlan ??= applied.plan;
    this.lastPlan = applied.plan;
    this.written = applied.written;
    if (!applied.plan.changed) this.reporter.info('routing already as planned: nothing to write');
    if (!this.options.dryRun && this.options.stage !== 'rollback') {
      await this.phase('traffic checks', () => checkTraffic(this.gate));
    }
    return afterWrites(state, applied.written);
  }

  private async single(state: ClusterState): Promise<void> {
    await this.writeAndCheck(state, (current) => planStage(this.options, current));
    if (this.options.stage === 'finalize' && this.options.deleteStable) await this.deleteStable();
  }

  /** `shift` through the steps with the checks at each; the first failure goes back to 100% stable. */
  private async progressive(initial: ClusterState): Promise<void> {
    const steps = this.options.steps ?? [];
    let state = initial;
    for (const [index, weight] of steps.entries()) {
      this.reporter.info(`step ${index + 1}/${steps.length}: ${this.options.canary} at ${weight}%`);
      state = await this.writeAndCheck(state, (current) =>
        planProgressiveStep(this.options, current, weight),
      );
      if (index < steps.length - 1 && !this.options.dryRun) await this.pause(this.options.intervalSeconds);
    }
    const promote: StageOptions = { ...this.options, stage: 'promote' };
    await this.writeAndCheck(state, (current) => planStage(promote, current));
  }

  private async pause(seconds: number): Promise<void> {
    if (seconds <= 0) return;
    this.reporter.progress?.(`waiting ${seconds} s before the next step`);
    const { setTimeout: sleep } = await import('node:timers/promises');
    try {
      await sleep(seconds * 1000, undefined, { signal: this.signal });
    } catch {
      throw new CanaryError(
        'cancelled',
        'the run was cancelled between two steps: it rolls back what it wrote',
      );
    }
  }

  private async deleteStable(): Promise<void> {
    const selector = `app=${this.options.service},${this.options.versionLabel}=${this.options.stable}`;
    const deleted = await this.connection.client.deleteDeployments(this.options.namespace, selector);
    this.reporter.info(
      `deleted the stable Deployment(s) ${deleted.join(', ') || '(none left)'} (${selector})`,
    );
  }

  /**
   * After a failure: put back what was written (progressive: 100% stable), unless told not to. Returns the
   * error to report, saying what state the cluster is in.
   */
  private async recover(err: unknown): Promise<{ error: CanaryError; rolledBack: boolean }> {
    const error = this.signal?.aborted ? cancellation(this.signal.reason) : asCanaryError(err);
    // The failure itself is reported once, by the caller (the action fails the step with it).
    this.reporter.info(`failed: ${error.message}`);
    if (this.journal.empty) return { error, rolledBack: false };
    if (!this.options.rollbackOnFailure) {
      return {
        error: new CanaryError(
          error.code,
          `${error.message} (rollback-on-failure is off: the new routing stays in place)`,
        ),
        rolledBack: false,
      };
    }
    try {
      const restored = await this.phase('rollback', () =>
        this.journal.restore(this.connection.restoreClient),
      );
      this.reporter.warning(`rolled back: ${restored.join(', ')}`);
      return { error, rolledBack: true };
    } catch (restoreErr) {
      const why = asCanaryError(restoreErr).message;
      return {
        error: new CanaryError(
          error.code,
          `${error.message}; the rollback failed too (${why}): the routing of ${this.options.host} is as this run left it — restore it with: istio-canary rollback --service ${this.options.service} --namespace ${this.options.namespace} --stable ${this.options.stable} --canary ${this.options.canary}`,
        ),
        rolledBack: false,
      };
    }
  }

  private result(failure?: { error: CanaryError; rolledBack: boolean }): StageResult {
    const plan = this.lastPlan;
    const first = this.firstPlan;
    const written = (kind: RoutingObject['kind']) =>
      this.written.find((object) => object.kind === kind) ??
      (kind === 'VirtualService' ? plan?.virtualService : plan?.destinationRule);
    const yamlOf = (object: RoutingObject | undefined) => (object ? toYaml(object) : '');
    const healthy = !failure && this.checks.every((check) => check.ok);
    return {
      stage: this.options.stage,
      service: this.options.service,
      namespace: this.options.namespace,
      stable: this.options.stable,
      canary: this.options.canary,
      dryRun: this.options.dryRun,
      changed: !failure && (plan?.changed ?? false),
      healthy,
      rolledBack: failure?.rolledBack ?? false,
      // Absent, never 0, when no plan was made: a weight that was not read must not be reported.
      previousWeight: first?.previousWeight,
      weight: failure?.rolledBack ? first?.previousWeight : (plan?.weight ?? first?.previousWeight),
      before: first?.before ?? [],
      after: failure?.rolledBack ? (first?.before ?? []) : (plan?.after ?? []),
      checks: this.checks,
      virtualServiceYaml: yamlOf(written('VirtualService')),
      destinationRuleYaml: yamlOf(written('DestinationRule')),
      diff: first && plan ? (first === plan ? plan.diff : `${first.diff}${plan.diff}`) : '',
      ...(this.notes.length > 0 ? { notes: this.notes } : {}),
      ...(this.servicePort !== undefined ? { servicePort: this.servicePort } : {}),
      ...(failure ? { error: failure.error } : {}),
    };
  }
}

/** The routing state after our writes, for the next step's plan without another read. */
function afterWrites(state: ClusterState, written: RoutingObject[]): ClusterState {
  const replace = <T extends RoutingObject>(objects: T[], kind: T['kind']): T[] => {
    // The last write of each object wins (finalize writes its DestinationRule twice).
    const byName = new Map(written.filter((o): o is T => o.kind === kind).map((o) => [o.metadata.name, o]));
    const ours = [...byName.values()];
    const rest = objects.filter(
      (object) => !ours.some((mine) => mine.metadata.name === object.metadata.name),
    );
    return [...rest, ...ours];
  };
  return {
    virtualServices: replace(state.virtualServices, 'VirtualService'),
    destinationRules: replace(state.destinationRules, 'DestinationRule'),
  };
}

function valueOf<T>(outcome: PromiseSettledResult<T>): T {
  if (outcome.status === 'rejected') throw outcome.reason;
  return outcome.value;
}

/** What a cancelled run reports, whatever the signal's reason was. */
function cancellation(reason: unknown): CanaryError {
  if (reason instanceof CanaryError && reason.code === 'cancelled') return reason;
  return new CanaryError('cancelled', 'the run was cancelled before it finished');
}

export function asCanaryError(err: unknown): CanaryError {
  if (err instanceof CanaryError) return err;
  return new CanaryError('api-error', err instanceof Error ? err.message : String(err), { cause: err });
}
