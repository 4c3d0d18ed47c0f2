// What a run takes and what it gives back: shared by the library, the CLI and the action.
import type { CanaryError } from './errors.js';
import type { RouteRow, RouteSplit, StageOptions, Stage } from './plan/types.js';

export interface ProbeOptions {
  url: string;
  headers: Record<string, string>;
  /** Consecutive 2xx answers needed. */
  successes: number;
  /** Consecutive failed answers (non-2xx or no answer) that fail the probe at once; absent: only the timeout. */
  failures?: number;
  /** Pause between two requests, seconds (default 1). */
  intervalSeconds?: number;
}

/** Comparing the canary with the stable running beside it (src/health/compare). */
export interface ComparisonOptions {
  /** Percentage points the canary's error rate may exceed the stable's, e.g. 1. */
  maxErrorRateIncrease?: number;
  /** Percent the canary's latency may exceed the stable's, e.g. 20. */
  maxLatencyIncrease?: number;
  /** 0.5–0.9999, e.g. 0.95: 1 − the bound on a wrong decision. */
  confidence: number;
  /** Bound on one analysis, seconds: no decision by then is "inconclusive". */
  maxDurationSeconds: number;
  onInconclusive: 'fail' | 'pass';
}

/** Which Istio proxy's series count: the sidecar at the destination, or the waypoint in ambient mode. */
export type IstioReporter = 'destination' | 'waypoint';
/** The label versions are told apart by: `destination_version`, or per-version Services' names. */
export type VersionMetricLabel = 'destination_version' | 'destination_service_name';

export interface AnalysisOptions {
  prometheusUrl: string;
  /** 0–1, e.g. 0.99. */
  minSuccessRate?: number;
  maxLatencyMs?: number;
  /** The window of a fixed-threshold round, and the tick of the comparison. */
  intervalSeconds: number;
  runs: number;
  allowNoData: boolean;
  /** Default 'destination'. */
  reporter?: IstioReporter;
  /** Default 'destination_version'. */
  versionLabel?: VersionMetricLabel;
  comparison?: ComparisonOptions;
}

export interface RunOptions extends StageOptions {
  /** Kubeconfig content or a path to one; else KUBECONFIG, ~/.kube/config, in-cluster. */
  kubeconfig?: string;
  context?: string;
  /**
   * Several clusters: kubeconfig contexts in waves, run one wave after the other, the contexts of a wave in
   * parallel; a failure anywhere restores every cluster changed. Replaces `context`.
   */
  clusters?: string[][];
  /** Where the Deployments run when `clusters` hold only the routing; default: each cluster its own. */
  workloadClusters?: string[];
  dryRun: boolean;
  /** Bound on the whole health wait of one step, seconds. */
  timeoutSeconds: number;
  /** Wait after a write when istiod writes no status, seconds. */
  settleSeconds: number;
  /** `progressive`: pause between steps, seconds. */
  intervalSeconds: number;
  /** Label selector of the canary Deployment(s); default `app=<service>,<version-label>=<canary>`. */
  canarySelector?: string;
  probe?: ProbeOptions;
  analysis?: AnalysisOptions;
  rollbackOnFailure: boolean;
  deleteStable: boolean;
  /** The CI run that does this (recorded in annotations and the lease holder). */
  runUrl?: string;
}

export interface RoutingObjectYaml {
  kind: 'VirtualService' | 'DestinationRule' | 'HTTPRoute' | 'Service';
  name: string;
  yaml: string;
}

export interface HealthCheckResult {
  name: string;
  ok: boolean;
  durationMs: number;
  detail: string;
  /** The comparison with the stable, tick by tick, when this check was one. */
  comparison?: ComparisonReport;
}

/** One version's counts from the write to a tick. */
export interface VersionFigures {
  requests: number;
  /** 5xx answers. */
  errors: number;
  /** Requests slower than the latency bound (when latency is compared). */
  slow?: number;
}

export interface ComparisonTick {
  /** Seconds from the write to this tick. */
  seconds: number;
  /** The interval every figure of this tick covers: from the write (`from`) to the tick (`to`), ISO 8601. */
  from: string;
  to: string;
  canary: VersionFigures;
  stable: VersionFigures;
  verdict: 'pass' | 'fail' | 'continue';
  confidence: number;
}

