/**
 * The stage planner: pure functions from the routing objects a namespace holds now and a stage's options
 * to the VirtualService and DestinationRule to write, in a safe order, checked before anything is written.
 * No I/O, no clock, no randomness: the same input always gives the same plan.
 *
 * - `planStage(options, current)` plans route, shift, promote, rollback and finalize (and the first step
 *   of progressive); `planProgressiveStep(options, current, weight)` plans any progressive step as a shift.
 * - Merging owns only three named http routes, `<service>-canary-header` (header match → canary),
 *   `<service>-canary-sticky` (sticky cookie → canary) and `<service>-primary` (the default split), in that
 *   order, plus the sticky `set-cookie` its canary destination adds. A first run adopts the first route
 *   matching every request (catch-all.ts: no match, `uri prefix /`, `regex .*` …) when it points at the
 *   host, and keeps its other fields; every other route, host, gateway, subset, policy and piece of
 *   metadata stays as it was. promote, rollback and finalize remove the header and sticky routes and the
 *   cookie (nothing left for them to do).
 * - Input objects are checked against Istio's CRD schemas (crd-schema.ts, schemas embedded as data);
 *   YAML is read as kubectl reads it and written so YAML 1.1 and 1.2 read it alike (kubectl-yaml.ts).
 * - A lone destination is written without `weight` (an existing `weight: 100` is kept; both route alike).
 * - What is written is annotated `istio-canary.io/stage` and `istio-canary.io/weights` (`v1=50,v2=50`) on
 *   the VirtualService; timestamps and run links are the cluster layer's to add.
 * - Writes are ordered make-before-break: a subset is added (DestinationRule) before a route names it,
 *   and removed only after no route does. Objects already as planned are listed as `unchanged`, so a
 *   stage run twice changes nothing the second time.
 * - Checks (IST0101, IST0106, IST0109, IST0130, IST0131) run over the planned objects together with the
 *   namespace's others; an error finding throws CheckFailedError, listing every finding.
 * - Every VirtualService of the namespace with an http route to the host moves (routes-to-host.ts): the
 *   mesh one, gateway-bound ones and delegates; `virtualServices` limits the set, and the routes left out
 *   (or in other namespaces) are listed in `plan.routes` with the reason. In each, every stable-bound route
 *   gets the split and a header twin right before it (stable-bound.ts); route-plan.ts writes them all,
 *   write-order.ts puts the VirtualServices of a stage in one batch.
 * - Stage logic (who gets which share: intent.ts) is kept apart from the VirtualService/DestinationRule
 *   writers, so another routing API (Gateway API HTTPRoute) is another writer, not a rewrite.
 */
export { planProgressiveStep, planStage } from './plan-stage.js';
export { analyzeRouting, CheckFailedError, formatFinding } from './checks.js';
export type { CheckFocus, RoutingWorld } from './checks.js';
export { objectDiff, toYaml, toYamlDocuments } from './diff.js';
export { stageIntent, splitFor } from './intent.js';
export type { RoutingIntent, WeightedVersion } from './intent.js';
export { emptyState, namespacesRouting, readRoutingYaml } from './load.js';
export { cleanObject, qualifyHost, sameHost, STAGE_ANNOTATION, WEIGHTS_ANNOTATION } from './objects.js';
export { canaryShare, describeMatch, routeRows, routingEssence } from './routes.js';
export { validateStageOptions } from './validate.js';
export { ownedRouteNames, weightsAnnotation } from './virtual-service.js';
export * from './types.js';
