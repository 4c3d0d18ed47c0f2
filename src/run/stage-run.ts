// One run of one stage, from the first read to a healthy end state, or back to exactly where it started.
//
//   lease ∥ read routing ∥ list Deployments     one round trip (Istio's and Gateway API's routing both)
//   choose the routing API (routing-choice.ts)  no request
//   canary rollout (already done: no request)    the Deployments listed above
//   plan (pure) → checks → writes in order       one round trip per batch of writes
//   propagation, probe, analysis                 only what the options ask for
//   release the lease                            one round trip
import { CanaryError } from '../errors.js';
import {
  acquireLease,
  isCode,
  kubeMessages,
  leaseHolderIdentity,
  readServicePort,
  releaseIfHeldBy,
  type LeaseHandle,
} from '../kube/index.js';
import { lazyProperties } from '../plan/lazy.js';
import type { StageOptions } from '../plan/types.js';
import type { HealthCheckResult, RunOptions, RunReporter, StageResult } from '../types.js';
import type { Connection } from './connect.js';
import { checkRollout, checkTraffic, type GateContext } from './health-gate.js';
import { WriteJournal } from './journal.js';
import { checkVersionsDeployed, deleteStableDeployments } from './preflight.js';
import { waitForPropagationOf, waitForRoutesOf } from './propagation.js';
import { chooseRoutingPath, readRoutingOf } from './routing-choice.js';
import type { RoutingPath } from './routing-path.js';

/** How long a run holds the lease without renewing it: a crashed run frees it after this. */
const LEASE_SECONDS = 60;

/** How a failed run ended: the error to report, and what was put back. */
export interface Failure {
  error: CanaryError;
  rolledBack: boolean;
  /** `restored VirtualService default/reviews`, … in the order it was done. */
  restored: string[];
}

export interface StageRunSetup {
  /**
   * Whether this run checks the Deployments in its own cluster (default). Off when the routing lives in a
   * config cluster and the Deployments are checked in the workload clusters instead.
   */
  ownWorkloads?: boolean;
  /**
   * Whether this run reads the Service's port for the pull-request comment (default). Across clusters one
   * cluster reads it for the release: the comment is one, and its curl names the same Service everywhere.
   */
  readsServicePort?: boolean;
}

/**
 * The run in phases, so that one cluster's run and a release across several clusters drive the same code:
 * prepare (lease, read, preflight) → apply (writes and health) → finish (delete-stable) → result; after a
 * failure restore(); always release().
 */
export class StageRun {
  private readonly journal: WriteJournal;
  private readonly checks: HealthCheckResult[] = [];
  private readonly gate: GateContext;
  private readonly ownWorkloads: boolean;
  private readonly readsServicePort: boolean;
  /** The routing API the stage runs on, chosen after the first read. */
  private path: RoutingPath | undefined;
  private lease: LeaseHandle | undefined;
  /** The lease request was cancelled in flight: the server may hold a lease in our name all the same. */
  private leaseInDoubt = false;
  private readonly notes: string[] = [];
  private servicePort: number | undefined;

  constructor(
    private readonly options: RunOptions,
    private readonly connection: Connection,
    private readonly reporter: RunReporter,
    private readonly signal: AbortSignal | undefined,
    setup: StageRunSetup = {},
  ) {
    this.journal = new WriteJournal(options.namespace);
    this.gate = { kubeConfig: connection.kubeConfig, options, reporter, signal, checks: this.checks };
    this.ownWorkloads = setup.ownWorkloads ?? true;
    this.readsServicePort = setup.readsServicePort ?? true;
  }

  /** One cluster, start to end: what runStage does without `clusters`. */
  async execute(): Promise<StageResult> {
    try {
      await this.prepare();
      await this.apply();
      await this.finish();
      return this.result();
    } catch (err) {
      return this.result(await this.restore(err));
    } finally {
      await this.release();
    }
  }

  /** True once something was written that a restore would have to undo. */
  get changed(): boolean {
    return !this.journal.empty;
  }

