// planGatewayApiStage: the namespace's HTTPRoutes and Services + stage options → the version Services and
// HTTPRoutes to write, in a safe order, checked. Pure: no I/O, the same input always gives the same plan.
import { CanaryError } from '../../errors.js';
import { CheckFailedError } from '../checks.js';
import { objectDiff } from '../diff.js';
import { stageIntent } from '../intent.js';
import type { RoutingIntent } from '../intent.js';
import { canonicalJson, cleanObject } from '../objects.js';
import { checkWeight, invalid } from '../validate.js';
import { analyzeGatewayRouting, routeNamesService } from './checks.js';
import { mergeHttpRoute } from './http-route.js';
import type { MergedRoute } from './http-route.js';
import { normalizeSpec } from './normalize.js';
import { routeNamespace, routesTheService, serviceNames } from './refs.js';
import type { ServiceNames } from './refs.js';
import { canaryShareOf, describeRouteRule, doorOf, httpRouteRows, splitOf } from './rows.js';
import { HTTP_ROUTE_API_VERSION } from './types.js';
import type {
  GatewayApiObject,
  GatewayApiPlan,
  GatewayApiStageOptions,
  GatewayApiState,
  GatewayWriteStep,
  HTTPRoute,
  HTTPRouteRule,
  HTTPRouteSplit,
  Service,
} from './types.js';
import { validateGatewayApiOptions } from './validate.js';
import { createdByUs, versionService } from './version-service.js';

const PLANNED_STAGES = ['route', 'shift', 'promote', 'rollback', 'finalize', 'progressive'];

/**
 * Plans a stage on Gateway API. `progressive` plans its first step; `stepWeight` plans any of its steps
 * (a shift of the split rules to that canary weight).
 */
export function planGatewayApiStage(
  options: GatewayApiStageOptions,
  state: GatewayApiState,
  stepWeight?: number,
): GatewayApiPlan {
  const planned: GatewayApiStageOptions =
    stepWeight === undefined
      ? options
      : { ...options, stage: 'progressive', weight: checkWeight('weight', stepWeight) };
  validateGatewayApiOptions(planned);
  if (!PLANNED_STAGES.includes(planned.stage)) {
    invalid(
      'stage',
      `one of ${PLANNED_STAGES.join(', ')} to plan a change (status only reads)`,
      planned.stage,
    );
  }
  const first =
    planned.stage === 'progressive' && stepWeight === undefined ? planned.steps?.[0] : planned.weight;
  return planWithWeight(planned, state, first);
}

function findService(services: Service[], namespace: string, name: string): Service | undefined {
  return services.find(
    (service) => (service.metadata.namespace ?? namespace) === namespace && service.metadata.name === name,
  );
}

function requireMain(state: GatewayApiState, names: ServiceNames, why: string): Service {
  const main = findService(state.services, names.namespace, names.main);
  if (main && main.spec.selector && Object.keys(main.spec.selector).length > 0) return main;
  throw new CanaryError(
    'not-found',
    main
      ? `Service ${names.namespace}/${names.main} has no selector, and ${why} is made from it: give the version Services yourself (see version-service)`
      : `Service ${names.namespace}/${names.main} not found, and ${why} is made from it: check service and namespace`,
  );
}

/** The port a new route sends to: the main Service's HTTP port (by name or appProtocol), else its first. */
function httpPort(main: Service): number | undefined {
  const ports = main.spec.ports ?? [];
  const http = ports.find((port) => /^http/.test(port.name ?? '') || /^http/.test(port.appProtocol ?? ''));
  return (http ?? ports[0])?.port;
}

/** With no HTTPRoute for the service yet: one attached to its Service, sending everything to it. */
function newServiceRoute(options: GatewayApiStageOptions, main: Service, names: ServiceNames): HTTPRoute {
  const port = httpPort(main);
  return {
    apiVersion: HTTP_ROUTE_API_VERSION,
    kind: 'HTTPRoute',
    metadata: { name: options.service, namespace: options.namespace },
    spec: {
      parentRefs: [{ group: '', kind: 'Service', name: names.main }],
      rules: [{ backendRefs: [{ name: names.main, ...(port !== undefined ? { port } : {}) }] }],
    },
  };
}

