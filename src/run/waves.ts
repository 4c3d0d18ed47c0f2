// One release across several clusters, driven through the phases of the single-cluster run (StageRun):
//
//   every cluster, in parallel: lease ∥ read ∥ Deployments, canary rollout      nothing written anywhere yet
//   wave 1: the stage in each of its clusters, in parallel, until healthy
//   wave 2, …: the same, each wave only after the one before is healthy in every cluster
//   finalize + delete-stable: in every workload cluster, once every wave is healthy
//   a failure anywhere (or a cancellation): the others stop, and every cluster this run changed is put
//   back to what was read there at the start, latest wave first
//   every lease released, every connection closed
import { CanaryError } from '../errors.js';
import { loadKubeConfigContexts } from '../kube/index.js';
import type { KubeConfig } from '../kube/client-node.js';
import { checkClusterWaves } from '../options/clusters.js';
import { splitDrift } from '../report/clusters.js';
import type {
  ClusterOutcome,
  ClusterResult,
  RunContext,
  RunOptions,
  RunReporter,
  StageResult,
} from '../types.js';
import { connectTo } from './connect.js';
import { asCanaryError, StageRun, type Failure } from './stage-run.js';
import { emptyResult, readStatus } from './status.js';
import { WorkloadCluster } from './workload-cluster.js';

interface Member {
  cluster: string;
  /** 1-based; undefined for a workload cluster. */
  wave: number | undefined;
  outcome: ClusterOutcome;
}

interface RoutingMember extends Member {
  wave: number;
  run: StageRun;
  failure?: Failure;
}

interface WorkloadMember extends Member {
  check: WorkloadCluster;
  error?: CanaryError;
}

/** Where a release across clusters failed first, and why. */
interface Cause {
  member: Member | undefined;
  error: CanaryError;
}

/** Thrown out of a parallel phase: its first failure. */
class PhaseFailure extends Error {
  constructor(readonly first: Cause) {
    super(first.error.message);
  }
}

export async function runWaves(
  options: RunOptions,
  context: RunContext,
  reporter: RunReporter,
): Promise<StageResult> {
  const waves = options.clusters ?? [];
  checkClusterWaves(waves);
  const workloadNames = options.workloadClusters ?? [];
  const loaded = loadKubeConfigContexts({ kubeconfig: options.kubeconfig, kubeConfig: context.kubeConfig }, [
    { field: 'clusters', names: waves.flat() },
    { field: 'workload-clusters', names: workloadNames },
  ]);
  // Every credential in the file, not only those of the contexts named: a log line may quote any of them.
  for (const secret of loaded.secrets) reporter.setSecret?.(secret);
  const configOf = (cluster: string): KubeConfig => {
    const config = loaded.byContext.get(cluster);
    if (!config) throw new Error(`context ${cluster} was not loaded`);
    return config;
  };
  if (options.stage === 'status') return statusAcross(options, waves, configOf, reporter, context.signal);
  return new Release(options, waves, workloadNames, configOf, reporter, context.signal).run();
}

/** What a cluster's log lines look like among the others': `[east-1] …`. */
function tagged(reporter: RunReporter, cluster: string): RunReporter {
  const tag = (message: string) => `[${cluster}] ${message}`;
  const progress = reporter.progress?.bind(reporter);
  // No groups: the clusters of a wave log at the same time, and groups cannot interleave.
  return {
    info: (message) => reporter.info(tag(message)),
    warning: (message) => reporter.warning(tag(message)),
    ...(progress ? { progress: (message: string) => progress(tag(message)) } : {}),
    ...(reporter.setSecret ? { setSecret: reporter.setSecret.bind(reporter) } : {}),
  };
}

/** The options of one cluster's part: its context, no waves. */
function singleCluster(options: RunOptions, cluster: string): RunOptions {
  const { clusters: _waves, workloadClusters: _workloads, ...rest } = options;
  return { ...rest, context: cluster };
}

function where(member: Member): string {
  return `"${member.cluster}" (${member.wave === undefined ? 'workloads' : `wave ${member.wave}`})`;
}

class Release {
  /** Stops the other clusters once one has failed. */
  private readonly stop = new AbortController();
  private readonly signal: AbortSignal;
  private readonly members: RoutingMember[];
  private readonly workloads: WorkloadMember[];

