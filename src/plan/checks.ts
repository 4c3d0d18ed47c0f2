// Pre-write checks, worded as `istioctl analyze` reports them. Findings on the objects a plan writes
// (and those its changes break) are errors and stop the plan; other objects' problems are warnings.
import { CanaryError } from '../errors.js';
import { isCatchAll } from './catch-all.js';
import { canonicalHash, canonicalJson, namespaceOf, qualifyHost, resourceName, sameHost } from './objects.js';
import type {
  DestinationRule,
  Finding,
  FindingCode,
  HTTPMatchRequest,
  HTTPRoute,
  VirtualService,
} from './types.js';

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

/** The canonicalHash of every match block, in order; undefined when a block is not plain data. */
function matchHashes(http: HTTPRoute[]): number[] | undefined {
  const hashes: number[] = [];
  for (const route of http) {
    for (const block of route.match ?? []) {
      const hash = canonicalHash(block, 'name');
      if (hash === undefined) return undefined;
      hashes.push(hash & 0x3fffffff); // a small integer: a map key and list item of its own, not a boxed number
    }
  }
  return hashes;
}

/**
 * IST0131: a match block identical to an earlier one can never be reached. Blocks are compared by their
 * canonical JSON, made only where two blocks' hashes meet (canonicalHash): a thousand routes with a block
 * each make no string. A block that is not plain data (from a library caller) has no hash: the strings of
 * all blocks then decide. A block's place is its index in the lists below: no tuple or list per block.
 */
function ineffectiveMatches(vs: VirtualService, error: boolean, report: Report): void {
  const http = vs.spec.http ?? [];
  const hashes = matchHashes(http);
  const blocks: HTTPMatchRequest[] = [];
  const rules: number[] = [];
  const matches: number[] = [];
  const keys = new Map<number, string>();
  const keyOf = (place: number) => {
    let key = keys.get(place);
    if (key === undefined) keys.set(place, (key = canonicalJson(blocks[place], 'name')));
    return key;
  };
  // The first place of each hash (or string), and after each place the next one with the same hash.
  const firstOf = new Map<number | string, number>();
  const nextOf: number[] = [];
  for (let ruleIndex = 0; ruleIndex < http.length; ruleIndex++) {
    const match = http[ruleIndex]!.match ?? [];
    for (let matchIndex = 0; matchIndex < match.length; matchIndex++) {
      const place = blocks.length;
      blocks.push(match[matchIndex]!);
      rules.push(ruleIndex);
      matches.push(matchIndex);
      nextOf.push(-1);
      const bucket = hashes ? hashes[place]! : keyOf(place);
      let at = firstOf.get(bucket);
      if (at === undefined) {
        firstOf.set(bucket, place);
        continue;
      }
      let last = at;
      while (at !== -1 && keyOf(at) !== keyOf(place)) {
        last = at;
        at = nextOf[at]!;
      }
      if (at === -1) {
        nextOf[last] = place; // the same hash, another block: it is the first of its own
        continue;
      }
      report(
        'IST0131',
        error,
        `VirtualService rule #${ruleIndex} match #${matchIndex} is not used (duplicate/overlapping match in rule #${rules[at]} match #${matches[at]})`,
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

/** Lists longer than this look pairs up in a map rather than among the pairs before. */
const PAIRS_SCANNED = 16;

/**
 * The host+subset pairs a check has met, each once: a thousand routes name the same two subsets a
 * thousand times. A few pairs are compared in place; past PAIRS_SCANNED they are indexed by host. No
 * string or list is made per destination.
 */
class PairsSeen {
  private readonly hosts: string[] = [];
  private readonly subsets: string[] = [];
  private index: Map<string, Set<string>> | undefined;

  /** Whether the pair is new (and from now on, seen). */
  add(host: string, subset: string): boolean {
    if (this.index) {
      let subsets = this.index.get(host);
      if (subsets?.has(subset)) return false;
      if (!subsets) this.index.set(host, (subsets = new Set()));
      subsets.add(subset);
      return true;
    }
    for (let i = 0; i < this.hosts.length; i++) {
      if (this.hosts[i] === host && this.subsets[i] === subset) return false;
    }
    this.hosts.push(host);
    this.subsets.push(subset);
    if (this.hosts.length > PAIRS_SCANNED) {
      this.index = new Map();
      for (let i = 0; i < this.hosts.length; i++) {
        const known = this.index.get(this.hosts[i]!) ?? new Set<string>();
        this.index.set(this.hosts[i]!, known.add(this.subsets[i]!));
      }
    }
    return true;
  }
}

/**
 * IST0101: every host+subset a route names (http routes and their mirrors, tcp, tls) must be a subset of
 * a DestinationRule for that host. Each pair is looked up and reported once per object, in the order the
 * object names them; a plan checks every object of the namespace, so a short list makes next to nothing.
 */
function missingSubsets(
  vs: VirtualService,
  world: RoutingWorld,
  focus: CheckFocus,
  defines: SubsetLookup,
  report: Report,
): void {
  const namespace = namespaceOf(vs, world.namespace);
  const seen = new PairsSeen();
  const check = (destination: { host: string; subset?: string }) => {
    const { host, subset } = destination;
    if (subset === undefined || !seen.add(host, subset) || defines(host, subset, namespace)) return;
    const ours = isPlanned(vs, focus);
    const brokenByPlan = focus.removedSubsets.some(
      (removed) => removed.subset === subset && sameHost(removed.host, host, namespace),
    );
    report(
      'IST0101',
      ours || brokenByPlan,
      `Referenced host+subset in DestinationRule not found: "${host}+${subset}"`,
    );
  };
  const http = vs.spec.http ?? [];
  for (let i = 0; i < http.length; i++) {
    const route = http[i]!;
    const destinations = route.route ?? [];
    for (let j = 0; j < destinations.length; j++) check(destinations[j]!.destination);
    if (route.mirror) check(route.mirror);
    const mirrors = route.mirrors ?? [];
    for (let j = 0; j < mirrors.length; j++) check(mirrors[j]!.destination);
  }
  for (const routes of [vs.spec.tcp, vs.spec.tls]) {
    for (const route of routes ?? []) {
      for (const destination of route.route ?? []) check(destination.destination);
    }
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
