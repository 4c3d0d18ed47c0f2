// Structural validation of routing objects against Istio's CRD schemas (as data: istio-schemas.generated.ts),
// so a malformed object read from a file or the cluster gives one line naming the field, not a JavaScript
// error deep in the planner. It reads what kube-apiserver's structural validation reads; CEL rules
// (x-kubernetes-validations) are left to the API server.
import { InputError } from '../errors.js';
import { ISTIO_SPEC_SCHEMAS } from './istio-schemas.generated.js';
import { memoized } from './lazy.js';

export interface CrdSchema {
  type?: string;
  properties?: Record<string, CrdSchema>;
  items?: CrdSchema;
  additionalProperties?: CrdSchema | boolean;
  required?: string[];
  enum?: unknown[];
  nullable?: boolean;
  minimum?: number;
  maximum?: number;
  maxItems?: number;
  maxLength?: number;
  maxProperties?: number;
  oneOf?: CrdSchema[];
  anyOf?: CrdSchema[];
  allOf?: CrdSchema[];
  not?: CrdSchema;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'nothing (null: a dangling "-" or a key without value?)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'number') return `the number ${value}`;
  if (typeof value === 'boolean')
    return `the boolean ${value} (YAML reads unquoted yes/no/on/off as booleans)`;
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  return 'a map';
}

const TYPE_NAMES: Record<string, string> = {
  object: 'a map',
  array: 'a list',
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean',
};

const anyType = () => true;
const isIntOrString = (value: unknown) => typeof value === 'string' || Number.isInteger(value);
const isString = (value: unknown) => typeof value === 'string';

/** The test of a schema node's type, chosen once per node (not a switch on its name per value). */
function typeTest(schema: CrdSchema): (value: unknown) => boolean {
  if (schema['x-kubernetes-int-or-string']) return isIntOrString;
  switch (schema.type) {
    case undefined:
      return anyType;
    case 'object':
      return isMap;
    case 'array':
      return Array.isArray;
    case 'integer':
      return Number.isInteger;
    case 'string':
      return isString;
    default: {
      const type = schema.type;
      return (value) => typeof value === type;
    }
  }
}

/** Whether `value` meets a oneOf/anyOf branch: Istio's branches test only `required`, `not` and `anyOf`. */
function satisfies(value: unknown, schema: CrdSchema): boolean {
  const required = schema.required;
  if (required) {
    if (!isMap(value)) return false;
    for (let i = 0; i < required.length; i++) if (!((required[i] as string) in value)) return false;
  }
  if (schema.not && satisfies(value, schema.not)) return false;
  const anyOf = schema.anyOf;
  if (anyOf) {
    let any = false;
    for (let i = 0; i < anyOf.length && !any; i++) any = satisfies(value, anyOf[i] as CrdSchema);
    if (!any) return false;
  }
  return true;
}

/** The fields a set of exclusive branches names, for a message: `exact, prefix, regex`. */
function branchFields(branches: CrdSchema[]): string {
  const names = new Set<string>();
  const collect = (schema: CrdSchema) => {
    schema.required?.forEach((name) => names.add(name));
    if (schema.not) collect(schema.not);
    schema.anyOf?.forEach(collect);
  };
  branches.forEach(collect);
  return [...names].join(', ');
}

/**
 * Where the walk is: the steps from the root (`spec`, `http`, 0, `match` …), pushed and popped as it goes
 * down and back up. The path is written out only for a message: a VirtualService of a thousand routes has
 * tens of thousands of fields, and an object or a string per field walked was most of a check's garbage.
 */
export class FieldPath {
  private readonly steps: (string | number)[] = [];

  /** `root`: the root's path (`spec`, or empty) */
  constructor(private readonly root: string) {}

  push(step: string | number): void {
    this.steps.push(step);
  }

  pop(): void {
    this.steps.pop();
  }

  /** `spec.http[0].match`, and with `field` one step further (`spec.http[0].match.uri`). */
  text(field?: string | number): string {
    let path = this.root;
    for (const step of field === undefined ? this.steps : [...this.steps, field]) {
      if (typeof step === 'number') path = `${path}[${step}]`;
      else path = path ? `${path}.${step}` : step;
    }
    return path;
  }
}