/** Versions the planned routes name (and those the intent wants addressable), as stable/canary. */
function namedVersions(
  routes: HTTPRoute[],
  intent: RoutingIntent,
  options: GatewayApiStageOptions,
  names: ServiceNames,
) {
  const named = new Set(intent.ensureVersions);
  for (const route of routes) {
    const from = routeNamespace(route, options.namespace);
    for (const which of ['stable', 'canary'] as const) {
      if (routeNamesService(route, names.namespace, names[which], from)) named.add(options[which]);
    }
  }
  return [options.stable, options.canary].filter((version) => named.has(version));
}

function sameObject(before: GatewayApiObject, after: GatewayApiObject): boolean {
  const comparable = (object: GatewayApiObject) => {
    const clean = cleanObject(object);
    return object.kind === 'HTTPRoute' ? { ...clean, spec: normalizeSpec(object.spec) } : clean;
  };
  return canonicalJson(comparable(before)) === canonicalJson(comparable(after));
}

function routeWrite(before: HTTPRoute | undefined, after: HTTPRoute): GatewayWriteStep {
  const unchanged = before !== undefined && sameObject(before, after);
  return {
    kind: 'HTTPRoute',
    batch: 1,
    action: before === undefined ? 'create' : unchanged ? 'unchanged' : 'update',
    ...(before ? { before } : {}),
    after,
    reason: unchanged ? 'already as planned' : 'routes once the version Services exist',
  };
}