/** What the comparison decided and on which figures: the job summary's chart, the CLI's table. */
export interface ComparisonReport {
  decision: 'pass' | 'fail' | 'inconclusive';
  /** 1 − the bound on this decision being wrong (for inconclusive: the closest either side came). */
  confidence: number;
  stable: string;
  canary: string;
  maxErrorRateIncrease?: number;
  maxLatencyIncrease?: number;
  /** The latency bound and allowance, from the stable's histogram over `from`–`to` before the write. */
  latency?: {
    boundMs: number;
    stableShareAbove: number;
    allowedShareAbove: number;
    from: string;
    to: string;
  };
  ticks: ComparisonTick[];
  /** The PromQL of the last tick (and of the latency reference). */
  queries: string[];
}

export interface StageResult {
  stage: Stage;
  service: string;
  namespace: string;
  stable: string;
  canary: string;
  dryRun: boolean;
  changed: boolean;
  healthy: boolean;
  rolledBack: boolean;
  /** Canary share of the default route before the run; absent when the routing could not be read. */
  previousWeight?: number;
  /** …and after it (the restored one after a rollback); absent when the routing could not be read. */
  weight?: number;
  before: RouteRow[];
  after: RouteRow[];
  checks: HealthCheckResult[];
  /**
   * YAML of the objects as written (or as they would be, on a dry run): the primary VirtualService (empty
   * when the stage ran on Gateway API: see `objects`).
   */
  virtualServiceYaml: string;
  destinationRuleYaml: string;
  /**
   * Every route to the service, per object: its split before and after the run (those the run leaves
   * alone say why). Absent where a result predates several VirtualServices.
   */
  routes?: RouteSplit[];
  /**
   * YAML of every routing object the run manages: the VirtualServices, then the DestinationRule; on Gateway
   * API the HTTPRoutes, then the version Services it creates (one it deletes has none).
   */
  objects?: RoutingObjectYaml[];
  /** What the reader should know that is no failure (status: the routes disagree on the split). */
  warnings?: string[];
  diff: string;
  /** The Service's HTTP port, for the curl in the pull-request comment; absent when it could not be read. */
  servicePort?: number;
  /** What the reader must not miss beyond the stage's own outcome (a stale lease taken over, naming its holder). */
  notes?: string[];
  /** The routing API the stage ran on (`routing-api`, or what `auto` chose); absent before a read. */
  routingApi?: 'istio' | 'gateway-api';
  /** Set when the run failed; the cluster was restored when `rolledBack`. */
  error?: CanaryError;
  /**
   * With `clusters`: each cluster's own result, in wave order, then the workload clusters. The fields
   * above then sum them up: `changed` / `rolledBack` when any cluster was, `healthy` when all were, and the
   * weights and routes of the first cluster.
   */
  clusters?: ClusterResult[];
}

/** How one cluster of a release across clusters ended. */
export type ClusterOutcome =
  /** the stage and its checks passed here */
  | 'healthy'
  /** the release failed here */
  | 'failed'
  /** stopped because another cluster failed, or the run was cancelled */
  | 'stopped'
  /** its wave never started */
  | 'not reached'
  /** `status`: read only */
  | 'read';

export interface ClusterResult {
  /** The kubeconfig context. */
  cluster: string;
  /** 1-based; absent for a workload cluster (it holds Deployments, not routing). */
  wave?: number;
  outcome: ClusterOutcome;
  /** What a failure elsewhere made this cluster put back (`restored VirtualService default/reviews`). */
  restored: string[];
  result: StageResult;
}

/** Where a run reports progress: the action maps it to @actions/core, the CLI to the terminal. */
export interface RunReporter {
  info(message: string): void;
  warning(message: string): void;
  /** A long wait's progress ("waiting for reviews-v2: 1/3 ready"); may be shown on one updating line. */
  progress?(message: string): void;
  /** Groups the log lines of a phase (core.group in the action). */
  group?<T>(name: string, work: () => Promise<T>): Promise<T>;
  /** Called with every secret (token, key, kubeconfig content) before anything is logged. */
  setSecret?(secret: string): void;
}

export interface RunContext {
  reporter?: RunReporter;
  /** Cancellation (SIGINT/SIGTERM): the run stops, rolls back when it had written, and reports. */
  signal?: AbortSignal;
  /** A ready client configuration; when absent it is loaded from RunOptions.kubeconfig / the environment. */
  kubeConfig?: import('./kube/client-node.js').KubeConfig;
}
