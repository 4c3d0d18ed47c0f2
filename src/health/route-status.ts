// Waits until the Gateway API controller has taken the written HTTPRoutes: for every parentRef of every
// route, `status.parents[]` holds Accepted=True and ResolvedRefs=True for at least the written
// generation. Istio writes this status on HTTPRoutes in sidecar and ambient mode alike (no
// PILOT_ENABLE_STATUS needed), one entry per parent it serves, each condition with the generation it
// was computed for; a status of an older generation says nothing about the routing just written.
//
// A verdict for the written generation is final: Accepted=False (NotAllowedByListeners,
// NoMatchingParent, NoMatchingListenerHostname, UnsupportedValue, IncompatibleFilters…) or
// ResolvedRefs=False (BackendNotFound, RefNotPermitted, InvalidKind, UnsupportedProtocol, and Istio's
// own InvalidDestination, InvalidFilter…) only changes when the route or the cluster changes, which
// waiting does not do, so the wait fails at once with the controller's reason and message. The
// exception is Accepted=False with reason Pending, Gateway API's word for "not reconciled yet".
//
// A parent no controller lists (a cluster without a Gateway API controller, a Gateway of another
// class, a Gateway that does not exist: controllers only report on parents they serve) is the
// no-istiod case of the VirtualService path: the settle delay, then a warning, since the routing
// there is unconfirmed rather than wrong.
//
// One list + watch per namespace of the batch (narrowed to the name when the namespace has one route)
// sees the controller's status writes as they happen, with no request per poll. Given the write answers,
// the wait skips the list: it starts from the answers and watches from the lowest of their
// resourceVersions, so every status write after the first PUT of the namespace arrives as an event (the
// watch replays events after that resourceVersion, those of the other routes' own PUTs included). A 410
// Expired (the resourceVersion compacted meanwhile) makes the watched set list and watch as without answers.
import type { KubeConfig, KubernetesObject } from '../kube/client-node.js';
import type { HealthCheckResult } from '../types.js';
import { CheckClock, seconds, type HealthCheckFailure } from './check.js';
import {
  pluralOf,
  splitApiVersion,
  StatusWait,
  type StatusWaitOptions,
  type WatchedCollection,
} from './status-wait.js';

export interface WrittenRoute {
  /** `gateway.networking.k8s.io/v1` or `v1beta1`, as written. */
  apiVersion: string;
  /** `HTTPRoute` when absent. */
  kind?: string;
  namespace: string;
  name: string;
  /** metadata.generation as the write returned it. */
  generation: number;
  /**
   * The object as the write answered it (its resourceVersion and status as stored). When every route of a
   * namespace has it, the wait starts from these answers and watches from their resourceVersion: no list.
   */
  written?: KubernetesObject;
}

export interface WaitForRouteStatusOptions extends StatusWaitOptions {
  /**
   * Called once per route, or parent, that no controller gave status within `settleMs`, and per parent
   * that Istio in ambient mode says no waypoint serves (the route is accepted, ambient traffic ignores it).
   */
  onWarning?: (message: string) => void;
}

interface RouteCondition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  observedGeneration?: number | string;
}

interface ParentRef {
  group?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  sectionName?: string;
  port?: number;
}

interface RouteParentStatus {
  parentRef?: ParentRef;
  controllerName?: string;
  conditions?: RouteCondition[];
}

export type RouteObject = KubernetesObject & {
  spec?: { parentRefs?: ParentRef[] };
  status?: { parents?: RouteParentStatus[] };
};

/** Where the controllers stand on one parentRef of the route, for the written generation. */
export type ParentState =
  /** `waypoint`: Istio's ResolvedWaypoints message when it warns that ambient mode will not apply the route. */
  | { kind: 'programmed'; waypoint?: string }
  | { kind: 'pending'; text: string }
  | { kind: 'rejected'; condition: string; reason: string; message: string; controller: string }
  | { kind: 'silent' };

export interface ParentVerdict {
  /** "Service reviews port 9080", "Gateway istio-system/bookinfo-gateway". */
  parent: string;
  state: ParentState;
}

const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';
/** The two conditions every controller sets per parent (Gateway API's RouteConditionType). */
const CONDITIONS = ['Accepted', 'ResolvedRefs'] as const;