function planWithWeight(
  options: GatewayApiStageOptions,
  state: GatewayApiState,
  weight: number | undefined,
): GatewayApiPlan {
  const namespace = options.namespace;
  const names = serviceNames(options);
  const intent = stageIntent(options, weight);
  const inScope = state.httpRoutes.filter((route) => routesTheService(route, names, namespace));
  const candidates =
    inScope.length > 0
      ? inScope
      : [newServiceRoute(options, requireMain(state, names, `the HTTPRoute ${options.service}`), names)];
  // Merged from what a user would keep in Git: no status, no server-owned metadata.
  const merged: MergedRoute[] = candidates.map((route) =>
    mergeHttpRoute(cleanObject(route), intent, options, names),
  );
  if (merged.every((result) => result.splitRules.length === 0)) {
    throw new CanaryError(
      'check-failed',
      `no HTTPRoute rule sends the traffic of ${names.main} to ${names.stable} (or to ${names.main} itself) only, so ${options.stage} has nothing to move: ${candidates.map((route) => `HTTPRoute ${routeNamespace(route, namespace)}/${route.metadata.name}`).join(', ')} route it elsewhere; send a rule to ${names.stable} first`,
    );
  }
  const afterRoutes = merged.map((result) => result.route);
  const world = state.httpRoutes.map((route) => afterRoutes[inScope.indexOf(route)] ?? route);
  if (inScope.length === 0) world.push(...afterRoutes);

  // Version Services: created before any route names them, deleted once none does.
  const creates = namedVersions(afterRoutes, intent, options, names)
    .map((version) => ({ version, name: version === options.stable ? names.stable : names.canary }))
    .filter(({ name }) => !findService(state.services, namespace, name))
    .map(({ version, name }) =>
      versionService(
        requireMain(state, names, `Service ${name}`),
        name,
        options.versionLabel,
        version,
        namespace,
      ),
    );
  const findings = merged.flatMap((result) => result.findings);
  const deletes: Service[] = [];
  for (const version of intent.dropVersions) {
    const name = version === options.stable ? names.stable : names.canary;
    const service = findService(state.services, namespace, name);
    if (!service) continue;
    const user = world.find((route) => routeNamesService(route, namespace, name, namespace));
    if (createdByUs(service) && !user) {
      deletes.push(service);
      continue;
    }
    findings.push({
      code: 'ServiceKept',
      severity: 'warning',
      resource: `Service ${namespace}/${name}`,
      message: user
        ? `kept: HTTPRoute ${routeNamespace(user, namespace)}/${user.metadata.name} still sends to it`
        : 'kept: istio-canary did not create it (no label app.kubernetes.io/managed-by: istio-canary); delete it yourself when nothing needs it',
    });
  }

  const deleted = new Set(deletes.map((service) => `${namespace}/${service.metadata.name}`));
  const services = [...state.services, ...creates].filter(
    (service) => !deleted.has(`${service.metadata.namespace ?? namespace}/${service.metadata.name}`),
  );
  const ownedRules = new Map(merged.map((result) => [result.route, new Set(result.ownedRules)]));
  findings.push(
    ...analyzeGatewayRouting(
      { namespace, httpRoutes: world, services, referenceGrants: state.referenceGrants },
      { ownedRules, deletedServices: deleted },
    ),
  );
  if (findings.some((found) => found.severity === 'error')) throw new CheckFailedError(findings);

  const routeWrites = merged.map((result, index) => routeWrite(inScope[index], result.route));
  const writes: GatewayWriteStep[] = [
    ...creates.map((service): GatewayWriteStep => ({
      kind: 'Service',
      batch: 0,
      action: 'create',
      after: service,
      reason: `makes ${service.metadata.name} addressable before a route names it`,
    })),
    ...routeWrites,
    ...deletes.map((service): GatewayWriteStep => ({
      kind: 'Service',
      batch: 2,
      action: 'delete',
      before: service,
      reason: `deletes ${service.metadata.name} once no route names it`,
    })),
  ];
  const primary = merged.flatMap((result) => result.moved.map((rule) => ({ result, rule })))[0];
  const primaryFrom = primary ? routeNamespace(primary.result.route, namespace) : namespace;
  return {
    options,
    httpRoutes: afterRoutes,
    objects: [
      ...merged.map((result, index) => ({
        role: doorOf(result.route, names, namespace),
        ...(inScope[index] ? { before: inScope[index] } : {}),
        after: result.route,
      })),
      ...creates.map((service) => ({ role: 'version-service' as const, after: service })),
      ...deletes.map((service) => ({ role: 'version-service' as const, before: service })),
    ],
    routes: routeSplits(merged, names, options),
    writes,
    findings,
    previousWeight: canaryShareOf(primary?.rule.before, primaryFrom, names),
    weight: canaryShareOf(primary?.rule.after, primaryFrom, names),
    before: httpRouteRows(inScope, names, options),
    after: httpRouteRows(afterRoutes, names, options),
    diff: writes
      .map((write) => (write.action === 'unchanged' ? '' : objectDiff(write.before, write.after, namespace)))
      .join(''),
    changed: writes.some((write) => write.action !== 'unchanged'),
  };
}

function routeSplits(
  merged: MergedRoute[],
  names: ServiceNames,
  options: GatewayApiStageOptions,
): HTTPRouteSplit[] {
  const splits = merged.map(({ route, moved, leftAlone }) => {
    const namespace = routeNamespace(route, options.namespace);
    const split = (rule: HTTPRouteRule) => splitOf(rule, namespace, names, options);
    const describe = (rule: HTTPRouteRule) => describeRouteRule(route, rule, names, options);
    return {
      moved: moved.map(({ before, after }) => ({
        ...describe(after),
        before: split(before),
        after: split(after),
      })),
      left: leftAlone.map(({ rule, reason }) => ({
        ...describe(rule),
        before: split(rule),
        after: split(rule),
        leftAlone: reason,
      })),
    };
  });
  return [...splits.flatMap((each) => each.moved), ...splits.flatMap((each) => each.left)];
}
