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

/** Where a check of one object reports a finding (the object's name is written only then). */
type Report = (code: FindingCode, error: boolean, message: string) => void;

/** IST0130: a rule matching every request (no match, `uri prefix /`, …) anywhere but last shadows the rest. */
function unreachableRules(vs: VirtualService, error: boolean, report: Report): void {
  const http = vs.spec.http ?? [];
  for (let index = 0; index < http.length - 1; index++) {
    if (!isCatchAll(http[index]!)) continue;
    report(
      'IST0130',
      error,
      `VirtualService rule #${index + 1} not used (only the last rule can have no matches): rule #${index} matches every request`,
    );
  }
}

/** IST0131: a match block identical to an earlier one can never be reached. */
function ineffectiveMatches(vs: VirtualService, error: boolean, report: Report): void {
  // Each block's canonical JSON, to where it was first seen (rule and match index): the place is written
  // only for a finding, not for each of a thousand routes.
  let seen: Map<string, [number, number]> | undefined;
  const http = vs.spec.http ?? [];
  for (let ruleIndex = 0; ruleIndex < http.length; ruleIndex++) {
    const match = http[ruleIndex]!.match ?? [];
    for (let matchIndex = 0; matchIndex < match.length; matchIndex++) {
      const key = canonicalJson(match[matchIndex], 'name');
      const earlier = seen?.get(key);
      if (earlier === undefined) {
        (seen ??= new Map()).set(key, [ruleIndex, matchIndex]);
        continue;
      }
      report(
        'IST0131',
        error,
        `VirtualService rule #${ruleIndex} match #${matchIndex} is not used (duplicate/overlapping match in rule #${earlier[0]} match #${earlier[1]})`,
      );
    }
  }
}

/**
 * IST0106: weights are integers 0–100 summing to 100 per route. Istio sums them only when a route has
 * several destinations: a lone one takes all traffic whatever its weight.
 */
function badWeights(vs: VirtualService, error: boolean, report: Report): void {
  weightsOf('http', vs.spec.http, error, report);
  weightsOf('tcp', vs.spec.tcp, error, report);
  weightsOf('tls', vs.spec.tls, error, report);
}

/** IST0106 for one kind of route: loops without a list per route (this runs for every route checked). */
function weightsOf(
  kind: string,
  routes: { route?: { weight?: number }[] }[] | undefined,
  error: boolean,
  report: Report,
): void {
  const rules = routes ?? [];
  const problem = (text: string) => report('IST0106', error, `Schema validation error: ${text}`);
  for (let index = 0; index < rules.length; index++) {
    const route = rules[index]!.route ?? [];
    let total = 0;
    let malformed = false;
    for (let position = 0; position < route.length; position++) {
      const weight = route[position]!.weight;
      if (weight !== undefined && (!Number.isInteger(weight) || weight < 0 || weight > 100)) {
        malformed = true;
        problem(
          `weight ${weight} of ${kind} rule #${index} destination #${position} is not an integer 0–100`,
        );
      }
      total += weight ?? 0;
    }
    if (!malformed && route.length > 1 && total !== 100)
      problem(`weights of ${kind} rule #${index} sum to ${total}, not 100`);
  }
}

/** Whether a DestinationRule of the world defines host+subset, hosts read as in a namespace. */
type SubsetLookup = (host: string, subset: string, namespace: string) => boolean;

/**
 * The world's subsets indexed by qualified host, once per namespace the VirtualServices are read in: a
 * namespace of N services has N VirtualServices to check against N DestinationRules, and scanning every
 * rule for every route (qualifying both hosts each time) made the check quadratic in time and garbage.
 */
function subsetLookup(world: RoutingWorld): SubsetLookup {
  const byNamespace = new Map<string, Map<string, Set<string>>>();
  const indexFor = (namespace: string) => {
    let index = byNamespace.get(namespace);
    if (index) return index;
    index = new Map();
    for (const rule of world.destinationRules) {
      if (rule.spec.host === undefined) continue;
      const host = qualifyHost(rule.spec.host, namespace);
      const names = index.get(host) ?? new Set<string>();
      for (const known of rule.spec.subsets ?? []) names.add(known.name);
      index.set(host, names);
    }
    byNamespace.set(namespace, index);
    return index;
  };
  // The short names routes use, qualified once per namespace (a string made per route otherwise).
  const qualified = new Map<string, Map<string, string>>();
  const qualify = (host: string, namespace: string) => {
    let names = qualified.get(namespace);
    if (!names) qualified.set(namespace, (names = new Map()));
    let name = names.get(host);
    if (name === undefined) names.set(host, (name = qualifyHost(host, namespace)));
    return name;
  };
  return (host, subset, namespace) => indexFor(namespace).get(qualify(host, namespace))?.has(subset) ?? false;
}

