// The CRDs' CEL rules (`x-kubernetes-validations`), evaluated with @bufbuild/cel as kube-apiserver's
// apiextensions validator does: `self` is the value at the rule's node (rules of absent fields do not run),
// `oldSelf` the value it replaces on an update (transition rules run only where one exists), the error is
// the rule's `reason` at its path (plus `fieldPath`) with `messageExpression`, `message` or
// `failed rule: <rule>`. Library: CEL's standard functions and macros (`has`, `all`, `exists`,
// `exists_one`, `filter`, `size`, `matches`, `duration` ...) plus the strings extension Kubernetes enables
// (`split`, ...); the rules of the served CRDs use nothing else (a test compiles every one of them).
import { celEnv, isCelError, parse, plan, type CelInput } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { FieldPath } from '../../../src/plan/crd-schema.js';
import type { CelRule, Schema } from './schema.js';
import type { FieldError } from './status.js';

type Json = unknown;
type Program = ReturnType<typeof plan>;

const env = celEnv({ funcs: strings });
const programs = new Map<string, Program>();

/** The planned program of a rule, compiled once per process; a rule that does not compile throws. */
export function compileRule(expression: string): Program {
  let program = programs.get(expression);
  if (!program) {
    program = plan(env, parse(expression));
    programs.set(expression, program);
  }
  return program;
}

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON as CEL sees it through the schema: integers are CEL `int` (bigint), other numbers `double`. */
function toCel(v: Json, schema: Schema | undefined): CelInput {
  if (Array.isArray(v)) return v.map((item) => toCel(item, schema?.items));
  if (isObject(v)) {
    const out: Record<string, CelInput> = {};
    for (const [k, child] of Object.entries(v)) {
      const childSchema =
        schema?.properties?.[k] ??
        (typeof schema?.additionalProperties === 'object' ? schema.additionalProperties : undefined);
      out[k] = toCel(child, childSchema);
    }
    return out as CelInput;
  }
  if (typeof v === 'number' && Number.isInteger(v) && schema?.type !== 'number') return BigInt(v);
  return v as CelInput;
}

const transitions = new Map<string, boolean>();

/** Whether a rule reads `oldSelf` (a transition rule), decided once per rule. */
function isTransition(rule: CelRule): boolean {
  let transition = transitions.get(rule.rule);
  if (transition === undefined) transitions.set(rule.rule, (transition = /\boldSelf\b/.test(rule.rule)));
  return transition;
}

/** The type kube-apiserver names as the invalid value of a failed rule (`"object"`, `"string"` ...). */
function schemaType(schema: Schema): string {
  return schema.type ?? '';
}

function messageOf(rule: CelRule, bindings: Record<string, CelInput>): string {
  if (rule.messageExpression) {
    const message = compileRule(rule.messageExpression)(bindings);
    if (typeof message === 'string' && message.trim() !== '') return message;
  }
  return rule.message ?? `failed rule: ${rule.rule.trim()}`;
}

function joinPath(path: string, fieldPath: string | undefined): string {
  if (!fieldPath) return path;
  return path ? `${path}${fieldPath}` : fieldPath.replace(/^\./, '');
}

function ruleError(rule: CelRule, schema: Schema, path: string, detail: string): FieldError {
  const field = joinPath(path, rule.fieldPath);
  switch (rule.reason) {
    case 'FieldValueForbidden':
      return { type: 'FieldValueForbidden', field, body: `Forbidden: ${detail}` };
    case 'FieldValueRequired':
      return { type: 'FieldValueRequired', field, body: `Required value: ${detail}` };
    case 'FieldValueDuplicate':
      return { type: 'FieldValueDuplicate', field, body: `Duplicate value: "${schemaType(schema)}"` };
    default:
      return { type: 'FieldValueInvalid', field, body: `Invalid value: "${schemaType(schema)}": ${detail}` };
  }
}