/** What the user can do about each of Gateway API's reasons for Accepted=False and ResolvedRefs=False. */
const REMEDIES: Record<string, (namespace: string) => string> = {
  NotAllowedByListeners: (ns) =>
    `allow HTTPRoutes from namespace ${ns} in the Gateway's listeners (allowedRoutes), or attach the route to another parent`,
  NoMatchingListenerHostname: () =>
    "make the route's hostnames match a listener's hostname, or attach the route to another parent",
  NoMatchingParent: () =>
    "correct the parentRef's name, namespace, port or sectionName, or create the parent",
  UnsupportedValue: () => 'remove the value the controller does not support from the route',
  IncompatibleFilters: () => 'keep only filters that can be combined in each rule',
  BackendNotFound: () => "create the missing backend Service, or correct the route's backendRefs",
  RefNotPermitted: (ns) =>
    `add a ReferenceGrant in the backend's namespace that allows HTTPRoutes from namespace ${ns}`,
  InvalidKind: () => 'point the backendRefs at Services (group "", kind Service)',
  UnsupportedProtocol: () => "give the backend Service's port an appProtocol the controller supports",
};

function routeLabel(route: WrittenRoute): string {
  return `${route.kind ?? 'HTTPRoute'} ${route.name} in ${route.namespace}`;
}

function parentLabel(ref: ParentRef, routeNamespace: string): string {
  const namespace = ref.namespace && ref.namespace !== routeNamespace ? `${ref.namespace}/` : '';
  const section = ref.sectionName ? ` section ${ref.sectionName}` : '';
  const port = ref.port ? ` port ${ref.port}` : '';
  return `${ref.kind ?? 'Gateway'} ${namespace}${ref.name ?? ''}${section}${port}`;
}

/** A parentRef with the API's defaults filled in, for matching spec against status. */
function parentKey(ref: ParentRef | undefined, routeNamespace: string): string {
  return JSON.stringify([
    ref?.group ?? GATEWAY_API_GROUP,
    ref?.kind ?? 'Gateway',
    ref?.namespace ?? routeNamespace,
    ref?.name ?? '',
    ref?.sectionName ?? '',
    ref?.port ?? 0,
  ]);
}

/** One controller's entry for a parent: programmed, pending, or its final refusal. */
function entryState(entry: RouteParentStatus, generation: number): ParentState {
  const controller = entry.controllerName ?? 'the controller';
  const pending: string[] = [];
  for (const type of CONDITIONS) {
    const condition = entry.conditions?.find((c) => c.type === type);
    if (!condition) {
      pending.push(`${type} not reported`);
      continue;
    }
    // metav1.Condition's observedGeneration is optional, but Gateway API's conformance tests require it;
    // without it the condition cannot be told apart from one for an older spec.
    const observed = Number(condition.observedGeneration ?? 0);
    const said = [`${type}=${condition.status ?? 'Unknown'}`, condition.reason].filter(Boolean).join(' ');
    if (observed < generation) pending.push(`${said} for generation ${observed || '?'} of ${generation}`);
    else if (condition.status === 'False' && condition.reason !== 'Pending')
      return {
        kind: 'rejected',
        condition: type,
        reason: condition.reason ?? '',
        message: condition.message ?? '',
        controller,
      };
    else if (condition.status !== 'True') pending.push(said);
  }
  if (pending.length) return { kind: 'pending', text: pending.join(', ') };
  const waypoint = waypointWarning(entry, generation);
  return waypoint ? { kind: 'programmed', waypoint } : { kind: 'programmed' };
}

/**
 * Istio in ambient mode adds ResolvedWaypoints per parent and leaves it True even when no waypoint serves
 * a Service parent, saying so only in the message ("… route will not be respected"): the route is
 * accepted, but ambient traffic will not follow it (sidecars still do), so this is a warning.
 */
function waypointWarning(entry: RouteParentStatus, generation: number): string | undefined {
  const condition = entry.conditions?.find((c) => c.type === 'ResolvedWaypoints');
  if (!condition || Number(condition.observedGeneration ?? 0) < generation) return undefined;
  if (condition.status === 'True' && condition.message === 'All waypoints resolved') return undefined;
  return `ResolvedWaypoints=${condition.status ?? 'Unknown'}: ${condition.message ?? ''}`;
}

const RANK: Record<ParentState['kind'], number> = { rejected: 0, pending: 1, silent: 2, programmed: 3 };

/**
 * Where the controllers stand on each parentRef of the route for the written generation (undefined: the
 * route is gone). When several controllers report on one parent, the worst entry counts.
 */
