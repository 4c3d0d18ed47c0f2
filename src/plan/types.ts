// The planner's vocabulary. Istio shapes come from @kubernetes-models/istio (generated from Istio's CRDs):
// `import type` only, so nothing of that package reaches the bundles.
import type { IVirtualService } from '@kubernetes-models/istio/networking.istio.io/v1/VirtualService';
import type { IDestinationRule } from '@kubernetes-models/istio/networking.istio.io/v1/DestinationRule';

export const STAGES = ['route', 'shift', 'promote', 'rollback', 'finalize', 'progressive', 'status'] as const;
export type Stage = (typeof STAGES)[number];

/** The stages that write routing (`progressive` is a sequence of `shift` plans, `status` only reads). */
export type WritingStage = Exclude<Stage, 'progressive' | 'status'>;

export type VirtualServiceSpec = NonNullable<IVirtualService['spec']>;
export type HTTPRoute = NonNullable<VirtualServiceSpec['http']>[number];
export type HTTPMatchRequest = NonNullable<HTTPRoute['match']>[number];
export type HTTPRouteDestination = NonNullable<HTTPRoute['route']>[number];
export type DestinationRuleSpec = NonNullable<IDestinationRule['spec']>;
export type Subset = NonNullable<DestinationRuleSpec['subsets']>[number];

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: string;
  generation?: number;
  uid?: string;
  [field: string]: unknown;
}

/** A VirtualService as read from (or written to) the cluster: `networking.istio.io/v1` or `v1beta1`. */
export interface VirtualService {
  apiVersion: string;
  kind: 'VirtualService';
  metadata: ObjectMeta;
  spec: VirtualServiceSpec;
  status?: unknown;
}

export interface DestinationRule {
  apiVersion: string;
  kind: 'DestinationRule';
  metadata: ObjectMeta;
  spec: DestinationRuleSpec;
  status?: unknown;
}

export type RoutingObject = VirtualService | DestinationRule;

export type HeaderMatchKind = 'exact' | 'prefix' | 'regex';

/** One line of `header-match`: several are AND-ed in one match block. */
export interface HeaderMatch {
  name: string;
  kind: HeaderMatchKind;
  value: string;
}

/** What the planner needs to know about a stage; every field already validated (see plan/validate.ts). */
export interface StageOptions {
  stage: Stage;
  service: string;
  namespace: string;
  /** The host the routes name; defaults to the service name. */
  host: string;
  stable: string;
  canary: string;
  /** Canary share of the default route, 0–100 (`shift`, and each `progressive` step). */
  weight?: number;
  headerMatch: HeaderMatch[];
  uriPrefix?: string;
  method?: string;
  /** The pod label that tells versions apart; subsets select on it. */
  versionLabel: string;
  /** Gateways for a VirtualService we create (an existing one keeps its own). */
  gateways: string[];
  mirrorPercent?: number;
  /** Name of the cookie that keeps a user the split sent to the canary on it (`sticky-cookie`). */
  stickyCookie?: string;
  /** Lifetime of that cookie, seconds; 0 (the default) makes it a session cookie. */
  stickyCookieTtlSeconds?: number;
  /** `progressive`: the canary weights to go through, e.g. [10, 25, 50, 100]. */
  steps?: number[];
  /** `routing-api`: `auto` (the default) chooses from what the namespace holds (plan/routing-api.ts). */
  routingApi?: 'auto' | 'istio' | 'gateway-api';
  /** `version-service`: name template of the per-version Services on Gateway API. */
  versionService?: string;
  /**
   * Names of the VirtualServices of the namespace the stage may write (`virtual-services`); absent: every
   * one with a route to the host.
   */
  virtualServices?: string[];
}

/** The routing objects of the namespace as they are now (either API version). */
export interface ClusterState {
  virtualServices: VirtualService[];
  destinationRules: DestinationRule[];
  /** apiVersion for objects the plan creates: `networking.istio.io/v1` unless the cluster serves only v1beta1. */
  newObjectApiVersion?: string;
}

