// An istiod simulator for the status it writes: on HTTPRoutes (always, in sidecar and ambient mode alike)
// `status.parents[]` with Accepted and ResolvedRefs per parentRef; on VirtualServices and
// DestinationRules, only with PILOT_ENABLE_STATUS, the Reconciled condition. Each status carries the
// generation it was computed for, and is written through the store as a controller writes /status.
import type { ResourceRegistry, ResourceType } from './resources.js';
import { GATEWAY_API_GROUP, ISTIO_GROUP } from './resources.js';
import type { KubeObject, ObjectStore, StoreEvent } from './store.js';
import { gatewayAccepted, type Listener } from './istiod-parents.js';

export interface Istiod {
  /** HTTPRoute status (default on); off = a cluster without a Gateway API controller: no status at all. */
  writeRouteStatus(enabled: boolean): void;
  /** Reconciled on VirtualServices and DestinationRules, as PILOT_ENABLE_STATUS=true does (default off). */
  writeReconciled(enabled: boolean): void;
  /** How long after a change istiod writes its status (default 0: right after the write's answer). */
  delay(ms: number): void;
}

interface ParentRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
  sectionName?: string;
}

interface BackendRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
}

interface Condition {
  type: string;
  status: 'True' | 'False';
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

interface RouteParentStatus {
  parentRef: ParentRef;
  controllerName: string;
  conditions: Condition[];
}

const MESH_CONTROLLER = 'istio.io/mesh-controller';
const GATEWAY_CONTROLLER = 'istio.io/gateway-controller';
/** The GatewayClasses istiod creates and serves itself (ingress and ambient waypoints). */
const ISTIO_CLASSES = new Set(['istio', 'istio-waypoint']);

function timestamp(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

/** A status with its timestamps blanked: what tells whether a rewrite would change anything. */
function comparable(status: unknown): string {
  return JSON.stringify(status, (k, v: unknown) =>
    k === 'lastTransitionTime' || k === 'lastProbeTime' ? undefined : v,
  );
}

export class IstiodSimulator implements Istiod {
  private routeStatus = true;
  private reconciled = false;
  private delayMs = 0;
  private timers = new Set<NodeJS.Timeout>();
  private readonly unsubscribe: () => void;
  private readonly httpRoutes: ResourceType | undefined;
  private readonly meshKinds: ResourceType[];
  private readonly services: ResourceType;
  private readonly gateways: ResourceType | undefined;
  private readonly gatewayClasses: ResourceType | undefined;
  private readonly namespaces: ResourceType;
  private readonly referenceGrants: ResourceType | undefined;

  constructor(
    registry: ResourceRegistry,
    private readonly store: ObjectStore,
  ) {
    this.httpRoutes = registry.byKind(`${GATEWAY_API_GROUP}/v1`, 'HTTPRoute');
    this.gateways = registry.byKind(`${GATEWAY_API_GROUP}/v1`, 'Gateway');
    this.referenceGrants = registry.byKind(`${GATEWAY_API_GROUP}/v1beta1`, 'ReferenceGrant');
    this.gatewayClasses = registry.byKind(`${GATEWAY_API_GROUP}/v1`, 'GatewayClass');
    this.services = registry.byKind('v1', 'Service')!;
    this.namespaces = registry.byKind('v1', 'Namespace')!;
    this.meshKinds = ['VirtualService', 'DestinationRule']
      .map((kind) => registry.byKind(`${ISTIO_GROUP}/v1`, kind))
      .filter((t): t is ResourceType => t !== undefined);
    this.unsubscribe = store.subscribe((e) => this.onEvent(e));
  }

  writeRouteStatus(enabled: boolean): void {
    this.routeStatus = enabled;
    if (enabled && this.httpRoutes) this.later(() => this.reconcileAll(this.httpRoutes!));
  }

  writeReconciled(enabled: boolean): void {
    this.reconciled = enabled;
    if (enabled) this.later(() => this.meshKinds.forEach((t) => this.reconcileAll(t)));
  }

  delay(ms: number): void {
    this.delayMs = ms;
  }

  close(): void {
    this.unsubscribe();
    for (const t of this.timers) clearTimeout(t);
  }

  private onEvent(e: StoreEvent): void {
    if (e.type === 'DELETED' && e.resource === this.httpRoutes) return;
    const { namespace, name } = e.object.metadata;
    if (e.resource === this.httpRoutes) this.later(() => this.reconcileRoute(namespace!, name!));
    else if (
      e.resource === this.services ||
      e.resource === this.gateways ||
      e.resource === this.gatewayClasses ||
      e.resource === this.namespaces ||
      e.resource === this.referenceGrants
    ) {
      // A backend or parent that appears, goes or changes (a namespace's labels too) changes the routes' status.
      if (this.httpRoutes) this.later(() => this.reconcileAll(this.httpRoutes!));
    } else if (this.meshKinds.includes(e.resource) && e.type !== 'DELETED') {
      this.later(() => this.reconcileMesh(e.resource, namespace!, name!));
    }
  }

  /** Runs after the write has been answered and seen by every watcher, and after the configured delay. */
  private later(work: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      work();
    }, this.delayMs);
    this.timers.add(timer);
  }