  constructor(
    private readonly options: RunOptions,
    private readonly waves: string[][],
    workloadNames: string[],
    configOf: (cluster: string) => KubeConfig,
    private readonly reporter: RunReporter,
    private readonly cancel: AbortSignal | undefined,
  ) {
    this.signal = cancel ? AbortSignal.any([cancel, this.stop.signal]) : this.stop.signal;
    // The requests stop only on a cancellation. A failure elsewhere stops the waits (lease, health, pauses)
    // but lets a write in flight finish, so that it is recorded and the restore undoes it too.
    const connection = (cluster: string) => connectTo(configOf(cluster), options, cancel);
    const ownWorkloads = workloadNames.length === 0;
    this.members = waves.flatMap((clusters, index) =>
      clusters.map((cluster, position) => ({
        cluster,
        wave: index + 1,
        outcome: 'not reached' as const,
        run: new StageRun(
          singleCluster(options, cluster),
          connection(cluster),
          tagged(reporter, cluster),
          this.signal,
          // The first cluster reads the Service's port for the release's pull-request comment.
          { ownWorkloads, readsServicePort: index === 0 && position === 0 },
        ),
      })),
    );
    this.workloads = workloadNames.map((cluster) => ({
      cluster,
      wave: undefined,
      outcome: 'not reached' as const,
      check: new WorkloadCluster(
        singleCluster(options, cluster),
        connection(cluster),
        tagged(reporter, cluster),
        this.signal,
      ),
    }));
  }

  async run(): Promise<StageResult> {
    try {
      // Leases, reads and Deployment checks in every cluster before the first write anywhere.
      await this.together([
        ...this.members.map((member) => ({ member, work: () => member.run.prepare() })),
        ...this.workloads.map((member) => ({ member, work: () => member.check.prepare() })),
      ]);
      for (const [index, clusters] of this.waves.entries()) {
        this.reporter.info(`wave ${index + 1}/${this.waves.length}: ${clusters.join(', ')}`);
        const wave = this.members.filter((member) => member.wave === index + 1);
        await this.together(
          wave.map((member) => ({
            member,
            work: async () => {
              await member.run.apply();
              member.outcome = 'healthy';
            },
          })),
        );
      }
      await this.together([
        ...this.members.map((member) => ({ member, work: () => member.run.finish() })),
        ...this.workloads.map((member) => ({
          member,
          work: async () => {
            await member.check.finish();
            member.outcome = 'healthy';
          },
        })),
      ]);
      return this.combined();
    } catch (err) {
      const cause =
        err instanceof PhaseFailure ? err.first : { member: undefined, error: asCanaryError(err) };
      await this.restoreAll(cause);
      return this.combined(cause);
    } finally {
      await Promise.all([
        ...this.members.map((member) => member.run.release()),
        ...this.workloads.map((member) => member.check.release()),
      ]);
    }
  }

  /**
   * Runs the work of several clusters at once. The first failure stops the others (through the shared
   * signal) and is thrown once all have settled, so that no cluster is still writing when the restore
   * starts.
   */
  private async together(tasks: { member: Member; work: () => Promise<void> }[]): Promise<void> {
    let first: Cause | undefined;
    await Promise.all(
      tasks.map(async ({ member, work }) => {
        try {
          await work();
        } catch (err) {
          const cancelled = this.cancel?.aborted ?? false;
          if (first || cancelled) {
            member.outcome = 'stopped';
            first ??= { member: undefined, error: cancellation(this.cancel?.reason) };
            return;
          }
          member.outcome = 'failed';
          first = { member, error: asCanaryError(err) };
          if (isWorkload(member)) member.error = first.error;
          this.stop.abort(new CanaryError('cancelled', `stopped: cluster ${where(member)} failed`));
        }
      }),
    );
    if (first) throw new PhaseFailure(first);
  }

  /** Every cluster this run changed goes back, latest wave first; the clusters of a wave together. */
  private async restoreAll(cause: Cause): Promise<void> {
    for (let wave = this.waves.length; wave >= 1; wave -= 1) {
      const members = this.members.filter((member) => member.wave === wave);
      await Promise.all(
        members.map(async (member) => {
          const error = this.errorFor(member, cause);
          // A cluster with nothing written has nothing to put back, and nothing to warn about.
          member.failure = member.run.changed
            ? await member.run.putBack(error)
            : { error, rolledBack: false, restored: [] };
        }),
      );
    }
  }

