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

/**
 * `qualifyHost(a, aNamespace) === qualifyHost(b, bNamespace)`, writing the names only when one is short and
 * the other not: two short names (no dot) are the same host in the same namespace, two others as written.
 * The planner asks this for every destination of every route.
 */
export function sameQualifiedHost(a: string, aNamespace: string, b: string, bNamespace: string): boolean {
  const aShort = !a.includes('.') && !a.includes('*');
  const bShort = !b.includes('.') && !b.includes('*');
  if (aShort && bShort) return a === b && aNamespace === bNamespace;
  if (!aShort && !bShort) return a === b;
  return qualifyHost(a, aNamespace) === qualifyHost(b, bNamespace);
}

export function sameHost(a: string | undefined, b: string, namespace: string): boolean {
  return a !== undefined && sameQualifiedHost(a, namespace, b, namespace);
}

export function namespaceOf(object: KubeObject, fallback: string): string {
  return object.metadata.namespace ?? fallback;
}

export function resourceName(object: KubeObject, fallbackNamespace: string): string {
  return `${object.kind} ${namespaceOf(object, fallbackNamespace)}/${object.metadata.name}`;
}

const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** What JSON.stringify with sorted keys writes, by JSON.stringify itself (any value). */
function sortedKeysJson(value: unknown): string {
  return JSON.stringify(value, (_key, member: unknown) => {
    if (member === null || typeof member !== 'object' || Array.isArray(member)) return member;
    const entries = Object.entries(member).filter(([, field]) => field !== undefined);
    return Object.fromEntries(entries.sort(([a], [b]) => byCodeUnits(a, b)));
  });
}

// An object key JavaScript orders before the others whatever the insertion order (an array index).
const INDEX_KEY = /^(?:0|[1-9][0-9]{0,9})$/;

/** Thrown by canonicalMember on what only sortedKeysJson writes exactly (toJSON, class instances, index keys). */
const NOT_PLAIN = Symbol('not plain data');

/**
 * sortedKeysJson of plain data, written directly: no replacer call and no sorted copy per object.
 * `without`: a field of the outermost object left out (a match block's `name`, which does not narrow it).
 */
function canonicalMember(value: unknown, without?: string): string | undefined {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value) as string | undefined;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') throw NOT_PLAIN;
  if (Array.isArray(value)) {
    let items = '';
    for (let index = 0; index < value.length; index++) {
      items += `${index > 0 ? ',' : ''}${canonicalMember((value as unknown[])[index]) ?? 'null'}`;
    }
    return `[${items}]`;
  }
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) throw NOT_PLAIN;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length > 1) keys.sort(byCodeUnits);
  let members = '';
  for (const key of keys) {
    // An index key starts with a digit: the pattern is tested only then.
    const first = key.charCodeAt(0);
    if (first >= 48 && first <= 57 && INDEX_KEY.test(key)) throw NOT_PLAIN;
    if (key === without) continue;
    const field = record[key];
    const member = field === undefined ? undefined : canonicalMember(field);
    if (member !== undefined) members += `${members === '' ? '' : ','}${quotedKey(key)}:${member}`;
  }
  return `{${members}}`;
}

/** JSON.stringify of a field name, kept: the same few names (uri, prefix, exact …) come thousands of times. */
const quotedKeys = new Map<string, string>();
const QUOTED_KEYS_KEPT = 4096;

function quotedKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    if (quotedKeys.size >= QUOTED_KEYS_KEPT) quotedKeys.clear();
    quotedKeys.set(key, (quoted = JSON.stringify(key)));
  }
  return quoted;
}

/**
 * JSON with sorted keys and no undefined members: equal strings mean the same object. `without`: a field of
 * the object itself left out.
 */
export function canonicalJson(value: unknown, without?: string): string {
  try {
    return canonicalMember(value, without) as string;
  } catch (error) {
    if (error !== NOT_PLAIN) throw error;
    if (without === undefined || typeof value !== 'object' || value === null) return sortedKeysJson(value);
    const { [without]: _left, ...rest } = value as Record<string, unknown>;
    return sortedKeysJson(rest);
  }
}

/** A string's hash (FNV-1a over its UTF-16 units), from `seed`. */
function stringHash(text: string, seed: number): number {
  let hash = seed ^ 0x811c9dc5;
  for (let index = 0; index < text.length; index++)
    hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193);
  return hash;
}

