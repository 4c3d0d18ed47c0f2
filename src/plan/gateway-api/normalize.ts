// What the API server makes of an HTTPRoute: the defaults of the Gateway API CRD schema (v1.6.1, the same
// for v1 and v1beta1) filled in where a field is absent. What is read back is not what was written, so
// routes are compared in this form: a second run of a stage is then a no-op, and only real changes count.
import { canonicalJson } from '../objects.js';
import { GATEWAY_API_GROUP } from './types.js';
import type {
  HTTPBackendRef,
  HTTPRoute,
  HTTPRouteFilter,
  HTTPRouteMatch,
  HTTPRouteRule,
  HTTPRouteSpec,
  ParentReference,
} from './types.js';

/** The default of `rules[].matches` (and of a match's `path`): every path. */
export const DEFAULT_PATH = { type: 'PathPrefix', value: '/' } as const;

/**
 * Every default of the HTTPRoute schema, by field path (`[]` an array item). A test checks this list
 * against the CRD's own `default`s.
 */
export const HTTP_ROUTE_DEFAULTS: Readonly<Record<string, unknown>> = {
  '.spec.parentRefs[].group': GATEWAY_API_GROUP,
  '.spec.parentRefs[].kind': 'Gateway',
  '.spec.rules': [{ matches: [{ path: DEFAULT_PATH }] }],
  '.spec.rules[].matches': [{ path: DEFAULT_PATH }],
  '.spec.rules[].matches[].path': DEFAULT_PATH,
  '.spec.rules[].matches[].path.type': 'PathPrefix',
  '.spec.rules[].matches[].path.value': '/',
  '.spec.rules[].matches[].headers[].type': 'Exact',
  '.spec.rules[].matches[].queryParams[].type': 'Exact',
  '.spec.rules[].backendRefs[].group': '',
  '.spec.rules[].backendRefs[].kind': 'Service',
  '.spec.rules[].backendRefs[].weight': 1,
  // Filters, on a rule or on one backendRef alike.
  '.spec.rules[].filters[].cors.maxAge': 5,
  '.spec.rules[].filters[].requestMirror.backendRef.group': '',
  '.spec.rules[].filters[].requestMirror.backendRef.kind': 'Service',
  '.spec.rules[].filters[].requestMirror.fraction.denominator': 100,
  '.spec.rules[].filters[].requestRedirect.statusCode': 302,
  '.spec.rules[].backendRefs[].filters[].cors.maxAge': 5,
  '.spec.rules[].backendRefs[].filters[].requestMirror.backendRef.group': '',
  '.spec.rules[].backendRefs[].filters[].requestMirror.backendRef.kind': 'Service',
  '.spec.rules[].backendRefs[].filters[].requestMirror.fraction.denominator': 100,
  '.spec.rules[].backendRefs[].filters[].requestRedirect.statusCode': 302,
  '.status.parents[].parentRef.group': GATEWAY_API_GROUP,
  '.status.parents[].parentRef.kind': 'Gateway',
};

/**
 * `{...defaults, ...value}`: a field present (even `""`) wins over its default, as on the server. Every
 * default given here is flat (strings and numbers), so the spread shares nothing mutable.
 */
function withDefaults<T extends object>(defaults: object, value: T): T {
  return { ...defaults, ...value } as T;
}

function normalizeFilter(filter: HTTPRouteFilter): HTTPRouteFilter {
  const result = { ...filter };
  if (result.requestMirror) {
    const { backendRef, fraction, ...rest } = result.requestMirror;
    result.requestMirror = {
      ...rest,
      backendRef: withDefaults({ group: '', kind: 'Service' }, backendRef),
      ...(fraction ? { fraction: withDefaults({ denominator: 100 }, fraction) } : {}),
    };
  }
  if (result.requestRedirect)
    result.requestRedirect = withDefaults({ statusCode: 302 }, result.requestRedirect);
  if (result.cors) result.cors = withDefaults({ maxAge: 5 }, result.cors);
  return result;
}

export function normalizeBackendRef(ref: HTTPBackendRef): HTTPBackendRef {
  const result = withDefaults({ group: '', kind: 'Service', weight: 1 }, ref);
  if (ref.filters) result.filters = ref.filters.map(normalizeFilter);
  return result;
}

export function normalizeMatch(match: HTTPRouteMatch): HTTPRouteMatch {
  const result: HTTPRouteMatch = { ...match, path: withDefaults(DEFAULT_PATH, match.path ?? {}) };
  if (match.headers) result.headers = match.headers.map((header) => withDefaults({ type: 'Exact' }, header));
  if (match.queryParams) {
    result.queryParams = match.queryParams.map((param) => withDefaults({ type: 'Exact' }, param));
  }
  return result;
}

export function normalizeRule(rule: HTTPRouteRule): HTTPRouteRule {
  const result: HTTPRouteRule = { ...rule, matches: (rule.matches ?? [{}]).map(normalizeMatch) };
  if (rule.backendRefs) result.backendRefs = rule.backendRefs.map(normalizeBackendRef);
  if (rule.filters) result.filters = rule.filters.map(normalizeFilter);
  return result;
}

export function normalizeParentRef(ref: ParentReference): ParentReference {
  return withDefaults({ group: GATEWAY_API_GROUP, kind: 'Gateway' }, ref);
}

export function normalizeSpec(spec: HTTPRouteSpec): HTTPRouteSpec {
  const result: HTTPRouteSpec = { ...spec, rules: (spec.rules ?? [{}]).map(normalizeRule) };
  if (spec.parentRefs) result.parentRefs = spec.parentRefs.map(normalizeParentRef);
  return result;
}

/** The route as the API server would store it (defaults filled in); status and metadata untouched. */
export function withServerDefaults(route: HTTPRoute): HTTPRoute {
  return { ...structuredClone(route), spec: normalizeSpec(structuredClone(route.spec)) };
}

/** Two specs route alike and read alike once the server has filled in its defaults. */
export function sameSpec(a: HTTPRouteSpec, b: HTTPRouteSpec): boolean {
  return canonicalJson(normalizeSpec(a)) === canonicalJson(normalizeSpec(b));
}

export function sameRule(a: HTTPRouteRule, b: HTTPRouteRule): boolean {
  return canonicalJson(normalizeRule(a)) === canonicalJson(normalizeRule(b));
}

export function sameMatch(a: HTTPRouteMatch, b: HTTPRouteMatch): boolean {
  return canonicalJson(normalizeMatch(a)) === canonicalJson(normalizeMatch(b));
}

/**
 * The routing a route's rules express, without what does not change it: rule names, and weights as
 * shares of their rule (weight 1 + 1 is 50/50, as 50 + 50 is), weight-0 backends left out.
 */
export function routingEssence(route: HTTPRoute): unknown[] {
  return (normalizeSpec(route.spec).rules ?? []).map((rule) => {
    const { name: _name, backendRefs = [], ...rest } = rule;
    const total = backendRefs.reduce((sum, ref) => sum + (ref.weight ?? 1), 0);
    const shares = backendRefs
      .filter((ref) => (ref.weight ?? 1) > 0)
      .map((ref) => ({ ...ref, weight: (ref.weight ?? 1) / total }));
    return { ...rest, backendRefs: shares };
  });
}