export function routeStatusState(
  route: RouteObject | undefined,
  generation: number,
): ParentVerdict[] | undefined {
  if (!route) return undefined;
  const namespace = route.metadata?.namespace ?? '';
  const entries = route.status?.parents ?? [];
  return (route.spec?.parentRefs ?? []).map((ref) => {
    const key = parentKey(ref, namespace);
    const states = entries
      .filter((entry) => parentKey(entry.parentRef, namespace) === key)
      .map((entry) => entryState(entry, generation));
    const state = states.sort((a, b) => RANK[a.kind] - RANK[b.kind])[0] ?? { kind: 'silent' };
    return { parent: parentLabel(ref, namespace), state };
  });
}

/**
 * Resolves when every parentRef of every written route has Accepted=True and ResolvedRefs=True for at
 * least the written generation (in `status.parents[]`, from whichever controller serves that parent); a
 * parent no controller lists counts once `settleMs` has passed, with a warning through `onWarning` (and
 * in the result's detail); so is Istio's ambient-mode note that no waypoint serves a Service parent. Rejects 'unhealthy' at once when a controller refuses the written generation
 * (Accepted=False other than Pending, or ResolvedRefs=False), naming route, parent, reason, message and
 * remedy; 'not-found' when a route is deleted; 'timeout' after `timeoutMs`; 'cancelled' on `signal`.
 * Takes the same options as `waitForPropagation`, so a stage waits after either write the same way.
 */
export function waitForRouteStatus(
  kubeConfig: KubeConfig,
  routes: WrittenRoute[],
  options: WaitForRouteStatusOptions,
): Promise<HealthCheckResult> {
  return new RouteStatusWait(kubeConfig, routes, options).run();
}

/** The namespaces of the routes, in order of first appearance: one watched collection each. */
function namespacesOf(routes: WrittenRoute[]): string[] {
  return [...new Set(routes.map((route) => route.namespace))];
}

/** One collection per namespace (and API version): a single route there is watched by name. */
function collectionsOf(routes: WrittenRoute[]): WatchedCollection[] {
  return namespacesOf(routes).map((namespace) => {
    const [first, ...others] = routes.filter((route) => route.namespace === namespace);
    return {
      ...splitApiVersion(first!.apiVersion),
      plural: pluralOf(first!.kind ?? 'HTTPRoute'),
      namespace,
      ...(others.length === 0 ? { name: first!.name } : {}),
      ...seedOf([first!, ...others]),
    };
  });
}

/**
 * The write answers of one namespace's routes, and the lowest of their resourceVersions: a status write
 * that came between two PUTs of the batch is newer than the first. Without an answer for every route
 * (or with a resourceVersion that is not etcd's revision number), the wait lists.
 */
function seedOf(routes: WrittenRoute[]): Pick<WatchedCollection, 'seed'> {
  const versions = routes.map((route) => route.written?.metadata?.resourceVersion ?? '');
  if (!versions.every((version) => /^[0-9]+$/.test(version))) return {};
  const lowest = versions.reduce((low, version) => (BigInt(version) < BigInt(low) ? version : low));
  return { seed: { items: routes.map((route) => route.written!), resourceVersion: lowest } };
}

class RouteStatusWait extends StatusWait<RouteObject> {
  constructor(
    kubeConfig: KubeConfig,
    private readonly routes: WrittenRoute[],
    private readonly routeOptions: WaitForRouteStatusOptions,
  ) {
    super(
      new CheckClock('route status'),
      `the Gateway API controller to accept ${routes.map((r) => `${routeLabel(r)} generation ${r.generation}`).join(', ')}`,
      kubeConfig,
      collectionsOf(routes),
      routeOptions,
    );
  }

  override async run(): Promise<HealthCheckResult> {
    if (this.routes.length === 0 && !this.options.signal?.aborted) return this.clock.pass('nothing written');
    return super.run();
  }

  private verdicts(): (ParentVerdict[] | undefined)[] {
    const namespaces = namespacesOf(this.routes);
    return this.routes.map((route) =>
      routeStatusState(
        this.find(namespaces.indexOf(route.namespace), route.namespace, route.name),
        route.generation,
      ),
    );
  }

