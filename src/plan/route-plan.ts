// The VirtualService routing API: a stage's intent written into every VirtualService that carries the
// service's traffic. The service's own mesh VirtualService keeps its named default route (created when
// absent, see virtual-service.ts); every stable-bound route of it and of the gateway-bound and delegate
// VirtualServices moves the same way (stable-bound.ts). Those left alone are reported with the reason.
import { CanaryError } from '../errors.js';
import type { RoutingIntent } from './intent.js';
import { lazyProperties } from './lazy.js';
import { routeTargets } from './mirror.js';
import {
  cleanFields,
  copy,
  ISTIO_API_VERSION,
  namespaceOf,
  ownCopy,
  resourceName,
  STAGE_ANNOTATION,
  WEIGHTS_ANNOTATION,
} from './objects.js';
import { canaryShare, describeMatch, routeRows, splitOf } from './routes.js';
import {
  doorOf,
  findRoutesToHost,
  reachesHost,
  routeReachesHost,
  virtualServiceReachesHost,
} from './routes-to-host.js';
import { isTwinName, managedByUs, moveStableBoundRoutes, type MovedRoute } from './stable-bound.js';
import type {
  HTTPRoute,
  PlannedObject,
  RouteRow,
  RouteSplit,
  StageOptions,
  VirtualService,
} from './types.js';
import {
  mergeVirtualService,
  ownedRouteNames,
  primaryRouteIndex,
  weightsAnnotation,
} from './virtual-service.js';

export interface VirtualServicePlan extends PlannedObject {
  role: PlannedObject['role'];
  before?: VirtualService;
  after: VirtualService;
  moved: MovedRoute[];
}

export interface RoutingPlan {
  /** The VirtualServices written, the primary first. */
  objects: VirtualServicePlan[];
  primary: VirtualServicePlan;
  /** Every VirtualService (any namespace) as it would be after the writes. */
  world: VirtualService[];
  routes: RouteSplit[];
  previousWeight: number;
  weight: number;
  before: RouteRow[];
  after: RouteRow[];
}

/**
 * The merged object as cleanObject would leave it, copying only what needs it: mergeVirtualService copies
 * what it is given (the clean fields of `before`; see ownCopy), so only the routes it builds, ours, may
 * still hold undefined members. On a thousand routes a second copy of the whole object is a cost of its own.
 */
function withOurRoutesCopied(merged: VirtualService, names: Record<string, string>): VirtualService {
  const ours = new Set(Object.values(names));
  const http = merged.spec.http?.map((route) =>
    route.name !== undefined && ours.has(route.name) ? copy(route) : route,
  );
  return { ...merged, spec: { ...merged.spec, ...(http ? { http } : {}) } };
}

/** The mesh VirtualService of the service, its default route ours, then its other stable-bound routes. */
function planPrimary(
  before: VirtualService | undefined,
  intent: RoutingIntent,
  options: StageOptions,
  apiVersion: string | undefined,
): VirtualServicePlan {
  const names = ownedRouteNames(options.service);
  const merged = withOurRoutesCopied(
    mergeVirtualService(before && cleanFields(before), intent, options, apiVersion),
    names,
  );
  const skip = new Set([names.header, names.sticky, names.primary]);
  const { virtualService, moved } = moveStableBoundRoutes(merged, intent, options, managedByUs(before), skip);
  const namespace = options.namespace;
  const beforeHttp = before?.spec.http ?? [];
  const afterHttp = virtualService.spec.http ?? [];
  const primaryAfter = afterHttp[primaryRouteIndex(afterHttp, options, namespace)];
  const primaryBefore = beforeHttp[primaryRouteIndex(beforeHttp, options, namespace)];
  const primaryMove = primaryAfter ? [{ before: primaryBefore ?? { route: [] }, after: primaryAfter }] : [];
  return {
    role: virtualService.spec.hosts?.length ? doorOf(virtualService) : 'mesh',
    ...(before ? { before } : {}),
    after: virtualService,
    moved: [...primaryMove, ...moved],
  };
}

/** A gateway-bound or delegate VirtualService (or a second mesh one): its stable-bound routes move. */
function planOther(before: VirtualService, intent: RoutingIntent, options: StageOptions): VirtualServicePlan {
  const { virtualService, moved } = moveStableBoundRoutes(
    ownCopy(cleanFields(before)),
    intent,
    options,
    managedByUs(before),
  );
  if (moved.length > 0) {
    virtualService.metadata.annotations = {
      ...virtualService.metadata.annotations,
      [STAGE_ANNOTATION]: options.stage,
      [WEIGHTS_ANNOTATION]: weightsAnnotation(intent.split),
    };
  }
  return { role: doorOf(virtualService), before, after: virtualService, moved };
}

