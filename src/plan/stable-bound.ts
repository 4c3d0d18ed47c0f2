// The stage's intent written into every stable-bound route of a VirtualService: a route whose destinations
// all go to the host's stable (or, once we manage the object, canary) subset, whatever its own match. Its
// split changes; its match, port, rewrite, timeout, retries, headers, fault and every other field stay. The
// test-user route becomes a twin placed right before it, matching the route's own match AND the header
// match, and named after the route so that a second run finds (and keeps) it.
import { createHash } from 'node:crypto';
import type { RoutingIntent } from './intent.js';
import { canonicalJson, copy, namespaceOf, sameJson, WEIGHTS_ANNOTATION } from './objects.js';
import { reachesHost } from './routes-to-host.js';
import { stickyMatch, withIssuedCookie, withoutIssuedCookie } from './sticky-cookie.js';
import type { HTTPMatchRequest, HTTPRoute, StageOptions, VirtualService } from './types.js';
import { applyMirror } from './mirror.js';
import { canaryRoute, destinationsFor, matchBlock, retargeted, stickyCookieFor } from './virtual-service.js';

const HEADER_SUFFIX = '-canary-header';
const STICKY_SUFFIX = '-canary-sticky';

/** A route before the stage and the same route after it. */
export interface MovedRoute {
  before: HTTPRoute;
  after: HTTPRoute;
}

/** Once an object carries our weights annotation, its routes on the canary alone are ours too. */
export function managedByUs(vs: VirtualService | undefined): boolean {
  return vs?.metadata.annotations?.[WEIGHTS_ANNOTATION] !== undefined;
}

/**
 * A route the stage moves: every destination goes to a subset of the host, the ones carrying traffic to
 * the stable (first run) or to the stable and canary (an object we already manage). Routes to other hosts,
 * other subsets (a v3 pinned for QA) or without destinations (delegate, redirect) are not.
 */
export function isStableBound(
  route: HTTPRoute,
  vsNamespace: string,
  options: StageOptions,
  managed: boolean,
): boolean {
  // Indexed loops, no callbacks: this runs for every route of the object, and callbacks reading this
  // call's values would make each call allocate a context for them.
  const destinations = route.route ?? [];
  if (destinations.length === 0) return false;
  for (let index = 0; index < destinations.length; index++) {
    const { destination } = destinations[index]!;
    const ours = destination.subset === options.stable || destination.subset === options.canary;
    if (!ours || !reachesHost(destination.host, vsNamespace, options)) return false;
  }
  // One carrying traffic (effective weight above 0) to the stable, or to the canary once managed.
  const lone = destinations.length === 1;
  for (let index = 0; index < destinations.length; index++) {
    const { destination, weight } = destinations[index]!;
    const subset = destination.subset ?? '';
    const carries = (lone ? 100 : (weight ?? 0)) > 0;
    if (carries && (subset === options.stable || (managed && subset === options.canary))) return true;
  }
  return false;
}

/** `reviews-3f2a9c1e`: a name for an unnamed route, from its match (stable while the match is). */
function derivedName(route: HTTPRoute, options: StageOptions): string {
  const digest = createHash('sha256')
    .update(canonicalJson(route.match ?? []))
    .digest('hex');
  return `${options.service}-${digest.slice(0, 8)}`;
}

/** A name of ours for a header or sticky twin (the mesh default route's included). */
export function isTwinName(name: string): boolean {
  return name.endsWith(HEADER_SUFFIX) || name.endsWith(STICKY_SUFFIX);
}

/** The names of the header and sticky twins of a route. */
export function twinNames(route: HTTPRoute, options: StageOptions): { header: string; sticky: string } {
  const base = route.name ?? derivedName(route, options);
  return { header: `${base}${HEADER_SUFFIX}`, sticky: `${base}${STICKY_SUFFIX}` };
}

type StringMatch = { exact?: string; prefix?: string; regex?: string };

/** The uri condition both accept, when one implies the other (regexes cannot be AND-ed in one block). */
function narrowerUri(a: StringMatch, b: StringMatch): StringMatch | undefined {
  if (sameJson(a, b)) return a;
  const within = (inner: StringMatch, outer: StringMatch) =>
    outer.prefix !== undefined &&
    (inner.prefix ?? inner.exact ?? '').startsWith(outer.prefix) &&
    inner.regex === undefined;
  if (within(a, b)) return a;
  if (within(b, a)) return b;
  return undefined;
}

