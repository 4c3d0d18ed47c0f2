// The three PATCH bodies other than server-side apply: JSON merge patch (RFC 7386), JSON patch (RFC 6902)
// and strategic merge patch (merge-by-key for the lists of built-in types the project touches).
import { associativeListKey } from './list-keys.js';
import { badRequest, failure } from './status.js';
import { clone } from './store.js';

type Json = unknown;

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const out: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/**
 * A 422 as the real server answers a JSON patch that does not apply (a missing path, a failed `test`):
 * NewGenericServerResponse without the patch library's message, no causes, empty details.
 */
function patchDoesNotApply() {
  return failure(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw badRequest(`invalid JSON patch path: ${path}`);
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: Json, segments: string[]): { parent: Json; last: string } {
  let node = doc;
  for (const seg of segments.slice(0, -1)) {
    if (Array.isArray(node)) node = node[Number(seg)];
    else if (isObject(node)) node = node[seg];
    else node = undefined;
    if (node === undefined) throw patchDoesNotApply();
  }
  return { parent: node, last: segments[segments.length - 1]! };
}

function getAt(doc: Json, path: string): Json {
  let node = doc;
  for (const seg of pointer(path)) {
    node = Array.isArray(node) ? node[Number(seg)] : isObject(node) ? node[seg] : undefined;
    if (node === undefined) throw patchDoesNotApply();
  }
  return node;
}

function removeAt(doc: Json, path: string): Json {
  const segs = pointer(path);
  const { parent, last } = parentOf(doc, segs);
  if (Array.isArray(parent)) {
    const i = Number(last);
    if (!(i >= 0 && i < parent.length)) throw patchDoesNotApply();
    return parent.splice(i, 1)[0];
  }
  if (!isObject(parent) || !(last in parent)) {
    throw patchDoesNotApply();
  }
  const old = parent[last];
  delete parent[last];
  return old;
}

function addAt(doc: Json, path: string, value: Json, replace: boolean): Json {
  const segs = pointer(path);
  if (segs.length === 0) return value;
  const { parent, last } = parentOf(doc, segs);
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : Number(last);
    if (!(i >= 0 && i <= parent.length)) throw patchDoesNotApply();
    if (replace) parent[i] = value;
    else parent.splice(i, 0, value);
  } else if (isObject(parent)) {
    if (replace && !(last in parent)) throw patchDoesNotApply();
    parent[last] = value;
  } else throw patchDoesNotApply();
  return doc;
}

interface JsonPatchOp {
  op: string;
  path: string;
  from?: string;
  value?: Json;
}

export function jsonPatch(target: Json, ops: Json): Json {
  if (!Array.isArray(ops))
    throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let doc = clone(target);
  for (const raw of ops as JsonPatchOp[]) {
    switch (raw.op) {
      case 'add':
        doc = addAt(doc, raw.path, clone(raw.value), false);
        break;
      case 'replace':
        doc = addAt(doc, raw.path, clone(raw.value), true);
        break;
      case 'remove':
        removeAt(doc, raw.path);
        break;
      case 'move':
        doc = addAt(doc, raw.path, removeAt(doc, raw.from ?? ''), false);
        break;
      case 'copy':
        doc = addAt(doc, raw.path, clone(getAt(doc, raw.from ?? '')), false);
        break;
      case 'test':
        if (JSON.stringify(getAt(doc, raw.path)) !== JSON.stringify(raw.value)) {
          throw patchDoesNotApply();
        }
        break;
      default:
        throw badRequest(`Unexpected kind: ${raw.op}`);
    }
  }
  return doc;
}

/** Strategic merge patch: like a merge patch, but lists with a merge key merge item by item. */
export function strategicMergePatch(target: Json, patch: Json, kind: string, path: string[] = []): Json {
  if (!isObject(patch)) return clone(patch);
  const out: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue; // directives ($patch, $retainKeys...) are not needed on our paths
    const fieldPath = [...path, k];
    const mergeKey = associativeListKey(kind, fieldPath);
    if (v === null) delete out[k];
    else if (Array.isArray(v) && mergeKey && Array.isArray(out[k])) {
      const merged = [...(out[k] as Json[])];
      for (const item of v) {
        const i = merged.findIndex((m) =>
          mergeKey.every((mk) => isObject(m) && isObject(item) && m[mk] === item[mk]),
        );
        if (isObject(item) && item.$patch === 'delete') {
          if (i >= 0) merged.splice(i, 1);
        } else if (i >= 0) merged[i] = strategicMergePatch(merged[i], item, kind, [...fieldPath, '*']);
        else merged.push(clone(item));
      }
      out[k] = merged;
    } else out[k] = strategicMergePatch(out[k], v, kind, fieldPath);
  }
  return out;
}
