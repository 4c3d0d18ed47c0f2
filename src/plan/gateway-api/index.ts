/**
 * The Gateway API routing module: the stage intent (../intent.ts) written into HTTPRoutes and per-version
 * Services, beside the VirtualService + DestinationRule module. Pure, like the rest of the planner.
 *
 * - Every HTTPRoute that routes the service moves: those attached to its Service (`parentRefs` kind
 *   Service: mesh traffic, Istio ambient mode) and those attached to a Gateway whose backendRefs reach it.
 * - In each, a rule sending to the stable's version Service (or, on a first run, to the main Service) only
 *   is split between the stable's and the canary's version Services (`version-service`, default
 *   `{service}-{version}`); unnamed ones get a name of ours (`reviews-primary`, `-2`, …), user-named ones
 *   are listed in the annotation `istio-canary.io/split-rules`, so later stages find them. The header
 *   route is a twin rule right before each split rule (`reviews-canary-header`), matching the rule's own
 *   matches AND the header match. Every other rule, field and piece of metadata stays, in order.
 * - header-match: exact → `Exact`, regex → `RegularExpression`, prefix → `RegularExpression`
 *   `^<escaped>.*`; uri-prefix → `path` `PathPrefix` (Gateway API prefixes match whole path segments:
 *   `/api` matches `/api/v1`, not `/apiv1`); method → `method`; mirror-percent → a `RequestMirror` filter
 *   (`percent`, or an exact `fraction` for a non-integer share). sticky-cookie is refused: the standard
 *   channel has no session persistence.
 * - Comparison is after the API server's defaults (normalize.ts), so a re-run is a no-op.
 * - Writes are make-before-break: version Services created, then HTTPRoutes, then (finalize) the stable's
 *   version Service deleted, only if this tool created it and no route names it.
 */
export { analyzeGatewayRouting } from './checks.js';
export type { GatewayFocus, GatewayWorld } from './checks.js';
export { mergeHttpRoute, SPLIT_RULES_ANNOTATION, splitRuleName, twinRuleName } from './http-route.js';
export type { MergedRoute } from './http-route.js';
export { emptyGatewayApiState, readGatewayApiYaml } from './load.js';
export { andMatch, headerMatchOf } from './matches.js';
export {
  HTTP_ROUTE_DEFAULTS,
  normalizeSpec,
  routingEssence as httpRouteRoutingEssence,
  sameSpec,
  withServerDefaults,
} from './normalize.js';
export { planGatewayApiStage } from './plan.js';
export { attachedToService, namespacesRoutedBy, routesTheService, serviceNames } from './refs.js';
export type { ServiceNames } from './refs.js';
export { describeRouteRule, describeRule, httpRouteRows, httpRoutesNow } from './rows.js';
export { checkGatewayPath, validateGatewayApiOptions } from './validate.js';
export {
  checkVersionService,
  DEFAULT_VERSION_SERVICE,
  gatewayApiOptions,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  versionServiceName,
} from './version-service.js';
export * from './types.js';
