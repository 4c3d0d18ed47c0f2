// Metadata-only answers: `Accept: application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1` (or
// `as=PartialObjectMetadataList` for a list), as kube-apiserver's transformResponseObject gives them. It
// transforms the answer of every verb that answers an object (get, list, create, update, patch, delete),
// after the request has done its work: a write is stored whatever the answer's form, and a Status answer
// (an error, a delete that answers one) is never transformed.
import type { KubeObject } from './store.js';
import { failure } from './status.js';

export type MetadataKind = 'PartialObjectMetadata' | 'PartialObjectMetadataList';

const META_VERSIONS = ['v1', 'v1beta1'];

/**
 * The metadata form the client asks for first, with its apiVersion, or undefined. Like `as=Table`, only the
 * first media type of the Accept header is read: the clients that ask for a transform put it first and
 * `application/json` after it as the fallback.
 */
export function wantsMetadata(
  accept: string | undefined,
): { kind: MetadataKind; apiVersion: string } | undefined {
  const first = (accept ?? '').split(',')[0]!;
  const params = new Map<string, string>();
  for (const param of first.split(';').slice(1)) {
    const [name, value = ''] = param.trim().split('=');
    params.set(name!, value);
  }
  const kind = params.get('as');
  const version = params.get('v') ?? '';
  if (kind !== 'PartialObjectMetadata' && kind !== 'PartialObjectMetadataList') return undefined;
  if (params.get('g') !== 'meta.k8s.io' || !META_VERSIONS.includes(version)) return undefined;
  return { kind, apiVersion: `meta.k8s.io/${version}` };
}

function isList(body: Record<string, unknown>): boolean {
  return Array.isArray(body.items);
}

/**
 * The answer's body in the asked form: 406 NotAcceptable when the form does not fit (metadata of one object
 * asked of a list, or the other way round), with kube-apiserver's words; a Status passes as it is. The Go
 * type named is the one custom resources have (built-in kinds name their own, e.g. `*v1.Lease`).
 */
export function metadataOnly(body: unknown, wanted: { kind: MetadataKind; apiVersion: string }): unknown {
  const answer = body as Record<string, unknown>;
  if (answer.kind === 'Status') return body;
  if (wanted.kind === 'PartialObjectMetadata') {
    if (isList(answer)) {
      throw notAcceptable(
        'you requested PartialObjectMetadata, but the requested object is a list (*unstructured.UnstructuredList)',
      );
    }
    return { kind: wanted.kind, apiVersion: wanted.apiVersion, metadata: (answer as KubeObject).metadata };
  }
  if (!isList(answer)) {
    throw notAcceptable(
      'you requested PartialObjectMetadataList, but the requested object is not a list (*unstructured.Unstructured)',
    );
  }
  return {
    kind: wanted.kind,
    apiVersion: wanted.apiVersion,
    metadata: answer.metadata,
    items: (answer.items as KubeObject[]).map((item) => ({
      kind: 'PartialObjectMetadata',
      apiVersion: wanted.apiVersion,
      metadata: item.metadata,
    })),
  };
}

function notAcceptable(message: string) {
  return failure(406, 'NotAcceptable', message);
}
