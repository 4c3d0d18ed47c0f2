// Raw option strings (action inputs or CLI flags, keyed by input name) → typed, validated options.
import { InputError } from '../errors.js';
import type { HeaderMatch, StageOptions } from '../plan/types.js';
import {
  checkHeaderMatch,
  checkIntegerRange,
  checkStage,
  HEADER_MATCH_KINDS,
  invalid,
  validateStageOptions,
  WEIGHT_RULE,
} from '../plan/validate.js';
import { validateGatewayApiOptions } from '../plan/gateway-api/validate.js';
import { DEFAULT_VERSION_SERVICE } from '../plan/gateway-api/version-service.js';
import { checkRoutingApi } from '../plan/routing-api.js';
import type { AnalysisOptions, ProbeOptions, RunOptions } from '../types.js';
import { checkClusterCombination, parseClusterWaves, parseContextList } from './clusters.js';
import { findOptionDefinition, OPTION_DEFINITIONS } from './definitions.js';

export type RawOptions = Record<string, string | undefined>;

const DURATION_RULE = 'a duration like 30, 30s, 2m or 1h';
/**
 * No wait of a run can outlast the job that runs it: 6 hours on GitHub-hosted runners. Beyond, a value is a
 * typo (600h for 600s), and Node would clamp a timer over 24.8 days to 1 ms, failing at once.
 */
export const MAX_WAIT_SECONDS = 6 * 3600;
const WAIT_RULE = `${DURATION_RULE}, at most 6h (a GitHub-hosted job's limit)`;
const HEADER_MATCH_RULE = 'lines of name=value, name: exact:value, name: prefix:value or name: regex:value';

/** Parses the options the planner needs; the others are only checked for unknown names. */
export function parseStageOptions(raw: RawOptions): StageOptions {
  const options = new OptionReader(raw);
  const stageValue = options.string('stage');
  if (stageValue === undefined)
    throw new InputError(
      'stage',
      'stage is required: one of route, shift, promote, rollback, finalize, progressive, status',
    );
  const stage = checkStage(stageValue);
  const service = options.required('service', stage);
  const sticky = options.string('sticky-cookie');
  const [stickyCookie, stickyTtl] = sticky === undefined ? [undefined, undefined] : splitStickyCookie(sticky);
  const routingApi = checkRoutingApi(options.withDefault('routing-api') ?? 'auto');
  const versionService = options.withDefault('version-service') ?? DEFAULT_VERSION_SERVICE;
  // Absent when empty: every VirtualService with a route to the host.
  const names = options.list('virtual-services');
  const virtualServices = names.length > 0 ? { virtualServices: names } : {};
  const parsed = validateStageOptions({
    stage,
    service,
    namespace: options.string('namespace') ?? 'default',
    host: options.string('host') ?? service,
    stable: options.required('stable', stage),
    canary: options.required('canary', stage),
    weight: options.integer('weight', 0, 100),
    headerMatch: options.lines('header-match').map(parseHeaderMatch),
    uriPrefix: options.string('uri-prefix'),
    method: options.string('method'),
    versionLabel: options.string('version-label') ?? 'version',
    gateways: options.list('gateways'),
    mirrorPercent: options.number('mirror-percent', 'a number 0–100'),
    stickyCookie,
    stickyCookieTtlSeconds: stickyTtl,
    steps: options.steps('steps'),
    routingApi,
    versionService,
    ...virtualServices,
  });
  // With auto the API is known only once the cluster is read: the Gateway API planner checks again then.
  if (routingApi === 'gateway-api') validateGatewayApiOptions({ ...parsed, versionService });
  return parsed;
}

/** Parses and validates every option of a run: the single source of truth for action inputs and CLI flags. */
export function parseRunOptions(raw: RawOptions): RunOptions {
  const stageOptions = parseStageOptions(raw);
  const options = new OptionReader(raw);
  const clustersText = options.string('clusters');
  const clusters = clustersText === undefined ? undefined : parseClusterWaves(clustersText);
  const workloadText = options.string('workload-clusters');
  const workloadClusters =
    workloadText === undefined ? undefined : parseContextList('workload-clusters', workloadText);
  checkClusterCombination(clusters, workloadClusters, options.string('context'));
  return {
    ...stageOptions,
    kubeconfig: options.string('kubeconfig'),
    context: options.string('context'),
    ...(clusters ? { clusters } : {}),
    ...(workloadClusters ? { workloadClusters } : {}),
    dryRun: options.boolean('dry-run'),
    timeoutSeconds: options.duration('timeout'),
    settleSeconds: options.duration('settle'),
    intervalSeconds: options.duration('interval'),
    probe: parseProbe(options),
    analysis: parseAnalysis(options),
    rollbackOnFailure: options.boolean('rollback-on-failure'),
    deleteStable: options.boolean('delete-stable'),
  };
}