  /**
   * Before any write: the lease, the routing (the namespace's, and the other namespaces' VirtualServices)
   * and the Deployments, asked for at once (one round trip), then
   * the canary's rollout. All three are awaited, so that a lease taken while a read failed is still released.
   */
  async prepare(): Promise<void> {
    const { client } = this.connection;
    const reads = readRoutingOf(client, this.options, this.reporter);
    // The Service's port (for the pull-request comment's curl) rides along; it never fails the run.
    const [leaseTaken, , , listed, port] = await Promise.allSettled([
      this.options.dryRun ? undefined : this.takeLease(),
      reads.istio,
      reads.gateway,
      this.ownWorkloads ? checkVersionsDeployed(client, this.options) : [],
      this.readsServicePort
        ? readServicePort(client, this.options.namespace, this.options.service)
        : undefined,
    ]);
    if (port.status === 'fulfilled') this.servicePort = port.value;
    if (leaseTaken.status === 'fulfilled') this.lease = leaseTaken.value;
    else this.leaseInDoubt = isCode(leaseTaken.reason, 'cancelled');
    if (this.lease?.takenOver) this.noteTakeOver(this.lease);
    this.path = await chooseRoutingPath(this.options, reads, {
      client,
      namespace: this.options.namespace,
      dryRun: this.options.dryRun,
      reporter: this.reporter,
      journal: this.journal,
      afterWrite: (written) => waitForPropagationOf(this.gate, written),
      afterRoutes: (routes) => waitForRoutesOf(this.gate, routes),
    });
    const canaryDeployments = valueOf(listed);
    valueOf(leaseTaken);
    if (this.ownWorkloads && !this.options.dryRun && sendsTrafficToCanary(this.options)) {
      await this.phase('canary rollout', () =>
        checkRollout(this.gate, this.options.canary, canaryDeployments),
      );
    }
  }

  /** The stage's writes, each followed by its health checks (progressive: every step). */
  async apply(): Promise<void> {
    const path = this.path;
    if (!path) throw new Error('StageRun.apply() before prepare()');
    if (this.options.stage === 'progressive') await this.progressive(path);
    else await this.writeAndCheck(path, this.options);
    if (this.lease?.lost) throw this.lease.lost;
  }

  /** After the routing is healthy: finalize with `delete-stable` deletes the stable Deployment(s). */
  async finish(): Promise<void> {
    if (this.options.stage === 'finalize' && this.options.deleteStable && this.ownWorkloads) {
      await deleteStableDeployments(this.connection.client, this.options, this.reporter);
    }
  }

  /** Frees the lease and the connections, whatever happened. */
  async release(): Promise<void> {
    const release = this.leaseInDoubt
      ? releaseIfHeldBy(this.connection.client, { ...this.options, holder: this.holder() })
      : this.lease?.release();
    await release?.catch((err: unknown) =>
      this.reporter.warning(`could not release the lease: ${String(err)}`),
    );
    await Promise.all([this.connection.client.close(), this.connection.restoreClient.close()]);
  }

  private takeLease(): Promise<LeaseHandle> {
    return acquireLease(this.connection.client, {
      namespace: this.options.namespace,
      service: this.options.service,
      holder: this.holder(),
      durationSeconds: LEASE_SECONDS,
      waitSeconds: this.options.timeoutSeconds,
      signal: this.signal,
      // Back to stable is the safe direction: a run that stopped renewing (killed) does not hold it up.
      takeOverStale: this.options.stage === 'rollback',
      onWait: (message) => (this.reporter.progress ?? this.reporter.info)(message),
    });
  }

