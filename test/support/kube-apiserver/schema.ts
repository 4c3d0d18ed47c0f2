// Structural validation of custom objects against the openAPIV3Schema of their CRDs, with the messages
// kube-apiserver gives: 422 field errors, pruning of unknown fields (or 400 under fieldValidation=Strict),
// structural defaulting, and the typed-object errors server-side apply reports as 500.
import { FieldPath, type CrdSchema } from '../../../src/plan/crd-schema.js';
import { memoized } from '../../../src/plan/lazy.js';
import type { FieldError } from './status.js';

export { crdSchemas as loadCrdSchemas } from './crds.js';

/** One `x-kubernetes-validations` entry. */
export interface CelRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
  fieldPath?: string;
  optionalOldSelf?: boolean;
}

type Nested = 'properties' | 'items' | 'additionalProperties' | 'oneOf' | 'anyOf' | 'allOf' | 'not';

/**
 * The OpenAPI v3 subset CRDs use, as the planner reads it too (it checks input objects against the same
 * schemas), plus what only the API server acts on: defaults, CEL rules, list types, string and list bounds.
 */
export interface Schema extends Omit<CrdSchema, Nested> {
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
  not?: Schema;
  minItems?: number;
  minLength?: number;
  pattern?: string;
  default?: unknown;
  'x-kubernetes-validations'?: CelRule[];
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
}

type Json = unknown;

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function jsonType(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v; // string, boolean, object
}

/** Whether a value has the schema's type, as a test decided once per schema node. */
function typeCheck(schema: Schema): (v: Json) => boolean {
  const type = schema.type;
  const nullable = schema.nullable === true;
  if (schema['x-kubernetes-int-or-string']) return (v) => typeof v === 'string' || Number.isInteger(v);
  switch (type) {
    case undefined:
      return (v) => v !== null || nullable;
    case 'integer':
      return (v) => (v === null ? nullable : Number.isInteger(v));
    case 'number':
      return (v) => (v === null ? nullable : typeof v === 'number');
    default:
      return (v) => (v === null ? nullable : jsonType(v) === type);
  }
}

function goQuote(v: Json): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

export interface ValidationResult {
  errors: FieldError[];
  /** paths of fields the schema does not declare (already removed from the object) */
  unknownFields: string[];
}

/** Validates `value` in place: removes undeclared fields and lists every schema violation. */
export function validateAndPrune(value: Json, schema: Schema, path = ''): ValidationResult {
  const result: ValidationResult = { errors: [], unknownFields: [] };
  validatorOf(schema)(value, new FieldPath(path), result);
  return result;
}

/** A schema node compiled into a function that validates (and prunes) a value at a place. */
type Validator = (v: Json, place: FieldPath, out: ValidationResult) => void;

/**
 * The validator of a schema node, compiled on first use and kept for the process (the CRDs are read once):
 * what each node checks is decided once, not looked up in the schema for every value of every request.
 */
const validatorOf: (schema: Schema) => Validator = memoized(compile);