function boundsViolation(value: unknown, schema: CrdSchema, place: FieldPath): string | undefined {
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum)
      return `${place.text()} must be at least ${schema.minimum}, got ${value}`;
    if (schema.maximum !== undefined && value > schema.maximum)
      return `${place.text()} must be at most ${schema.maximum}, got ${value}`;
  }
  if (typeof value === 'string' && schema.maxLength !== undefined && value.length > schema.maxLength) {
    return `${place.text()} must be at most ${schema.maxLength} characters long`;
  }
  if (Array.isArray(value) && schema.maxItems !== undefined && value.length > schema.maxItems) {
    return `${place.text()} must have at most ${schema.maxItems} items, got ${value.length}`;
  }
  if (
    isMap(value) &&
    schema.maxProperties !== undefined &&
    Object.keys(value).length > schema.maxProperties
  ) {
    return `${place.text()} must have at most ${schema.maxProperties} fields, got ${Object.keys(value).length}`;
  }
  return undefined;
}

/** The groups of exclusive branches of a schema (its oneOf, its allOf parts' oneOf), read once per schema. */
const exclusiveGroupsOf = new WeakMap<CrdSchema, CrdSchema[][]>();

function exclusiveGroups(schema: CrdSchema): CrdSchema[][] {
  let groups = exclusiveGroupsOf.get(schema);
  if (!groups) {
    groups = [schema.oneOf, ...(schema.allOf ?? []).map((part) => part.oneOf)].filter(
      (branches): branches is CrdSchema[] => branches !== undefined,
    );
    exclusiveGroupsOf.set(schema, groups);
  }
  return groups;
}

function exclusiveViolation(value: unknown, groups: CrdSchema[][], place: FieldPath): string | undefined {
  for (let group = 0; group < groups.length; group++) {
    const branches = groups[group] as CrdSchema[];
    let met = 0;
    for (let i = 0; i < branches.length; i++) if (satisfies(value, branches[i] as CrdSchema)) met++;
    if (met !== 1) {
      return `${place.text()} may set only one of ${branchFields(branches)}`;
    }
  }
  return undefined;
}

/** The first violation in a value at a place (`refuseUnknown`: undeclared fields count), or undefined. */
type Check = (value: unknown, place: FieldPath, refuseUnknown: boolean) => string | undefined;

/**
 * The check of a schema node, compiled on first use and kept (the schemas are constant data): what each node
 * tests is decided once, not read from the schema for every value of every object read.
 */
const checkOf: (schema: CrdSchema) => Check = memoized(compile);

