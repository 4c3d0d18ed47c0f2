// Pre-write checks of HTTPRoutes, named after the reasons a Gateway API controller gives in route status
// (BackendNotFound, RefNotPermitted) where one fits. Findings on the rules a plan writes (and those its
// deletes break) are errors and stop the plan; other rules' problems are warnings.
import { canonicalJson } from '../objects.js';
import type { Finding, FindingCode } from '../types.js';
import { normalizeMatch } from './normalize.js';
import { routeNamespace, serviceOf } from './refs.js';
import { GATEWAY_API_GROUP } from './types.js';
import type {
  HTTPBackendRef,
  HTTPRoute,
  HTTPRouteFilter,
  HTTPRouteRule,
  ReferenceGrant,
  Service,
} from './types.js';

/** The objects of the namespace (and those the routes name elsewhere) as they would be after a plan. */
export interface GatewayWorld {
  namespace: string;
  httpRoutes: HTTPRoute[];
  services: Service[];
  referenceGrants: ReferenceGrant[];
}

export interface GatewayFocus {
  /** The rules a plan writes, by route object: their problems are the plan's. */
  ownedRules: Map<HTTPRoute, Set<string>>;
  /** `namespace/name` of the Services a plan deletes: a route still naming one is broken by it. */
  deletedServices: Set<string>;
}

export const MAX_BACKEND_WEIGHT = 1_000_000;
// The HTTPRoute CRD's bounds: the API server refuses a route past them (422).
export const MAX_RULES = 16;
export const MAX_MATCHES = 128;

type ObjectRef = Pick<HTTPBackendRef, 'group' | 'kind' | 'name' | 'namespace' | 'port'>;

function mirrorRefs(filters: HTTPRouteFilter[] | undefined): ObjectRef[] {
  return (filters ?? []).flatMap((filter) => (filter.requestMirror ? [filter.requestMirror.backendRef] : []));
}

/** Every Service-like reference of a rule: backends, and mirrors on the rule or on a backend. */
function referencesOf(rule: HTTPRouteRule): ObjectRef[] {
  const backends = rule.backendRefs ?? [];
  return [...backends, ...mirrorRefs(rule.filters), ...backends.flatMap((ref) => mirrorRefs(ref.filters))];
}

/** The route names Service `namespace/name` anywhere (a backend or a mirror). */
export function routeNamesService(
  route: HTTPRoute,
  namespace: string,
  name: string,
  fallback: string,
): boolean {
  const from = routeNamespace(route, fallback);
  return (route.spec.rules ?? []).some((rule) =>
    referencesOf(rule).some((ref) => {
      const service = serviceOf(ref, from);
      return service?.namespace === namespace && service.name === name;
    }),
  );
}

function granted(grants: ReferenceGrant[], from: string, to: string, name: string): boolean {
  return grants.some(
    (grant) =>
      (grant.metadata.namespace ?? '') === to &&
      (grant.spec.from ?? []).some(
        (source) =>
          source.group === GATEWAY_API_GROUP && source.kind === 'HTTPRoute' && source.namespace === from,
      ) &&
      (grant.spec.to ?? []).some(
        (target) =>
          target.group === '' &&
          target.kind === 'Service' &&
          (target.name === undefined || target.name === name),
      ),
  );
}

interface RuleContext {
  world: GatewayWorld;
  focus: GatewayFocus;
  route: HTTPRoute;
  from: string;
  resource: string;
  label: string;
  ours: boolean;
}

function finding(code: FindingCode, error: boolean, context: RuleContext, message: string): Finding {
  return {
    code,
    severity: error ? 'error' : 'warning',
    resource: context.resource,
    message: `${context.label} ${message}`,
  };
}

function referenceFindings(rule: HTTPRouteRule, context: RuleContext): Finding[] {
  const reported = new Set<string>();
  return referencesOf(rule).flatMap((ref) => {
    const service = serviceOf(ref, context.from);
    if (service === undefined) return [];
    const key = `${service.namespace}/${service.name}:${ref.port ?? ''}`;
    if (reported.has(key)) return [];
    reported.add(key);
    const name = `Service ${service.namespace}/${service.name}`;
    if (
      service.namespace !== context.from &&
      !granted(context.world.referenceGrants, context.from, service.namespace, service.name)
    ) {
      return [
        finding(
          'RefNotPermitted',
          context.ours,
          context,
          `sends to ${name} in another namespace, and no ReferenceGrant in ${service.namespace} lets HTTPRoutes of ${context.from} reach it: add one (from HTTPRoute in ${context.from}, to Service ${service.name})`,
        ),
      ];
    }
    const found = context.world.services.find(
      (candidate) =>
        (candidate.metadata.namespace ?? context.world.namespace) === service.namespace &&
        candidate.metadata.name === service.name,
    );
    const broken = context.ours || context.focus.deletedServices.has(`${service.namespace}/${service.name}`);
    if (!found)
      return [finding('BackendNotFound', broken, context, `sends to ${name}, which does not exist`)];
    const ports = found.spec.ports ?? [];
    if (ref.port !== undefined && !ports.some((port) => port.port === ref.port)) {
      const known = ports.map((port) => port.port).join(', ') || 'none';
      return [
        finding(
          'BackendNotFound',
          broken,
          context,
          `sends to port ${ref.port} of ${name}, which has ports ${known}`,
        ),
      ];
    }
    return [];
  });
}