/** One rule at `place`: its error, if it fails, added to `errors`. */
function evaluate(
  rule: CelRule,
  schema: Schema,
  place: FieldPath,
  self: Json,
  old: Json,
  errors: FieldError[],
): void {
  const transition = isTransition(rule);
  if (transition && old === undefined && !rule.optionalOldSelf) return;
  const bindings: Record<string, CelInput> = { self: toCel(self, schema) };
  if (transition) bindings.oldSelf = old === undefined ? null : toCel(old, schema);
  const result = compileRule(rule.rule)(bindings);
  if (isCelError(result)) {
    errors.push(ruleError(rule, schema, place.text(), `rule evaluation error: ${result.message}`));
  } else if (result !== true) {
    errors.push(ruleError(rule, schema, place.text(), messageOf(rule, bindings)));
  }
}

/** The old item a list item replaces: only lists of type map correlate, by their keys. */
function correlatedItem(item: Json, old: Json, schema: Schema): Json {
  const keys = schema['x-kubernetes-list-map-keys'];
  if (schema['x-kubernetes-list-type'] !== 'map' || !keys || !Array.isArray(old) || !isObject(item)) {
    return undefined;
  }
  return old.find((o) => isObject(o) && sameKeys(o, item, keys));
}

// Apart from correlatedItem: a callback reading its parameters would make each of its calls (one per list
// item) allocate a context, correlated or not.
function sameKeys(a: Record<string, Json>, b: Record<string, Json>, keys: string[]): boolean {
  return keys.every((key) => a[key] === b[key]);
}

/**
 * Every failed CEL rule in `v` (and below), as the field errors kube-apiserver reports; `old` is the stored
 * value on an update, undefined on a create.
 */
export function celErrors(v: Json, schema: Schema | undefined, old: Json, path = ''): FieldError[] {
  const errors: FieldError[] = [];
  collectCelErrors(v, schema, old, new FieldPath(path), errors);
  return errors;
}

/**
 * celErrors into `errors`, the path kept as steps and written only for an error: this walks every route of
 * a large object on each write, and a path string, a result list and a callback per value were most of
 * what a write of a thousand routes allocated here.
 */
function collectCelErrors(
  v: Json,
  schema: Schema | undefined,
  old: Json,
  place: FieldPath,
  errors: FieldError[],
): void {
  // A subtree without rules has nothing to report (of a thousand routes, only their few duration fields do).
  if (!schema || !hasRules(schema) || v === undefined || v === null) return;
  // The node's own rules before its children's, as the validator reports them.
  const rules = schema['x-kubernetes-validations'];
  if (rules)
    for (let index = 0; index < rules.length; index++) evaluate(rules[index]!, schema, place, v, old, errors);
  if (Array.isArray(v)) {
    const items = schema.items;
    if (!items || !hasRules(items)) return;
    for (let index = 0; index < v.length; index++) {
      const item: Json = v[index];
      place.push(index);
      collectCelErrors(item, items, correlatedItem(item, old, schema), place, errors);
      place.pop();
    }
  } else if (isObject(v)) {
    const additional =
      typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
    for (const k in v) {
      if (!Object.hasOwn(v, k)) continue;
      const childSchema = schema.properties?.[k] ?? additional;
      if (!childSchema || !hasRules(childSchema)) continue;
      place.push(k);
      collectCelErrors(v[k], childSchema, isObject(old) ? old[k] : undefined, place, errors);
      place.pop();
    }
  }
}

/** Whether a schema (or anything below it) carries a rule `matches` accepts, remembered per schema. */
function ruleBelow(
  seen: WeakMap<Schema, boolean>,
  matches: (rule: CelRule) => boolean,
): (schema: Schema | undefined) => boolean {
  const below = (schema: Schema | undefined): boolean => {
    if (!schema) return false;
    let found = seen.get(schema);
    if (found === undefined) {
      found =
        (schema['x-kubernetes-validations'] ?? []).some(matches) ||
        Object.values(schema.properties ?? {}).some(below) ||
        (typeof schema.additionalProperties === 'object' && below(schema.additionalProperties)) ||
        below(schema.items);
      seen.set(schema, found);
    }
    return found;
  };
  return below;
}

/** Whether a schema (or anything below it) carries CEL rules: only then does the validator run at all. */
export const hasRules = ruleBelow(new WeakMap(), () => true);

/** Whether a schema (or anything below it) has a transition rule (one reading `oldSelf`). */
export const hasTransitionRules = ruleBelow(new WeakMap(), isTransition);
