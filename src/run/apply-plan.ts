// Writing a plan, whatever the routing API: in its make-before-break batches (the routes of a stage
// together), each write conditional on the resourceVersion it was planned from. A 409 means someone changed
// an object between our read and our write: read again, plan again from what they wrote, and write again
// (bounded) — their change survives, ours goes on top.
import { CanaryError } from '../errors.js';
import { isCode, type WrittenObject } from '../kube/index.js';
import { writeBatches } from '../plan/write-order.js';
import type { RunReporter } from '../types.js';
import { objectKey, type WriteJournal } from './journal.js';

export const CONFLICT_ATTEMPTS = 4;

/** One write of a plan, as every routing API plans it (a delete has no `after`). */
export interface PlannedWrite {
  kind: string;
  batch: number;
  action: string;
  before?: WrittenObject;
  after?: WrittenObject;
  reason: string;
}

export interface WritablePlan<S extends PlannedWrite = PlannedWrite> {
  options: { host: string };
  writes: S[];
}

/** A routing API's side of the write loop. */
export interface PlanIo<State, S extends PlannedWrite> {
  /** Reads the routing again, after a conflict. */
  reread(previous: State): Promise<State>;
  /**
   * Sends one step, on the condition that its object is still at `resourceVersion` (undefined: it must
   * not exist yet). Answers the object as the server stored it (none for a delete).
   */
  send(step: S, resourceVersion: string | undefined): Promise<WrittenObject | undefined>;
  /** What a user lists to find the other writer: `virtualservice,destinationrule`. */
  kinds: string;
}

export interface ApplyOptions {
  namespace: string;
  dryRun: boolean;
  reporter: RunReporter;
  journal: WriteJournal;
  /** Called after each batch's real writes (not on a dry run), with the objects the server answered. */
  afterBatch?: (written: WrittenObject[]) => Promise<void>;
}

export interface Applied<P> {
  plan: P;
  /** The objects as the server answered the writes (with their new generation). */
  written: WrittenObject[];
}

/**
 * Plans from `state` (read once more on each conflict) and writes the plan. `makePlan` is pure; it runs
 * again on each attempt so the plan always starts from what the cluster holds.
 */
export async function applyPlan<State, S extends PlannedWrite, P extends WritablePlan<S>>(
  state: State,
  makePlan: (state: State) => P,
  io: PlanIo<State, S>,
  options: ApplyOptions,
): Promise<Applied<P>> {
  let current = state;
  for (let attempt = 1; ; attempt += 1) {
    const plan = makePlan(current);
    try {
      return { plan, written: await writeInOrder(plan, io, options) };
    } catch (err) {
      if (!isCode(err, 'conflict')) throw err;
      if (attempt >= CONFLICT_ATTEMPTS) {
        throw new CanaryError(
          'conflict',
          `another writer kept changing the routing of ${plan.options.host} in "${options.namespace}" (${attempt} conflicts in a row): find who else writes it (kubectl get ${io.kinds} -n ${options.namespace} --show-managed-fields) and run again`,
          { cause: err },
        );
      }
      options.reporter.warning(
        `the routing of ${plan.options.host} changed while we were writing it: reading it again (attempt ${attempt + 1} of ${CONFLICT_ATTEMPTS})`,
      );
      current = await io.reread(current);
    }
  }
}

function objectOf(step: PlannedWrite): WrittenObject {
  const object = step.after ?? step.before;
  if (!object) throw new Error(`a ${step.action} ${step.kind} step without an object`);
  return object;
}

/**
 * Writes the plan's batches in order. The writes of one batch go out together (one round trip), each with
 * its own precondition; a failed one fails the batch, once every write the server took is in the journal,
 * so a restore puts back everything this run changed.
 */
async function writeInOrder<S extends PlannedWrite>(
  plan: WritablePlan<S>,
  io: PlanIo<unknown, S>,
  options: ApplyOptions,
): Promise<WrittenObject[]> {
  const written: WrittenObject[] = [];
  const keyOf = (step: S) => objectKey(objectOf(step), options.namespace);
  // The resourceVersion each object must still have: from the read, then from our own previous write
  // (finalize writes the DestinationRule twice).
  const versions = new Map<string, string | undefined>();
  for (const step of plan.writes) {
    if (!versions.has(keyOf(step))) versions.set(keyOf(step), step.before?.metadata.resourceVersion);
  }
  const writeOne = (step: S): Promise<WrittenObject | undefined> => {
    const object = objectOf(step);
    options.reporter.info(
      `${options.dryRun ? 'dry run: ' : ''}${step.action} ${step.kind} ${object.metadata.namespace ?? options.namespace}/${object.metadata.name}: ${step.reason}`,
    );
    return io.send(step, versions.get(keyOf(step)));
  };
  for (const batch of writeBatches(plan.writes)) {
    const outcomes = await Promise.allSettled(batch.map(writeOne));
    const group = options.journal.newGroup();
    const taken: WrittenObject[] = [];
    outcomes.forEach((outcome, index) => {
      const step = batch[index];
      if (outcome.status !== 'fulfilled' || !step) return;
      if (outcome.value) taken.push(outcome.value);
      if (options.dryRun) return;
      // Recorded once the server took it: a failed write changed nothing that a restore would need to undo.
      options.journal.record(objectOf(step), step.before, group);
      versions.set(keyOf(step), outcome.value?.metadata.resourceVersion);
    });
    written.push(...taken);
    const failed = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failed) throw failed.reason;
    if (!options.dryRun) await options.afterBatch?.(taken);
  }
  return written;
}
