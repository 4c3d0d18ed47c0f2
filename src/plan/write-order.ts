// Make before break across objects: a subset is added (DestinationRule) before any route names it, and
// removed only after no route does. The VirtualServices of one stage go out together, in one batch: each
// write carries its own precondition, and none of them needs another to be in place first.
import { subsetChanges } from './destination-rule.js';
import { cleanFields, copy, isJsonData, sameJson } from './objects.js';
import type { DestinationRule, RoutingObject, VirtualService, WriteStep } from './types.js';

export interface ObjectChange<T extends RoutingObject> {
  before?: T;
  after: T;
}

function writeStep(
  kind: WriteStep['kind'],
  batch: number,
  { before, after }: ObjectChange<RoutingObject>,
  reason: string,
): WriteStep {
  // Clean fields that are JSON data compare as their copy (cleanObject) would, without making the copy.
  const fields = before && cleanFields(before);
  const clean = fields && (isJsonData(fields) ? fields : copy(fields));
  const unchanged = clean !== undefined && sameJson(clean, after);
  const action = before === undefined ? 'create' : unchanged ? 'unchanged' : 'update';
  return {
    kind,
    batch,
    action,
    ...(before ? { before } : {}),
    after,
    reason: unchanged ? 'already as planned' : reason,
  };
}

/**
 * The writes of a plan in batches. `adding` is the DestinationRule with the new subsets but the old ones
 * still there: a stage that both adds and drops (finalize creating the canary subset) writes it first and
 * the final DestinationRule last.
 */
export function orderWrites(
  virtualServices: ObjectChange<VirtualService>[],
  rule: ObjectChange<DestinationRule> & { adding: DestinationRule },
): WriteStep[] {
  const { added, removed } = subsetChanges(rule.before, rule.after);
  const routes = (batch: number, reason: string) =>
    virtualServices.map((change) => writeStep('VirtualService', batch, change, reason));
  const addReason =
    added.length > 0
      ? `adds subset ${added.join(', ')} before a route names it`
      : 'DestinationRule before routes';
  if (removed.length === 0) {
    return [writeStep('DestinationRule', 0, rule, addReason), ...routes(1, 'routes once the subsets exist')];
  }
  const dropReason = `drops subset ${removed.join(', ')} once no route names it`;
  const stopReason = `stops routing to ${removed.join(', ')} before its subset goes`;
  if (added.length === 0)
    return [...routes(0, stopReason), writeStep('DestinationRule', 1, rule, dropReason)];
  return [
    writeStep('DestinationRule', 0, { before: rule.before, after: rule.adding }, addReason),
    ...routes(1, stopReason),
    writeStep('DestinationRule', 2, { before: rule.adding, after: rule.after }, dropReason),
  ];
}

/** The steps that change something, grouped by batch in order: one round trip each. */
export function writeBatches<S extends Pick<WriteStep, 'batch'> & { action: string }>(writes: S[]): S[][] {
  const batches = new Map<number, S[]>();
  for (const step of writes) {
    if (step.action === 'unchanged') continue;
    batches.set(step.batch, [...(batches.get(step.batch) ?? []), step]);
  }
  return [...batches.entries()].sort(([a], [b]) => a - b).map(([, steps]) => steps);
}