/** The first match block's uri as a path a request can take (`/reviews`), when it has one. */
function pathOf(route: HTTPRoute): string | undefined {
  const uri = route.match?.[0]?.uri;
  return uri?.exact ?? uri?.prefix;
}

function routeSplit(
  vs: VirtualService,
  moved: MovedRoute,
  options: StageOptions,
  leftAlone?: string,
): RouteSplit {
  const path = pathOf(moved.after);
  return {
    resource: resourceName(vs, options.namespace),
    object: vs.metadata.name,
    namespace: namespaceOf(vs, options.namespace),
    door: doorOf(vs),
    ...(moved.after.name !== undefined ? { name: moved.after.name } : {}),
    match: describeMatch(moved.after),
    hosts: vs.spec.hosts ?? [],
    gateways: vs.spec.gateways ?? [],
    ...(path !== undefined ? { path } : {}),
    before: splitOf(moved.before),
    after: splitOf(moved.after),
    ...(leftAlone !== undefined ? { leftAlone } : {}),
  };
}

/** The routes to the host in a VirtualService as they are (with the reason, when the plan leaves them). */
function leftAloneRoutes(
  vs: VirtualService,
  reason: string | undefined,
  options: StageOptions,
): RouteSplit[] {
  const namespace = namespaceOf(vs, options.namespace);
  return (vs.spec.http ?? [])
    .filter((route) => routeReachesHost(route, namespace, options))
    .map((route) => routeSplit(vs, { before: route, after: route }, options, reason));
}

function rowsOf(vs: VirtualService | undefined): RouteRow[] {
  return vs ? routeRows(vs).map((row) => ({ object: vs.metadata.name, ...row })) : [];
}

/**
 * Routing-table rows for the routes to the host the plan leaves alone, marked so: only those routes (a
 * gateway VirtualService elsewhere may route a hundred other hosts), named `namespace/name` outside ours.
 */
export function leftAloneRows(routes: RouteSplit[], options: StageOptions): RouteRow[] {
  return routes
    .filter((route) => route.leftAlone !== undefined)
    .map((route) => ({
      object: route.namespace === options.namespace ? route.object : `${route.namespace}/${route.object}`,
      ...(route.name !== undefined ? { name: route.name } : {}),
      match: route.match,
      destinations: route.after,
      leftAlone: route.leftAlone,
    }));
}

/** Why a VirtualService of another namespace is only reported. */
export function elsewhereReason(vs: VirtualService, options: StageOptions): string {
  return `in namespace ${namespaceOf(vs, options.namespace)}: never written`;
}

/**
 * Plans every VirtualService the stage writes: the primary (the service's mesh one, found by
 * plan-stage's pick, created when absent and not left out by `virtual-services`) and every other one of
 * the namespace with a stable-bound route.
 */