function compile(schema: CrdSchema): Check {
  const nullAllowed = Boolean(schema.nullable) || schema.type === undefined;
  const expected = schema['x-kubernetes-int-or-string']
    ? 'an integer or a string'
    : (TYPE_NAMES[schema.type ?? ''] ?? schema.type);
  const enumValues = schema.enum;
  const bounded = [
    schema.minimum,
    schema.maximum,
    schema.maxLength,
    schema.maxItems,
    schema.maxProperties,
  ].some((bound) => bound !== undefined);
  const groups = exclusiveGroups(schema);
  const exclusive = groups.length > 0;
  const matchesType = typeTest(schema);
  const items = schema.items;
  // The items' check, found on the first list (compiling it here would recurse into itself).
  let itemCheck: Check | undefined;
  const required = schema.required ?? [];
  const keepsUnknown =
    Boolean(schema['x-kubernetes-preserve-unknown-fields']) || schema.additionalProperties === true;
  const additional = isMap(schema.additionalProperties) ? schema.additionalProperties : undefined;
  // A field's schema: its property's, else additionalProperties' (a declared name's check is kept).
  const fieldChecks = new Map<string, Check>();
  const fieldCheck = (name: string): Check | undefined => {
    let check = fieldChecks.get(name);
    if (check === undefined) {
      const declared = schema.properties?.[name];
      if (declared === undefined || declared === null) return additional && checkOf(additional);
      fieldChecks.set(name, (check = checkOf(declared)));
    }
    return check;
  };
  // Loops rather than find/filter, and for-in rather than Object.keys: this runs for every map of every
  // object read, and allocates nothing unless it finds something.
  const fieldsViolation = (value: Record<string, unknown>, place: FieldPath, refuseUnknown: boolean) => {
    // An unknown field first: a misspelt `destinaton` is the cause of the missing `destination`.
    if (refuseUnknown && !keepsUnknown) {
      for (const name in value) {
        if (Object.hasOwn(value, name) && fieldCheck(name) === undefined) {
          return `${place.text(name)} is not a field of the schema (misspelt?)`;
        }
      }
    }
    for (let i = 0; i < required.length; i++) {
      if (!((required[i] as string) in value)) return `${place.text(required[i])} is required`;
    }
    for (const name in value) {
      if (!Object.hasOwn(value, name)) continue;
      const check = fieldCheck(name);
      if (check === undefined) continue;
      place.push(name);
      const found = check(value[name], place, refuseUnknown);
      place.pop();
      if (found) return found;
    }
    return undefined;
  };
  return (value, place, refuseUnknown) => {
    if (value === null && nullAllowed) return undefined;
    if (value === null || !matchesType(value)) {
      return `${place.text()} must be ${expected}, got ${kindOf(value)}`;
    }
    if (enumValues && !enumValues.includes(value)) {
      return `${place.text()} must be one of ${enumValues.join(', ')}, got ${JSON.stringify(value)}`;
    }
    const violation =
      (bounded ? boundsViolation(value, schema, place) : undefined) ??
      (exclusive ? exclusiveViolation(value, groups, place) : undefined);
    if (violation) return violation;
    if (Array.isArray(value)) {
      if (!items) return undefined;
      const item = (itemCheck ??= checkOf(items));
      for (let index = 0; index < value.length; index++) {
        place.push(index);
        const found = item(value[index], place, refuseUnknown);
        place.pop();
        if (found) return found;
      }
      return undefined;
    }
    return isMap(value) ? fieldsViolation(value, place, refuseUnknown) : undefined;
  };
}

/**
 * The first way `value` breaks `schema`, as one phrase naming the field (`spec.http[0].match …`); fields
 * the schema does not declare count unless `refuseUnknown` is false.
 */
export function schemaViolation(
  value: unknown,
  schema: CrdSchema,
  path: string,
  refuseUnknown = true,
): string | undefined {
  return checkOf(schema)(value, new FieldPath(path), refuseUnknown);
}

/**
 * Refuses a VirtualService or DestinationRule its CRD schema refuses, in one line: `<source>:
 * VirtualService default/reviews: spec.http[0].match must be a list, got a map; …`. `source` names the
 * file the object came from: there an unknown field is refused too (a misspelling, as kubectl's strict
 * validation refuses it). An object from the cluster holds only fields its own CRDs declare, which may be
 * newer than ours: its unknown fields are kept as they are.
 */
export function checkRoutingObject(object: Record<string, unknown>, source?: string): void {
  const kind = String(object.kind);
  const metadata = isMap(object.metadata) ? object.metadata : {};
  const name = typeof metadata.name === 'string' ? metadata.name : undefined;
  const namespace = typeof metadata.namespace === 'string' ? `${metadata.namespace}/` : '';
  const schema = ISTIO_SPEC_SCHEMAS[kind];
  const violation =
    name === undefined
      ? 'metadata.name must be a string'
      : schema && !schema.versions.includes(String(object.apiVersion))
        ? `apiVersion must be one of ${schema.versions.join(', ')}, got ${JSON.stringify(object.apiVersion)}`
        : schema && schemaViolation(object.spec ?? {}, schema.spec, 'spec', source !== undefined);
  if (!violation) return;
  const where = [source, `${kind} ${namespace}${name ?? '(no name)'}`].filter(Boolean).join(': ');
  throw new InputError(
    'from',
    `${where}: ${violation}, which Istio's ${kind} schema does not allow: fix the object and run again`,
  );
}