/** Mixes two hashes in order (a list's items, a field's name and value). */
function combined(a: number, b: number): number {
  return Math.imul(a ^ (b + 0x9e3779b9 + (a << 6) + (a >>> 2)), 0x85ebca6b);
}

const NULL_HASH = 0x6e756c6c;

/**
 * An object literal's kind, of this realm or another (a test's sandbox): its prototype is null or an
 * Object.prototype, and it has no toJSON. Class instances, Dates, Maps and boxed values are not.
 */
export function isPlainRecord(value: object): value is Record<string, unknown> {
  const prototype = Object.getPrototypeOf(value) as object | null;
  if (prototype !== null && Object.getPrototypeOf(prototype) !== null) return false;
  if (Object.prototype.toString.call(value) !== '[object Object]') return false;
  return typeof (value as { toJSON?: unknown }).toJSON !== 'function';
}

/** A member JSON leaves out of an object (and writes as null in a list). */
export function omittedByJson(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

/**
 * A number that is the same for values with the same canonicalJson (`without`: a field of the outermost
 * object left out), made without building the string or any other value: a check comparing every match
 * block of a thousand routes needs canonicalJson only where two blocks' hashes meet. Undefined for what
 * is not plain JSON data (a function, a class instance, an object with toJSON …), which only canonicalJson
 * compares exactly; a cyclic value throws, as canonicalJson does.
 */
export function canonicalHash(value: unknown, without?: string, depth = 0): number | undefined {
  if (depth > 1000) throw new TypeError('Converting circular structure to JSON');
  switch (typeof value) {
    case 'string':
      return stringHash(value, 1);
    case 'boolean':
      return value ? 0x74727565 : 0x66616c73;
    case 'number':
      // As JSON writes it: non-finite numbers as null, -0 as 0.
      return Number.isFinite(value) ? stringHash(String(value + 0), 2) : NULL_HASH;
    case 'object':
      break;
    default:
      return undefined;
  }
  if (value === null) return NULL_HASH;
  if (Array.isArray(value)) {
    let hash = 0x5b5d;
    for (let index = 0; index < value.length; index++) {
      const item: unknown = value[index];
      // JSON writes an item it cannot write (undefined, a function, a symbol) as null.
      const itemHash = omittedByJson(item) ? NULL_HASH : canonicalHash(item, undefined, depth + 1);
      if (itemHash === undefined) return undefined;
      hash = combined(hash, itemHash);
    }
    return hash;
  }
  if (!isPlainRecord(value)) return undefined;
  // The fields in any order (canonicalJson sorts them): a sum of each field's own hash.
  let sum = 0x7b7d;
  const record = value as Record<string, unknown>;
  for (const key in record) {
    if (!Object.hasOwn(record, key) || key === without) continue;
    const field = record[key];
    if (omittedByJson(field)) continue;
    const fieldHash = canonicalHash(field, undefined, depth + 1);
    if (fieldHash === undefined) return undefined;
    sum = (sum + combined(stringHash(key, 3), fieldHash)) | 0;
  }
  return sum;
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
  // Keyed lookups over the own fields, no entry arrays or maps: this runs for every route of a large object.
  const ours = a as Record<string, unknown>;
  const theirs = b as Record<string, unknown>;
  let defined = 0;
  for (const key of Object.keys(ours)) {
    const member = ours[key];
    if (member === undefined) continue;
    defined++;
    if (!Object.hasOwn(theirs, key) || !sameJson(member, theirs[key])) return false;
  }
  for (const key of Object.keys(theirs)) if (theirs[key] !== undefined) defined--;
  return defined === 0;
}

/**
 * A member as a JSON round trip leaves it: undefined (left out) for undefined, functions and symbols;
 * null for non-finite numbers; anything not plain data (a Date, a class instance, an object with toJSON)
 * through JSON itself.
 */
function jsonMember(value: unknown): unknown {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value + 0 : null; // + 0: JSON writes -0 as 0
    case 'object':
      break;
    case 'bigint':
      return JSON.stringify(value); // throws, as JSON does
    default:
      return undefined;
  }
  if (Array.isArray(value)) {
    const items: unknown[] = new Array<unknown>(value.length);
    for (let index = 0; index < value.length; index++) {
      const item = jsonMember((value as unknown[])[index]);
      items[index] = item === undefined ? null : item;
    }
    return items;
  }
  const prototype = Object.getPrototypeOf(value) as unknown;
  const plain = prototype === Object.prototype || prototype === null;
  if (!plain || typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return JSON.parse(JSON.stringify(value)) as unknown;
  }
  const keys = Object.keys(value);
  // An assignment to `__proto__` would set the prototype, where JSON.parse makes a field: JSON copies that.
  if (keys.includes('__proto__')) return JSON.parse(JSON.stringify(value)) as unknown;
  const members: Record<string, unknown> = {};
  for (const key of keys) {
    const member = jsonMember((value as Record<string, unknown>)[key]);
    if (member !== undefined) members[key] = member;
  }
  return members;
}

