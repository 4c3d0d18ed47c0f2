// The CRDs' CEL rules (`x-kubernetes-validations`), evaluated with @bufbuild/cel as kube-apiserver's
// apiextensions validator does: `self` is the value at the rule's node (rules of absent fields do not run),
// `oldSelf` the value it replaces on an update (transition rules run only where one exists), the error is
// the rule's `reason` at its path (plus `fieldPath`) with `messageExpression`, `message` or
// `failed rule: <rule>`. Library: CEL's standard functions and macros (`has`, `all`, `exists`,
// `exists_one`, `filter`, `size`, `matches`, `duration` ...) plus the strings extension Kubernetes enables
// (`split`, ...); the rules of the served CRDs use nothing else (a test compiles every one of them).
import { celEnv, isCelError, parse, plan, type CelInput } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
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

const isTransition = (rule: CelRule) => /\boldSelf\b/.test(rule.rule);

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

function evaluate(rule: CelRule, schema: Schema, path: string, self: Json, old: Json): FieldError[] {
  const transition = isTransition(rule);
  if (transition && old === undefined && !rule.optionalOldSelf) return [];
  const bindings: Record<string, CelInput> = { self: toCel(self, schema) };
  if (transition) bindings.oldSelf = old === undefined ? null : toCel(old, schema);
  const result = compileRule(rule.rule)(bindings);
  if (isCelError(result)) return [ruleError(rule, schema, path, `rule evaluation error: ${result.message}`)];
  if (result === true) return [];
  return [ruleError(rule, schema, path, messageOf(rule, bindings))];
}

/** The old item a list item replaces: only lists of type map correlate, by their keys. */
function correlatedItem(item: Json, old: Json, schema: Schema): Json {
  const keys = schema['x-kubernetes-list-map-keys'];
  if (schema['x-kubernetes-list-type'] !== 'map' || !keys || !Array.isArray(old) || !isObject(item)) {
    return undefined;
  }
  return old.find((o) => isObject(o) && keys.every((k) => o[k] === item[k]));
}

/**
 * Every failed CEL rule in `v` (and below), as the field errors kube-apiserver reports; `old` is the stored
 * value on an update, undefined on a create.
 */
export function celErrors(v: Json, schema: Schema | undefined, old: Json, path = ''): FieldError[] {
  // A subtree without rules has nothing to report (of a thousand routes, only their few duration fields do).
  if (!schema || !hasRules(schema) || v === undefined || v === null) return [];
  // The node's own rules before its children's, as the validator reports them.
  const rules = schema['x-kubernetes-validations'];
  const errors = rules ? rules.flatMap((rule) => evaluate(rule, schema, path, v, old)) : [];
  if (Array.isArray(v)) {
    const items = schema.items;
    if (items && hasRules(items)) {
      v.forEach((item, i) =>
        errors.push(...celErrors(item, items, correlatedItem(item, old, schema), `${path}[${i}]`)),
      );
    }
  } else if (isObject(v)) {
    for (const [k, child] of Object.entries(v)) {
      const childSchema =
        schema.properties?.[k] ??
        (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
      // The child's path is written only where a rule may report it.
      if (!childSchema || !hasRules(childSchema)) continue;
      const oldChild = isObject(old) ? old[k] : undefined;
      const childPath = path ? `${path}.${k}` : k;
      errors.push(...celErrors(child, childSchema, oldChild, childPath));
    }
  }
  return errors;
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