/** Header and query maps AND-ed: every name of both; one name with two different conditions cannot be. */
function andMaps(
  a: Record<string, unknown>,
  b: Record<string, unknown>,
): Record<string, unknown> | undefined {
  const merged = { ...a };
  for (const [name, condition] of Object.entries(b)) {
    if (merged[name] !== undefined && !sameJson(merged[name], condition)) return undefined;
    merged[name] = condition;
  }
  return merged;
}

const MAP_FIELDS = ['headers', 'queryParams', 'withoutHeaders'];

/** One match block requiring both blocks, or undefined when no request can meet both. */
export function andMatchBlocks(own: HTTPMatchRequest, extra: HTTPMatchRequest): HTTPMatchRequest | undefined {
  const merged: Record<string, unknown> = copy(own);
  for (const [field, condition] of Object.entries(extra) as [string, unknown][]) {
    const existing = merged[field];
    if (existing === undefined) {
      merged[field] = copy(condition);
    } else if (MAP_FIELDS.includes(field)) {
      const both = andMaps(existing as Record<string, unknown>, condition as Record<string, unknown>);
      if (!both) return undefined;
      merged[field] = both;
    } else if (field === 'uri') {
      const uri = narrowerUri(existing as StringMatch, condition as StringMatch);
      if (!uri) return undefined;
      merged[field] = uri;
    } else if (!sameJson(existing, condition)) {
      return undefined;
    }
  }
  return merged as HTTPMatchRequest;
}

/** The twin's match: each of the route's match blocks AND `extra`; none when no block can meet it. */
export function twinMatch(route: HTTPRoute, extra: HTTPMatchRequest): HTTPMatchRequest[] {
  const own = route.match && route.match.length > 0 ? route.match : [{}];
  return own
    .map((block) => andMatchBlocks(block, extra))
    .filter((block): block is HTTPMatchRequest => block !== undefined);
}

/** A canary twin of `route` for `extra`, keeping an earlier twin's own fields; none when it cannot match. */
function twin(
  route: HTTPRoute,
  extra: HTTPMatchRequest,
  previous: HTTPRoute | undefined,
  options: StageOptions,
  name: string,
): HTTPRoute | undefined {
  const match = twinMatch(route, extra);
  if (match.length === 0) return undefined;
  const built = canaryRoute(match[0] ?? {}, previous, route, options, name);
  built.match = match;
  return built;
}

/** One stable-bound route after the intent, with its twins (header, then sticky) to go right before it. */
function moveRoute(
  before: HTTPRoute,
  knownNames: { header: string; sticky: string } | undefined,
  previousTwins: { header?: HTTPRoute; sticky?: HTTPRoute },
  intent: RoutingIntent,
  options: StageOptions,
  vs: VirtualService,
): HTTPRoute[] {
  // `before` is the caller's own copy (see moveStableBoundRoutes) and stays as it is: every change below
  // replaces a member of the route, never changes one in place, so the members kept can be shared.
  const moved: HTTPRoute = { ...before };
  // Without our Set-Cookie first, so the twins built from it do not issue the cookie (the list is this
  // call's own: changed in place).
  const destinations = destinationsFor(before.route ?? [], intent.split, options.host);
  for (let index = 0; index < destinations.length; index++)
    destinations[index] = withoutIssuedCookie(destinations[index]!);
  moved.route = destinations;
  applyMirror(moved, intent, options, vs);
  // The twins' names, made when a twin is (an unnamed route's are a digest of its match).
  let names = knownNames;
  const header =
    intent.headerRoute.kind === 'set'
      ? twin(
          moved,
          matchBlock(intent.headerRoute.match),
          previousTwins.header,
          options,
          (names ??= twinNames(before, options)).header,
        )
      : intent.headerRoute.kind === 'keep' && previousTwins.header
        ? retargeted(previousTwins.header, options)
        : undefined;
  const cookie = stickyCookieFor(intent, before);
  const sticky = cookie
    ? twin(
        moved,
        stickyMatch(cookie, options.canary),
        previousTwins.sticky,
        options,
        (names ??= twinNames(before, options)).sticky,
      )
    : undefined;
  if (cookie) {
    for (let index = 0; index < destinations.length; index++) {
      const destination = destinations[index]!;
      if (destination.destination.subset === options.canary)
        destinations[index] = withIssuedCookie(destination, cookie);
    }
  }
  if (!header && !sticky) return [moved];
  return [header, sticky, moved].filter((route): route is HTTPRoute => route !== undefined);
}

