// Server-side apply and managedFields bookkeeping for every write.
import {
  fieldSetOf,
  fromFieldsV1,
  mergeApplied,
  printPath,
  removeAt,
  toFieldsV1,
  valueAt,
  type FieldSet,
  type ManagedFieldsEntry,
} from './managed-fields.js';
import { failure, type ApiError } from './status.js';
import { clone, sameJsonText, type KubeObject } from './store.js';

interface Owner {
  entry: ManagedFieldsEntry;
  fields: FieldSet;
}

function owners(obj: KubeObject | undefined): Owner[] {
  const entries = (obj?.metadata.managedFields ?? []) as ManagedFieldsEntry[];
  return entries.map((entry) => ({ entry, fields: fromFieldsV1(entry.fieldsV1 ?? {}) }));
}

function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

/** Equal as JSON text (member order counts, as in the field manager's own comparison of values). */
const same = sameJsonText;

/** Whether an apply changes the field at `path`; a list item's own entry ('.') is about presence only. */
function changes(live: unknown, applied: unknown, path: string): boolean {
  if (path.endsWith(',"."]')) return valueAt(live, path) === undefined;
  return !same(valueAt(live, path), valueAt(applied, path));
}

function entriesFrom(list: Owner[]): ManagedFieldsEntry[] {
  return list.filter((o) => o.fields.size > 0).map((o) => ({ ...o.entry, fieldsV1: toFieldsV1(o.fields) }));
}

/** How a conflict names its manager: `"kubectl"` for an applier, `"x" using apps/v1` for an updater. */
function printManager(e: ManagedFieldsEntry): string {
  return e.operation === 'Update' ? `"${e.manager}" using ${e.apiVersion}` : `"${e.manager}"`;
}

function conflictError(conflicts: { owner: ManagedFieldsEntry; path: string }[]): ApiError {
  const causes = conflicts.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${printManager(c.owner)}`,
    field: printPath(c.path),
  }));
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${printManager(conflicts[0]!.owner)}: ${printPath(conflicts[0]!.path)}`;
  } else {
    const byManager = new Map<string, string[]>();
    for (const c of conflicts) {
      const m = printManager(c.owner);
      byManager.set(m, [...(byManager.get(m) ?? []), `- ${printPath(c.path)}`]);
    }
    const parts = [...byManager.keys()].sort().flatMap((m) => [`conflicts with ${m}:`, ...byManager.get(m)!]);
    message = `Apply failed with ${conflicts.length} conflicts: ${parts.join('\n')}`;
  }
  return failure(409, 'Conflict', message, { causes });
}

export interface ApplyRequest {
  live: KubeObject | undefined;
  applied: KubeObject;
  manager: string;
  force: boolean;
  apiVersion: string;
  kind: string;
  subresource?: string;
}

/** The object after an apply, with managedFields updated; throws a 409 naming managers and fields on conflict. */
export function serverSideApply(req: ApplyRequest): KubeObject {
  const appliedFields = fieldSetOf(req.applied, req.kind);
  const live = req.live ? clone(req.live) : ({ metadata: {} } as KubeObject);
  const all = owners(req.live);
  const mine = all.find((o) => o.entry.manager === req.manager && o.entry.operation === 'Apply');
  const others = all.filter((o) => o !== mine);

  const conflicts: { owner: ManagedFieldsEntry; path: string }[] = [];
  for (const other of others) {
    for (const path of appliedFields) {
      if (other.fields.has(path) && changes(live, req.applied, path)) {
        conflicts.push({ owner: other.entry, path });
      }
    }
  }
  if (conflicts.length > 0 && !req.force) throw conflictError(conflicts);
  for (const c of conflicts) others.find((o) => o.entry === c.owner)?.fields.delete(c.path);
  // Updaters lose fields whose value this apply changes (only an applier shares ownership of equal values).
  for (const other of others) {
    if (other.entry.operation !== 'Update') continue;
    for (const path of appliedFields) {
      if (changes(live, req.applied, path)) other.fields.delete(path);
    }
  }

  // Fields this manager applied before and no longer applies go away unless someone else owns them.
  for (const path of mine?.fields ?? []) {
    if (appliedFields.has(path) || others.some((o) => o.fields.has(path))) continue;
    removeAt(live, path);
  }
  const appliedBody: Record<string, unknown> = { ...req.applied };
  delete appliedBody.apiVersion;
  delete appliedBody.kind;
  const appliedMeta = { ...req.applied.metadata };
  delete appliedMeta.managedFields;
  delete appliedMeta.resourceVersion;
  appliedBody.metadata = appliedMeta;
  const merged = mergeApplied(live, appliedBody, req.kind) as KubeObject;

  const entry: ManagedFieldsEntry = {
    manager: req.manager,
    operation: 'Apply',
    apiVersion: req.apiVersion,
    time: now(),
    fieldsType: 'FieldsV1',
    fieldsV1: {},
  };
  if (req.subresource) entry.subresource = req.subresource;
  merged.metadata.managedFields = entriesFrom([...others, { entry, fields: appliedFields }]);
  return merged;
}

/**
 * managedFields after a create, update or patch by `manager`: it owns every field it changed or added,
 * which every other manager loses.
 */
export function recordUpdate(
  before: KubeObject | undefined,
  after: KubeObject,
  manager: string,
  apiVersion: string,
  kind: string,
  subresource?: string,
): void {
  const beforeFields = before ? fieldSetOf(before, kind) : new Set<string>();
  const afterFields = fieldSetOf(after, kind);
  const changed = [...afterFields].filter(
    (p) => !beforeFields.has(p) || !same(valueAt(before, p), valueAt(after, p)),
  );
  const removed = [...beforeFields].filter((p) => !afterFields.has(p));
  const all = owners(before);
  let mine = all.find(
    (o) =>
      o.entry.manager === manager && o.entry.operation === 'Update' && o.entry.subresource === subresource,
  );
  for (const o of all) {
    for (const p of [...changed, ...removed]) if (o !== mine) o.fields.delete(p);
    for (const p of removed) o.fields.delete(p);
  }
  if (changed.length > 0) {
    if (!mine) {
      mine = {
        entry: {
          manager,
          operation: 'Update',
          apiVersion,
          time: now(),
          fieldsType: 'FieldsV1',
          fieldsV1: {},
        },
        fields: new Set(),
      };
      if (subresource) mine.entry.subresource = subresource;
      all.push(mine);
    }
    mine.entry = { ...mine.entry, apiVersion, time: now() };
    for (const p of changed) mine.fields.add(p);
  }
  after.metadata.managedFields = entriesFrom(all);
}
