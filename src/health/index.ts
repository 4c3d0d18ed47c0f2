// Health waiting: what a stage waits for after a write before it calls the step healthy.
export { HealthCheckFailure } from './check.js';
export { probeHttp, type ProbeHttpOptions } from './probe.js';
export { analyzeCanary, canaryQueries, canarySelector, type CanaryAnalysisOptions } from './prometheus.js';
export { compareWithStable, type CompareOptions } from './compare/index.js';
export { seriesSelector, type SeriesScope } from './istio-metrics.js';
export { waitForRollout, type WaitForRolloutOptions } from './rollout.js';
export {
  podNotStarting,
  podSelectorOf,
  progressDeadlineExceeded,
  rolloutProgress,
} from './workload-state.js';
export {
  propagationState,
  waitForPropagation,
  type WaitForPropagationOptions,
  type WrittenObject,
} from './propagation.js';
export {
  routeStatusState,
  waitForRouteStatus,
  type ParentState,
  type ParentVerdict,
  type RouteObject,
  type WaitForRouteStatusOptions,
  type WrittenRoute,
} from './route-status.js';