  private holder(): string {
    return leaseHolderIdentity(this.options.runUrl);
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

  /** Writes one plan (a progressive step at `stepWeight`) and waits for what it asked to be healthy. */
  private async writeAndCheck(path: RoutingPath, options: StageOptions, stepWeight?: number): Promise<void> {
    const { changed } = await this.phase(`write ${this.options.stage}`, () =>
      path.write(options, stepWeight),
    );
    if (!changed) this.reporter.info('routing already as planned: nothing to write');
    if (!this.options.dryRun && sendsTrafficToCanary(this.options)) {
      await this.phase('traffic checks', () => checkTraffic(this.gate));
    }
  }

  /** `shift` through the steps with the checks at each; the first failure goes back to 100% stable. */
  private async progressive(path: RoutingPath): Promise<void> {
    const steps = this.options.steps ?? [];
    for (const [index, weight] of steps.entries()) {
      this.reporter.info(`step ${index + 1}/${steps.length}: ${this.options.canary} at ${weight}%`);
      await this.writeAndCheck(path, this.options, weight);
      if (index < steps.length - 1 && !this.options.dryRun) await this.pause(this.options.intervalSeconds);
    }
    await this.writeAndCheck(path, { ...this.options, stage: 'promote' });
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

  /**
   * After a failure: put back what was written (progressive: 100% stable), unless told not to. Returns the
   * error to report, saying what state the cluster is in.
   */
  restore(err: unknown): Promise<Failure> {
    return this.putBack(this.signal?.aborted ? cancellation(this.signal.reason) : asCanaryError(err));
  }

  /** Puts back what this run wrote, reporting `error` as the reason (across clusters: the cause elsewhere). */
  async putBack(error: CanaryError): Promise<Failure> {
    // The failure itself is reported once, by the caller (the action fails the step with it).
    this.reporter.info(`failed: ${error.message}`);
    if (this.journal.empty) return { error, rolledBack: false, restored: [] };
    if (!this.options.rollbackOnFailure) {
      return {
        error: new CanaryError(
          error.code,
          `${error.message} (rollback-on-failure is off: the new routing stays in place)`,
        ),
        rolledBack: false,
        restored: [],
      };
    }
    try {
      const restored = await this.phase('rollback', () =>
        this.journal.restore(this.connection.restoreClient),
      );
      this.reporter.warning(`rolled back: ${restored.join(', ')}`);
      return { error, rolledBack: true, restored };
    } catch (restoreErr) {
      const why = asCanaryError(restoreErr).message;
      return {
        error: new CanaryError(
          error.code,
          `${error.message}; the rollback failed too (${why}): the routing of ${this.options.host} is as this run left it — restore it with: istio-canary rollback --service ${this.options.service} --namespace ${this.options.namespace} --stable ${this.options.stable} --canary ${this.options.canary}`,
        ),
        rolledBack: false,
        restored: [],
      };
    }
  }

  result(failure?: Failure): StageResult {
    const rolledBack = failure?.rolledBack ?? false;
    const { lazy, changed, ...routing } = this.path?.outcome(rolledBack) ?? {
      changed: false,
      before: [],
      after: [],
      routes: [],
      objects: [],
      lazy: {
        diff: () => '',
        virtualServiceYaml: () => '',
        destinationRuleYaml: () => '',
        before: () => [],
        after: () => [],
        routes: () => [],
      },
    };
    const result = {
      stage: this.options.stage,
      service: this.options.service,
      namespace: this.options.namespace,
      stable: this.options.stable,
      canary: this.options.canary,
      dryRun: this.options.dryRun,
      changed: !failure && changed,
      healthy: !failure && this.checks.every((check) => check.ok),
      rolledBack,
      ...routing,
      checks: this.checks,
      ...(this.notes.length > 0 ? { notes: this.notes } : {}),
      ...(this.servicePort !== undefined ? { servicePort: this.servicePort } : {}),
      ...(failure ? { error: failure.error } : {}),
    };
    // The YAML, the diff and the routing rows are made once, when the outputs, the summary or a caller
    // read them.
    return lazyProperties<
      StageResult,
      'diff' | 'virtualServiceYaml' | 'destinationRuleYaml' | 'before' | 'after' | 'routes'
    >(result, lazy);
  }
}

function valueOf<T>(outcome: PromiseSettledResult<T>): T {
  if (outcome.status === 'rejected') throw outcome.reason;
  return outcome.value;
}

/** Every stage but rollback sends traffic to the canary: its rollout and the traffic checks matter. */
function sendsTrafficToCanary(options: RunOptions): boolean {
  return options.stage !== 'rollback';
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
