// planStage: current routing objects + stage options → the objects to write, in a safe order, checked.
import { CanaryError, InputError } from '../errors.js';
import { analyzeRouting, CheckFailedError } from './checks.js';
import { checkRoutingObject } from './crd-schema.js';
import { mergeDestinationRule, subsetChanges } from './destination-rule.js';
import { objectDiff } from './diff.js';
import { routeTargets } from './mirror.js';
import { stageIntent } from './intent.js';
import type { RoutingIntent } from './intent.js';
import { cleanObject, namespaceOf, resourceName, sameHost, sameJson } from './objects.js';
import { canaryShare, routeRows } from './routes.js';
import type {
  ClusterState,
  DestinationRule,
  Plan,
  RoutingObject,
  StageOptions,
  VirtualService,
  WriteStep,
} from './types.js';
import { checkWeight, invalid, validateStageOptions } from './validate.js';
import { mergeVirtualService, ownedRouteNames } from './virtual-service.js';

const PLANNED_STAGES = ['route', 'shift', 'promote', 'rollback', 'finalize', 'progressive'];

/** Plans a stage. `progressive` plans its first step; use planProgressiveStep for the others. */
export function planStage(options: StageOptions, current: ClusterState): Plan {
  validateStageOptions(options);
  if (!PLANNED_STAGES.includes(options.stage)) {
    invalid(
      'stage',
      `one of ${PLANNED_STAGES.join(', ')} to plan a change (status only reads)`,
      options.stage,
    );
  }
  const weight = options.stage === 'progressive' ? options.steps?.[0] : options.weight;
  return planWithWeight(options, current, weight);
}

/** One step of a progressive release: a shift of the default route to `weight` for the canary. */
export function planProgressiveStep(options: StageOptions, current: ClusterState, weight: number): Plan {
  const stepOptions: StageOptions = {
    ...options,
    stage: 'progressive',
    weight: checkWeight('weight', weight),
  };
  validateStageOptions(stepOptions);
  return planWithWeight(stepOptions, current, weight);
}

function pickVirtualService(candidates: VirtualService[], options: StageOptions): VirtualService | undefined {
  const forHost = candidates.filter((vs) =>
    (vs.spec.hosts ?? []).some((host) => sameHost(host, options.host, options.namespace)),
  );
  const primary = ownedRouteNames(options.service).primary;
  return (
    forHost.find((vs) => (vs.spec.http ?? []).some((route) => route.name === primary)) ??
    forHost.find((vs) => vs.metadata.name === options.service) ??
    forHost[0]
  );
}

function pickDestinationRule(
  candidates: DestinationRule[],
  options: StageOptions,
): DestinationRule | undefined {
  const forHost = candidates.filter((rule) => sameHost(rule.spec.host, options.host, options.namespace));
  return forHost.find((rule) => rule.metadata.name === options.service) ?? forHost[0];
}

/**
 * A stage creates its objects under the service's name: an object of that name for another host (say
 * `reviews.default`, which Istio does not expand) would be overwritten, so the plan stops and says so.
 */
function refuseNameTaken(
  existing: RoutingObject[],
  picked: RoutingObject | undefined,
  options: StageOptions,
): void {
  if (picked) return;
  const taken = existing.find((object) => object.metadata.name === options.service);
  if (!taken) return;
  const hosts = taken.kind === 'VirtualService' ? (taken.spec.hosts ?? []) : [taken.spec.host];
  throw new InputError(
    'host',
    `${resourceName(taken, options.namespace)} is for ${hosts.join(', ')}, not for host ${options.host}, and a new ${taken.kind} for ${options.host} would take its name: set host to a host it names (Istio expands only names without a dot), or rename that object`,
  );
}

/** The world after the writes: planned objects replace (or join) what the namespace holds. */
function replaceOrAdd<T>(objects: T[], before: T | undefined, after: T): T[] {
  return before ? objects.map((object) => (object === before ? after : object)) : [...objects, after];
}