export function planVirtualServices(
  virtualServices: VirtualService[],
  primary: VirtualService | undefined,
  intent: RoutingIntent,
  options: StageOptions,
  apiVersion = ISTIO_API_VERSION,
): RoutingPlan {
  const found = findRoutesToHost(virtualServices, options, primary);
  const selection = options.virtualServices ?? [];
  const writesPrimary = primary
    ? found.managed.includes(primary)
    : selection.length === 0 || selection.includes(options.service);
  const others = found.managed
    .filter((vs) => vs !== primary)
    .map((vs) => planOther(vs, intent, options))
    .filter((plan) => plan.moved.length > 0);
  const objects = writesPrimary ? [planPrimary(primary, intent, options, apiVersion), ...others] : others;
  const first = objects[0];
  if (!first) {
    throw new CanaryError(
      'not-found',
      `no route to ${options.host} in the VirtualServices ${selection.join(', ')} of "${options.namespace}" goes to ${options.stable} or ${options.canary}: name others in virtual-services, or leave it empty`,
    );
  }
  const afterOf = new Map(objects.flatMap((plan) => (plan.before ? [[plan.before, plan.after]] : [])));
  const world = [
    ...virtualServices.map((vs) => afterOf.get(vs) ?? vs),
    ...objects.filter((plan) => !plan.before).map((plan) => plan.after),
  ];
  // The routes and rows are for people (summary, outputs): made when read, not on the way to the writes.
  const routing: RoutingPlan = lazyProperties<RoutingPlan, 'routes' | 'before' | 'after'>(
    { objects, primary: first, world, previousWeight: 0, weight: 0 },
    {
      routes: () => [
        ...objects.flatMap((plan) => plan.moved.map((moved) => routeSplit(plan.after, moved, options))),
        ...found.excluded.flatMap((vs) => leftAloneRoutes(vs, 'not in virtual-services', options)),
        ...found.elsewhere.flatMap((vs) => leftAloneRoutes(vs, elsewhereReason(vs, options), options)),
      ],
      before: (): RouteRow[] => [
        ...objects.flatMap((plan) => rowsOf(plan.before)),
        ...leftAloneRows(routing.routes, options),
      ],
      after: (): RouteRow[] => [
        ...objects.flatMap((plan) => rowsOf(plan.after)),
        ...leftAloneRows(routing.routes, options),
      ],
    },
  );
  // The default route's figures: the primary's, else the first moved route's.
  const share = (split: { subset: string; weight: number }[]) =>
    split.find((entry) => entry.subset === options.canary)?.weight ?? 0;
  const firstMoved = () => routing.routes[0];
  const fromPrimary = writesPrimary;
  routing.previousWeight = fromPrimary
    ? canaryShare(first.before, options)
    : share(firstMoved()?.before ?? []);
  routing.weight = fromPrimary ? canaryShare(first.after, options) : share(firstMoved()?.after ?? []);
  return routing;
}

/**
 * finalize drops the stable subset: refuse while any VirtualService (of the namespace, excluded by
 * `virtual-services`, or of another namespace) still routes or mirrors to it.
 */
export function refuseDroppingRoutedSubsets(
  virtualServices: VirtualService[],
  removed: string[],
  options: StageOptions,
): void {
  for (const subset of removed) {
    const users = virtualServices.flatMap((vs) => {
      const namespace = namespaceOf(vs, options.namespace);
      const routes = (vs.spec.http ?? []).filter((route) =>
        routeTargets(route).some(
          (destination) => destination.subset === subset && reachesHost(destination.host, namespace, options),
        ),
      );
      return routes.length > 0
        ? [
            {
              name: `${resourceName(vs, options.namespace)} (${routes.length === 1 ? 'route' : 'routes'}: ${routes.map(describeMatch).join('; ')})`,
              routes,
            },
          ]
        : [];
    });
    if (users.length > 0) {
      const one = users.length === 1 && users[0]?.routes.length === 1;
      throw new CanaryError(
        'check-failed',
        `${options.stage} refuses to drop subset ${subset} of ${options.host}: ${users.map((user) => user.name).join(', ')} still ${users.length === 1 ? 'routes' : 'route'} to it; move ${one ? 'that route' : 'those routes'} to ${options.canary} first`,
      );
    }
  }
}

/**
 * Every route to the host as it is now, in every VirtualService given (what `status` reports); those of
 * other namespaces carry why a stage would leave them alone.
 */
export function routesNow(virtualServices: VirtualService[], options: StageOptions): RouteSplit[] {
  const elsewhere = (vs: VirtualService) => namespaceOf(vs, options.namespace) !== options.namespace;
  return virtualServices
    .filter((vs) => virtualServiceReachesHost(vs, options))
    .flatMap((vs) => leftAloneRoutes(vs, elsewhere(vs) ? elsewhereReason(vs, options) : undefined, options));
}

/**
 * `status`'s warning when the doors into the service disagree: the routes to the stable and canary
 * subsets (our header and sticky twins aside) do not all give the canary the same share.
 */
export function splitDisagreement(routes: RouteSplit[], options: StageOptions): string | undefined {
  const share = (route: RouteSplit) =>
    route.after.find((entry) => entry.subset === options.canary)?.weight ?? 0;
  const carrying = routes.filter(
    (route) =>
      !(route.name !== undefined && isTwinName(route.name)) &&
      route.after.length > 0 &&
      route.after.every((entry) => entry.subset === options.stable || entry.subset === options.canary),
  );
  if (new Set(carrying.map(share)).size <= 1) return undefined;
  const listed = carrying.map((route) => `${route.object} ${route.match} ${share(route)} %`).join(', ');
  return `the routes to ${options.host} disagree on the canary's share: ${listed}; run the stage again to move them all`;
}