  private reconcileAll(t: ResourceType): void {
    for (const obj of this.store.list(t)) {
      if (t === this.httpRoutes) this.reconcileRoute(obj.metadata.namespace!, obj.metadata.name!);
      else this.reconcileMesh(t, obj.metadata.namespace!, obj.metadata.name!);
    }
  }

  private writeStatus(t: ResourceType, obj: KubeObject, status: Record<string, unknown>): void {
    if (comparable(obj.status) === comparable(status)) return;
    this.store.write(t, { ...obj, status });
  }

  private reconcileMesh(t: ResourceType, namespace: string, name: string): void {
    const obj = this.store.get(t, namespace, name);
    if (!this.reconciled || !obj) return;
    const generation = obj.metadata.generation ?? 1;
    const now = timestamp();
    this.writeStatus(t, obj, {
      conditions: [
        {
          type: 'Reconciled',
          status: 'True',
          message: '1/1 proxies up to date.',
          lastProbeTime: now,
          lastTransitionTime: now,
        },
      ],
      // Istio writes it as a string (an int64 in its protobuf status).
      observedGeneration: String(generation),
    });
  }

  private reconcileRoute(namespace: string, name: string): void {
    const t = this.httpRoutes!;
    const route = this.store.get(t, namespace, name);
    if (!this.routeStatus || !route) return;
    const spec = (route.spec ?? {}) as {
      parentRefs?: ParentRef[];
      hostnames?: string[];
      rules?: { backendRefs?: BackendRef[] }[];
    };
    const generation = route.metadata.generation ?? 1;
    const resolved = this.resolvedRefs(namespace, spec.rules ?? [], generation);
    // Istio reports only on parents it serves: a parentRef to a Gateway that does not exist gets no entry
    // (its parents are the Gateways it knows), one to a missing Service is refused (NoMatchingParent).
    const ours = (spec.parentRefs ?? []).flatMap((parentRef): RouteParentStatus[] => {
      const accepted = this.accepted(namespace, spec.hostnames ?? [], parentRef, generation);
      if (!accepted) return [];
      return [
        {
          parentRef,
          controllerName: (parentRef.kind ?? 'Gateway') === 'Service' ? MESH_CONTROLLER : GATEWAY_CONTROLLER,
          conditions: [accepted, resolved],
        },
      ];
    });
    const previous = ((route.status as { parents?: RouteParentStatus[] } | undefined)?.parents ?? []).filter(
      (p) => p.controllerName !== MESH_CONTROLLER && p.controllerName !== GATEWAY_CONTROLLER,
    );
    this.writeStatus(t, route, { ...(route.status as object), parents: [...previous, ...ours] });
  }