export type FindingCode =
  | 'IST0101'
  | 'IST0106'
  | 'IST0109'
  | 'IST0130'
  | 'IST0131'
  // Gateway API (src/plan/gateway-api/checks.ts), named after the HTTPRoute status reasons where one fits.
  | 'BackendNotFound'
  | 'RefNotPermitted'
  | 'InvalidWeight'
  | 'UnreachableMatch'
  | 'RouteTooLarge'
  | 'RuleLeftAlone'
  | 'ServiceKept';

/** A pre-write check result, worded as `istioctl analyze` would report it. */
export interface Finding {
  code: FindingCode;
  severity: 'error' | 'warning';
  /** `VirtualService default/reviews` */
  resource: string;
  message: string;
}

/** One row of a routing table: which requests go where. */
export interface RouteRow {
  /** The VirtualService holding the route. */
  object?: string;
  /** Route name, if any. */
  name?: string;
  /** Human form of the match: `end-user=test-user`, `uri prefix /api`, or `default`. */
  match: string;
  destinations: { subset: string; weight: number }[];
  /** Why the run leaves this route as it is (another namespace, not in `virtual-services`); absent when managed. */
  leftAlone?: string;
}

export interface WriteStep {
  kind: 'VirtualService' | 'DestinationRule';
  /**
   * Steps of one batch go out together (one round trip, each with its own precondition); a batch starts
   * only once the one before it is written.
   */
  batch: number;
  action: 'create' | 'update' | 'unchanged';
  /** The object as it is in the cluster, when it exists. */
  before?: RoutingObject;
  /** The object to write (spec and our metadata; cluster-owned metadata is left to the writer). */
  after: RoutingObject;
  /** Why it comes in this position (make before break). */
  reason: string;
}

/** How a VirtualService carries the service's traffic. */
export type RouteDoor = 'mesh' | 'gateway' | 'delegate';

/** One routing object a plan manages, before and after. */
export interface PlannedObject {
  /** `mesh`, `gateway` or `delegate` for a VirtualService; `subsets` for the DestinationRule. */
  role: RouteDoor | 'subsets';
  before?: RoutingObject;
  after: RoutingObject;
}

/** One route that carries the service's traffic, and its split before and after the plan. */
export interface RouteSplit {
  /** `VirtualService default/bookinfo-edge` */
  resource: string;
  /** The VirtualService's name. */
  object: string;
  namespace: string;
  door: RouteDoor;
  /** The route's name, when it has one. */
  name?: string;
  /** Human form of the route's match (`uri prefix /reviews`, `default`). */
  match: string;
  /** The VirtualService's hosts and gateways (how a request reaches the route). */
  hosts: string[];
  gateways: string[];
  /** A path the route's first match accepts (`/reviews`), when it has a uri exact or prefix match. */
  path?: string;
  before: { subset: string; weight: number }[];
  after: { subset: string; weight: number }[];
  /** Why it is left as it is: not in `virtual-services`, or in another namespace. Absent when written. */
  leftAlone?: string;
}

export interface Plan {
  options: StageOptions;
  /** The primary VirtualService: the service's mesh one (created when absent), else the first managed. */
  virtualService: VirtualService;
  destinationRule: DestinationRule;
  /** Every object the plan manages: the VirtualServices (primary first), then the DestinationRule. */
  objects: PlannedObject[];
  /** Every route to the host: those the plan moves, then those it leaves alone (with the reason). */
  routes: RouteSplit[];
  /**
   * Ordered writes in batches: DestinationRule first when a subset is added, then every VirtualService
   * together; VirtualServices first and the DestinationRule last when one is removed.
   */
  writes: WriteStep[];
  findings: Finding[];
  /** Canary share of the default route before and after. */
  previousWeight: number;
  weight: number;
  before: RouteRow[];
  after: RouteRow[];
  /** A unified, human diff of the YAML before → after. */
  diff: string;
  changed: boolean;
}
