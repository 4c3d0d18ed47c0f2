// The options of a run as data: the action's inputs and the CLI's flags are both this table, so action.yml,
// the README and `istio-canary --help` can be checked against one list.
import { STAGES } from '../plan/types.js';
import { DEFAULT_VERSION_SERVICE } from '../plan/gateway-api/version-service.js';
import { ROUTING_APIS } from '../plan/routing-api.js';
import { HTTP_METHODS } from '../plan/validate.js';

export interface OptionDefinition {
  /** The action input name, which is also the CLI flag (`--<name>`). */
  name: string;
  description: string;
  /** The value used when the option is absent (as the action would write it). */
  default?: string;
  /** The values accepted, when they are a closed list. */
  allowed?: readonly string[];
  /** Repeatable flag on the CLI; a multi-line input in the action. */
  multiple?: boolean;
  /** A yes/no switch: `true`/`false` in the action, `--name` / `--no-name` on the CLI. */
  boolean?: boolean;
  /** Used by the offline planner (`istio-canary plan`), not only by runs against a cluster. */
  planning?: boolean;
  /** Never printed: it may hold a credential. */
  secret?: boolean;
}

const BOOLEAN_VALUES = ['true', 'false'] as const;

export const OPTION_DEFINITIONS: readonly OptionDefinition[] = [
  { name: 'stage', description: 'The release stage to run.', allowed: STAGES, planning: true },
  { name: 'service', description: 'The Kubernetes Service (and Istio host) to release.', planning: true },
  {
    name: 'namespace',
    description: 'Namespace of the service and its routing objects.',
    default: 'default',
    planning: true,
  },
  {
    name: 'host',
    description:
      'Host the routes name, when it differs from the service name (e.g. reviews.prod.svc.cluster.local).',
    planning: true,
  },
  {
    name: 'stable',
    description: 'Version (subset name and label value) serving users now, e.g. v1.',
    planning: true,
  },
  { name: 'canary', description: 'Version being released, e.g. v2.', planning: true },
  { name: 'weight', description: 'Canary share of the default route, 0–100 (shift).', planning: true },
  {
    name: 'header-match',
    description:
      'Requests routed to the canary, one per line: name=value, name: exact:value, name: prefix:value or name: regex:value (RE2); lines are AND-ed.',
    multiple: true,
    planning: true,
  },
  {
    name: 'uri-prefix',
    description: 'Restricts the header route to paths with this prefix.',
    planning: true,
  },
  {
    name: 'method',
    description: 'Restricts the header route to this HTTP method.',
    allowed: HTTP_METHODS,
    planning: true,
  },
  {
    name: 'steps',
    description: 'Canary weights a progressive release goes through, e.g. 10,25,50,100.',
    planning: true,
  },
  {
    name: 'interval',
    description: 'Pause between progressive steps (30, 30s, 2m; at most 6h).',
    default: '60s',
  },
  {
    name: 'version-label',
    description: 'Pod label that tells versions apart; subsets select on it.',
    default: 'version',
    planning: true,
  },
  {
    name: 'gateways',
    description:
      'Gateways of a VirtualService this creates (comma or newline separated); an existing one keeps its own.',
    multiple: true,
    planning: true,
  },
  {
    name: 'virtual-services',
    description:
      'VirtualServices of the namespace the stage may write (comma or newline separated); default every one with a route to the host (mesh, gateway-bound, delegates). Routes left out are reported, and finalize refuses while one still sends to stable.',
    multiple: true,
    planning: true,
  },
  {
    name: 'mirror-percent',
    description: 'Share of stable traffic copied to the canary (responses dropped), 0–100.',
    planning: true,
  },
  {
    name: 'sticky-cookie',
    description:
      'Keeps a user the split sent to the canary on the canary: a cookie name, or name:ttl (ttl like 30m; 0 = session cookie).',
    planning: true,
  },
  {
    name: 'routing-api',
    description:
      'Routing objects to write: istio (VirtualService + DestinationRule), gateway-api (HTTPRoute + per-version Services) or auto (gateway-api when an HTTPRoute already routes the service, istio when a VirtualService does or when neither does; both is an error naming them).',
    default: 'auto',
    allowed: ROUTING_APIS,
    planning: true,
  },
  {
    name: 'version-service',
    description:
      'gateway-api: name of the Service of each version, {service} and {version} replaced (a DNS-1035 label); one missing is created from the main Service with the version label added to its selector.',
    default: DEFAULT_VERSION_SERVICE,
    planning: true,
  },
  {
    name: 'kubeconfig',
    description: 'Kubeconfig content or path; else KUBECONFIG, ~/.kube/config or in-cluster.',
    secret: true,
  },
  { name: 'context', description: 'Kubeconfig context to use.' },
  {
    name: 'clusters',
    description:
      'Kubeconfig contexts to release in, one wave per line, contexts of a wave separated by commas and run in parallel; a failure anywhere restores every cluster changed. Replaces context.',
    multiple: true,
  },
  {
    name: 'workload-clusters',
    description:
      'Contexts where the Deployments run (rollout health, delete-stable) when the clusters hold only the routing (Istio primary-remote); default: each cluster checks its own.',
    multiple: true,
  },
  {
    name: 'dry-run',
    description: 'Server-side dry run: show the diff, change nothing.',
    default: 'false',
    boolean: true,
    allowed: BOOLEAN_VALUES,
  },
  {
    name: 'timeout',
    description: 'Bound on the health wait of one step (30, 30s, 2m; at most 6h).',
    default: '5m',
  },
  {
    name: 'settle',
    description: 'Wait after a write when istiod writes no status (30, 30s, 2m; at most 6h).',
    default: '5s',
  },
  { name: 'probe-url', description: 'HTTP(S) URL that must answer 2xx after each write.' },
  { name: 'probe-headers', description: 'Headers of the probe, one name: value per line.', multiple: true },
  { name: 'probe-successes', description: 'Consecutive 2xx answers the probe needs.', default: '3' },
  {
    name: 'probe-failures',
    description:
      'Consecutive failed answers that fail the probe (and roll back) without waiting for the timeout.',
    default: '3',
  },
  {
    name: 'probe-interval',
    description: 'Pause between two probe requests (1, 1s, 2s; at most 6h).',
    default: '1s',
  },
  { name: 'prometheus-url', description: 'Prometheus with Istio standard metrics, for the canary analysis.' },
  { name: 'min-success-rate', description: 'Lowest canary success rate (non-5xx / all), 0–1, e.g. 0.99.' },
  { name: 'max-latency-ms', description: 'Highest canary p99 latency, milliseconds.' },
  {
    name: 'analysis-interval',
    description:
      'Window of one fixed-threshold analysis run, and the tick between two evaluations of the comparison with the stable (30, 30s, 2m; at most 6h).',
    default: '60s',
  },
  { name: 'analysis-runs', description: 'Analysis runs that must pass.', default: '3' },
  {
    name: 'allow-no-data',
    description: 'Count an analysis run without metrics as passed.',
    default: 'false',
    boolean: true,
    allowed: BOOLEAN_VALUES,
  },
  {
    name: 'max-error-rate-increase',
    description:
      "Compare with the stable: percentage points the canary's error rate (5xx) may exceed the stable's, e.g. 1.",
  },
  {
    name: 'max-latency-increase',
    description:
      "Compare with the stable: percent the canary's latency may exceed the stable's, e.g. 20 (judged on the share of requests above the stable's p90 bucket).",
  },
  {
    name: 'analysis-confidence',
    description: 'Confidence the comparison needs to pass or fail, 0.5–0.9999.',
    default: '0.95',
  },
  {
    name: 'analysis-max-duration',
    description: 'Bound on one comparison (30s, 5m): no decision by then is inconclusive.',
    default: '5m',
  },
  {
    name: 'on-inconclusive',
    description: 'What an inconclusive comparison (too little traffic to decide) does to the step.',
    default: 'fail',
    allowed: ['fail', 'pass'],
  },
  {
    name: 'analysis-reporter',
    description: 'Istio proxy whose metrics count: destination (sidecars) or waypoint (ambient mode).',
    default: 'destination',
    allowed: ['destination', 'waypoint'],
  },
  {
    name: 'analysis-version-label',
    description:
      'Metric label that tells the versions apart: destination_version, or destination_service_name for per-version Services (<service>-<version>).',
    default: 'destination_version',
    allowed: ['destination_version', 'destination_service_name'],
  },
  {
    name: 'rollback-on-failure',
    description: 'Restore the objects read at the start when a step fails after a write.',
    default: 'true',
    boolean: true,
    allowed: BOOLEAN_VALUES,
  },
  {
    name: 'delete-stable',
    description: 'finalize: also delete the stable Deployment(s).',
    default: 'false',
    boolean: true,
    allowed: BOOLEAN_VALUES,
  },
];

export function findOptionDefinition(name: string): OptionDefinition | undefined {
  return OPTION_DEFINITIONS.find((definition) => definition.name === name);
}
