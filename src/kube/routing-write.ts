// Writing a VirtualService or DestinationRule, and putting one back as it was.
//
// PUT with the resourceVersion it was read with, rather than server-side apply: the planner computes the
// whole object from what it read, so a replace is exactly "this object, if nobody changed it since" — the
// server answers 409 on any change we did not see, and nothing of anyone's is overwritten blindly. SSA
// would merge our fields with other managers' (a restore could not remove a field another manager added
// after us, and dropping a subset would need every owner to let go of it), and on a schema error real
// servers answer SSA with a 500 instead of a 422. A restore is the same PUT with the spec, labels and
// annotations read at the start: byte-for-byte what was there.
// The same code writes Gateway API's HTTPRoutes: the group comes from the object's apiVersion.
import type { ClusterClient } from './client.js';
import { isCode, ISTIO_GROUP } from './errors.js';
import { withRetry } from './retry.js';
import {
  ANNOTATIONS,
  asRoutingObject,
  PLURALS,
  type CustomRoutingObject,
  splitApiVersion,
  withoutServerFields,
  type RoutingKind,
} from './routing-objects.js';

export const FIELD_MANAGER = 'istio-canary';

export interface WriteOptions {
  dryRun: boolean;
  fieldManager?: typeof FIELD_MANAGER;
}

/** Names a routing object in the cluster, whatever state it is in now. */
export interface RoutingRef {
  kind: RoutingKind;
  name: string;
  namespace: string;
  /** Version to use; defaults to networking.istio.io/v1. */
  apiVersion?: string;
}

/** The object's resource in the API: `virtualservices.networking.istio.io/v1`, its namespace and name. */
function targetOf(ref: RoutingRef) {
  const { group, version } = splitApiVersion(ref.apiVersion ?? `${ISTIO_GROUP}/v1`);
  return { group, version, namespace: ref.namespace, name: ref.name, resource: PLURALS[ref.kind] };
}

function refOf(object: CustomRoutingObject): RoutingRef {
  return {
    kind: object.kind,
    name: object.metadata.name,
    namespace: object.metadata.namespace ?? 'default',
    apiVersion: object.apiVersion,
  };
}

// The body of a write is made from the planned object without a deep copy: only its top level and
// metadata change, and the spec (a thousand routes, maybe) is only serialised.

/** Our annotations: when the object was last written and by which CI run. */
function annotate<T extends CustomRoutingObject>(object: T, client: ClusterClient): T {
  const annotations = {
    ...object.metadata.annotations,
    [ANNOTATIONS.updatedAt]: client.now().toISOString(),
    ...(client.runUrl ? { [ANNOTATIONS.runUrl]: client.runUrl } : {}),
  };
  return { ...object, metadata: { ...object.metadata, annotations } };
}

/** The body of a PUT: managedFields left out so the server keeps its own; status is not ours to send. */
function replaceBody<T extends CustomRoutingObject>(object: T): T {
  const { status: _status, ...body } = object;
  const { managedFields: _managedFields, ...metadata } = body.metadata;
  return { ...body, metadata } as T;
}

/**
 * The answer asked of a write of an Istio object: its metadata only (PartialObjectMetadata, which
 * kube-apiserver gives for a write as for a read; plain JSON after it for a server that does not). The
 * server stores exactly the spec, labels and annotations sent, as Istio's CRDs declare no defaults and the
 * planner writes only fields the schema knows; and a write to the object leaves its status as it was (the
 * status subresource owns it, and the write was conditional on the version read). Parsing a thousand routes
 * back only to learn the new resourceVersion and generation was a large share of a big stage's time. An
 * HTTPRoute (its CRD defaults fields) is answered in full.
 */
const METADATA_ONLY = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1, application/json';

/** The status of the object written when its answer is metadata only (undefined: none, as for a create). */
interface MetadataAnswer {
  status: unknown;
}

async function send<T extends CustomRoutingObject>(
  client: ClusterClient,
  verb: 'create' | 'update',
  ref: RoutingRef,
  body: T,
  dryRun: boolean,
  metadataOnly?: MetadataAnswer,
): Promise<T> {
  const asked = metadataOnly !== undefined && body.apiVersion.startsWith(`${ISTIO_GROUP}/`);
  const written: unknown = await client.send({
    verb,
    ...targetOf(ref),
    body,
    query: { fieldManager: FIELD_MANAGER, dryRun: dryRun ? 'All' : undefined },
    ...(asked ? { accept: METADATA_ONLY } : {}),
  });
  const answer = written as { kind?: string; metadata: T['metadata'] };
  if (!asked || answer.kind !== 'PartialObjectMetadata') {
    return asRoutingObject<T>(written, ref.kind, body.apiVersion);
  }
  const status = metadataOnly.status;
  return asRoutingObject<T>(
    { ...body, metadata: answer.metadata, ...(status !== undefined ? { status } : {}) },
    ref.kind,
    body.apiVersion,
  );
}

