// `status`: reads the current split of every route to the service and reports it; writes nothing. On the
// routing API the namespace uses (`routing-api`, auto: what routes the service): every http route of the
// VirtualServices, or every rule of the HTTPRoutes, with its split, and a warning when they disagree.
import { readServicePort, type ClusterClient, type GatewayRouting } from '../kube/index.js';
import { toYaml } from '../plan/diff.js';
import {
  attachedToService,
  gatewayApiOptions,
  httpRouteRows,
  httpRoutesNow,
  routesTheService,
  serviceNames,
} from '../plan/gateway-api/index.js';
import { namespaceOf, sameHost } from '../plan/objects.js';
import { leftAloneRows, routesNow, splitDisagreement } from '../plan/route-plan.js';
import { canaryShare, routeRows } from '../plan/routes.js';
import type { ClusterState, RouteRow, RouteSplit } from '../plan/types.js';
import type { RunOptions, RunReporter, StageResult } from '../types.js';
import { chooseRouting, readRoutingOf } from './routing-choice.js';

const quiet: Pick<RunReporter, 'info'> = { info: () => {} };

export async function readStatus(
  client: ClusterClient,
  options: RunOptions,
  reporter: Pick<RunReporter, 'info'> = quiet,
): Promise<StageResult> {
  // One round trip: the routing (other namespaces' VirtualServices included), the Service's port.
  const reads = readRoutingOf(client, options, reporter);
  const port = readServicePort(client, options.namespace, options.service);
  const choice: string[] = [];
  const chosen = await chooseRouting(options, reads, (message) => choice.push(message));
  const servicePort = await port;
  const result =
    chosen.api === 'gateway-api'
      ? httpRouteStatus(chosen.state, options)
      : virtualServiceStatus(chosen.state, options);
  const warnings = [...choice, ...(result.warnings ?? [])];
  return {
    ...result,
    ...(warnings.length > 0 ? { warnings } : {}),
    ...(servicePort !== undefined ? { servicePort } : {}),
  };
}

function virtualServiceStatus(state: ClusterState, options: RunOptions): StageResult {
  const forHost = (host: string | undefined) => sameHost(host, options.host, options.namespace);
  const local = state.virtualServices.filter(
    (vs) => namespaceOf(vs, options.namespace) === options.namespace,
  );
  const virtualService = local.find((vs) => (vs.spec.hosts ?? []).some(forHost));
  const destinationRule = state.destinationRules.find((dr) => forHost(dr.spec.host));
  // The service's own VirtualService first, then the other doors in the namespace's order.
  const ordered = [
    ...(virtualService ? [virtualService] : []),
    ...state.virtualServices.filter((vs) => vs !== virtualService),
  ];
  const routes = routesNow(ordered, options);
  const routing = ordered.filter(
    (vs) =>
      vs === virtualService ||
      (local.includes(vs) &&
        routes.some((route) => route.leftAlone === undefined && route.object === vs.metadata.name)),
  );
  const rows = [
    ...routing.flatMap((vs) => routeRows(vs).map((row) => ({ object: vs.metadata.name, ...row }))),
    ...leftAloneRows(routes, options),
  ];
  const disagreement = splitDisagreement(routes, options);
  return {
    ...readResult(
      options,
      canaryShare(virtualService, options),
      rows,
      routes,
      disagreement ? [disagreement] : [],
    ),
    virtualServiceYaml: virtualService ? toYaml(virtualService) : '',
    destinationRuleYaml: destinationRule ? toYaml(destinationRule) : '',
    objects: [...routing, ...(destinationRule ? [destinationRule] : [])].map((object) => ({
      kind: object.kind,
      name: object.metadata.name,
      yaml: toYaml(object),
    })),
  };
}

/** What status reports of the routing read: the same split before and after, nothing changed. */
function readResult(
  options: RunOptions,
  weight: number,
  rows: RouteRow[],
  routes: RouteSplit[],
  warnings: string[],
): StageResult {
  return {
    ...emptyResult(options),
    healthy: true,
    previousWeight: weight,
    weight,
    before: rows,
    after: rows,
    routes,
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

/**
 * The canary's share now: that of the mesh route's default rule, else of the first rule carrying the
 * service between its versions (a Gateway's).
 */
function currentShare(routes: RouteSplit[], options: RunOptions): number {
  const carrying = (route: RouteSplit) =>
    route.after.length > 0 &&
    route.after.every(({ subset }) => subset === options.stable || subset === options.canary);
  const primary =
    routes.find((route) => route.door === 'mesh' && route.match === 'default' && carrying(route)) ??
    routes.find(carrying);
  return primary?.after.find(({ subset }) => subset === options.canary)?.weight ?? 0;
}

function httpRouteStatus(state: GatewayRouting, options: RunOptions): StageResult {
  const gatewayOptions = gatewayApiOptions(options);
  const names = serviceNames(gatewayOptions);
  const routing = state.httpRoutes.filter((route) => routesTheService(route, names, options.namespace));
  // The routes attached to the Service (mesh traffic) first, then the Gateways', each in the order read.
  const mesh = routing.filter((route) => attachedToService(route, names, options.namespace));
  const ordered = [...mesh, ...routing.filter((route) => !mesh.includes(route))];
  const routes = httpRoutesNow(ordered, names, gatewayOptions);
  const rows = ordered.flatMap((route) =>
    httpRouteRows([route], names, gatewayOptions).map((row) => ({ object: route.metadata.name, ...row })),
  );
  // Rules only requests with certain headers reach (test users) are meant to differ from the split.
  const everyone = ordered.map((route) => ({
    ...route,
    spec: {
      ...route.spec,
      rules: (route.spec.rules ?? []).filter(
        (rule) => !(rule.matches ?? []).some((match) => (match.headers ?? []).length > 0),
      ),
    },
  }));
  const warnings = [
    splitDisagreement(httpRoutesNow(everyone, names, gatewayOptions), options),
    state.clusterWide
      ? undefined
      : `the credentials may not list HTTPRoutes in every namespace: routes of Gateways in other namespaces that send to ${options.service} are not shown (grant the optional ClusterRole of examples/rbac to see them)`,
  ].filter((warning): warning is string => warning !== undefined);
  return {
    ...readResult(options, currentShare(routes, options), rows, routes, warnings),
    objects: ordered.map((route) => ({ kind: 'HTTPRoute', name: route.metadata.name, yaml: toYaml(route) })),
  };
}

/** A result that reports nothing done yet: what a failed read still returns, and what status fills in. */
export function emptyResult(options: RunOptions): StageResult {
  return {
    stage: options.stage,
    service: options.service,
    namespace: options.namespace,
    stable: options.stable,
    canary: options.canary,
    dryRun: options.dryRun,
    changed: false,
    healthy: false,
    rolledBack: false,
    before: [],
    after: [],
    checks: [],
    virtualServiceYaml: '',
    destinationRuleYaml: '',
    diff: '',
  };
}
