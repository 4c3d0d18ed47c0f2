// What a run takes and what it gives back: shared by the library, the CLI and the action.
import type { CanaryError } from './errors.js';
import type { RouteRow, StageOptions, Stage } from './plan/types.js';

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

export interface AnalysisOptions {
  prometheusUrl: string;
  /** 0–1, e.g. 0.99. */
  minSuccessRate?: number;
  maxLatencyMs?: number;
  intervalSeconds: number;
  runs: number;
  allowNoData: boolean;
}

export interface RunOptions extends StageOptions {
  /** Kubeconfig content or a path to one; else KUBECONFIG, ~/.kube/config, in-cluster. */
  kubeconfig?: string;
  context?: string;
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

export interface HealthCheckResult {
  name: string;
  ok: boolean;
  durationMs: number;
  detail: string;
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
  /** YAML of the objects as written (or as they would be, on a dry run). */
  virtualServiceYaml: string;
  destinationRuleYaml: string;
  diff: string;
  /** The Service's HTTP port, for the curl in the pull-request comment; absent when it could not be read. */
  servicePort?: number;
  /** What the reader must not miss beyond the stage's own outcome (a stale lease taken over, naming its holder). */
  notes?: string[];
  /** Set when the run failed; the cluster was restored when `rolledBack`. */
  error?: CanaryError;
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
  kubeConfig?: import('@kubernetes/client-node').KubeConfig;
}