/**
 * Creates the object (no resourceVersion: it was not there when read), or replaces it on the condition
 * that it is still at the resourceVersion it was read with; a change we did not see → CanaryError 'conflict'.
 * Written with the object's own apiVersion; `dryRun` sends `dryRun=All` and changes nothing. The answer is
 * the object as stored: for an Istio object, what was sent with the server's metadata and `object.status`
 * (the status it was read with; see METADATA_ONLY).
 */
export async function writeRoutingObject<T extends CustomRoutingObject>(
  client: ClusterClient,
  object: T,
  options: WriteOptions,
): Promise<T> {
  const body = replaceBody(annotate(object, client));
  const ref = refOf(object);
  const update = Boolean(object.metadata.resourceVersion);
  try {
    return await send(client, update ? 'update' : 'create', ref, body, options.dryRun, {
      status: update ? object.status : undefined,
    });
  } catch (err) {
    if (!isCode(err, 'conflict') || options.dryRun) throw err;
    const ours = await ownEarlierAttempt(client, ref, body);
    if (ours) return ours;
    throw err;
  }
}

/**
 * A write is retried when its answer is lost (reset, 5xx); if the lost attempt had gone through, the retry
 * meets a 409 from our own write. The object then carries exactly the spec, labels and annotations we
 * sent — our updated-at stamp included — and the write has succeeded.
 */
async function ownEarlierAttempt<T extends CustomRoutingObject>(
  client: ClusterClient,
  ref: RoutingRef,
  sent: T,
): Promise<T | undefined> {
  const current = await readCurrent<T>(client, ref);
  const same = (o: T) => JSON.stringify([o.spec, o.metadata.labels ?? {}, o.metadata.annotations ?? {}]);
  return current && same(current) === same(sent) ? current : undefined;
}

async function readCurrent<T extends CustomRoutingObject>(
  client: ClusterClient,
  ref: RoutingRef,
): Promise<T | undefined> {
  try {
    const current: unknown = await client.send({ verb: 'get', ...targetOf(ref) });
    return asRoutingObject<T>(current, ref.kind, ref.apiVersion ?? `${ISTIO_GROUP}/v1`);
  } catch (err) {
    if (isCode(err, 'not-found')) return undefined;
    throw err;
  }
}

async function deleteIfPresent(client: ClusterClient, ref: RoutingRef): Promise<void> {
  try {
    await client.send({ verb: 'delete', ...targetOf(ref) });
  } catch (err) {
    if (!isCode(err, 'not-found')) throw err;
  }
}

/** Conflicts while restoring are someone writing between our read and our write: read again and retry. */
const RESTORE_ATTEMPTS = 5;

/**
 * Puts back exactly the spec, labels and annotations `original` had (re-reading for the current
 * resourceVersion), re-creates it when it was deleted meanwhile, or deletes `current` when there was no
 * original (we created it). Returns the object as restored, or undefined when deleted.
 */
export async function restoreRoutingObject<T extends CustomRoutingObject>(
  client: ClusterClient,
  original: T | undefined,
  current: RoutingRef,
): Promise<T | undefined> {
  if (!original) {
    await deleteIfPresent(client, current);
    return undefined;
  }
  const ref = refOf(original);
  // Conflicts are the only error worth another read here; transient ones are retried inside client.call.
  return withRetry(
    async () => {
      const now = await readCurrent<T>(client, ref);
      if (!now) return send(client, 'create', ref, withoutServerFields(original), false);
      const body = replaceBody({
        ...now,
        apiVersion: original.apiVersion,
        metadata: {
          ...now.metadata,
          labels: original.metadata.labels,
          annotations: original.metadata.annotations,
        },
        spec: original.spec,
      } as T);
      if (!body.metadata.labels) delete body.metadata.labels;
      if (!body.metadata.annotations) delete body.metadata.annotations;
      return send(client, 'update', ref, body, false);
    },
    { attempts: RESTORE_ATTEMPTS, baseDelayMs: 50, signal: client.signal, retryOn: isConflict },
  );
}

function isConflict(err: unknown): string | undefined {
  return isCode(err, 'conflict') ? 'conflict' : undefined;
}