/** The match blocks of a route as canonical JSON, without their names (which do not narrow a match). */
function matchKeys(route: HTTPRoute): string[] {
  return (route.match ?? []).map((block) => canonicalJson(block, 'name'));
}

/**
 * The routes placed so far and the match blocks among them: whether a twin is shadowed by an earlier route
 * is a lookup, not a walk over every earlier route (a thousand routes with a twin each would otherwise cost
 * a million canonical JSON strings). The blocks are indexed on the first question (a stage without twins
 * never asks).
 */
class PlacedRoutes {
  readonly routes: HTTPRoute[] = [];
  private readonly matches = new Set<string>();
  private indexed = 0;

  add(route: HTTPRoute): void {
    this.routes.push(route);
  }

  /** Every match block of `route` repeats one of a route placed earlier. */
  shadow(route: HTTPRoute): boolean {
    for (; this.indexed < this.routes.length; this.indexed++) {
      for (const key of matchKeys(this.routes[this.indexed] as HTTPRoute)) this.matches.add(key);
    }
    return matchKeys(route).every((key) => this.matches.has(key));
  }
}

/**
 * Writes the intent into every stable-bound route of `vs` (routes named in `skip` are left to the caller),
 * placing each one's twins right before it. Every other route keeps its place and content. `vs` is the
 * caller's own copy, which is not changed: its routes are kept, or shared by their moved forms, rather
 * than copied again. `managed`: whether the object already carried our annotation before this plan.
 */
export function moveStableBoundRoutes(
  vs: VirtualService,
  intent: RoutingIntent,
  options: StageOptions,
  managed: boolean,
  skip: ReadonlySet<string> = new Set(),
): { virtualService: VirtualService; moved: MovedRoute[] } {
  const namespace = namespaceOf(vs, options.namespace);
  const http = vs.spec.http ?? [];
  const candidates = http.filter(
    (route) =>
      !(route.name !== undefined && skip.has(route.name)) &&
      isStableBound(route, namespace, options, managed),
  );
  // Only a route named as a twin is named (ends) so: without one, no name below can be a twin's, and the
  // twin names of every route and their sets (thousands of names on a large object) are not made; a route
  // then names its twins only when it makes one (moveRoute).
  const twinNamed = http.some((route) => route.name !== undefined && isTwinName(route.name));
  const twinsOf = new Map(
    twinNamed ? candidates.map((route) => [route, twinNames(route, options)] as const) : [],
  );
  const allTwinNames = twinNamed
    ? new Set([...twinsOf.values()].flatMap(({ header, sticky }) => [header, sticky]))
    : new Set<string>();
  const bound = new Set(
    candidates.filter((route) => !(route.name !== undefined && allTwinNames.has(route.name))),
  );
  if (bound.size === 0) return { virtualService: vs, moved: [] };
  // The first route of each name, as a search from the start finds it (the earlier twins, by name).
  const named = new Map<string, HTTPRoute>();
  for (const route of twinNamed ? http : []) {
    if (route.name !== undefined && !named.has(route.name)) named.set(route.name, route);
  }
  const boundTwinNames = new Set(
    [...(twinNamed ? bound : [])].flatMap((route) => {
      const names = twinsOf.get(route);
      return names ? [names.header, names.sticky] : [];
    }),
  );
  const moved: MovedRoute[] = [];
  const next = new PlacedRoutes();
  for (const route of http) {
    if (route.name !== undefined && boundTwinNames.has(route.name)) continue; // re-placed by its route
    if (!bound.has(route)) {
      next.add(route);
      continue;
    }
    const names = twinsOf.get(route);
    const routes = moveRoute(
      route,
      names,
      names ? { header: named.get(names.header), sticky: named.get(names.sticky) } : {},
      intent,
      options,
      vs,
    );
    const after = routes[routes.length - 1] ?? route;
    moved.push({ before: route, after });
    if (routes.length > 1) {
      // A twin whose every match an earlier route already takes would never be reached (IST0131): left out.
      const twins = routes.slice(0, -1).filter((twin) => !next.shadow(twin));
      for (const twin of twins) next.add(twin);
    }
    next.add(after);
  }
  // The routes are new or kept as they were: copy the rest of the object, not the routes again.
  const virtualService: VirtualService = copy({ ...vs, spec: { ...vs.spec, http: [] } });
  virtualService.spec.http = next.routes;
  return { virtualService, moved };
}