function compile(schema: Schema): Validator {
  const enumValues = schema.enum;
  const bounded = schema.minimum !== undefined || schema.maximum !== undefined;
  // The node's own oneOf, then those of its allOf parts: each must hold for exactly one branch.
  const exclusive = [schema.oneOf, ...(schema.allOf ?? []).map((sub) => sub.oneOf)].filter(
    (branches): branches is Schema[] => branches !== undefined,
  );
  const stringChecked =
    schema.maxLength !== undefined || schema.minLength !== undefined || schema.pattern !== undefined;
  const { minItems, maxItems, items } = schema;
  const required = schema.required ?? [];
  const additional =
    typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
  const keepsUnknown =
    Boolean(schema['x-kubernetes-preserve-unknown-fields']) || schema.additionalProperties === true;
  // Each field name's validator, found once: its property's, additionalProperties', or null (pruned).
  // (only declared names are kept: the names of a map's entries are the user's own)
  const fields = new Map<string, Validator>();
  const additionalValidator = additional ? validatorOf(additional) : null;
  const fieldValidator = (name: string): Validator | null => {
    let validate = fields.get(name);
    if (validate === undefined) {
      const declared = schema.properties?.[name];
      if (!declared) return additionalValidator;
      fields.set(name, (validate = validatorOf(declared)));
    }
    return validate;
  };
  const itemValidator = items && validatorOf(items);
  const typeMatches = typeCheck(schema);
  return (v, place, out) => {
    if (!typeMatches(v)) {
      const actual = jsonType(v);
      out.errors.push({
        type: 'FieldValueTypeInvalid',
        field: place.text(),
        body: `Invalid value: "${actual}": ${place.text()} in body must be of type ${schema.type}: "${actual}"`,
      });
      return;
    }
    if (v === null) return;
    // A loop rather than some((e) => e === v): a closure reading `v` would make every call of this
    // validator (a dozen per route of a large object) allocate a context for it.
    if (enumValues && !isOneOf(v, enumValues)) {
      out.errors.push({
        type: 'FieldValueNotSupported',
        field: place.text(),
        body: `Unsupported value: ${goQuote(v)}: supported values: ${enumValues.map(goQuote).join(', ')}`,
      });
    }
    if (bounded && typeof v === 'number') checkBounds(v, schema, place, out);
    for (let index = 0; index < exclusive.length; index++) {
      if (metBranches(v, exclusive[index]!) !== 1) {
        out.errors.push({
          type: 'FieldValueInvalid',
          field: place.text(),
          body: `Invalid value: "${jsonType(v)}": ${place.text()} in body must validate one and only one schema (oneOf)`,
        });
      }
    }
    if (stringChecked && typeof v === 'string') checkString(v, schema, place, out);
    if (Array.isArray(v)) {
      if (minItems !== undefined && v.length < minItems) {
        out.errors.push({
          type: 'FieldValueInvalid',
          field: place.text(),
          body: `Invalid value: ${JSON.stringify(v)}: ${place.text()} in body should have at least ${minItems} items`,
        });
      }
      if (maxItems !== undefined && v.length > maxItems) {
        out.errors.push({
          type: 'FieldValueTooMany',
          field: place.text(),
          body: `Too many: ${v.length}: must have at most ${maxItems} items`,
        });
      }
      if (itemValidator) {
        for (let i = 0; i < v.length; i++) {
          place.push(i);
          itemValidator(v[i], place, out);
          place.pop();
        }
      }
      return;
    }
    if (!isObject(v)) return;
    for (let index = 0; index < required.length; index++) {
      const name = required[index]!;
      if (!(name in v))
        out.errors.push({ type: 'FieldValueRequired', field: place.text(name), body: 'Required value' });
    }
    // for-in, not Object.keys: no list of names per map (deleting the field being visited is allowed)
    for (const k in v) {
      if (!Object.hasOwn(v, k)) continue;
      const validate = fieldValidator(k);
      if (validate) {
        place.push(k);
        validate(v[k], place, out);
        place.pop();
      } else if (!keepsUnknown) {
        out.unknownFields.push(place.text(k));
        delete v[k];
      }
    }
  };
}

/**
 * Characters (code points), not UTF-16 units. Counted only when the units alone do not decide a bound: a
 * string has at most as many characters as units, and as many when it holds no surrogate pair.
 */
function characters(v: string): number {
  let count = v.length;
  for (let i = 0; i < v.length; i++) {
    const unit = v.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < v.length) {
      const next = v.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        count--;
        i++;
      }
    }
  }
  return count;
}

function checkString(v: string, schema: Schema, place: FieldPath, out: ValidationResult): void {
  const tooLong = schema.maxLength !== undefined && v.length > schema.maxLength;
  const maybeShort = schema.minLength !== undefined && v.length < 2 * schema.minLength;
  const length = tooLong || maybeShort ? characters(v) : v.length;
  const path = () => place.text();
  if (schema.maxLength !== undefined && length > schema.maxLength) {
    out.errors.push({
      type: 'FieldValueTooLong',
      field: path(),
      body: `Too long: may not be more than ${schema.maxLength} bytes`,
    });
  }
  if (schema.minLength !== undefined && length < schema.minLength) {
    out.errors.push({
      type: 'FieldValueInvalid',
      field: path(),
      body: `Invalid value: ${goQuote(v)}: ${path()} in body should be at least ${schema.minLength} chars long`,
    });
  }
  if (schema.pattern !== undefined && !patternOf(schema.pattern).test(v)) {
    out.errors.push({
      type: 'FieldValueInvalid',
      field: path(),
      body: `Invalid value: ${goQuote(v)}: ${path()} in body should match '${schema.pattern}'`,
    });
  }
}

const patterns = new Map<string, RegExp>();

/** The CRDs' patterns are Go (RE2) syntax; the ones they use mean the same as an ECMAScript `u` RegExp. */
function patternOf(source: string): RegExp {
  let re = patterns.get(source);
  if (!re) patterns.set(source, (re = new RegExp(source, 'u')));
  return re;
}

function checkBounds(v: number, schema: Schema, place: FieldPath, out: ValidationResult): void {
  const path = () => place.text();
  if (schema.minimum !== undefined && v < schema.minimum) {
    out.errors.push({
      type: 'FieldValueInvalid',
      field: path(),
      body: `Invalid value: ${v}: ${path()} in body should be greater than or equal to ${schema.minimum}`,
    });
  }
  if (schema.maximum !== undefined && v > schema.maximum) {
    out.errors.push({
      type: 'FieldValueInvalid',
      field: path(),
      body: `Invalid value: ${v}: ${path()} in body should be less than or equal to ${schema.maximum}`,
    });
  }
}

/**
 * Structural defaulting as kube-apiserver does it on decoding a request and on reading from storage: a
 * property with a `default` that is absent (or a null the schema does not allow) gets a copy of it, then
 * every property present, defaulted ones included, is defaulted in turn. A nested default applies only
 * where its parent exists.
 */
