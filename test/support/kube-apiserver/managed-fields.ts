// Field ownership for server-side apply, at the granularity structured-merge-diff tracks: every leaf,
// atomic lists as one field, items of associative lists by key. Paths are kept as segment arrays
// (`f:spec`, `k:{"name":"x"}`, `.`) serialised to strings, and turned into fieldsV1 trees for managedFields.
import { associativeListKey } from './list-keys.js';
import type { KubeObject } from './store.js';

type Json = unknown;
export type FieldSet = Set<string>;

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function itemKey(item: Json, keys: string[]): string {
  const k: Record<string, Json> = {};
  for (const name of keys) if (isObject(item) && item[name] !== undefined) k[name] = item[name];
  return `k:${JSON.stringify(k)}`;
}

/** The field paths an object (or an applied configuration) sets. */
export function fieldSetOf(obj: KubeObject, kind: string): FieldSet {
  const out: FieldSet = new Set();
  const walk = (v: Json, segs: string[], names: string[]) => {
    if (isObject(v) && Object.keys(v).length > 0) {
      for (const [k, child] of Object.entries(v)) walk(child, [...segs, `f:${k}`], [...names, k]);
      return;
    }
    const keys = Array.isArray(v) ? associativeListKey(kind, names) : undefined;
    if (Array.isArray(v) && keys) {
      for (const item of v) {
        const itemSegs = [...segs, itemKey(item, keys)];
        out.add(JSON.stringify([...itemSegs, '.']));
        if (isObject(item)) {
          for (const [k, child] of Object.entries(item))
            walk(child, [...itemSegs, `f:${k}`], [...names, '*', k]);
        }
      }
      return;
    }
    out.add(JSON.stringify(segs));
  };
  const meta = obj.metadata ?? {};
  if (meta.labels) walk(meta.labels, ['f:metadata', 'f:labels'], ['metadata', 'labels']);
  if (meta.annotations) walk(meta.annotations, ['f:metadata', 'f:annotations'], ['metadata', 'annotations']);
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'metadata') continue;
    walk(v, [`f:${k}`], [k]);
  }
  return out;
}

/** The value at a path, or undefined. */
export function valueAt(obj: Json, path: string): Json {
  let node = obj;
  for (const seg of JSON.parse(path) as string[]) {
    if (seg === '.') return node;
    if (seg.startsWith('f:')) node = isObject(node) ? node[seg.slice(2)] : undefined;
    else if (seg.startsWith('k:')) {
      const key = JSON.parse(seg.slice(2)) as Record<string, Json>;
      node = Array.isArray(node)
        ? node.find((item) => isObject(item) && Object.entries(key).every(([k, val]) => item[k] === val))
        : undefined;
    }
    if (node === undefined) return undefined;
  }
  return node;
}

/** Removes the field at a path from an object (a whole item when the path ends in '.'). */
export function removeAt(obj: Json, path: string): void {
  const segs = JSON.parse(path) as string[];
  let node = obj;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    const last = i === segs.length - 1 || segs[i + 1] === '.';
    if (seg.startsWith('f:')) {
      if (!isObject(node)) return;
      if (last) {
        delete node[seg.slice(2)];
        return;
      }
      node = node[seg.slice(2)];
    } else if (seg.startsWith('k:')) {
      if (!Array.isArray(node)) return;
      const key = JSON.parse(seg.slice(2)) as Record<string, Json>;
      const idx = node.findIndex(
        (item) => isObject(item) && Object.entries(key).every(([k, val]) => item[k] === val),
      );
      if (idx < 0) return;
      if (last) {
        node.splice(idx, 1);
        return;
      }
      node = node[idx];
    }
  }
}

/** `.spec.http`, `.spec.template.spec.containers[name="reviews"].image`: how conflicts name a field. */
export function printPath(path: string): string {
  let out = '';
  for (const seg of JSON.parse(path) as string[]) {
    if (seg.startsWith('f:')) out += `.${seg.slice(2)}`;
    else if (seg.startsWith('k:')) {
      const key = JSON.parse(seg.slice(2)) as Record<string, Json>;
      out += `[${Object.entries(key)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(',')}]`;
    }
  }
  return out;
}

export function toFieldsV1(set: FieldSet): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const path of [...set].sort()) {
    let node = root;
    for (const seg of JSON.parse(path) as string[]) {
      node[seg] = node[seg] ?? {};
      node = node[seg] as Record<string, unknown>;
    }
  }
  return root;
}

export function fromFieldsV1(tree: Record<string, unknown>): FieldSet {
  const out: FieldSet = new Set();
  const walk = (node: Record<string, unknown>, segs: string[]) => {
    const keys = Object.keys(node);
    if (keys.length === 0 && segs.length > 0) out.add(JSON.stringify(segs));
    for (const k of keys) {
      if (k === '.') out.add(JSON.stringify([...segs, '.']));
      else walk(node[k] as Record<string, unknown>, [...segs, k]);
    }
  };
  walk(tree, []);
  return out;
}

/** A deep merge of an applied configuration into a live object: maps merge, keyed lists merge by key. */
export function mergeApplied(live: Json, applied: Json, kind: string, names: string[] = []): Json {
  if (!isObject(applied)) {
    const keys = Array.isArray(applied) ? associativeListKey(kind, names) : undefined;
    if (!keys || !Array.isArray(live) || !Array.isArray(applied)) return structuredClone(applied);
    const merged = [...live];
    for (const item of applied) {
      const k = itemKey(item, keys);
      const i = merged.findIndex((m) => itemKey(m, keys) === k);
      if (i >= 0) merged[i] = mergeApplied(merged[i], item, kind, [...names, '*']);
      else merged.push(structuredClone(item));
    }
    return merged;
  }
  const out: Record<string, Json> = isObject(live) ? { ...live } : {};
  for (const [k, v] of Object.entries(applied)) out[k] = mergeApplied(out[k], v, kind, [...names, k]);
  return out;
}
