// The library's public API: `import { runStage, planStage } from 'istio-canary'`.
//
// - runStage: one stage against a cluster, from the first read to a healthy end state or back to where it
//   started (what the action and the CLI run); with `clusters`, across clusters in waves.
// - planStage / planProgressiveStep: the pure planner, for previews and custom tooling (no cluster needed).
// - planGatewayApiStage, readGatewayApiYaml, chooseRoutingApi: the same on Gateway API (HTTPRoutes and
//   per-version Services), and which routing API a namespace's objects call for.
// - parseRunOptions and OPTION_DEFINITIONS: the action's inputs as data, with their validation.
// - renderMarkdown / renderText: a StageResult for people (job summary, terminal).
// - SequentialJudge / evidence / latencyMargin: the pure statistics of the comparison with the stable.
export { runStage } from './run-stage.js';
export type {
  AnalysisOptions,
  ClusterOutcome,
  ClusterResult,
  ComparisonOptions,
  ComparisonReport,
  ComparisonTick,
  HealthCheckResult,
  ProbeOptions,
  RunContext,
  RunOptions,
  RunReporter,
  StageResult,
} from './types.js';
export { CanaryError, InputError } from './errors.js';
export { SequentialJudge, evidence, latencyMargin } from './health/compare/index.js';
export type { Allowance, Counts, MetricSpec, TickDecision } from './health/compare/index.js';
export type { ErrorCode } from './errors.js';
export {
  CheckFailedError,
  formatFinding,
  planProgressiveStep,
  planStage,
  readRoutingYaml,
  emptyState,
  routeRows,
  canaryShare,
  toYaml,
  toYamlDocuments,
  validateStageOptions,
  STAGES,
} from './plan/index.js';
export type {
  ClusterState,
  DestinationRule,
  Finding,
  FindingCode,
  HeaderMatch,
  HeaderMatchKind,
  Plan,
  RouteRow,
  RoutingObject,
  Stage,
  StageOptions,
  VirtualService,
  WriteStep,
} from './plan/index.js';
export {
  emptyGatewayApiState,
  gatewayApiOptions,
  planGatewayApiStage,
  readGatewayApiYaml,
} from './plan/gateway-api/index.js';
export type {
  GatewayApiPlan,
  GatewayApiStageOptions,
  GatewayApiState,
  GatewayPlannedObject,
  GatewayWriteStep,
  HTTPRoute,
  HTTPRouteSplit,
  ReferenceGrant,
  Service,
} from './plan/gateway-api/index.js';
export { chooseRoutingApi, ROUTING_APIS } from './plan/routing-api.js';
export type { RoutingApi, RoutingApiChoice, RoutingEvidence } from './plan/routing-api.js';
export { OPTION_DEFINITIONS, parseRunOptions, parseStageOptions, parseHeaderMatch } from './options/index.js';
export type { OptionDefinition, RawOptions } from './options/index.js';
export { renderMarkdown, renderText } from './report/index.js';
export { loadKubeConfig, ClusterClient } from './kube/index.js';
export type { LoadedKubeConfig } from './kube/index.js';
export { analyzeCanary, probeHttp, waitForPropagation, waitForRollout } from './health/index.js';
export { waitForRouteStatus } from './health/index.js';
export type { WaitForRouteStatusOptions, WrittenRoute } from './health/index.js';
export { runCli } from './cli/index.js';