function planWithWeight(options: StageOptions, current: ClusterState, weight: number | undefined): Plan {
  const namespace = options.namespace;
  const inNamespace = (object: RoutingObject) => namespaceOf(object, namespace) === namespace;
  const virtualServices = current.virtualServices.filter(inNamespace);
  const destinationRules = current.destinationRules.filter(inNamespace);
  // Objects from the cluster or a library caller, not only files: what the planner reads must be well-formed.
  for (const object of [...virtualServices, ...destinationRules]) {
    checkRoutingObject(object as unknown as Record<string, unknown>);
  }
  const vsBefore = pickVirtualService(virtualServices, options);
  const drBefore = pickDestinationRule(destinationRules, options);
  refuseNameTaken(virtualServices, vsBefore, options);
  refuseNameTaken(destinationRules, drBefore, options);

  const intent = stageIntent(options, weight);
  const apiVersion = current.newObjectApiVersion;
  const vsAfter = cleanObject(
    mergeVirtualService(vsBefore && cleanObject(vsBefore), intent, options, apiVersion),
  );
  const drAfter = cleanObject(
    mergeDestinationRule(drBefore && cleanObject(drBefore), intent, options, apiVersion),
  );
  const world = {
    namespace,
    virtualServices: replaceOrAdd(virtualServices, vsBefore, vsAfter),
    destinationRules: replaceOrAdd(destinationRules, drBefore, drAfter),
  };
  const { removed } = subsetChanges(drBefore, drAfter);
  refuseDroppingRoutedSubsets(world.virtualServices, removed, options);

  const findings = analyzeRouting(world, {
    virtualService: vsAfter,
    removedSubsets: removed.map((subset) => ({ host: drAfter.spec.host, subset })),
  });
  if (findings.some((found) => found.severity === 'error')) throw new CheckFailedError(findings);

  const writes = orderWrites(vsBefore, vsAfter, drBefore, drAfter, intent, options);
  return {
    options,
    virtualService: vsAfter,
    destinationRule: drAfter,
    writes,
    findings,
    previousWeight: canaryShare(vsBefore, options),
    weight: canaryShare(vsAfter, options),
    before: routeRows(vsBefore),
    after: routeRows(vsAfter),
    diff: [objectDiff(vsBefore, vsAfter, namespace), objectDiff(drBefore, drAfter, namespace)].join(''),
    changed: writes.some((write) => write.action !== 'unchanged'),
  };
}

/** finalize drops the stable subset: refuse while any VirtualService of the namespace still routes to it. */
function refuseDroppingRoutedSubsets(
  virtualServices: VirtualService[],
  removed: string[],
  options: StageOptions,
): void {
  for (const subset of removed) {
    const user = virtualServices.find((vs) =>
      (vs.spec.http ?? []).some((route) =>
        routeTargets(route).some(
          (destination) =>
            destination.subset === subset && sameHost(destination.host, options.host, options.namespace),
        ),
      ),
    );
    if (user) {
      throw new CanaryError(
        'check-failed',
        `${options.stage} refuses to drop subset ${subset} of ${options.host}: ${resourceName(user, options.namespace)} still routes to it; move that route to ${options.canary} first`,
      );
    }
  }
}

function writeStep(
  kind: WriteStep['kind'],
  before: RoutingObject | undefined,
  after: RoutingObject,
  reason: string,
): WriteStep {
  const unchanged = before !== undefined && sameJson(cleanObject(before), after);
  const action = before === undefined ? 'create' : unchanged ? 'unchanged' : 'update';
  return {
    kind,
    action,
    ...(before ? { before } : {}),
    after,
    reason: unchanged ? 'already as planned' : reason,
  };
}

/**
 * Make before break: subsets are added before any route names them, and removed only after no route
 * does. A stage that does both (finalize creating the canary subset) writes the DestinationRule twice.
 */
function orderWrites(
  vsBefore: VirtualService | undefined,
  vsAfter: VirtualService,
  drBefore: DestinationRule | undefined,
  drAfter: DestinationRule,
  intent: RoutingIntent,
  options: StageOptions,
): WriteStep[] {
  const { added, removed } = subsetChanges(drBefore, drAfter);
  const addReason =
    added.length > 0
      ? `adds subset ${added.join(', ')} before a route names it`
      : 'DestinationRule before routes';
  if (removed.length === 0) {
    return [
      writeStep('DestinationRule', drBefore, drAfter, addReason),
      writeStep('VirtualService', vsBefore, vsAfter, 'routes once the subsets exist'),
    ];
  }
  const dropReason = `drops subset ${removed.join(', ')} once no route names it`;
  const vsStep = writeStep(
    'VirtualService',
    vsBefore,
    vsAfter,
    `stops routing to ${removed.join(', ')} before its subset goes`,
  );
  if (added.length === 0) return [vsStep, writeStep('DestinationRule', drBefore, drAfter, dropReason)];
  const drAdding = cleanObject(
    mergeDestinationRule(
      drBefore && cleanObject(drBefore),
      { ...intent, dropVersions: [] },
      options,
      drAfter.apiVersion,
    ),
  );
  return [
    writeStep('DestinationRule', drBefore, drAdding, addReason),
    vsStep,
    writeStep('DestinationRule', drAdding, drAfter, dropReason),
  ];
}
