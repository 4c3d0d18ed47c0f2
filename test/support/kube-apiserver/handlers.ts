// The verbs on one resource: get, list, create, update, patch (four kinds), delete, deletecollection.
import { parse as parseYaml } from 'yaml';
import { recordUpdate, serverSideApply } from './apply.js';
import type { FaultState } from './faults.js';
import {
  checkObject,
  fieldValidationOf,
  listOf,
  listBytes,
  replyWire,
  toWire,
  wireBytes,
} from './objects.js';
import { jsonPatch, mergePatch, strategicMergePatch } from './patch.js';
import { ResourceRegistry, type ResourceType } from './resources.js';
import { typedObjectErrors, type Schema } from './schema.js';
import { fieldMatcher, labelMatcher } from './selectors.js';
import {
  alreadyExists,
  badRequest,
  conflict,
  failure,
  kindConflict,
  invalid,
  methodNotAllowed,
  notFound,
  STALE_OBJECT,
  unsupportedMediaType,
} from './status.js';
import { clone, nextGeneration, ObjectStore, type KubeObject } from './store.js';

export interface Cluster {
  registry: ResourceRegistry;
  store: ObjectStore;
  schemas: Map<string, Schema>;
  faults: FaultState;
}

export interface ResourceRequest {
  method: string;
  path: string;
  type: ResourceType;
  version: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  query: URLSearchParams;
  contentType: string;
  body: Buffer;
  userAgent: string;
}

export interface Reply {
  status: number;
  body: unknown;
  /** The body's JSON as UTF-8, when the handler has it faster than JSON.stringify(body) (the same text). */
  /** The body's JSON as bytes, in pieces written one after the other. */
  bytes?: () => Buffer[];
  warnings?: string[];
}

const PATCH_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

function parseBody(req: ResourceRequest): unknown {
  const text = req.body.toString('utf8');
  try {
    return req.contentType === PATCH_TYPES.apply ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw badRequest(`error decoding request body: ${(e as Error).message}`);
  }
}

function asObject(value: unknown): KubeObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badRequest("Object 'Kind' is missing in the request body");
  }
  const obj = value as KubeObject;
  obj.metadata = obj.metadata ?? {};
  return obj;
}

/** The field manager of a non-apply write: the fieldManager parameter, else the User-Agent's product name. */
function updateManager(req: ResourceRequest): string {
  return req.query.get('fieldManager') || req.userAgent.split('/')[0]!.slice(0, 128) || 'unknown';
}

