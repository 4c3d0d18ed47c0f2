// Small pure helpers over routing objects: host identity, canonical comparison, cleaning for output.
import type { ObjectMeta } from './types.js';

/** Any Kubernetes object the planner reads or writes (routing objects of either API, Services). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: unknown;
}

export const ISTIO_API_VERSION = 'networking.istio.io/v1';
export const STAGE_ANNOTATION = 'istio-canary.io/stage';
export const WEIGHTS_ANNOTATION = 'istio-canary.io/weights';

/** Metadata the API server owns: never part of what the planner writes or prints. */
const SERVER_OWNED_METADATA = [
  'resourceVersion',
  'uid',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
];

/**
 * The fully qualified form of a host as Istio resolves it: only a short name (no dot) is expanded, in the
 * namespace of the object naming it (`reviews` in `default` is `reviews.default.svc.cluster.local`). A
 * name with a dot is taken as written: `reviews.default` is another host, though cluster DNS would find it.
 */
export function qualifyHost(host: string, namespace: string): string {
  if (host.includes('.') || host.includes('*')) return host;
  return `${host}.${namespace}.svc.cluster.local`;
}

/** `reviews.default` for `reviews`: a dotted short form Istio does not expand, worth a hint in a message. */
export function isUnexpandedShortForm(host: string, service: string, namespace: string): boolean {
  const qualified = qualifyHost(service, namespace);
  return host !== qualified && host.includes('.') && qualified.startsWith(`${host}.`);
}

export function sameHost(a: string | undefined, b: string, namespace: string): boolean {
  return a !== undefined && qualifyHost(a, namespace) === qualifyHost(b, namespace);
}

export function namespaceOf(object: KubeObject, fallback: string): string {
  return object.metadata.namespace ?? fallback;
}

export function resourceName(object: KubeObject, fallbackNamespace: string): string {
  return `${object.kind} ${namespaceOf(object, fallbackNamespace)}/${object.metadata.name}`;
}

/** JSON with sorted keys and no undefined members: equal strings mean the same object. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, member: unknown) => {
    if (member === null || typeof member !== 'object' || Array.isArray(member)) return member;
    const entries = Object.entries(member).filter(([, field]) => field !== undefined);
    return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  });
}

/**
 * Equal as their canonicalJson strings are, without building the strings: a plan compares whole objects,
 * and on a VirtualService of a thousand routes the strings cost more than the rest of the planning.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    // JSON writes an undefined array item as null.
    return a.every((item: unknown, i) => sameJson(item ?? null, b[i] ?? null));
  }
  const defined = (object: object) => Object.entries(object).filter(([, member]) => member !== undefined);
  const [ours, theirs] = [defined(a), new Map(defined(b))];
  return ours.length === theirs.size && ours.every(([key, member]) => sameJson(member, theirs.get(key)));
}

/** A deep copy without undefined members (what YAML and the API server would see). */
export function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** The object as a user would keep it in Git: no status, no server-owned metadata. */
export function cleanObject<T extends KubeObject>(object: T): T {
  const metadata: ObjectMeta = { name: object.metadata.name };
  for (const [key, value] of Object.entries(object.metadata)) {
    if (!SERVER_OWNED_METADATA.includes(key)) metadata[key] = value;
  }
  return copy({ apiVersion: object.apiVersion, kind: object.kind, metadata, spec: object.spec } as T);
}
