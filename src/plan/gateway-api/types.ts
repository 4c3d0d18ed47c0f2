// The Gateway API vocabulary of the planner. Shapes come from @kubernetes-models/gateway-api (generated
// from Gateway API's CRDs; `import type` only, nothing reaches the bundles). The package follows the
// experimental channel, a superset of the standard channel the planner writes: it never writes a field the
// standard CRDs lack (no sessionPersistence, no retry).
import type { IHTTPRouteSpec } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRouteSpec';
import type { IReferenceGrantSpec } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/ReferenceGrantSpec';
import type { ObjectMeta, Plan, RouteDoor, RouteSplit, StageOptions } from '../types.js';

export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';
/** What the planner writes a new HTTPRoute as; an existing one keeps its version (v1 or v1beta1). */
export const HTTP_ROUTE_API_VERSION = `${GATEWAY_API_GROUP}/v1`;

export type HTTPRouteSpec = IHTTPRouteSpec;
export type HTTPRouteRule = NonNullable<HTTPRouteSpec['rules']>[number];
export type HTTPRouteMatch = NonNullable<HTTPRouteRule['matches']>[number];
export type HTTPHeaderMatch = NonNullable<HTTPRouteMatch['headers']>[number];
export type HTTPBackendRef = NonNullable<HTTPRouteRule['backendRefs']>[number];
export type HTTPRouteFilter = NonNullable<HTTPRouteRule['filters']>[number];
export type ParentReference = NonNullable<HTTPRouteSpec['parentRefs']>[number];
export type ReferenceGrantSpec = IReferenceGrantSpec;

/** An HTTPRoute as read from (or written to) the cluster: `gateway.networking.k8s.io/v1` or `v1beta1`. */
export interface HTTPRoute {
  apiVersion: string;
  kind: 'HTTPRoute';
  metadata: ObjectMeta;
  spec: HTTPRouteSpec;
  status?: unknown;
}

export interface ReferenceGrant {
  apiVersion: string;
  kind: 'ReferenceGrant';
  metadata: ObjectMeta;
  spec: ReferenceGrantSpec;
}

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
  appProtocol?: string;
  nodePort?: number;
}

/** The part of a core/v1 Service the planner reads and writes. */
export interface Service {
  apiVersion: 'v1';
  kind: 'Service';
  metadata: ObjectMeta;
  spec: {
    ports?: ServicePort[];
    selector?: Record<string, string>;
    [field: string]: unknown;
  };
  status?: unknown;
}

export type GatewayApiObject = HTTPRoute | Service;

/** What the namespace holds for Gateway API routing (other namespaces' objects where routes name them). */
export interface GatewayApiState {
  httpRoutes: HTTPRoute[];
  /** The Services of every namespace a route names (the main Service and its version Services among them). */
  services: Service[];
  /** ReferenceGrants of the namespaces that cross-namespace backendRefs point into. */
  referenceGrants: ReferenceGrant[];
}

/** The stage options plus the Gateway API ones. */
export interface GatewayApiStageOptions extends StageOptions {
  /** Name template of the per-version Services: `{service}-{version}` by default. */
  versionService: string;
}

/** One write of a plan, in order; a delete has no `after`. */
export interface GatewayWriteStep {
  kind: GatewayApiObject['kind'];
  /**
   * Steps of one batch may go out together (each with its own precondition); a batch starts only once the
   * one before it is written: 0 version Services created, 1 HTTPRoutes, 2 version Services deleted.
   */
  batch: number;
  action: 'create' | 'update' | 'delete' | 'unchanged';
  before?: GatewayApiObject;
  after?: GatewayApiObject;
  /** Why it comes in this position (make before break). */
  reason: string;
}

/** How an HTTPRoute carries the service's traffic: attached to its Service (mesh) or to a Gateway. */
export type HTTPRouteDoor = Extract<RouteDoor, 'mesh' | 'gateway'>;

/** One object a plan manages, before and after (a deleted version Service has no `after`). */
export interface GatewayPlannedObject {
  role: HTTPRouteDoor | 'version-service';
  before?: GatewayApiObject;
  after?: GatewayApiObject;
}

/**
 * One rule that carries the service's traffic, and its split before and after the plan, as the
 * VirtualService plan reports its routes (`resource` names the HTTPRoute, `name` the rule, `hosts` its
 * hostnames, `gateways` the Gateways it is attached to).
 */
export type HTTPRouteSplit = RouteSplit & { door: HTTPRouteDoor };

/** The shape of the VirtualService plan (findings, weights, rows, diff), with Gateway API objects. */
export interface GatewayApiPlan extends Pick<
  Plan,
  'findings' | 'previousWeight' | 'weight' | 'before' | 'after' | 'diff' | 'changed'
> {
  options: GatewayApiStageOptions;
  /** Every HTTPRoute the stage moves, as planned (those already as planned included). */
  httpRoutes: HTTPRoute[];
  /** Every object the plan manages: the HTTPRoutes, then the version Services it creates or deletes. */
  objects: GatewayPlannedObject[];
  /** Every rule carrying the service's traffic: those the plan moves, then those it leaves alone. */
  routes: HTTPRouteSplit[];
  /** Ordered writes: version Services created, then HTTPRoutes, then version Services deleted. */
  writes: GatewayWriteStep[];
}