function weightFindings(rule: HTTPRouteRule, context: RuleContext): Finding[] {
  const refs = rule.backendRefs ?? [];
  const problems = refs.flatMap((ref, index) => {
    const weight = ref.weight ?? 1;
    return Number.isInteger(weight) && weight >= 0 && weight <= MAX_BACKEND_WEIGHT
      ? []
      : [`has weight ${weight} on backendRef #${index}, not an integer 0–${MAX_BACKEND_WEIGHT}`];
  });
  const total = refs.reduce((sum, ref) => sum + (ref.weight ?? 1), 0);
  if (problems.length === 0 && refs.length > 0 && total === 0) {
    problems.push('has weight 0 on every backendRef, so it answers every request with 500');
  }
  for (const filter of rule.filters ?? []) {
    const percent = filter.requestMirror?.percent;
    if (percent !== undefined && (!Number.isInteger(percent) || percent < 0 || percent > 100)) {
      problems.push(`mirrors ${percent} percent, not an integer 0–100`);
    }
  }
  return problems.map((problem) => finding('InvalidWeight', context.ours, context, problem));
}

/** Among equally specific matches, the first rule in the route wins: a later identical match never does. */
function shadowedMatches(route: HTTPRoute, contexts: RuleContext[]): Finding[] {
  const seen = new Map<string, string>();
  const findings: Finding[] = [];
  (route.spec.rules ?? []).forEach((rule, ruleIndex) => {
    const context = contexts[ruleIndex];
    (rule.matches && rule.matches.length > 0 ? rule.matches : [{}]).forEach((match, matchIndex) => {
      const key = canonicalJson(normalizeMatch(match));
      const earlier = seen.get(key);
      if (earlier !== undefined && context) {
        findings.push(
          finding(
            'UnreachableMatch',
            false,
            context,
            `match #${matchIndex} is never used: ${earlier} matches the same requests and comes first`,
          ),
        );
      } else if (context) {
        seen.set(key, `${context.label} match #${matchIndex}`);
      }
    });
  });
  return findings;
}

export function ruleLabel(rule: HTTPRouteRule, index: number): string {
  return rule.name !== undefined ? `rule ${rule.name}` : `rule #${index}`;
}

/** Twins add rules and matches: past the CRD's bounds the API server would refuse the whole route. */
function sizeFindings(route: HTTPRoute, from: string, written: boolean): Finding[] {
  const rules = route.spec.rules ?? [];
  const matches = rules.reduce((sum, rule) => sum + (rule.matches?.length ?? 1), 0);
  const problems = [
    ...(rules.length > MAX_RULES
      ? [`has ${rules.length} rules, more than the ${MAX_RULES} an HTTPRoute may hold`]
      : []),
    ...(matches > MAX_MATCHES
      ? [`has ${matches} matches, more than the ${MAX_MATCHES} an HTTPRoute may hold`]
      : []),
  ];
  return problems.map((problem) => ({
    code: 'RouteTooLarge',
    severity: written ? 'error' : 'warning',
    resource: `HTTPRoute ${from}/${route.metadata.name}`,
    message: `${problem}: split it into several routes`,
  }));
}

/** Every finding about the world; errors are those of the rules the plan writes or breaks. */
export function analyzeGatewayRouting(world: GatewayWorld, focus: GatewayFocus): Finding[] {
  return world.httpRoutes.flatMap((route) => {
    const from = routeNamespace(route, world.namespace);
    const owned = focus.ownedRules.get(route);
    const contexts = (route.spec.rules ?? []).map((rule, index): RuleContext => ({
      world,
      focus,
      route,
      from,
      resource: `HTTPRoute ${from}/${route.metadata.name}`,
      label: ruleLabel(rule, index),
      ours: rule.name !== undefined && owned?.has(rule.name) === true,
    }));
    return [
      ...(route.spec.rules ?? []).flatMap((rule, index) => {
        const context = contexts[index];
        return context ? [...referenceFindings(rule, context), ...weightFindings(rule, context)] : [];
      }),
      ...shadowedMatches(route, contexts),
      ...sizeFindings(route, from, owned !== undefined && owned.size > 0),
    ];
  });
}