  protected evaluate(): void {
    const found = this.verdicts();
    const missing = found.findIndex((v) => v === undefined);
    if (missing >= 0) {
      this.finish(this.deleted(routeLabel(this.routes[missing]!), 'the Gateway API controller to accept it'));
      return;
    }
    const verdicts = found as ParentVerdict[][];
    const rejection = this.rejection(verdicts);
    if (rejection) {
      this.finish(rejection);
      return;
    }
    this.progress(this.pendingText(verdicts), 'waiting for the Gateway API controller');
    const done = verdicts.every((parents) =>
      parents.length === 0
        ? this.settled
        : parents.every((p) => p.state.kind === 'programmed' || (p.state.kind === 'silent' && this.settled)),
    );
    if (!done) return;
    const { accepted, silent, warnings } = this.outcome(verdicts);
    for (const warning of warnings) this.routeOptions.onWarning?.(warning);
    const waited = seconds(this.options.settleMs);
    const parts = [];
    if (accepted.length) parts.push(`accepted: ${accepted.join(', ')}`);
    if (silent.length) parts.push(`no controller status on ${silent.join(', ')}: waited ${waited}`);
    this.finish(this.clock.pass(parts.join('; ')));
  }

  /** The first refusal for the written generation, as the one-line failure the user sees. */
  private rejection(verdicts: ParentVerdict[][]): HealthCheckFailure | undefined {
    for (const [i, parents] of verdicts.entries()) {
      const route = this.routes[i]!;
      for (const { parent, state } of parents) {
        if (state.kind !== 'rejected') continue;
        const remedy = REMEDIES[state.reason]?.(route.namespace) ?? 'correct the route as the message says';
        return this.clock.fail(
          'unhealthy',
          `${routeLabel(route)}, parent ${parent}: ${state.condition}=False ${state.reason}: ${state.message} ` +
            `(${state.controller}, generation ${route.generation}): ${remedy}`,
        );
      }
    }
    return undefined;
  }

  private pendingText(verdicts: ParentVerdict[][]): string {
    return verdicts
      .flatMap((parents, i) => {
        const label = routeLabel(this.routes[i]!);
        if (parents.length === 0) return [`${label}: no parentRefs`];
        return parents.flatMap(({ parent, state }) => {
          if (state.kind === 'pending') return [`${label}, parent ${parent}: ${state.text}`];
          if (state.kind === 'silent') return [`${label}, parent ${parent}: no status yet`];
          return [];
        });
      })
      .join('; ');
  }

  /**
   * What the result says and warns of: "HTTPRoute reviews in default (generation 2: Service reviews port
   * 9080)" per route some controller accepted, and the routes or parents none reported on.
   */
  private outcome(verdicts: ParentVerdict[][]): { accepted: string[]; silent: string[]; warnings: string[] } {
    const accepted: string[] = [];
    const silent: string[] = [];
    const warnings: string[] = [];
    const within = `within the settle delay (${seconds(this.options.settleMs)})`;
    for (const [i, parents] of verdicts.entries()) {
      const route = this.routes[i]!;
      const label = routeLabel(route);
      const programmed = parents.filter((p) => p.state.kind === 'programmed').map((p) => p.parent);
      const quiet = parents.filter((p) => p.state.kind === 'silent').map((p) => `parent ${p.parent}`);
      if (programmed.length)
        accepted.push(`${label} (generation ${route.generation}: ${programmed.join(', ')})`);
      for (const { parent, state } of parents)
        if (state.kind === 'programmed' && state.waypoint)
          warnings.push(
            `${label}, parent ${parent}: ${state.waypoint}: enroll the Service or its namespace in a waypoint ` +
              '(label istio.io/use-waypoint, e.g. istioctl waypoint apply --enroll-namespace), unless sidecars serve it',
          );
      if (programmed.length === 0) {
        silent.push(label);
        warnings.push(
          `no Gateway API controller wrote status on ${label} ${within}: its routing is not confirmed; ` +
            "check that istiod (or the controller of the route's parents) is running, or raise settle",
        );
      } else if (quiet.length) {
        silent.push(`${quiet.join(', ')} of ${label}`);
        warnings.push(
          `no Gateway API controller wrote status for ${quiet.join(', ')} of ${label} ${within}: its routing ` +
            'there is not confirmed; check that the parent exists and that its controller is running, or raise settle',
        );
      }
    }
    return { accepted, silent, warnings };
  }

  protected timedOut(): HealthCheckFailure {
    const verdicts = this.verdicts();
    const pending = this.synced && verdicts.every((v) => v !== undefined) ? this.pendingText(verdicts) : '';
    return this.timeoutFailure(
      pending,
      "check the routes' status.parents (kubectl get httproute -o yaml) and istiod's logs, or raise the timeout",
    );
  }
}