  /** The failing cluster keeps its own error; every other says where the release failed. */
  private errorFor(member: Member, cause: Cause): CanaryError {
    if (member === cause.member || !cause.member) return cause.error;
    return new CanaryError(cause.error.code, `cluster ${where(cause.member)} failed`);
  }

  private combined(cause?: Cause): StageResult {
    const clusters: ClusterResult[] = [
      ...this.members.map((member) => ({
        cluster: member.cluster,
        wave: member.wave,
        outcome: member.outcome,
        restored: member.failure?.rolledBack ? member.failure.restored : [],
        result: member.run.result(member.failure),
      })),
      ...this.workloads.map((member) => ({
        cluster: member.cluster,
        outcome: member.outcome,
        restored: [],
        result: member.check.result(member.error ?? (cause ? this.errorFor(member, cause) : undefined)),
      })),
    ];
    return summed(this.options, clusters, cause && this.releaseError(cause));
  }

  /** One line: where it failed and why, what was restored where, and what could not be. */
  private releaseError(cause: Cause): CanaryError {
    const restored = this.members.filter((member) => member.failure?.rolledBack).map(where);
    const left = this.members.filter((member) => member.run.changed && !member.failure?.rolledBack);
    const parts = [
      `${cause.member ? `cluster ${where(cause.member)}: ` : ''}${cause.error.message}`,
      restored.length > 0
        ? `restored ${restored.join(', ')} to the routing read at the start`
        : 'nothing had been written',
    ];
    if (left.length > 0) {
      parts.push(
        this.options.rollbackOnFailure
          ? `the rollback failed in ${left.map(where).join(', ')}: see their rows`
          : `rollback-on-failure is off: the new routing stays in ${left.map(where).join(', ')}`,
      );
    }
    return new CanaryError(cause.error.code, parts.join('; '));
  }
}

function isWorkload(member: Member): member is WorkloadMember {
  return member.wave === undefined;
}

function cancellation(reason: unknown): CanaryError {
  if (reason instanceof CanaryError && reason.code === 'cancelled') return reason;
  return new CanaryError('cancelled', 'the run was cancelled before it finished');
}

/** The run as one result: each cluster's in `clusters`, the sums above them. */
function summed(options: RunOptions, clusters: ClusterResult[], error?: CanaryError): StageResult {
  const routing = clusters.filter((cluster) => cluster.wave !== undefined).map(({ result }) => result);
  const first = routing[0] ?? emptyResult(options);
  return {
    ...emptyResult(options),
    changed: routing.some((result) => result.changed),
    healthy: !error && clusters.every((cluster) => cluster.result.healthy),
    rolledBack: routing.some((result) => result.rolledBack),
    previousWeight: first.previousWeight,
    weight: first.weight,
    before: first.before,
    after: first.after,
    ...(first.servicePort !== undefined ? { servicePort: first.servicePort } : {}),
    ...(error ? { error } : {}),
    clusters,
  };
}

/** `status` in every cluster at once, with a warning when their splits differ. */
async function statusAcross(
  options: RunOptions,
  waves: string[][],
  configOf: (cluster: string) => KubeConfig,
  reporter: RunReporter,
  signal: AbortSignal | undefined,
): Promise<StageResult> {
  const clusters = await Promise.all(
    waves.flatMap((names, index) =>
      names.map(async (cluster): Promise<ClusterResult> => {
        const one = singleCluster(options, cluster);
        const { client } = connectTo(configOf(cluster), options, signal);
        const base = { cluster, wave: index + 1, restored: [] };
        try {
          return { ...base, outcome: 'read', result: await readStatus(client, one) };
        } catch (err) {
          return { ...base, outcome: 'failed', result: { ...emptyResult(one), error: asCanaryError(err) } };
        } finally {
          await client.close();
        }
      }),
    ),
  );
  const drift = splitDrift(clusters);
  if (drift) reporter.warning(drift);
  const failed = clusters.find((cluster) => cluster.result.error);
  const error =
    failed?.result.error &&
    new CanaryError(failed.result.error.code, `cluster "${failed.cluster}": ${failed.result.error.message}`);
  return summed(options, clusters, error);
}