/** Every destination a VirtualService names (http routes and their mirrors, tcp, tls), in order. */
function destinationsOf(vs: VirtualService): { host: string; subset?: string }[] {
  const destinations: { host: string; subset?: string }[] = [];
  for (const route of vs.spec.http ?? []) routeTargets(route, destinations);
  for (const routes of [vs.spec.tcp, vs.spec.tls]) {
    for (const route of routes ?? []) {
      for (const destination of route.route ?? []) destinations.push(destination.destination);
    }
  }
  return destinations;
}

/** Whether `destinations[i]` names the host+subset of one before it (a set only for a long list). */
function namedBefore(
  destinations: { host: string; subset?: string }[],
  i: number,
  seen: Set<string> | undefined,
) {
  const { host, subset } = destinations[i]!;
  if (seen) return seen.has(`${host}+${subset}`);
  for (let j = 0; j < i; j++) {
    if (destinations[j]!.host === host && destinations[j]!.subset === subset) return true;
  }
  return false;
}

/** Lists longer than this look pairs up in a set rather than among the pairs before. */
const PAIRS_SCANNED = 16;

/**
 * IST0101: every host+subset a route names must be a subset of a DestinationRule for that host. Each pair
 * is looked up and reported once per object: a thousand routes name the same two subsets a thousand times,
 * and a plan checks every object of the namespace, so a short list makes nothing but its own.
 */
function missingSubsets(
  vs: VirtualService,
  world: RoutingWorld,
  focus: CheckFocus,
  defines: SubsetLookup,
  report: Report,
): void {
  const namespace = namespaceOf(vs, world.namespace);
  const destinations = destinationsOf(vs);
  const seen = destinations.length > PAIRS_SCANNED ? new Set<string>() : undefined;
  for (let i = 0; i < destinations.length; i++) {
    const { host, subset } = destinations[i]!;
    if (subset === undefined || namedBefore(destinations, i, seen)) continue;
    seen?.add(`${host}+${subset}`);
    if (defines(host, subset, namespace)) continue;
    const ours = isPlanned(vs, focus);
    const brokenByPlan = focus.removedSubsets.some(
      (removed) => removed.subset === subset && sameHost(removed.host, host, namespace),
    );
    report(
      'IST0101',
      ours || brokenByPlan,
      `Referenced host+subset in DestinationRule not found: "${host}+${subset}"`,
    );
  }
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
  reported: Set<string>,
  report: Report,
): void {
  const namespace = namespaceOf(vs, world.namespace);
  const gateways = gatewaysOf(vs);
  for (const host of vs.spec.hosts ?? []) {
    if (host.includes('*')) continue;
    const rivals = world.virtualServices.filter(
      (other) =>
        other !== vs &&
        (other.spec.hosts ?? []).some(
          (otherHost) => qualifyHost(otherHost, namespace) === qualifyHost(host, namespace),
        ) &&
        gatewaysOf(other).some((gateway) => gateways.includes(gateway)),
    );
    if (rivals.length === 0) continue;
    const names = [vs, ...rivals].map(
      (each) => `${namespaceOf(each, world.namespace)}/${each.metadata.name}`,
    );
    const group = [...names].sort().join(',');
    if (reported.has(group)) continue;
    reported.add(group);
    report(
      'IST0109',
      true,
      `The VirtualServices ${names.join(',')} define the same host ${host} on the same gateway, which can lead to undefined behavior; merge them into a single resource`,
    );
  }
}

function isPlanned(vs: VirtualService, focus: CheckFocus): boolean {
  return vs === focus.virtualService || (focus.virtualServices ?? []).includes(vs);
}

/**
 * Every finding about the world; errors are those the plan's objects have or cause. A plan checks every
 * VirtualService of the namespace (a hundred releases at once check a hundred each): the findings go into
 * one list, and a check of an object without findings makes nothing.
 */
export function analyzeRouting(world: RoutingWorld, focus: CheckFocus): Finding[] {
  const reported = new Set<string>();
  const defines = subsetLookup(world);
  const findings: Finding[] = [];
  for (const vs of world.virtualServices) {
    const ours = isPlanned(vs, focus);
    let resource: string | undefined;
    const report: Report = (code, error, message) =>
      findings.push(finding(code, error, (resource ??= resourceName(vs, world.namespace)), message));
    missingSubsets(vs, world, focus, defines, report);
    unreachableRules(vs, ours, report);
    ineffectiveMatches(vs, ours, report);
    // IST0109 is about the mesh: gateway-bound VirtualServices for one host are merged per gateway.
    if (ours && gatewaysOf(vs).includes('mesh')) conflictingHosts(vs, world, reported, report);
    badWeights(vs, ours, report);
  }
  return findings;
}
