// Writes a routing intent into one HTTPRoute. It owns the rules it splits (those sending the service's
// traffic to the stable version, or to the main Service on a first run) and the header twins it puts right
// before them; every other rule, field and piece of metadata stays as it was, in order.
import type { CanaryMatch, RoutingIntent, WeightedVersion } from '../intent.js';
import { copy, STAGE_ANNOTATION, WEIGHTS_ANNOTATION } from '../objects.js';
import type { Finding } from '../types.js';
import { weightsAnnotation } from '../virtual-service.js';
import { ruleLabel } from './checks.js';
import { andMatch } from './matches.js';
import { sameMatch, sameRule } from './normalize.js';
import { namesService, routeNamespace, versionOf } from './refs.js';
import type { ServiceNames } from './refs.js';
import type {
  GatewayApiStageOptions,
  HTTPBackendRef,
  HTTPRoute,
  HTTPRouteFilter,
  HTTPRouteMatch,
  HTTPRouteRule,
} from './types.js';

/** Rules a user named that this tool splits: after promote they send nothing to stable, yet stay ours. */
export const SPLIT_RULES_ANNOTATION = 'istio-canary.io/split-rules';

/** `reviews-primary`, `reviews-primary-2`, …: names given to the unnamed rules this tool splits. */
export function splitRuleName(service: string, ordinal: number): string {
  return ordinal === 1 ? `${service}-primary` : `${service}-primary-${ordinal}`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function ourSplitName(service: string): RegExp {
  return new RegExp(`^${escapeRegExp(service)}-primary(-\\d+)?$`);
}

function ourTwinName(service: string): RegExp {
  return new RegExp(`^${escapeRegExp(service)}-canary-header(-\\d+)?$`);
}

/** The header twin of split rule `split`: `reviews-canary-header` for `reviews-primary`. */
export function twinRuleName(service: string, split: string): string {
  const ours = ourSplitName(service).exec(split);
  return ours ? `${service}-canary-header${ours[1] ?? ''}` : `${split}-canary-header`;
}

export interface MergedRoute {
  route: HTTPRoute;
  /** Names of the rules this stage owns in the route (split rules and their twins), after the merge. */
  ownedRules: string[];
  /** Names of the split rules, after the merge. */
  splitRules: string[];
  /** Each split rule as read and as planned, in route order. */
  moved: { before: HTTPRouteRule; after: HTTPRouteRule }[];
  /** Rules that send to the stable besides other backends, left as they are, with why. */
  leftAlone: { rule: HTTPRouteRule; reason: string }[];
  findings: Finding[];
}

interface RouteContext {
  options: GatewayApiStageOptions;
  names: ServiceNames;
  intent: RoutingIntent;
  /** The route's namespace: backendRefs without one point there. */
  from: string;
  resource: string;
}

function listedSplitRules(route: HTTPRoute): Set<string> {
  const listed = route.metadata.annotations?.[SPLIT_RULES_ANNOTATION] ?? '';
  return new Set(listed.split(',').filter((name) => name !== ''));
}

/**
 * `split`: every backendRef names the service (main, stable or canary) and one names the stable or the
 * main Service, or the rule is ours by name. `left-alone`: it sends to the stable besides other backends,
 * so no split of ours can say what it should become.
 */
function classify(rule: HTTPRouteRule, ours: (rule: HTTPRouteRule) => boolean, context: RouteContext) {
  const refs = rule.backendRefs ?? [];
  if (refs.length === 0) return undefined;
  const versions = refs.map((ref) => versionOf(ref, context.from, context.names));
  const stableBound = versions.some((version) => version === 'main' || version === 'stable');
  if (versions.every((version) => version !== undefined) && (stableBound || ours(rule))) return 'split';
  return stableBound ? 'left-alone' : undefined;
}

function serviceFor(version: string, context: RouteContext): string {
  return version === context.options.stable ? context.names.stable : context.names.canary;
}

/** A reference to `name` shaped like `template` (its group, kind, namespace, port), without weight or filters. */
function refLike(template: HTTPBackendRef | undefined, name: string): HTTPBackendRef {
  return {
    ...(template?.group !== undefined ? { group: template.group } : {}),
    ...(template?.kind !== undefined ? { kind: template.kind } : {}),
    name,
    ...(template?.namespace !== undefined ? { namespace: template.namespace } : {}),
    ...(template?.port !== undefined ? { port: template.port } : {}),
  };
}

/** The rule already splits as asked: the same shares of the same version Services (weights are relative). */
function sameSplit(refs: HTTPBackendRef[], split: WeightedVersion[], context: RouteContext): boolean {
  const total = refs.reduce((sum, ref) => sum + (ref.weight ?? 1), 0);
  if (total === 0) return false;
  const present = refs.filter((ref) => (ref.weight ?? 1) > 0);
  return (
    present.length === split.length &&
    split.every(({ version, weight }, index) => {
      const ref = present[index];
      return (
        ref !== undefined &&
        namesService(ref, context.from, context.names.namespace, serviceFor(version, context)) &&
        (ref.weight ?? 1) * 100 === weight * total
      );
    })
  );
}

/**
 * backendRefs for a split: refs to a version keep their other fields; new ones are shaped like the first
 * existing ref. A lone backend is written without weight (as Istio's samples do).
 */
function splitRefs(
  refs: HTTPBackendRef[],
  split: WeightedVersion[],
  context: RouteContext,
): HTTPBackendRef[] {
  if (sameSplit(refs, split, context)) return copy(refs);
  return split.map(({ version, weight }) => {
    const name = serviceFor(version, context);
    const previous = refs.find((ref) => namesService(ref, context.from, context.names.namespace, name));
    const ref = previous ? copy(previous) : refLike(refs[0], name);
    if (split.length === 1) delete ref.weight;
    else ref.weight = weight;
    return ref;
  });
}

function isCanaryMirror(filter: HTTPRouteFilter, context: RouteContext): boolean {
  const backend = filter.type === 'RequestMirror' ? filter.requestMirror?.backendRef : undefined;
  return (
    backend !== undefined &&
    namesService(backend, context.from, context.names.namespace, context.names.canary)
  );
}

/** `percent` when whole (the standard field), else an exact `fraction` (12.5 → 125/1000). */
function mirrorShare(
  percent: number,
): { percent: number } | { fraction: { numerator: number; denominator: number } } {
  if (Number.isInteger(percent)) return { percent };
  const decimals = Math.min((String(percent).split('.')[1] ?? '').length, 6);
  const scale = 10 ** decimals;
  return { fraction: { numerator: Math.round(percent * scale), denominator: 100 * scale } };
}

function applyMirror(rule: HTTPRouteRule, context: RouteContext): void {
  const { mirror } = context.intent;
  if (mirror.kind === 'keep') return;
  const filters = rule.filters ?? [];
  const index = filters.findIndex((filter) => isCanaryMirror(filter, context));
  if (mirror.kind === 'remove') {
    const kept = filters.filter((filter) => !isCanaryMirror(filter, context));
    if (kept.length > 0) rule.filters = kept;
    else delete rule.filters;
    return;
  }
  const backendRef = refLike(rule.backendRefs?.[0], context.names.canary);
  const wanted: HTTPRouteFilter = {
    type: 'RequestMirror',
    requestMirror: { backendRef, ...mirrorShare(mirror.percent) },
  };
  const previous = filters[index];
  if (previous && sameRule({ filters: [previous] }, { filters: [wanted] })) return;
  rule.filters =
    index >= 0 ? filters.map((filter, at) => (at === index ? wanted : filter)) : [...filters, wanted];
}

/** The twin of a split rule: its matches AND the header match, to the canary, with its other policies. */
function twinRule(
  split: HTTPRouteRule,
  name: string,
  match: CanaryMatch,
  context: RouteContext,
): { rule?: HTTPRouteRule; dropped: string[] } {
  const { name: _name, matches, backendRefs = [], filters = [], ...policies } = split;
  const dropped: string[] = [];
  const combined: HTTPRouteMatch[] = [];
  (matches && matches.length > 0 ? matches : [{}]).forEach((source, index) => {
    const both = andMatch(source, match);
    if (typeof both === 'string') dropped.push(`match #${index}: ${both}`);
    else if (!combined.some((known) => sameMatch(known, both))) combined.push(both);
  });
  if (combined.length === 0) return { dropped };
  const canaryRef =
    backendRefs.find((ref) =>
      namesService(ref, context.from, context.names.namespace, context.names.canary),
    ) ?? backendRefs[0];
  const target = refLike(canaryRef, context.names.canary);
  // Mirroring the canary's own users to the canary would copy each request onto itself.
  const kept = filters.filter((filter) => filter.type !== 'RequestMirror');
  return {
    rule: {
      name,
      matches: combined,
      ...(kept.length > 0 ? { filters: copy(kept) } : {}),
      backendRefs: [target],
      ...copy(policies),
    },
    dropped,
  };
}

/** A kept twin (header route not given again) still sends its requests to this run's canary. */
function retargetedTwin(twin: HTTPRouteRule, split: HTTPRouteRule, context: RouteContext): HTTPRouteRule {
  const kept = copy(twin);
  const onCanary = (kept.backendRefs ?? []).every((ref) =>
    namesService(ref, context.from, context.names.namespace, context.names.canary),
  );
  if (!onCanary) kept.backendRefs = [refLike(split.backendRefs?.[0], context.names.canary)];
  return kept;
}

/** The route after the intent; a route with no rule of the service's stable version comes back as it was. */
export function mergeHttpRoute(
  existing: HTTPRoute,
  intent: RoutingIntent,
  options: GatewayApiStageOptions,
  names: ServiceNames,
): MergedRoute {
  const route = copy(existing);
  const namespace = routeNamespace(route, options.namespace);
  const context: RouteContext = {
    options,
    names,
    intent,
    from: namespace,
    resource: `HTTPRoute ${namespace}/${route.metadata.name}`,
  };
  const rules = route.spec.rules ?? [];
  const listed = listedSplitRules(route);
  const ourSplit = ourSplitName(options.service);
  const oursByName = (rule: HTTPRouteRule) =>
    rule.name !== undefined && (ourSplit.test(rule.name) || listed.has(rule.name));
  const kinds = rules.map((rule) => classify(rule, oursByName, context));

  // Unnamed rules we split get a name of ours, so a later stage finds them whatever they send to.
  const used = new Set(rules.flatMap((rule) => (rule.name !== undefined ? [rule.name] : [])));
  let ordinal = 1;
  const allocate = () => {
    while (used.has(splitRuleName(options.service, ordinal))) ordinal += 1;
    const name = splitRuleName(options.service, ordinal);
    used.add(name);
    return name;
  };
  const splitNames = rules.map((rule, index) =>
    kinds[index] === 'split' ? (rule.name ?? allocate()) : undefined,
  );
  const twinNames = new Set(
    splitNames.flatMap((name) => (name ? [twinRuleName(options.service, name)] : [])),
  );
  const ourTwin = ourTwinName(options.service);
  const isTwin = (rule: HTTPRouteRule) =>
    rule.name !== undefined &&
    (ourTwin.test(rule.name) ||
      twinNames.has(rule.name) ||
      [...listed].some((name) => twinRuleName(options.service, name) === rule.name));
  const previousTwins = new Map(rules.filter(isTwin).map((rule) => [rule.name, rule]));

  const findings: Finding[] = [];
  const owned: string[] = [];
  const merged: HTTPRouteRule[] = [];
  const moved: MergedRoute['moved'] = [];
  const leftAlone: MergedRoute['leftAlone'] = [];
  rules.forEach((rule, index) => {
    if (isTwin(rule)) return;
    const splitName = splitNames[index];
    if (kinds[index] === 'left-alone') {
      const reason = `sends to ${names.stable} or ${names.main} besides other backends`;
      leftAlone.push({ rule, reason });
      findings.push({
        code: 'RuleLeftAlone',
        severity: 'warning',
        resource: context.resource,
        message: `${ruleLabel(rule, index)} ${reason}: left as it is, so its share of the canary stays what it was; send it to the service's versions only to let stages move it`,
      });
    }
    if (splitName === undefined) {
      merged.push(rule);
      return;
    }
    // A name of ours goes first; a rule that has one keeps its field order.
    const split: HTTPRouteRule = rule.name !== undefined ? copy(rule) : { name: splitName, ...copy(rule) };
    split.backendRefs = splitRefs(rule.backendRefs ?? [], intent.split, context);
    applyMirror(split, context);
    const twinName = twinRuleName(options.service, splitName);
    const previousTwin = previousTwins.get(twinName);
    let twin: HTTPRouteRule | undefined;
    if (intent.headerRoute.kind === 'set') {
      const built = twinRule(split, twinName, intent.headerRoute.match, context);
      twin = built.rule && previousTwin && sameRule(previousTwin, built.rule) ? previousTwin : built.rule;
      if (built.dropped.length > 0) {
        findings.push({
          code: 'UnreachableMatch',
          severity: 'warning',
          resource: context.resource,
          message: `${ruleLabel(split, index)}: the header route ${twin ? 'leaves out' : 'has no rule for'} ${built.dropped.join('; ')}`,
        });
      }
    } else if (intent.headerRoute.kind === 'keep' && previousTwin) {
      twin = retargetedTwin(previousTwin, split, context);
    }
    if (twin) {
      merged.push(twin);
      owned.push(twinName);
    }
    merged.push(split);
    owned.push(splitName);
    moved.push({ before: rule, after: split });
  });

  const splitRules = splitNames.flatMap((name) => (name ? [name] : []));
  if (splitRules.length === 0 && previousTwins.size === 0) {
    return { route: copy(existing), ownedRules: [], splitRules: [], moved, leftAlone, findings };
  }
  route.spec.rules = merged;
  const userNamed = splitRules.filter((name) => !ourSplit.test(name));
  const annotations: Record<string, string> = {
    ...route.metadata.annotations,
    [STAGE_ANNOTATION]: options.stage,
    [WEIGHTS_ANNOTATION]: weightsAnnotation(intent.split),
  };
  if (userNamed.length > 0) annotations[SPLIT_RULES_ANNOTATION] = userNamed.join(',');
  else delete annotations[SPLIT_RULES_ANNOTATION];
  route.metadata.annotations = annotations;
  return { route, ownedRules: owned, splitRules, moved, leftAlone, findings };
}
