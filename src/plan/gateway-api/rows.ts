// Routing tables for people (match → version: share) over HTTPRoute rules, and the canary's share.
import type { RouteRow } from '../types.js';
import { DEFAULT_PATH, normalizeParentRef, normalizeRule } from './normalize.js';
import { attachedToService, routeNamespace, routesTheService, ruleReaches, versionOf } from './refs.js';
import type { ServiceNames } from './refs.js';
import type {
  GatewayApiStageOptions,
  HTTPBackendRef,
  HTTPRoute,
  HTTPRouteDoor,
  HTTPRouteMatch,
  HTTPRouteRule,
  HTTPRouteSplit,
} from './types.js';

function describeMatch(match: HTTPRouteMatch): string {
  const parts: string[] = [];
  const path = match.path ?? DEFAULT_PATH;
  if (!(path.type === DEFAULT_PATH.type && path.value === DEFAULT_PATH.value)) {
    const verb = path.type === 'Exact' ? 'path' : path.type === 'PathPrefix' ? 'path prefix' : 'path ~';
    parts.push(`${verb} ${path.value ?? ''}`);
  }
  if (match.method !== undefined) parts.push(`method ${match.method}`);
  for (const header of match.headers ?? []) {
    parts.push(
      header.type === 'RegularExpression'
        ? `${header.name} ~ ${header.value}`
        : `${header.name}=${header.value}`,
    );
  }
  for (const param of match.queryParams ?? []) {
    parts.push(
      param.type === 'RegularExpression'
        ? `query ${param.name} ~ ${param.value}`
        : `query ${param.name}=${param.value}`,
    );
  }
  return parts.length > 0 ? parts.join(' and ') : 'default';
}

/** `end-user=test-user`, `path prefix /reviews and end-user=jason`, or `default` (every request). */
export function describeRule(rule: HTTPRouteRule): string {
  const descriptions = (normalizeRule(rule).matches ?? []).map(describeMatch);
  return descriptions.includes('default') ? 'default' : descriptions.join(' or ');
}

/** Percent of the rule's traffic each backend gets (Gateway API weights are relative). */
export function shares(refs: HTTPBackendRef[]): number[] {
  const total = refs.reduce((sum, ref) => sum + (ref.weight ?? 1), 0);
  return refs.map((ref) => (total === 0 ? 0 : Math.round(((ref.weight ?? 1) * 100) / total)));
}

/** The canary's percent of a rule's traffic. */
export function canaryShareOf(rule: HTTPRouteRule | undefined, from: string, names: ServiceNames): number {
  const refs = rule?.backendRefs ?? [];
  const percents = shares(refs);
  return refs.reduce(
    (sum, ref, index) => sum + (versionOf(ref, from, names) === 'canary' ? (percents[index] ?? 0) : 0),
    0,
  );
}

/** Where a rule sends its traffic: version names for the stable and canary, Service names for the rest. */
export function splitOf(
  rule: HTTPRouteRule,
  from: string,
  names: ServiceNames,
  options: GatewayApiStageOptions,
): { subset: string; weight: number }[] {
  const refs = rule.backendRefs ?? [];
  const percents = shares(refs);
  return refs.map((ref, at) => {
    const version = versionOf(ref, from, names);
    const label = version === 'stable' ? options.stable : version === 'canary' ? options.canary : ref.name;
    return { subset: label, weight: percents[at] ?? 0 };
  });
}

export function httpRouteRows(
  routes: HTTPRoute[],
  names: ServiceNames,
  options: GatewayApiStageOptions,
): RouteRow[] {
  return routes.flatMap((route) => {
    const from = routeNamespace(route, options.namespace);
    return (route.spec.rules ?? []).map((rule, index) => ({
      name: `${route.metadata.name}/${rule.name ?? `#${index}`}`,
      match: describeRule(rule),
      destinations: splitOf(rule, from, names, options),
    }));
  });
}

export function doorOf(route: HTTPRoute, names: ServiceNames, namespace: string): HTTPRouteDoor {
  return attachedToService(route, names, namespace) ? 'mesh' : 'gateway';
}

/** A path the rule's first match accepts, when its path is exact or a prefix other than `/`. */
function pathOf(rule: HTTPRouteRule): string | undefined {
  const path = rule.matches?.[0]?.path;
  if (path?.type === 'RegularExpression' || path?.value === undefined || path.value === '/') return undefined;
  return path.value;
}

/** Where a rule is (route, door, hostnames, Gateways) and what it matches, as a route split reports it. */
export function describeRouteRule(
  route: HTTPRoute,
  rule: HTTPRouteRule,
  names: ServiceNames,
  options: GatewayApiStageOptions,
): Omit<HTTPRouteSplit, 'before' | 'after' | 'leftAlone'> {
  const namespace = routeNamespace(route, options.namespace);
  const gateways = (route.spec.parentRefs ?? [])
    .map(normalizeParentRef)
    .filter((parent) => parent.kind === 'Gateway')
    .map((parent) => `${parent.namespace ?? namespace}/${parent.name}`);
  const path = pathOf(rule);
  return {
    resource: `HTTPRoute ${namespace}/${route.metadata.name}`,
    object: route.metadata.name,
    namespace,
    door: doorOf(route, names, options.namespace),
    hosts: route.spec.hostnames ?? [],
    gateways,
    ...(rule.name !== undefined ? { name: rule.name } : {}),
    match: describeRule(rule),
    ...(path !== undefined ? { path } : {}),
  };
}

/**
 * What `status` shows: every rule carrying the service's traffic now (all rules of a route attached to its
 * Service, the rules of other routes that send to it or its versions), each with its split.
 */
export function httpRoutesNow(
  routes: HTTPRoute[],
  names: ServiceNames,
  options: GatewayApiStageOptions,
): HTTPRouteSplit[] {
  return routes
    .filter((route) => routesTheService(route, names, options.namespace))
    .flatMap((route) => {
      const from = routeNamespace(route, options.namespace);
      const mesh = attachedToService(route, names, options.namespace);
      return (route.spec.rules ?? [])
        .filter((rule) => mesh || ruleReaches(rule, from, names))
        .map((rule) => {
          const split = splitOf(rule, from, names, options);
          return { ...describeRouteRule(route, rule, names, options), before: split, after: split };
        });
    });
}
