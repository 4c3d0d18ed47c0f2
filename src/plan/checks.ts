// Pre-write checks, worded as `istioctl analyze` reports them. Findings on the objects a plan writes
// (and those its changes break) are errors and stop the plan; other objects' problems are warnings.
import { CanaryError } from '../errors.js';
import { isCatchAll } from './catch-all.js';
import { routeTargets } from './mirror.js';
import { canonicalJson, namespaceOf, qualifyHost, resourceName, sameHost } from './objects.js';
import type { DestinationRule, Finding, FindingCode, VirtualService } from './types.js';

/** The routing objects of a namespace as they would be after a plan's writes. */
export interface RoutingWorld {
  namespace: string;
  virtualServices: VirtualService[];
  destinationRules: DestinationRule[];
}

/** What a plan writes and what it removes, so findings can be blamed on it or not. */
export interface CheckFocus {
  virtualService: VirtualService;
  /** Every VirtualService the plan writes (the primary one among them). */
  virtualServices?: VirtualService[];
  /** host+subset pairs the plan removes: a route elsewhere that still names one is the plan's fault. */
  removedSubsets: { host: string; subset: string }[];
}

/** Thrown when a check finds an error: nothing is written. */
export class CheckFailedError extends CanaryError {
  readonly findings: Finding[];
  constructor(findings: Finding[]) {
    const errors = findings.filter((finding) => finding.severity === 'error');
    super(
      'check-failed',
      `routing check failed, nothing written: ${errors.map(formatFinding).join('; ')}; fix the objects named and run again`,
    );
    this.name = 'CheckFailedError';
    this.findings = findings;
  }
}

/** `Error [IST0101] (VirtualService default/reviews) …`, as istioctl analyze prints a message. */
export function formatFinding(finding: Finding): string {
  const severity = finding.severity === 'error' ? 'Error' : 'Warning';
  return `${severity} [${finding.code}] (${finding.resource}) ${finding.message}`;
}

function finding(code: FindingCode, error: boolean, resource: string, message: string): Finding {
  return { code, severity: error ? 'error' : 'warning', resource, message };
}

/** IST0130: a rule matching every request (no match, `uri prefix /`, …) anywhere but last shadows the rest. */
function unreachableRules(vs: VirtualService, error: boolean, resource: string): Finding[] {
  const http = vs.spec.http ?? [];
  return http.flatMap((route, index) =>
    index < http.length - 1 && isCatchAll(route)
      ? [
          finding(
            'IST0130',
            error,
            resource,
            `VirtualService rule #${index + 1} not used (only the last rule can have no matches): rule #${index} matches every request`,
          ),
        ]
      : [],
  );
}

/** IST0131: a match block identical to an earlier one can never be reached. */
function ineffectiveMatches(vs: VirtualService, error: boolean, resource: string): Finding[] {
  const seen = new Map<string, string>();
  const findings: Finding[] = [];
  (vs.spec.http ?? []).forEach((route, ruleIndex) => {
    (route.match ?? []).forEach((block, matchIndex) => {
      const { name: _name, ...matching } = block;
      const key = canonicalJson(matching);
      const earlier = seen.get(key);
      if (earlier !== undefined) {
        findings.push(
          finding(
            'IST0131',
            error,
            resource,
            `VirtualService rule #${ruleIndex} match #${matchIndex} is not used (duplicate/overlapping match in ${earlier})`,
          ),
        );
      } else {
        seen.set(key, `rule #${ruleIndex} match #${matchIndex}`);
      }
    });
  });
  return findings;
}

/**
 * IST0106: weights are integers 0–100 summing to 100 per route. Istio sums them only when a route has
 * several destinations: a lone one takes all traffic whatever its weight.
 */
function badWeights(vs: VirtualService, error: boolean, resource: string): Finding[] {
  const routes: { kind: string; route: { weight?: number }[] }[] = [
    ...(vs.spec.http ?? []).map((route) => ({ kind: 'http', route: route.route ?? [] })),
    ...(vs.spec.tcp ?? []).map((route) => ({ kind: 'tcp', route: route.route ?? [] })),
    ...(vs.spec.tls ?? []).map((route) => ({ kind: 'tls', route: route.route ?? [] })),
  ];
  const kindIndex: Record<string, number> = {};
  return routes.flatMap(({ kind, route }) => {
    const index = (kindIndex[kind] = (kindIndex[kind] ?? -1) + 1);
    const problems: string[] = [];
    route.forEach((destination, position) => {
      const weight = destination.weight;
      if (weight !== undefined && (!Number.isInteger(weight) || weight < 0 || weight > 100)) {
        problems.push(
          `weight ${weight} of ${kind} rule #${index} destination #${position} is not an integer 0–100`,
        );
      }
    });
    const total = route.reduce((sum, destination) => sum + (destination.weight ?? 0), 0);
    if (problems.length === 0 && route.length > 1 && total !== 100) {
      problems.push(`weights of ${kind} rule #${index} sum to ${total}, not 100`);
    }
    return problems.map((problem) =>
      finding('IST0106', error, resource, `Schema validation error: ${problem}`),
    );
  });
}

