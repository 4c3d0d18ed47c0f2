// Writes a routing intent into the service's VirtualService, owning only the routes it names (and the
// sticky Set-Cookie on its canary destination), leaving every other route, field and piece of metadata as
// it was.
import { CanaryError } from '../errors.js';
import { isCatchAll } from './catch-all.js';
import type { CanaryMatch, RoutingIntent, WeightedVersion } from './intent.js';
import { applyMirror } from './mirror.js';
import {
  copy,
  isUnexpandedShortForm,
  ISTIO_API_VERSION,
  ownCopy,
  qualifyHost,
  resourceName,
  sameHost,
  STAGE_ANNOTATION,
  WEIGHTS_ANNOTATION,
} from './objects.js';
import { issuedCookie, stickyMatch, withIssuedCookie, withoutIssuedCookie } from './sticky-cookie.js';
import type { StickyCookie } from './sticky-cookie.js';
import type {
  HTTPMatchRequest,
  HTTPRoute,
  HTTPRouteDestination,
  StageOptions,
  VirtualService,
} from './types.js';

/** Names of the routes this project owns in a service's VirtualService. */
export function ownedRouteNames(service: string): { header: string; sticky: string; primary: string } {
  return {
    header: `${service}-canary-header`,
    sticky: `${service}-canary-sticky`,
    primary: `${service}-primary`,
  };
}

/** Why a catch-all route cannot become our default route (it does not send everything to the host). */
function adoptionRefusal(route: HTTPRoute, options: StageOptions, namespace: string): string | undefined {
  if (route.redirect) return 'redirects every request';
  if (route.directResponse) return 'answers every request itself (directResponse)';
  if (route.delegate) return `delegates every request to VirtualService ${route.delegate.name}`;
  const hosts = (route.route ?? []).map((destination) => destination.destination.host);
  if (hosts.length === 0) return 'has no destination';
  const elsewhere = [...new Set(hosts.filter((host) => !sameHost(host, options.host, namespace)))];
  if (elsewhere.length === 0) return undefined;
  const dotted = elsewhere.find((host) => isUnexpandedShortForm(host, options.host, namespace));
  const hint = dotted
    ? ` (Istio expands only names without a dot: ${dotted} is not ${qualifyHost(options.host, namespace)})`
    : '';
  return `sends requests to ${elsewhere.join(', ')}, not only to ${options.host}${hint}`;
}

/**
 * The index of our default route: the one carrying our name, else (first run) the first route that
 * matches every request (Istio never reaches a later one), when all its destinations point at the host: we
 * adopt it with everything else it carries.
 */
export function primaryRouteIndex(http: HTTPRoute[], options: StageOptions, namespace: string): number {
  const primary = ownedRouteNames(options.service).primary; // once, not once per route
  const named = http.findIndex((route) => route.name === primary);
  if (named >= 0) return named;
  const catchAll = http.findIndex(isCatchAll);
  const route = http[catchAll];
  return route && adoptionRefusal(route, options, namespace) === undefined ? catchAll : -1;
}

/**
 * A VirtualService that carries the host's traffic only by `tcp`/`tls` routes: an http split added to it
 * would never be taken (and a header match means nothing there), so the stage would report a share the
 * traffic does not have.
 */
function refuseWithoutHttp(vs: VirtualService, options: StageOptions, namespace: string): void {
  if ((vs.spec.http ?? []).length > 0) return;
  const toHost = (routes: { route?: { destination: { host: string } }[] }[] | undefined) =>
    (routes ?? []).some((route) =>
      (route.route ?? []).some((destination) =>
        sameHost(destination.destination.host, options.host, namespace),
      ),
    );
  const kinds = [toHost(vs.spec.tcp) ? 'tcp' : '', toHost(vs.spec.tls) ? 'tls' : ''].filter(Boolean);
  if (kinds.length === 0) return;
  throw new CanaryError(
    'check-failed',
    `${resourceName(vs, namespace)} routes ${options.host} by ${kinds.join(' and ')} routes only, and the stages split http routes, which its traffic never takes: move the weights of its ${kinds.join('/')} route by hand, or route ${options.host} by http`,
  );
}

/** A first catch-all we cannot adopt ends the routes: a default route of ours after it would never match. */
function refuseUnadoptableCatchAll(vs: VirtualService, options: StageOptions, namespace: string): void {
  const http = vs.spec.http ?? [];
  const index = http.findIndex(isCatchAll);
  const route = http[index];
  const reason = route && adoptionRefusal(route, options, namespace);
  if (!route || reason === undefined) return;
  const named = route.name !== undefined ? ` (${JSON.stringify(route.name)})` : '';
  throw new CanaryError(
    'check-failed',
    `${resourceName(vs, namespace)} has no default route to take over: spec.http[${index}]${named} matches every request but ${reason}, so a default route for ${options.host} after it would never be reached; point that route at ${options.host}, or give it a match so a default route can follow it`,
  );
}

