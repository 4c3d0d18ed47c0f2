// planStage: current routing objects + stage options → the objects to write, in a safe order, checked.
import { InputError } from '../errors.js';
import { analyzeRouting, CheckFailedError } from './checks.js';
import { checkRoutingObject } from './crd-schema.js';
import { mergeDestinationRule, subsetChanges } from './destination-rule.js';
import { objectDiff } from './diff.js';
import { lazyProperties } from './lazy.js';
import { stageIntent } from './intent.js';
import { cleanObject, namespaceOf, resourceName, sameHost } from './objects.js';
import { planVirtualServices, refuseDroppingRoutedSubsets } from './route-plan.js';
import type {
  ClusterState,
  DestinationRule,
  Plan,
  RoutingObject,
  StageOptions,
  VirtualService,
} from './types.js';
import { checkWeight, invalid, validateStageOptions } from './validate.js';
import { ownedRouteNames } from './virtual-service.js';
import { orderWrites } from './write-order.js';

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

function planWithWeight(options: StageOptions, current: ClusterState, weight: number | undefined): Plan {
  const namespace = options.namespace;
  const inNamespace = (object: RoutingObject) => namespaceOf(object, namespace) === namespace;
  const destinationRules = current.destinationRules.filter(inNamespace);
  const virtualServices = current.virtualServices.filter(inNamespace);
  // Objects from the cluster or a library caller, not only files: what the planner reads must be well-formed.
  for (const object of [...virtualServices, ...destinationRules]) {
    checkRoutingObject(object as unknown as Record<string, unknown>);
  }
  const primary = pickVirtualService(virtualServices, options);
  const drBefore = pickDestinationRule(destinationRules, options);
  refuseNameTaken(virtualServices, primary, options);
  refuseNameTaken(destinationRules, drBefore, options);

  const intent = stageIntent(options, weight);
  const apiVersion = current.newObjectApiVersion;
  const routing = planVirtualServices(current.virtualServices, primary, intent, options, apiVersion);
  const drClean = drBefore && cleanObject(drBefore);
  const drAfter = cleanObject(mergeDestinationRule(drClean, intent, options, apiVersion));
  // With the new subsets and the old ones still there: what finalize writes before its routes move.
  const drAdding = cleanObject(
    mergeDestinationRule(drClean, { ...intent, dropVersions: [] }, options, drAfter.apiVersion),
  );
  const world = {
    namespace,
    virtualServices: routing.world.filter(inNamespace) as VirtualService[],
    destinationRules: drBefore
      ? destinationRules.map((rule) => (rule === drBefore ? drAfter : rule))
      : [...destinationRules, drAfter],
  };
  const { removed } = subsetChanges(drBefore, drAfter);
  refuseDroppingRoutedSubsets(routing.world, removed, options);

  const findings = analyzeRouting(world, {
    virtualService: routing.primary.after,
    virtualServices: routing.objects.map((object) => object.after),
    removedSubsets: removed.map((subset) => ({ host: drAfter.spec.host, subset })),
  });
  if (findings.some((found) => found.severity === 'error')) throw new CheckFailedError(findings);

  const writes = orderWrites(routing.objects, { before: drBefore, after: drAfter, adding: drAdding });
  const plan: Omit<Plan, 'diff'> = {
    options,
    virtualService: routing.primary.after,
    destinationRule: drAfter,
    objects: [
      ...routing.objects,
      { role: 'subsets', ...(drBefore ? { before: drBefore } : {}), after: drAfter },
    ],
    routes: [], // these empty lists keep their places in the plan (and its JSON) for the renderings below
    writes,
    findings,
    previousWeight: routing.previousWeight,
    weight: routing.weight,
    before: [],
    after: [],
    changed: writes.some((write) => write.action !== 'unchanged'),
  };
  // Rendered when shown (dry run, summary, outputs), not on the way to the write: YAML of a large object is
  // most of a stage's time, and a routing table of a thousand routes is not small either.
  return lazyProperties<Plan, 'diff' | 'routes' | 'before' | 'after'>(plan, {
    routes: () => routing.routes,
    before: () => routing.before,
    after: () => routing.after,
    diff: () =>
      [
        ...routing.objects.map((object) => objectDiff(object.before, object.after, namespace)),
        objectDiff(drBefore, drAfter, namespace),
      ].join(''),
  });
}
