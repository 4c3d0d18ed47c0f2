// `status`: reads the current split of every route to the service and reports it; writes nothing.
import { readServicePort, readVirtualServicesElsewhere, type ClusterClient } from '../kube/index.js';
import { toYaml } from '../plan/diff.js';
import { namespaceOf, sameHost } from '../plan/objects.js';
import { leftAloneRows, routesNow, splitDisagreement } from '../plan/route-plan.js';
import { canaryShare, routeRows } from '../plan/routes.js';
import type { RunOptions, RunReporter, StageResult } from '../types.js';
import { withRoutesElsewhere } from './routes-elsewhere.js';

const quiet: Pick<RunReporter, 'info'> = { info: () => {} };

export async function readStatus(
  client: ClusterClient,
  options: RunOptions,
  reporter: Pick<RunReporter, 'info'> = quiet,
): Promise<StageResult> {
  // One round trip: the namespace's routing, the other namespaces' VirtualServices, the Service's port.
  const [read, elsewhere, servicePort] = await Promise.all([
    client.readRouting(options.namespace),
    readVirtualServicesElsewhere(client, options.namespace),
    readServicePort(client, options.namespace, options.service),
  ]);
  const state = withRoutesElsewhere(read, elsewhere, options, reporter);
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
  const weight = canaryShare(virtualService, options);
  const disagreement = splitDisagreement(routes, options);
  return {
    ...emptyResult(options),
    healthy: true,
    previousWeight: weight,
    weight,
    before: rows,
    after: rows,
    routes,
    ...(disagreement ? { warnings: [disagreement] } : {}),
    ...(servicePort !== undefined ? { servicePort } : {}),
    virtualServiceYaml: virtualService ? toYaml(virtualService) : '',
    destinationRuleYaml: destinationRule ? toYaml(destinationRule) : '',
    objects: [...routing, ...(destinationRule ? [destinationRule] : [])].map((object) => ({
      kind: object.kind,
      name: object.metadata.name,
      yaml: toYaml(object),
    })),
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