  /** Accepted for the parent, or undefined for a parent Istio does not serve (no such Gateway, or not its class). */
  private accepted(
    namespace: string,
    hostnames: string[],
    parent: ParentRef,
    generation: number,
  ): Condition | undefined {
    const kind = parent.kind ?? 'Gateway';
    const ns = parent.namespace ?? namespace;
    if (kind === 'Service') {
      return this.store.get(this.services, ns, parent.name)
        ? condition('Accepted', 'True', 'Accepted', 'Route was valid', generation)
        : condition(
            'Accepted',
            'False',
            'NoMatchingParent',
            `parent service: ${JSON.stringify(parent.name)} not found`,
            generation,
          );
    }
    const gateway =
      kind === 'Gateway' && this.gateways ? this.store.get(this.gateways, ns, parent.name) : undefined;
    const spec = gateway?.spec as { gatewayClassName?: string; listeners?: Listener[] } | undefined;
    if (!spec || !this.servesClass(spec.gatewayClassName ?? '')) return undefined;
    const labels = this.store.get(this.namespaces, undefined, namespace)?.metadata.labels ?? {};
    const verdict = gatewayAccepted({ namespace: ns, listeners: spec.listeners ?? [] }, parent, {
      namespace,
      namespaceLabels: labels,
      hostnames,
    });
    return condition('Accepted', verdict.status, verdict.reason, verdict.message, generation);
  }

  /** Istio's own classes, and any GatewayClass whose controller is Istio's. */
  private servesClass(name: string): boolean {
    if (ISTIO_CLASSES.has(name)) return true;
    const gatewayClass = this.gatewayClasses
      ? this.store.get(this.gatewayClasses, undefined, name)
      : undefined;
    const controller = (gatewayClass?.spec as { controllerName?: string } | undefined)?.controllerName;
    return controller === GATEWAY_CONTROLLER || controller === MESH_CONTROLLER;
  }

  /** ResolvedRefs over every backendRef of every rule: the first that does not resolve names the reason. */
  private resolvedRefs(
    namespace: string,
    rules: { backendRefs?: BackendRef[] }[],
    generation: number,
  ): Condition {
    for (const ref of rules.flatMap((r) => r.backendRefs ?? [])) {
      const ns = ref.namespace ?? namespace;
      if ((ref.group ?? '') !== '' || (ref.kind ?? 'Service') !== 'Service') {
        return condition(
          'ResolvedRefs',
          'False',
          'InvalidKind',
          `referencing unsupported backendRef: group "${ref.group ?? ''}" kind "${ref.kind ?? ''}"`,
          generation,
        );
      }
      if (ns !== namespace && !this.granted(namespace, ns, ref.name)) {
        return condition(
          'ResolvedRefs',
          'False',
          'RefNotPermitted',
          `backendRef ${ref.name}/${ns} not accessible to a HTTPRoute in namespace "${namespace}" (missing a ReferenceGrant?)`,
          generation,
        );
      }
      if (!this.store.get(this.services, ns, ref.name)) {
        return condition(
          'ResolvedRefs',
          'False',
          'BackendNotFound',
          `backend(${ref.name}.${ns}.svc.cluster.local) not found`,
          generation,
        );
      }
    }
    return condition('ResolvedRefs', 'True', 'ResolvedRefs', 'All references resolved', generation);
  }

  /** Whether a ReferenceGrant in `to` lets HTTPRoutes of `from` reach the Service `name`. */
  private granted(from: string, to: string, name: string): boolean {
    if (!this.referenceGrants) return false;
    return this.store.list(this.referenceGrants, to).some((grant) => {
      const spec = (grant.spec ?? {}) as {
        from?: { group: string; kind: string; namespace: string }[];
        to?: { group: string; kind: string; name?: string }[];
      };
      return (
        (spec.from ?? []).some(
          (f) => f.group === GATEWAY_API_GROUP && f.kind === 'HTTPRoute' && f.namespace === from,
        ) &&
        (spec.to ?? []).some((x) => x.group === '' && x.kind === 'Service' && (!x.name || x.name === name))
      );
    });
  }
}

function condition(
  type: string,
  status: 'True' | 'False',
  reason: string,
  message: string,
  observedGeneration: number,
): Condition {
  return { type, status, reason, message, observedGeneration, lastTransitionTime: timestamp() };
}
