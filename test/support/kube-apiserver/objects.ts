// Conversions between stored objects and what goes on the wire, and the checks every write makes.
import { celErrors, hasRules, hasTransitionRules } from './cel.js';
import { schemaOf } from './crds.js';
import { ResourceRegistry, type ResourceType } from './resources.js';
import { applyDefaults, hasDefaults, validateAndPrune, type Schema } from './schema.js';
import { badRequest, invalid, type FieldError } from './status.js';
import { jsonPieces } from '../../../src/kube/json-pieces.js';
import { clone, type KubeObject } from './store.js';

/**
 * The object as a client of `version` sees it: custom resources share one storage across versions, and
 * their schema's defaults are applied on reading, as kube-apiserver does for what etcd holds.
 */
export function toWire(obj: KubeObject, t: ResourceType, version: string): KubeObject {
  const out = clone(obj);
  const { apiVersion: _a, kind: _k, ...rest } = out;
  const wire = {
    apiVersion: ResourceRegistry.groupVersion(t.group, version),
    kind: t.kind,
    ...rest,
  } as KubeObject;
  applyDefaults(wire, schemaOf(t, version));
  return wire;
}

/**
 * toWire for a reply body, which is written out as JSON at once and never changed: when the schema gives no
 * defaults to fill in, the stored object's fields are shared rather than copied (a list of large objects
 * would otherwise be copied whole before being written).
 */
export function replyWire(obj: KubeObject, t: ResourceType, version: string): KubeObject {
  if (hasDefaults(schemaOf(t, version))) return toWire(obj, t, version);
  const { apiVersion: _a, kind: _k, ...rest } = obj;
  return { apiVersion: ResourceRegistry.groupVersion(t.group, version), kind: t.kind, ...rest } as KubeObject;
}

/** A list reply (see replyWire: its items share the stored objects' fields). */
export function listOf(
  t: ResourceType,
  version: string,
  items: KubeObject[],
  resourceVersion: number,
  more: Record<string, unknown> = {},
) {
  return {
    apiVersion: ResourceRegistry.groupVersion(t.group, version),
    kind: `${t.kind}List`,
    metadata: { resourceVersion: String(resourceVersion), ...more },
    items: items.map((o) => replyWire(o, t, version)),
  };
}

const wireTexts = new WeakMap<KubeObject, Map<string, Buffer[]>>();

/**
 * `JSON.stringify(replyWire(obj, t, version))` as UTF-8 bytes, written once per stored object and version: a
 * stored object is never changed in place (every write stores a new object), so its text holds until it is
 * replaced, and a large object read by several clients, or read right after the write that answered with
 * it, is neither written out nor encoded again for each. In pieces (jsonPieces), as the client sends a
 * large body: a string or buffer of a whole large object would be paid for in fresh pages each time.
 */
export function wireBytes(obj: KubeObject, t: ResourceType, version: string): Buffer[] {
  let texts = wireTexts.get(obj);
  if (!texts) wireTexts.set(obj, (texts = new Map()));
  let bytes = texts.get(version);
  if (bytes === undefined) {
    texts.set(version, (bytes = jsonPieces(replyWire(obj, t, version)).map((piece) => Buffer.from(piece))));
  }
  return bytes;
}

/** `JSON.stringify(listOf(...))` as UTF-8 bytes, from the items' own (the same members, in the same order). */
export function listBytes(
  t: ResourceType,
  version: string,
  items: KubeObject[],
  resourceVersion: number,
  more: Record<string, unknown> = {},
): Buffer[] {
  const head = listOf(t, version, [], resourceVersion, more);
  const parts: Buffer[] = [
    Buffer.from(
      `{"apiVersion":${JSON.stringify(head.apiVersion)},"kind":${JSON.stringify(head.kind)},"metadata":${JSON.stringify(head.metadata)},"items":[`,
    ),
  ];
  items.forEach((o, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(...wireBytes(o, t, version));
  });
  parts.push(LIST_END);
  return parts;
}

const COMMA = Buffer.from(',');
const LIST_END = Buffer.from(']}');

export type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

export function fieldValidationOf(query: URLSearchParams): FieldValidation {
  const v = query.get('fieldValidation');
  if (v === null || v === '') return 'Warn';
  if (v === 'Ignore' || v === 'Warn' || v === 'Strict') return v;
  throw badRequest(`fieldValidation parameter unsupported: ${v}`);
}