export function applyDefaults(v: Json, schema: Schema | undefined): void {
  if (!schema || !hasDefaults(schema)) return;
  if (Array.isArray(v)) {
    for (const item of v) applyDefaults(item, schema.items);
    return;
  }
  if (!isObject(v)) return;
  for (const [k, prop] of Object.entries(schema.properties ?? {})) {
    if (prop.default === undefined) continue;
    if (!(k in v) || (v[k] === null && !prop.nullable)) v[k] = structuredClone(prop.default);
  }
  for (const [k, child] of Object.entries(v)) {
    const childSchema =
      schema.properties?.[k] ??
      (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
    applyDefaults(child, childSchema);
  }
}

const withDefaults = new WeakMap<Schema, boolean>();

/**
 * Whether a schema (or anything below it) declares a default: only then can defaulting change a value, so
 * the walk skips the rest (Istio's CRDs declare none; the Gateway API's do, on a few fields).
 */
export function hasDefaults(schema: Schema | undefined): boolean {
  if (!schema) return false;
  let found = withDefaults.get(schema);
  if (found === undefined) {
    found =
      Object.values(schema.properties ?? {}).some(
        (prop) => prop.default !== undefined || hasDefaults(prop),
      ) ||
      (typeof schema.additionalProperties === 'object' && hasDefaults(schema.additionalProperties)) ||
      hasDefaults(schema.items);
    withDefaults.set(schema, found);
  }
  return found;
}

function isOneOf(v: Json, values: readonly unknown[]): boolean {
  for (let index = 0; index < values.length; index++) if (values[index] === v) return true;
  return false;
}

/**
 * Whether `v` satisfies a oneOf/anyOf branch: Istio's branches only test `required`, `not` and `anyOf`.
 * Indexed loops, no callbacks: this runs for every value under a oneOf (each match of a thousand routes).
 */
function satisfies(v: Json, s: Schema): boolean {
  if (s.required) {
    if (!isObject(v)) return false;
    for (let index = 0; index < s.required.length; index++) if (!(s.required[index]! in v)) return false;
  }
  if (s.not && satisfies(v, s.not)) return false;
  if (s.anyOf && metBranches(v, s.anyOf) === 0) return false;
  if (s.allOf && metBranches(v, s.allOf) !== s.allOf.length) return false;
  if (s.oneOf && metBranches(v, s.oneOf) !== 1) return false;
  return true;
}

/** How many of a oneOf's branches `v` satisfies (counted, not filtered into a list: this runs per value). */
function metBranches(v: Json, branches: Schema[]): number {
  let met = 0;
  for (let index = 0; index < branches.length; index++) if (satisfies(v, branches[index]!)) met++;
  return met;
}

/** How structured-merge-diff prints a value it did not expect (Go's %#v of its wrapper). */
function goValue(v: Json): string {
  return `&value.valueUnstructured{Value:${typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v)}}`;
}

/**
 * The errors server-side apply gives when it converts a custom object to its typed form: wrong types
 * and undeclared fields only (no enums, no required), with `.a.b[0]` paths.
 */
export function typedObjectErrors(v: Json, schema: Schema, path = ''): string[] {
  if (schema['x-kubernetes-preserve-unknown-fields'] && !schema.properties) return [];
  if (v === null) return [];
  if (schema['x-kubernetes-int-or-string']) {
    return typeof v === 'string' || typeof v === 'number'
      ? []
      : [`${path}: expected string or number, got ${goValue(v)}`];
  }
  switch (schema.type) {
    case 'integer':
    case 'number':
      return typeof v === 'number' ? [] : [`${path}: expected numeric (int or float), got ${jsonType(v)}`];
    case 'string':
      return typeof v === 'string' ? [] : [`${path}: expected string, got ${goValue(v)}`];
    case 'boolean':
      return typeof v === 'boolean' ? [] : [`${path}: expected boolean, got ${goValue(v)}`];
    case 'array':
      if (!Array.isArray(v)) return [`${path}: expected list, got ${goValue(v)}`];
      return v.flatMap((item, i) =>
        schema.items ? typedObjectErrors(item, schema.items, `${path}[${i}]`) : [],
      );
    default: {
      if (!isObject(v)) return schema.type === 'object' ? [`${path}: expected map, got ${goValue(v)}`] : [];
      return Object.entries(v).flatMap(([k, child]) => {
        const childSchema = schema.properties?.[k];
        if (childSchema) return typedObjectErrors(child, childSchema, `${path}.${k}`);
        if (typeof schema.additionalProperties === 'object') {
          return typedObjectErrors(child, schema.additionalProperties, `${path}.${k}`);
        }
        if (schema['x-kubernetes-preserve-unknown-fields'] || schema.additionalProperties === true) return [];
        return [`${path}.${k}: field not declared in schema`];
      });
    }
  }
}
