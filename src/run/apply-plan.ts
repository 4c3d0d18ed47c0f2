// Writing a plan: in its make-before-break batches (the VirtualServices of a stage together), each write
// conditional on the resourceVersion it was planned from. A 409 means someone changed an object between our read and our write: read again, plan
// again from what they wrote, and write again (bounded) — their change survives, ours goes on top.
import { CanaryError } from '../errors.js';
import { isCode, type ClusterClient } from '../kube/index.js';
import type { ClusterState, Plan, RoutingObject, WriteStep } from '../plan/types.js';
import { writeBatches } from '../plan/write-order.js';
import type { RunReporter } from '../types.js';
import { objectKey, type WriteJournal } from './journal.js';
import { keepRoutesElsewhere } from './routes-elsewhere.js';

export const CONFLICT_ATTEMPTS = 4;

export interface ApplyOptions {
  namespace: string;
  dryRun: boolean;
  reporter: RunReporter;
  journal: WriteJournal;
  /** Called after each real write (not on a dry run): wait until the proxies have it. */
  afterWrite?: (written: RoutingObject) => Promise<void>;
}

export interface Applied {
  plan: Plan;
  /** The objects as the server answered the writes (with their new generation). */
  written: RoutingObject[];
}

/**
 * Plans from `state` (read once more on each conflict) and writes the plan. `makePlan` is pure; it runs
 * again on each attempt so the plan always starts from what the cluster holds.
 */
export async function applyPlan(
  client: ClusterClient,
  state: ClusterState,
  makePlan: (state: ClusterState) => Plan,
  options: ApplyOptions,
): Promise<Applied> {
  let current = state;
  for (let attempt = 1; ; attempt += 1) {
    const plan = makePlan(current);
    try {
      return { plan, written: await writeInOrder(client, plan, options) };
    } catch (err) {
      if (!isCode(err, 'conflict')) throw err;
      if (attempt >= CONFLICT_ATTEMPTS) {
        throw new CanaryError(
          'conflict',
          `another writer kept changing the routing of ${plan.options.host} in "${options.namespace}" (${attempt} conflicts in a row): find who else writes it (kubectl get virtualservice,destinationrule -n ${options.namespace} --show-managed-fields) and run again`,
          { cause: err },
        );
      }
      options.reporter.warning(
        `the routing of ${plan.options.host} changed while we were writing it: reading it again (attempt ${attempt + 1} of ${CONFLICT_ATTEMPTS})`,
      );
      current = keepRoutesElsewhere(await client.readRouting(options.namespace), state, options.namespace);
    }
  }
}

/**
 * Writes the plan's batches in order. The writes of one batch go out together (one round trip), each with
 * its own precondition; a failed one fails the batch, once every write the server took is in the journal,
 * so a restore puts back everything this run changed.
 */
async function writeInOrder(
  client: ClusterClient,
  plan: Plan,
  options: ApplyOptions,
): Promise<RoutingObject[]> {
  const written: RoutingObject[] = [];
  // The resourceVersion each object must still have: from the read, then from our own previous write
  // (finalize writes the DestinationRule twice).
  const versions = new Map<string, string | undefined>();
  for (const step of plan.writes) {
    const key = objectKey(step.after, options.namespace);
    if (!versions.has(key)) versions.set(key, step.before?.metadata.resourceVersion);
  }
  const writeOne = (step: WriteStep): Promise<RoutingObject> => {
    // Only the metadata changes: the planned object is not copied deeper (its spec is only serialised).
    const body = { ...step.after, metadata: { ...step.after.metadata } };
    const resourceVersion = versions.get(objectKey(step.after, options.namespace));
    if (resourceVersion) body.metadata.resourceVersion = resourceVersion;
    else delete body.metadata.resourceVersion;
    options.reporter.info(
      `${options.dryRun ? 'dry run: ' : ''}${step.action} ${step.kind} ${options.namespace}/${step.after.metadata.name}: ${step.reason}`,
    );
    return client.write(body, { dryRun: options.dryRun });
  };
  for (const batch of writeBatches(plan.writes)) {
    const outcomes = await Promise.allSettled(batch.map(writeOne));
    const group = options.journal.newGroup();
    const taken: RoutingObject[] = [];
    outcomes.forEach((outcome, index) => {
      const step = batch[index];
      if (outcome.status !== 'fulfilled' || !step) return;
      taken.push(outcome.value);
      if (options.dryRun) return;
      // Recorded once the server took it: a failed write changed nothing that a restore would need to undo.
      options.journal.record(step.after, step.before, group);
      versions.set(objectKey(step.after, options.namespace), outcome.value.metadata.resourceVersion);
    });
    written.push(...taken);
    const failed = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failed) throw failed.reason;
    if (!options.dryRun) await Promise.all(taken.map((object) => options.afterWrite?.(object)));
  }
  return written;
}