function builtInErrors(t: ResourceType, obj: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  const spec = (obj.spec ?? {}) as Record<string, unknown>;
  if (t.kind === 'Deployment' || t.kind === 'ReplicaSet') {
    const selector = spec.selector as { matchLabels?: Record<string, string> } | undefined;
    const template = spec.template as {
      metadata?: { labels?: Record<string, string> };
      spec?: { containers?: unknown[] };
    };
    if (!selector)
      errors.push({ type: 'FieldValueRequired', field: 'spec.selector', body: 'Required value' });
    const labels = template?.metadata?.labels ?? {};
    const selects = Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
    if (selector && !selects) {
      const goMap = `map[string]string{${Object.entries(labels)
        .map(([k, v]) => `"${k}":"${v}"`)
        .join(', ')}}`;
      errors.push({
        type: 'FieldValueInvalid',
        field: 'spec.template.metadata.labels',
        body: `Invalid value: ${goMap}: \`selector\` does not match template \`labels\``,
      });
    }
    if (!template?.spec?.containers?.length) {
      errors.push({
        type: 'FieldValueRequired',
        field: 'spec.template.spec.containers',
        body: 'Required value',
      });
    }
    const replicas = spec.replicas;
    if (typeof replicas === 'number' && replicas < 0) {
      errors.push({
        type: 'FieldValueInvalid',
        field: 'spec.replicas',
        body: `Invalid value: ${replicas}: must be greater than or equal to 0`,
      });
    }
  }
  return errors;
}

function withoutMeta(obj: KubeObject): Record<string, unknown> {
  const { apiVersion: _a, kind: _k, metadata: _m, ...rest } = obj;
  return rest;
}

export interface Checked {
  object: KubeObject;
  warnings: string[];
}

/** Schema errors that stop the CEL rules from running (apiextensions' hasBlockingErr). */
const BLOCKING = [
  'FieldValueNotSupported',
  'FieldValueRequired',
  'FieldValueTooLong',
  'FieldValueTooMany',
  'FieldValueTypeInvalid',
];

/** What kube-apiserver reports instead of the CEL rules when the object is structurally invalid. */
const RULES_NOT_CHECKED: FieldError = {
  type: 'FieldValueInvalid',
  field: '<nil>',
  body: 'Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
};

/**
 * Validates a write: the object's name, and for custom resources the CRD schema (defaults applied,
 * unknown fields pruned, a 400 under fieldValidation=Strict, a 422 for violations) and its CEL rules
 * (`old`: the stored object an update replaces, for transition rules, asked for only when there are some).
 */
export function checkObject(
  t: ResourceType,
  version: string,
  obj: KubeObject,
  schemas: Map<string, Schema>,
  validation: FieldValidation,
  old?: () => KubeObject | undefined,
): Checked {
  const name = obj.metadata.name ?? '';
  const errors: FieldError[] = [];
  if (!name) {
    errors.push({
      type: 'FieldValueRequired',
      field: 'metadata.name',
      body: 'Required value: name or generateName is required',
    });
  } else if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) || name.length > 253) {
    errors.push({
      type: 'FieldValueInvalid',
      field: 'metadata.name',
      body: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    });
  }
  const warnings: string[] = [];
  const schema = t.custom ? schemas.get(`${t.group}/${t.kind}/${version}`) : undefined;
  if (schema) {
    applyDefaults(obj, schema);
    const unknown: string[] = [];
    for (const [field, value] of Object.entries(obj)) {
      if (field === 'apiVersion' || field === 'kind' || field === 'metadata') continue;
      const fieldSchema = schema.properties?.[field];
      if (!fieldSchema) {
        unknown.push(field);
        delete obj[field];
        continue;
      }
      const r = validateAndPrune(value, fieldSchema, field);
      errors.push(...r.errors);
      unknown.push(...r.unknownFields);
    }
    for (const field of schema.required ?? []) {
      if (!(field in obj)) errors.push({ type: 'FieldValueRequired', field, body: 'Required value' });
    }
    if (unknown.length > 0 && validation === 'Strict') {
      throw badRequest(
        `${t.kind} in version "${version}" cannot be handled as a ${t.kind}: strict decoding error: ${unknown.map((u) => `unknown field "${u}"`).join(', ')}`,
      );
    }
    if (validation === 'Warn') warnings.push(...unknown.map((u) => `unknown field "${u}"`));
    if (hasRules(schema)) {
      if (errors.some((e) => BLOCKING.includes(e.type))) errors.push(RULES_NOT_CHECKED);
      else {
        const before = hasTransitionRules(schema) ? old?.() : undefined;
        errors.push(...celErrors(withoutMeta(obj), schema, before && withoutMeta(before)));
      }
    }
  } else errors.push(...builtInErrors(t, obj));
  if (errors.length > 0) throw invalid(t, name, errors);
  return { object: obj, warnings };
}