/** Weights as Istio reads them: a lone destination gets everything, whatever its weight says. */
export function effectiveWeights(destinations: HTTPRouteDestination[]): number[] {
  return destinations.map((destination) => (destinations.length === 1 ? 100 : (destination.weight ?? 0)));
}

/**
 * Whether the destinations already carry `split`: the versions with traffic (effective weight above 0), in
 * order, with their weights. A loop without the intermediate lists, as it runs for every moved route.
 */
function sameSplit(destinations: HTTPRouteDestination[], split: WeightedVersion[]): boolean {
  const lone = destinations.length === 1;
  let matched = 0;
  for (const destination of destinations) {
    const weight = lone ? 100 : (destination.weight ?? 0);
    if (!(weight > 0)) continue;
    const wanted = split[matched++];
    if (!wanted || wanted.version !== destination.destination.subset || wanted.weight !== weight)
      return false;
  }
  return matched === split.length;
}

/**
 * A destination for a version no existing destination names. A destination without subset stood for the
 * whole host, so what it carries (port, header changes) applied to every version and goes to each;
 * another version's destination lends only its host and port, as its headers may be its own.
 */
function newDestination(template: HTTPRouteDestination | undefined, version: string, host: string) {
  if (template && template.destination.subset === undefined) {
    const { weight: _weight, ...fields } = copy(template);
    return { ...fields, destination: { ...fields.destination, subset: version } };
  }
  const port = template?.destination.port;
  return {
    destination: {
      host: template?.destination.host ?? host,
      subset: version,
      ...(port ? { port: copy(port) } : {}),
    },
  };
}

/**
 * Destinations for a split. Existing destinations of a version keep their other fields (port, headers);
 * new ones are made by newDestination. A lone destination is written without weight (as the tutorial's
 * step 5 does), but an existing `weight: 100` is left alone: both forms route the same.
 */
export function destinationsFor(
  existing: HTTPRouteDestination[],
  split: WeightedVersion[],
  host: string,
): HTTPRouteDestination[] {
  // Each destination is a new object (its weight is set below), its members shared with the one read: the
  // planner replaces members and never changes one in place (a thousand routes, each copied deep, were
  // most of a large plan's garbage).
  // Indexed loops and no callbacks: this runs for every moved route, and a callback reading this call's
  // values would make each call allocate a context for them.
  if (existing.length > 0 && sameSplit(existing, split)) {
    const same: HTTPRouteDestination[] = new Array<HTTPRouteDestination>(existing.length);
    for (let index = 0; index < existing.length; index++) same[index] = { ...existing[index]! };
    return same;
  }
  const destinations: HTTPRouteDestination[] = new Array<HTTPRouteDestination>(split.length);
  for (let index = 0; index < split.length; index++) {
    const { version, weight } = split[index]!;
    const previous = destinationTo(existing, version);
    const destination: HTTPRouteDestination = previous
      ? { ...previous }
      : newDestination(existing[0], version, host);
    if (split.length === 1) delete destination.weight;
    else destination.weight = weight;
    destinations[index] = destination;
  }
  return destinations;
}

/** The first of `destinations` to `subset`. */
function destinationTo(
  destinations: HTTPRouteDestination[],
  subset: string,
): HTTPRouteDestination | undefined {
  for (let index = 0; index < destinations.length; index++) {
    if (destinations[index]!.destination.subset === subset) return destinations[index];
  }
  return undefined;
}

export function matchBlock(match: CanaryMatch): HTTPMatchRequest {
  const headers = Object.fromEntries(
    match.headers.map((header) => [header.name, { [header.kind]: header.value }]),
  );
  const block: Record<string, unknown> = { headers };
  if (match.uriPrefix !== undefined) block.uri = { prefix: match.uriPrefix };
  if (match.method !== undefined) block.method = { exact: match.method };
  return block as HTTPMatchRequest;
}

/**
 * Route-level policies the canary route shares with the default route, so canary users see the same
 * (the same path too: a `rewrite` left behind would send them to another one).
 */
const SHARED_POLICY_FIELDS = ['timeout', 'retries', 'corsPolicy', 'headers', 'rewrite'] as const;

/** A route sending the requests `match` selects to the canary; an existing one keeps its other fields. */
export function canaryRoute(
  match: HTTPMatchRequest,
  previous: HTTPRoute | undefined,
  primary: HTTPRoute,
  options: StageOptions,
  name: string,
): HTTPRoute {
  const route: HTTPRoute = previous ? copy(previous) : { name };
  if (!previous) {
    for (const field of SHARED_POLICY_FIELDS) {
      if (primary[field] !== undefined) Object.assign(route, { [field]: copy(primary[field]) });
    }
  }
  route.match = [match];
  route.route = destinationsFor(
    route.route ?? primary.route ?? [],
    [{ version: options.canary, weight: 100 }],
    options.host,
  );
  return route;
}