/** `name=value` (exact) or `name: kind:value`. */
export function parseHeaderMatch(line: string): HeaderMatch {
  const typed = /^([^\s:=]+)\s*:\s*([a-z]+):(.*)$/.exec(line);
  if (typed && HEADER_MATCH_KINDS.some((kind) => kind === typed[2])) {
    const kind = HEADER_MATCH_KINDS.find((known) => known === typed[2]) ?? 'exact';
    return checkHeaderMatch('header-match', { name: typed[1] ?? '', kind, value: (typed[3] ?? '').trim() });
  }
  const exact = /^([^\s:=]+)\s*=(.*)$/.exec(line);
  if (!exact) invalid('header-match', HEADER_MATCH_RULE, line);
  return checkHeaderMatch('header-match', {
    name: exact[1] ?? '',
    kind: 'exact',
    value: (exact[2] ?? '').trim(),
  });
}

/** `30`, `30s`, `2m`, `1h`, `1m30s` → seconds. */
export function parseDuration(field: string, value: string): number {
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?$/.exec(value);
  if (!match || value === '' || value === 's') invalid(field, DURATION_RULE, value);
  const [hours, minutes, seconds] = [match[1], match[2], match[3]].map((part) => Number(part ?? 0));
  return (hours ?? 0) * 3600 + (minutes ?? 0) * 60 + (seconds ?? 0);
}

function splitStickyCookie(value: string): [string, number | undefined] {
  const separator = value.indexOf(':');
  if (separator < 0) return [value, undefined];
  return [value.slice(0, separator), parseDuration('sticky-cookie ttl', value.slice(separator + 1))];
}