/**
 * A deep copy without undefined members (what YAML and the API server would see): what
 * `JSON.parse(JSON.stringify(value))` gives, built directly (several times faster on a VirtualService of a
 * thousand routes, which a plan copies).
 */
export function copy<T>(value: T): T {
  const copied = jsonMember(value);
  return (copied === undefined ? JSON.parse(JSON.stringify(value)) : copied) as T;
}

/** Objects JSON.parse made (what an API server answered, as src/kube reads it): isJsonData need not walk them. */
const parsedJson = new WeakSet<object>();

/**
 * Records `value` as JSON.parse made it, for a reader that hands it to the planner unchanged: a plan asks
 * isJsonData of the objects it read several times, and a thousand routes are a long walk each time.
 */
export function markParsedJson(value: unknown): void {
  if (typeof value === 'object' && value !== null) parsedJson.add(value);
}

/**
 * Whether a value is data as JSON.parse gives it (strings, finite numbers, booleans, null, lists without
 * holes, plain objects without undefined members): `copy` of it is then equal to it member for member, so a
 * caller may share its members instead of copying them. A walk without allocation, cheaper than a copy.
 */
export function isJsonData(value: unknown): boolean {
  return jsonDataAt(value, 0);
}

/**
 * isJsonData at a depth: a parsed object is recognised at the top and one level down (an object and its
 * spec), where a marked one is found; deeper, a lookup per object would cost more than it saves.
 */
function jsonDataAt(value: unknown, depth: number): boolean {
  if (value === null) return true;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object':
      break;
    default:
      return false;
  }
  if (depth < 2 && parsedJson.has(value)) return true;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      if (!(index in value) || !jsonDataAt((value as unknown[])[index], depth + 1)) return false;
    }
    return Object.getPrototypeOf(value) === Array.prototype;
  }
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return false;
  // for-in (a plain object inherits no enumerable field) rather than Object.keys: no list per object
  for (const key in value) {
    if (key === '__proto__') return false;
    const member = (value as Record<string, unknown>)[key];
    if (member === undefined || !jsonDataAt(member, depth + 1)) return false;
  }
  return true;
}

/**
 * A copy for a planner that replaces what it changes (spec members, metadata fields) and never changes a
 * member in place: the object, its metadata and its spec are new; the spec's members are shared with
 * `object` when it is JSON data (a copy would be equal to them) and copied otherwise. A thousand routes
 * are not copied only to be copied again where they change.
 */
export function ownCopy<T extends KubeObject>(object: T): T {
  const spec = object.spec;
  if (!isMap(spec) || !isJsonData(object)) return copy(object);
  const outer = copy({ ...object, spec: {} });
  outer.spec = { ...spec };
  return outer;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What cleanObject keeps, not yet copied: the spec is the object's own (for a caller that copies it anyway). */
export function cleanFields<T extends KubeObject>(object: T): T {
  const metadata: ObjectMeta = { name: object.metadata.name };
  for (const [key, value] of Object.entries(object.metadata)) {
    if (!SERVER_OWNED_METADATA.includes(key)) metadata[key] = value;
  }
  return { apiVersion: object.apiVersion, kind: object.kind, metadata, spec: object.spec } as T;
}

/** The object as a user would keep it in Git: no status, no server-owned metadata. */
export function cleanObject<T extends KubeObject>(object: T): T {
  return copy(cleanFields(object));
}