/** A kept header route still sends its requests to the canary of this run (which may be a newer one). */
export function retargeted(route: HTTPRoute, options: StageOptions): HTTPRoute {
  const kept = copy(route);
  kept.route = destinationsFor(kept.route ?? [], [{ version: options.canary, weight: 100 }], options.host);
  return kept;
}

/** `v1=50,v2=50`: the default route's split as recorded in the `istio-canary.io/weights` annotation. */
export function weightsAnnotation(split: WeightedVersion[]): string {
  return split.map(({ version, weight }) => `${version}=${weight}`).join(',');
}

/** The sticky cookie of this run: as given, or (keep) the one the previous default route issued. */
export function stickyCookieFor(
  intent: RoutingIntent,
  previousPrimary: HTTPRoute | undefined,
): StickyCookie | undefined {
  if (intent.sticky.kind === 'set') return intent.sticky.cookie;
  if (intent.sticky.kind === 'remove') return undefined;
  const destinations = previousPrimary?.route ?? [];
  for (let index = 0; index < destinations.length; index++) {
    const cookie = issuedCookie(destinations[index]!);
    if (cookie !== undefined) return cookie;
  }
  return undefined;
}

/** The service's VirtualService after the intent: created when absent, merged into when present. */
export function mergeVirtualService(
  existing: VirtualService | undefined,
  intent: RoutingIntent,
  options: StageOptions,
  newApiVersion = ISTIO_API_VERSION,
): VirtualService {
  const namespace = options.namespace;
  const names = ownedRouteNames(options.service);
  // Its routes are replaced where they change, never changed in place: they need no copy of their own.
  const base: VirtualService = existing
    ? ownCopy(existing)
    : {
        apiVersion: newApiVersion,
        kind: 'VirtualService',
        metadata: { name: options.service, namespace },
        spec: {
          hosts: [options.host],
          ...(options.gateways.length > 0 ? { gateways: [...options.gateways] } : {}),
        },
      };
  const http = base.spec.http ?? [];
  const primaryIndex = primaryRouteIndex(http, options, namespace);
  if (existing) refuseWithoutHttp(base, options, namespace);
  if (primaryIndex < 0) refuseUnadoptableCatchAll(base, options, namespace);
  const previousPrimary = primaryIndex >= 0 ? http[primaryIndex] : undefined;
  const previousHeader = http.find((route) => route.name === names.header);
  const previousSticky = http.find((route) => route.name === names.sticky);
  const previousOurs = (route: HTTPRoute) => route === previousHeader || route === previousSticky;

  // Our name first, so the adopted route reads as ours; its other fields keep their order.
  const { name: _adoptedName, ...adopted }: HTTPRoute = previousPrimary ? copy(previousPrimary) : {};
  const primary: HTTPRoute = { name: names.primary, ...adopted };
  // Without our Set-Cookie first, so the canary routes built from it do not issue the cookie.
  primary.route = destinationsFor(previousPrimary?.route ?? [], intent.split, options.host).map(
    withoutIssuedCookie,
  );
  applyMirror(primary, intent, options, base);

  const header =
    intent.headerRoute.kind === 'set'
      ? canaryRoute(matchBlock(intent.headerRoute.match), previousHeader, primary, options, names.header)
      : intent.headerRoute.kind === 'keep' && previousHeader
        ? retargeted(previousHeader, options)
        : undefined;
  const cookie = stickyCookieFor(intent, previousPrimary);
  const sticky = cookie
    ? canaryRoute(stickyMatch(cookie, options.canary), previousSticky, primary, options, names.sticky)
    : undefined;
  if (cookie) {
    primary.route = primary.route.map((destination) =>
      destination.destination.subset === options.canary ? withIssuedCookie(destination, cookie) : destination,
    );
  }

  // Everything we do not own keeps its order; ours go where the default route was (or last).
  const others = http.filter((route, index) => index !== primaryIndex && !previousOurs(route));
  const othersBeforePrimary = http
    .slice(0, primaryIndex >= 0 ? primaryIndex : http.length)
    .filter((route) => !previousOurs(route)).length;
  const ours = [header, sticky, primary].filter((route): route is HTTPRoute => route !== undefined);
  base.spec.http = [...others.slice(0, othersBeforePrimary), ...ours, ...others.slice(othersBeforePrimary)];

  base.metadata.annotations = {
    ...base.metadata.annotations,
    [STAGE_ANNOTATION]: options.stage,
    [WEIGHTS_ANNOTATION]: weightsAnnotation(intent.split),
  };
  return base;
}