/** IST0101: every host+subset a route names must be a subset of a DestinationRule for that host. */
function missingSubsets(
  vs: VirtualService,
  world: RoutingWorld,
  focus: CheckFocus,
  resource: string,
): Finding[] {
  const namespace = namespaceOf(vs, world.namespace);
  const destinations = [
    ...(vs.spec.http ?? []).flatMap(routeTargets),
    ...(vs.spec.tcp ?? []).flatMap((route) =>
      (route.route ?? []).map((destination) => destination.destination),
    ),
    ...(vs.spec.tls ?? []).flatMap((route) =>
      (route.route ?? []).map((destination) => destination.destination),
    ),
  ];
  const reported = new Set<string>();
  // Whether a host's subset is defined, looked up once per host and subset (a thousand routes name a few).
  const definedSubsets = new Map<string, Map<string, boolean>>();
  const isDefined = (host: string, subset: string) => {
    const ofHost = definedSubsets.get(host) ?? new Map<string, boolean>();
    definedSubsets.set(host, ofHost);
    let defined = ofHost.get(subset);
    if (defined === undefined) {
      defined = world.destinationRules.some(
        (rule) =>
          sameHost(rule.spec.host, host, namespace) &&
          (rule.spec.subsets ?? []).some((known) => known.name === subset),
      );
      ofHost.set(subset, defined);
    }
    return defined;
  };
  return destinations.flatMap(({ host, subset }) => {
    if (subset === undefined || reported.has(`${host}+${subset}`)) return [];
    if (isDefined(host, subset)) return [];
    reported.add(`${host}+${subset}`);
    const ours = isPlanned(vs, focus);
    const brokenByPlan = focus.removedSubsets.some(
      (removed) => removed.subset === subset && sameHost(removed.host, host, namespace),
    );
    return [
      finding(
        'IST0101',
        ours || brokenByPlan,
        resource,
        `Referenced host+subset in DestinationRule not found: "${host}+${subset}"`,
      ),
    ];
  });
}

function gatewaysOf(vs: VirtualService): string[] {
  const namespace = vs.metadata.namespace ?? '';
  return (vs.spec.gateways && vs.spec.gateways.length > 0 ? vs.spec.gateways : ['mesh']).map((gateway) =>
    gateway === 'mesh' || gateway.includes('/') ? gateway : `${namespace}/${gateway}`,
  );
}

/**
 * IST0109: two VirtualServices for one host on one gateway (or the mesh) merge in undefined ways. Each
 * group is reported once (`reported`), on the first planned object in it.
 */
function conflictingHosts(
  vs: VirtualService,
  world: RoutingWorld,
  resource: string,
  reported: Set<string>,
): Finding[] {
  const namespace = namespaceOf(vs, world.namespace);
  const gateways = gatewaysOf(vs);
  return (vs.spec.hosts ?? []).flatMap((host) => {
    if (host.includes('*')) return [];
    const rivals = world.virtualServices.filter(
      (other) =>
        other !== vs &&
        (other.spec.hosts ?? []).some(
          (otherHost) => qualifyHost(otherHost, namespace) === qualifyHost(host, namespace),
        ) &&
        gatewaysOf(other).some((gateway) => gateways.includes(gateway)),
    );
    if (rivals.length === 0) return [];
    const names = [vs, ...rivals].map(
      (each) => `${namespaceOf(each, world.namespace)}/${each.metadata.name}`,
    );
    const group = [...names].sort().join(',');
    if (reported.has(group)) return [];
    reported.add(group);
    return [
      finding(
        'IST0109',
        true,
        resource,
        `The VirtualServices ${names.join(',')} define the same host ${host} on the same gateway, which can lead to undefined behavior; merge them into a single resource`,
      ),
    ];
  });
}

function isPlanned(vs: VirtualService, focus: CheckFocus): boolean {
  return vs === focus.virtualService || (focus.virtualServices ?? []).includes(vs);
}

/** Every finding about the world; errors are those the plan's objects have or cause. */
export function analyzeRouting(world: RoutingWorld, focus: CheckFocus): Finding[] {
  const reported = new Set<string>();
  return world.virtualServices.flatMap((vs) => {
    const ours = isPlanned(vs, focus);
    const resource = resourceName(vs, world.namespace);
    return [
      ...missingSubsets(vs, world, focus, resource),
      ...unreachableRules(vs, ours, resource),
      ...ineffectiveMatches(vs, ours, resource),
      // IST0109 is about the mesh: gateway-bound VirtualServices for one host are merged per gateway.
      ...(ours && gatewaysOf(vs).includes('mesh') ? conflictingHosts(vs, world, resource, reported) : []),
      ...badWeights(vs, ours, resource),
    ];
  });
}