function isDryRun(query: URLSearchParams): boolean {
  const values = query.getAll('dryRun');
  for (const v of values)
    if (v !== 'All') throw badRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`);
  return values.length > 0;
}

function apiVersionOf(req: ResourceRequest): string {
  return ResourceRegistry.groupVersion(req.type.group, req.version);
}

function hasStatusSubresource(t: ResourceType): boolean {
  return t.subresources.includes('status');
}

function requireNamespace(cluster: Cluster, req: ResourceRequest): void {
  if (!req.type.namespaced || !req.namespace) return;
  const nsType = cluster.registry.byPlural('', 'v1', 'namespaces')!;
  if (!cluster.store.get(nsType, undefined, req.namespace)) throw notFound(nsType, req.namespace);
}

function stored(cluster: Cluster, req: ResourceRequest): KubeObject {
  const existing = cluster.store.get(req.type, req.namespace, req.name!);
  if (!existing) throw notFound(req.type, req.name!);
  return existing;
}

function scaleOf(obj: KubeObject) {
  const spec = (obj.spec ?? {}) as { replicas?: number; selector?: { matchLabels?: Record<string, string> } };
  const status = (obj.status ?? {}) as { replicas?: number };
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      creationTimestamp: obj.metadata.creationTimestamp,
    },
    spec: { replicas: spec.replicas ?? 1 },
    status: {
      replicas: status.replicas ?? 0,
      selector: Object.entries(spec.selector?.matchLabels ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
    },
  };
}

function wire(obj: KubeObject, req: ResourceRequest): unknown {
  return req.subresource === 'scale' ? scaleOf(obj) : toWire(obj, req.type, req.version);
}

/**
 * The reply of one stored object: its body, and its JSON from the stored object's (see wireBytes); `scale`:
 * answered as the Scale of the object (a write to /scale that is not an apply, and a read of it).
 */
function objectReply(
  status: number,
  obj: KubeObject,
  req: ResourceRequest,
  warnings?: string[],
  scale = req.subresource === 'scale',
): Reply {
  if (scale) return { status, body: scaleOf(obj), ...(warnings ? { warnings } : {}) };
  return {
    status,
    body: replyWire(obj, req.type, req.version),
    bytes: () => wireBytes(obj, req.type, req.version),
    ...(warnings ? { warnings } : {}),
  };
}

export function getObject(cluster: Cluster, req: ResourceRequest): Reply {
  return objectReply(200, stored(cluster, req), req);
}

export function listObjects(cluster: Cluster, req: ResourceRequest): Reply {
  const byLabel = labelMatcher(req.query.get('labelSelector') ?? undefined);
  const byField = fieldMatcher(req.query.get('fieldSelector') ?? undefined, req.type.kind);
  const items = cluster.store
    .list(req.type, req.namespace)
    .filter((o) => byLabel(o.metadata.labels ?? {}) && byField(o));
  const page = pageOf(req, items, cluster.store.currentRevision);
  const list = [req.type, req.version, page.items, page.resourceVersion, page.metadata] as const;
  // The body's objects only for an answer that reads them (a Table); its JSON from the items' own.
  return {
    status: 200,
    get body() {
      return listOf(...list);
    },
    bytes: () => listBytes(...list),
  };
}

/** The key a list is ordered by and a continue token resumes after, as etcd's `<namespace>/<name>`. */
const listKey = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/**
 * `limit` and `continue`: a page of at most `limit` items, a continue token (etcd3's base64 JSON of the
 * list's resourceVersion and the key to start after) while more remain, and remainingItemCount when no
 * selector was given. The stand-in keeps no snapshots: later pages show the objects as they are now.
 */
function pageOf(req: ResourceRequest, items: KubeObject[], revision: number) {
  let resourceVersion = revision;
  let rest = items;
  const token = req.query.get('continue');
  if (token) {
    let decoded: { v?: string; rv?: number; start?: string };
    try {
      decoded = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as typeof decoded;
    } catch {
      throw badRequest(
        'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
      );
    }
    if (
      decoded.v !== 'meta.k8s.io/v1' ||
      typeof decoded.rv !== 'number' ||
      typeof decoded.start !== 'string'
    ) {
      throw badRequest(
        'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
      );
    }
    // The start key ends in a NUL byte: the first key after the last one listed.
    const start = decoded.start.endsWith('\u0000') ? decoded.start.slice(0, -1) : decoded.start;
    resourceVersion = decoded.rv;
    rest = items.filter((o) => listKey(o) > start);
  }
  const limit = Number(req.query.get('limit') ?? '0');
  // A list from the watch cache (resourceVersion=0) ignores limit, as the real one does.
  if (!(limit > 0) || req.query.get('resourceVersion') === '0' || rest.length <= limit) {
    return { items: rest, resourceVersion, metadata: {} };
  }
  const pageItems = rest.slice(0, limit);
  const next = { v: 'meta.k8s.io/v1', rv: resourceVersion, start: `${listKey(pageItems[limit - 1]!)}\u0000` };
  const metadata: Record<string, unknown> = {
    continue: Buffer.from(JSON.stringify(next)).toString('base64'),
  };
  if (!req.query.get('labelSelector') && !req.query.get('fieldSelector')) {
    metadata.remainingItemCount = rest.length - limit;
  }
  return { items: pageItems, resourceVersion, metadata };
}

/**
 * Writes (or, under dryRun=All, only returns) a checked object. The object is the request's own (parsed
 * from its body, or made from a copy of the stored one), so the store takes it without copying it.
 */
function commit(cluster: Cluster, req: ResourceRequest, obj: KubeObject): KubeObject {
  if (isDryRun(req.query)) {
    const out = clone(obj);
    const existing = cluster.store.get(req.type, req.namespace, obj.metadata.name!);
    out.metadata.uid = existing?.metadata.uid ?? out.metadata.uid ?? 'dry-run';
    out.metadata.creationTimestamp =
      existing?.metadata.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    out.metadata.resourceVersion = existing?.metadata.resourceVersion;
    out.metadata.generation = nextGeneration(existing, out);
    return out;
  }
  return cluster.store.write(req.type, obj, { owned: true });
}

function checkIdentity(req: ResourceRequest, obj: KubeObject): void {
  const expected = apiVersionOf(req);
  if (obj.apiVersion && obj.apiVersion !== expected && req.subresource !== 'scale') {
    throw badRequest(
      `the API version in the data (${obj.apiVersion}) does not match the expected API version (${expected})`,
    );
  }
  if (obj.kind && obj.kind !== req.type.kind && req.subresource !== 'scale') {
    throw badRequest(
      `the kind in the data (${obj.kind}) does not match the expected kind (${req.type.kind})`,
    );
  }
  if (req.type.namespaced && obj.metadata.namespace && obj.metadata.namespace !== req.namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  if (req.name && obj.metadata.name && obj.metadata.name !== req.name) {
    throw badRequest(
      `the name of the object (${obj.metadata.name}) does not match the name on the URL (${req.name})`,
    );
  }
}

function prepare(
  cluster: Cluster,
  req: ResourceRequest,
  obj: KubeObject,
  existing?: KubeObject,
): { object: KubeObject; warnings: string[] } {
  obj.metadata.namespace = req.type.namespaced ? req.namespace : undefined;
  if (!req.type.namespaced) delete obj.metadata.namespace;
  delete obj.apiVersion;
  delete obj.kind;
  const withIdentity = { apiVersion: apiVersionOf(req), kind: req.type.kind, ...obj } as KubeObject;
  const checked = checkObject(
    req.type,
    req.version,
    withIdentity,
    cluster.schemas,
    fieldValidationOf(req.query),
    // As the client of this version sees it, for transition rules: made only when the schema has some.
    () => existing && toWire(existing, req.type, req.version),
  );
  return { object: checked.object, warnings: checked.warnings };
}

export function createObject(cluster: Cluster, req: ResourceRequest): Reply {
  if (req.subresource) throw methodNotAllowed();
  const obj = asObject(parseBody(req));
  checkIdentity(req, obj);
  requireNamespace(cluster, req);
  if (!obj.metadata.name && obj.metadata.generateName) {
    obj.metadata.name = obj.metadata.generateName + Math.random().toString(36).slice(2, 7);
  }
  if (obj.metadata.name && cluster.store.get(req.type, req.namespace, obj.metadata.name)) {
    throw alreadyExists(req.type, obj.metadata.name);
  }
  // The server's own fields: a create gets a new uid and creationTimestamp, whatever the body says.
  for (const field of ['resourceVersion', 'managedFields', 'uid', 'creationTimestamp', 'generation'])
    delete obj.metadata[field];
  if (hasStatusSubresource(req.type)) delete obj.status;
  const { object, warnings } = prepare(cluster, req, obj);
  recordUpdate(undefined, object, updateManager(req), apiVersionOf(req), req.type.kind);
  return objectReply(201, commit(cluster, req, object), req, warnings);
}

/** The stored object after replacing what the request may change: all of it, only status, or only replicas. */
function replaced(existing: KubeObject, incoming: KubeObject, req: ResourceRequest): KubeObject {
  if (req.subresource === 'scale') {
    const out = clone(existing);
    const replicas = (incoming.spec as { replicas?: number } | undefined)?.replicas;
    out.spec = { ...(out.spec as object), replicas };
    out.metadata.resourceVersion = incoming.metadata.resourceVersion;
    return out;
  }
  if (req.subresource === 'status') {
    const out = clone(existing);
    out.status = incoming.status;
    out.metadata.resourceVersion = incoming.metadata.resourceVersion;
    return out;
  }
  // The request's own object, parsed for this request alone: changed in place, not copied.
  const out = incoming;
  if (hasStatusSubresource(req.type)) {
    if (existing.status === undefined) delete out.status;
    else out.status = clone(existing.status);
  }
  out.metadata.uid = existing.metadata.uid;
  out.metadata.creationTimestamp = existing.metadata.creationTimestamp;
  out.metadata.generation = existing.metadata.generation;
  if (!('managedFields' in incoming.metadata)) out.metadata.managedFields = existing.metadata.managedFields;
  return out;
}

function checkPrecondition(req: ResourceRequest, existing: KubeObject, sent: string | undefined): void {
  if (sent !== undefined && sent !== '' && sent !== existing.metadata.resourceVersion) {
    throw conflict(req.type, req.name!, STALE_OBJECT);
  }
}

function finishWrite(cluster: Cluster, req: ResourceRequest, existing: KubeObject, next: KubeObject): Reply {
  const { object, warnings } = prepare(cluster, req, next, existing);
  object.metadata.resourceVersion = existing.metadata.resourceVersion;
  recordUpdate(existing, object, updateManager(req), apiVersionOf(req), req.type.kind, req.subresource);
  return objectReply(200, commit(cluster, req, object), req, warnings);
}

export function updateObject(cluster: Cluster, req: ResourceRequest): Reply {
  const obj = asObject(parseBody(req));
  checkIdentity(req, obj);
  // Services, Events and Leases are created by a PUT to a missing object, whatever resourceVersion it
  // carries; the other kinds answer 404.
  if (req.type.createOnUpdate && !req.subresource && !cluster.store.get(req.type, req.namespace, req.name!)) {
    return createObject(cluster, req);
  }
  const existing = stored(cluster, req);
  const sent = obj.metadata.resourceVersion;
  if (!req.type.unconditionalUpdate && !sent && !req.subresource) {
    throw invalid(req.type, req.name!, [
      {
        type: 'FieldValueInvalid',
        field: 'metadata.resourceVersion',
        body: 'Invalid value: 0x0: must be specified for an update',
      },
    ]);
  }
  checkPrecondition(req, existing, sent);
  return finishWrite(cluster, req, existing, replaced(existing, obj, req));
}

/** A 422 for bad PatchOptions, validated before the object is looked up (as ValidatePatchOptions does). */
function invalidPatchOptions(field: string, reason: string, message: string) {
  return failure(422, 'Invalid', `PatchOptions.meta.k8s.io "" is invalid: ${field}: ${message}`, {
    group: 'meta.k8s.io',
    kind: 'PatchOptions',
    causes: [{ reason, message, field }],
  });
}

function applyPatch(cluster: Cluster, req: ResourceRequest): Reply {
  const manager = req.query.get('fieldManager');
  if (!manager) {
    throw invalidPatchOptions(
      'fieldManager',
      'FieldValueRequired',
      'Required value: is required for apply patch',
    );
  }
  const force = req.query.get('force');
  if (force !== null && force !== 'true' && force !== 'false')
    throw badRequest(`invalid force value: ${force}`);
  const applied = asObject(parseBody(req));
  checkIdentity(req, applied);
  if (!applied.apiVersion || !applied.kind)
    throw badRequest('apiVersion and kind must be set in an apply patch');
  const schema = req.type.custom
    ? cluster.schemas.get(`${req.type.group}/${req.type.kind}/${req.version}`)
    : undefined;
  if (schema) {
    const body = { ...applied } as Record<string, unknown>;
    delete body.apiVersion;
    delete body.kind;
    delete body.metadata;
    const errors = typedObjectErrors(body, schema);
    if (errors.length > 0) {
      const detail = errors.length === 1 ? errors[0] : ['errors:', ...errors.map((e) => `  ${e}`)].join('\n');
      throw failure(
        500,
        undefined,
        `failed to create typed patch object (${req.namespace ? `${req.namespace}/` : ''}${req.name}; ${apiVersionOf(req)}, Kind=${req.type.kind}): ${detail}`,
      );
    }
  }
  const existing = cluster.store.get(req.type, req.namespace, req.name!);
  if (!existing) requireNamespace(cluster, req);
  checkPrecondition(req, existing ?? applied, applied.metadata.resourceVersion);
  const live = existing ? toWire(existing, req.type, req.version) : undefined;
  if (live && hasStatusSubresource(req.type) && !req.subresource) delete applied.status;
  const merged = serverSideApply({
    live,
    applied,
    manager,
    force: force === 'true',
    apiVersion: apiVersionOf(req),
    kind: req.type.kind,
    ...(req.subresource ? { subresource: req.subresource } : {}),
  });
  merged.metadata.name = req.name;
  const { object, warnings } = prepare(cluster, req, merged, existing);
  if (existing) object.metadata.resourceVersion = existing.metadata.resourceVersion;
  const saved = commit(cluster, req, object);
  return objectReply(existing ? 200 : 201, saved, req, warnings, false);
}

export function patchObject(cluster: Cluster, req: ResourceRequest): Reply {
  const accepted = req.type.custom
    ? [PATCH_TYPES.json, PATCH_TYPES.merge, PATCH_TYPES.apply]
    : [PATCH_TYPES.json, PATCH_TYPES.merge, PATCH_TYPES.apply, PATCH_TYPES.strategic];
  if (!accepted.includes(req.contentType)) throw unsupportedMediaType(accepted);
  if (req.contentType === PATCH_TYPES.apply) return applyPatch(cluster, req);
  if (req.query.has('force')) {
    throw invalidPatchOptions(
      'force',
      'FieldValueForbidden',
      'Forbidden: may not be specified for non-apply patch',
    );
  }
  const patch = parseBody(req);
  const existing = stored(cluster, req);
  const current = wire(existing, req);
  let patched: unknown;
  if (req.contentType === PATCH_TYPES.json) patched = jsonPatch(current, patch);
  else if (req.contentType === PATCH_TYPES.merge) patched = mergePatch(current, patch);
  else patched = strategicMergePatch(current, patch, req.subresource === 'scale' ? 'Scale' : req.type.kind);
  const obj = asObject(patched);
  checkIdentity(req, obj);
  checkPrecondition(req, existing, obj.metadata.resourceVersion);
  return finishWrite(cluster, req, existing, replaced(existing, obj, req));
}

interface DeleteOptions {
  propagationPolicy?: string;
  preconditions?: { resourceVersion?: string; uid?: string };
  dryRun?: string[];
}

/** Deletes what an object owns, as the garbage collector does for Background and Foreground propagation. */
function collectDependents(cluster: Cluster, uid: string): void {
  for (const t of cluster.registry.types) {
    for (const obj of cluster.store.list(t)) {
      if (!obj.metadata.ownerReferences?.some((r) => r.uid === uid)) continue;
      const gone = cluster.store.remove(t, obj.metadata.namespace, obj.metadata.name!);
      if (gone) collectDependents(cluster, gone.metadata.uid!);
    }
  }
}

function deleteOne(
  cluster: Cluster,
  req: ResourceRequest,
  t: ResourceType,
  existing: KubeObject,
  options: DeleteOptions,
) {
  const dryRun = isDryRun(req.query) || (options.dryRun ?? []).includes('All');
  if (dryRun) return;
  cluster.store.remove(t, existing.metadata.namespace, existing.metadata.name!);
  if (t.kind === 'Namespace') {
    for (const nt of cluster.registry.types.filter((x) => x.namespaced)) {
      for (const o of cluster.store.list(nt, existing.metadata.name))
        cluster.store.remove(nt, o.metadata.namespace, o.metadata.name!);
    }
  }
  const policy = req.query.get('propagationPolicy') ?? options.propagationPolicy ?? 'Background';
  if (policy !== 'Orphan') collectDependents(cluster, existing.metadata.uid!);
}

function deleteOptions(req: ResourceRequest): DeleteOptions {
  if (req.body.length === 0) return {};
  const body = parseBody(req) as DeleteOptions | null;
  return body ?? {};
}

export function deleteObject(cluster: Cluster, req: ResourceRequest): Reply {
  if (req.subresource) throw methodNotAllowed();
  const options = deleteOptions(req);
  const existing = stored(cluster, req);
  const pre = options.preconditions ?? {};
  // rest.BeforeDelete words these itself, naming the kind (not the resource) in the conflict.
  if (pre.uid && pre.uid !== existing.metadata.uid) {
    throw kindConflict(
      req.type,
      req.name!,
      `the UID in the precondition (${pre.uid}) does not match the UID in record (${existing.metadata.uid}). The object might have been deleted and then recreated`,
    );
  }
  if (pre.resourceVersion && pre.resourceVersion !== existing.metadata.resourceVersion) {
    throw kindConflict(
      req.type,
      req.name!,
      `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${existing.metadata.resourceVersion}). The object might have been modified`,
    );
  }
  deleteOne(cluster, req, req.type, existing, options);
  const details: Record<string, string> = {
    name: req.name!,
    kind: req.type.plural,
    uid: existing.metadata.uid!,
  };
  if (req.type.group) details.group = req.type.group;
  return {
    status: 200,
    body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details },
  };
}

export function deleteCollection(cluster: Cluster, req: ResourceRequest): Reply {
  const options = deleteOptions(req);
  const byLabel = labelMatcher(req.query.get('labelSelector') ?? undefined);
  const byField = fieldMatcher(req.query.get('fieldSelector') ?? undefined, req.type.kind);
  const victims = cluster.store
    .list(req.type, req.namespace)
    .filter((o) => byLabel(o.metadata.labels ?? {}) && byField(o));
  for (const v of victims) deleteOne(cluster, req, req.type, v, options);
  return { status: 200, body: listOf(req.type, req.version, victims, cluster.store.currentRevision) };
}