function parseProbe(options: OptionReader): ProbeOptions | undefined {
  const url = options.url('probe-url');
  const headerLines = options.lines('probe-headers');
  const successes = options.integer('probe-successes', 1, 1000) ?? 3;
  const failures = options.integer('probe-failures', 1, 1000) ?? 3;
  const intervalSeconds = options.duration('probe-interval');
  if (url === undefined) {
    if (headerLines.length > 0)
      throw new InputError('probe-headers', 'probe-headers needs probe-url: add probe-url');
    return undefined;
  }
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const header = /^([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s*:\s*(.*)$/.exec(line);
    if (!header) invalid('probe-headers', 'lines of name: value', line);
    headers[header[1] ?? ''] = (header[2] ?? '').trim();
  }
  return { url, headers, successes, failures, intervalSeconds };
}

function parseAnalysis(options: OptionReader): AnalysisOptions | undefined {
  const prometheusUrl = options.url('prometheus-url');
  const minSuccessRate = options.number('min-success-rate', 'a number 0–1, like 0.99', 0, 1);
  const maxLatencyMs = options.number(
    'max-latency-ms',
    'a positive number of milliseconds',
    Number.MIN_VALUE,
    Infinity,
  );
  const intervalSeconds = options.duration('analysis-interval');
  const runs = options.integer('analysis-runs', 1, 1000) ?? 3;
  const allowNoData = options.boolean('allow-no-data');
  const comparison = parseComparison(options);
  const bounds = { 'min-success-rate': minSuccessRate, 'max-latency-ms': maxLatencyMs, ...comparison.bounds };
  if (prometheusUrl === undefined) {
    const orphan = Object.entries(bounds).find(([, value]) => value !== undefined)?.[0];
    if (orphan) throw new InputError(orphan, `${orphan} needs prometheus-url: add prometheus-url`);
    return undefined;
  }
  if (Object.values(bounds).every((value) => value === undefined)) {
    throw new InputError(
      'prometheus-url',
      'prometheus-url needs min-success-rate, max-latency-ms, max-error-rate-increase or max-latency-increase: add at least one',
    );
  }
  return {
    prometheusUrl,
    minSuccessRate,
    maxLatencyMs,
    intervalSeconds,
    runs,
    allowNoData,
    reporter: options.oneOf('analysis-reporter', ['destination', 'waypoint'] as const),
    versionLabel: options.oneOf('analysis-version-label', [
      'destination_version',
      'destination_service_name',
    ] as const),
    ...(comparison.options ? { comparison: comparison.options } : {}),
  };
}

/** The comparison with the stable: on when either allowed increase is given. */
function parseComparison(options: OptionReader) {
  const maxErrorRateIncrease = options.number(
    'max-error-rate-increase',
    'percentage points 0–99, like 1',
    0,
    99,
  );
  const maxLatencyIncrease = options.number('max-latency-increase', 'a percent 0–1000, like 20', 0, 1000);
  const confidence =
    options.number('analysis-confidence', 'a number 0.5–0.9999, like 0.95', 0.5, 0.9999) ?? 0.95;
  const maxDurationSeconds = options.duration('analysis-max-duration');
  const onInconclusive = options.oneOf('on-inconclusive', ['fail', 'pass'] as const);
  const bounds = {
    'max-error-rate-increase': maxErrorRateIncrease,
    'max-latency-increase': maxLatencyIncrease,
  };
  if (maxErrorRateIncrease === undefined && maxLatencyIncrease === undefined) return { bounds };
  if (maxDurationSeconds < 1)
    invalid('analysis-max-duration', 'at least 1s, like 5m', options.string('analysis-max-duration'));
  return {
    bounds,
    options: { maxErrorRateIncrease, maxLatencyIncrease, confidence, maxDurationSeconds, onInconclusive },
  };
}

/** Reads raw strings by input name; empty means absent (the action gives '' for an unset input). */
class OptionReader {
  constructor(private readonly raw: RawOptions) {
    for (const name of Object.keys(raw)) {
      if (!findOptionDefinition(name)) {
        throw new InputError(
          name,
          `unknown option "${name}": known options are ${OPTION_DEFINITIONS.map((d) => d.name).join(', ')}`,
        );
      }
    }
  }

  string(name: string): string | undefined {
    const value = this.raw[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  /** The value, or the table's default. */
  withDefault(name: string): string | undefined {
    return this.string(name) ?? findOptionDefinition(name)?.default;
  }

  required(name: string, stage: string): string {
    const value = this.string(name);
    if (value === undefined) throw new InputError(name, `${name} is required for stage ${stage}`);
    return value;
  }

  lines(name: string): string[] {
    return (this.string(name) ?? '')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '');
  }

  list(name: string): string[] {
    return this.lines(name).flatMap((line) =>
      line
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== ''),
    );
  }

  integer(name: string, min: number, max: number): number | undefined {
    const value = this.withDefault(name);
    if (value === undefined) return undefined;
    if (!/^-?\d+$/.test(value))
      invalid(name, name === 'weight' ? WEIGHT_RULE : `an integer ${min}–${max}`, value);
    return checkIntegerRange(name, Number(value), min, max);
  }

  number(name: string, rule: string, min = 0, max = 100): number | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    const parsed = Number(value);
    if (!/^\d+(\.\d+)?$/.test(value) || parsed < min || parsed > max) invalid(name, rule, value);
    return parsed;
  }

  steps(name: string): number[] | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    const items = value.split(/[,\n]/).map((item) => item.trim());
    if (items.some((item) => !/^\d+$/.test(item)))
      invalid(name, 'increasing integers 1–100 separated by commas, like 10,25,50,100', value);
    return items.map(Number);
  }

  /** One of a closed list (the table's `allowed`), else the table's default. */
  oneOf<T extends string>(name: string, allowed: readonly T[]): T {
    const value = this.withDefault(name);
    const found = allowed.find((candidate) => candidate === value);
    if (found === undefined) invalid(name, `one of ${allowed.join(', ')}`, value);
    return found;
  }

  /** A wait of the run: bounded by MAX_WAIT_SECONDS. */
  duration(name: string): number {
    const value = this.withDefault(name) ?? '0';
    const seconds = parseDuration(name, value);
    if (seconds > MAX_WAIT_SECONDS) invalid(name, WAIT_RULE, value);
    return seconds;
  }

  /** YAML 1.2 core booleans, as the action toolkit's getBooleanInput takes them. */
  boolean(name: string): boolean {
    const value = this.withDefault(name) ?? 'false';
    if (['true', 'True', 'TRUE'].includes(value)) return true;
    if (['false', 'False', 'FALSE'].includes(value)) return false;
    return invalid(name, 'true or false', value);
  }

  url(name: string): string | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol))
      invalid(name, 'an http(s) URL', value);
    return value;
  }
}
