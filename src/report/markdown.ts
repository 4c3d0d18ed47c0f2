// The job summary: GitHub-flavoured markdown for core.summary (also fine for any markdown viewer).
import type { HealthCheckResult, StageResult } from '../types.js';
import { clusterRows, splitDrift } from './clusters.js';
import { formatDuration } from './duration.js';
import { comparisonMarkdown } from './comparison.js';
import { codeBlock, escapeHtml, escapeMarkdown, inlineCode } from './escape.js';
import { nothingRead, notices, objectYamls, weightChange, yamlLabel, yesNo, type Notice } from './facts.js';
import { fitRows, kibibytes, utf8Bytes } from './bound.js';
import { defaultSplit, routeChanges } from './routing.js';

const ALERT: Record<Notice['level'], string> = { note: 'NOTE', warning: 'WARNING', failure: 'CAUTION' };
const NONE = '—';

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function overview(result: StageResult): string {
  return table(
    ['Namespace', 'Stable', 'Canary', 'Canary weight', 'Changed', 'Healthy'],
    [
      [
        escapeMarkdown(result.namespace),
        escapeMarkdown(result.stable),
        escapeMarkdown(result.canary),
        weightChange(result),
        yesNo(result.changed),
        result.healthy ? '✅ yes' : '❌ no',
      ],
    ],
  );
}

function alert(notice: Notice): string {
  return `> [!${ALERT[notice.level]}]\n> ${escapeMarkdown(notice.text)}`;
}

/** The routing table with its first `rows.length` changes; `omitted` more are named in a last row. */
function routing(rows: string[][], omitted: number): string {
  const more = omitted > 0 ? [[`… ${omitted} more routes not shown (job summary size limit)`, '', '']] : [];
  return `### Routing (before → after)\n\n${table(['Match', 'Before', 'After'], [...rows, ...more])}`;
}

function routingRows(result: StageResult): string[][] {
  return routeChanges(result.before, result.after).map((change) => [
    escapeMarkdown(change.match),
    escapeMarkdown(change.before ?? NONE),
    escapeMarkdown(change.after ?? NONE),
  ]);
}

/** Mermaid labels are quoted strings: keep them to characters that cannot end the quote or the line. */
function mermaidLabel(text: string): string {
  return text.replace(/["\\\r\n]/g, '');
}

function splitChart(result: StageResult): string | undefined {
  const slices = defaultSplit(result.after);
  if (slices.length === 0) return undefined;
  const lines = slices.map(({ subset, weight }) => `    "${mermaidLabel(subset)}" : ${weight}`);
  return codeBlock(['pie showData title Default route split', ...lines].join('\n'), 'mermaid');
}

function checkRow(check: HealthCheckResult): string[] {
  return [
    check.ok ? '✅' : '❌',
    escapeMarkdown(check.name),
    formatDuration(check.durationMs),
    escapeMarkdown(check.detail),
  ];
}

function healthChecks(result: StageResult): string | undefined {
  if (result.checks.length === 0) return undefined;
  return `### Health checks\n\n${table(['', 'Check', 'Duration', 'Detail'], result.checks.map(checkRow))}`;
}

function details(summary: string, body: string, open = false): string {
  return `<details${open ? ' open' : ''}><summary>${escapeHtml(summary)}</summary>\n\n${body}\n\n</details>`;
}

function appliedYaml(result: StageResult): string[] {
  const label = yamlLabel(result);
  return objectYamls(result).map(({ kind, yaml }) => details(`${kind} (${label})`, codeBlock(yaml, 'yaml')));
}

function diff(result: StageResult): string | undefined {
  if (result.diff.trim() === '') return undefined;
  return details(result.dryRun ? 'Diff (dry run)' : 'Diff', codeBlock(result.diff, 'diff'), result.dryRun);
}

/** The runner refuses a job summary over 1 MiB (1024 × 1024 bytes) and shows none at all. */
export const SUMMARY_LIMIT_BYTES = 1024 * 1024;

function heading(result: StageResult): string {
  return `## istio-canary: ${inlineCode(result.stage)} ${escapeMarkdown(result.service)}`;
}

/**
 * Everything a report says about one cluster, below its heading. `routingTable` and `objects` are given
 * when the whole does not fit the summary limit (a cut table, a note instead of the YAML and diff).
 */
function body(
  result: StageResult,
  routingTable = routing(routingRows(result), 0),
  objects: (string | undefined)[] = [...appliedYaml(result), diff(result)],
): (string | undefined)[] {
  // Nothing read: the error alone, nothing that looks like a result.
  if (nothingRead(result)) return notices(result).map(alert);
  return [
    overview(result),
    ...notices(result).map(alert),
    routingTable,
    splitChart(result),
    healthChecks(result),
    ...result.checks.flatMap((check) =>
      check.comparison ? [comparisonMarkdown(check.comparison, check.name)] : [],
    ),
    ...objects,
  ];
}

function join(sections: (string | undefined)[]): string {
  return `${sections.filter((section) => section !== undefined).join('\n\n')}\n`;
}

/** Several clusters: one table, a row per cluster, then each cluster's own report collapsed. */
function clustersReport(result: StageResult): string {
  const clusters = result.clusters ?? [];
  const rows = clusterRows(clusters).map((row) => [
    escapeMarkdown(row.cluster),
    row.wave,
    escapeMarkdown(row.split),
    `${row.health === 'healthy' || row.health === 'read' ? '✅' : '❌'} ${escapeMarkdown(row.health)}`,
    row.restored,
  ]);
  const drift = result.stage === 'status' ? splitDrift(clusters) : undefined;
  const perCluster = clusters.map((cluster) =>
    details(
      `${cluster.cluster}${cluster.wave === undefined ? ' (workloads)' : ` (wave ${cluster.wave})`}`,
      join(body(cluster.result)),
    ),
  );
  return join([
    `${heading(result)} in ${clusters.length} clusters`,
    ...(result.error ? [alert({ level: 'failure', text: `Failed: ${result.error.message}` })] : []),
    ...(drift ? [alert({ level: 'warning', text: drift })] : []),
    table(['Cluster', 'Wave', 'Split (before → after)', 'Health', 'Restored'], rows),
    ...perCluster,
  ]);
}

/**
 * The job summary, at most `limitBytes` long: when the whole does not fit, the applied YAML and the diff are
 * left out (the step's outputs carry the YAML) and, if still needed, the routing table is cut; a note says so.
 */
export function renderMarkdown(result: StageResult, limitBytes = SUMMARY_LIMIT_BYTES): string {
  if (result.clusters) return clustersReport(result);
  const whole = join([heading(result), ...body(result)]);
  if (utf8Bytes(whole) <= limitBytes) return whole;
  const objects = [...appliedYaml(result), diff(result)].filter((part) => part !== undefined);
  const left = alert({
    level: 'note',
    text: `The applied YAML and the diff (${kibibytes(utf8Bytes(objects.join('\n\n')))}) are left out: a job summary holds at most 1 MiB. The step's outputs virtual-service and destination-rule carry the YAML.`,
  });
  return fitRows(
    routingRows(result),
    (shown, omitted) => join([heading(result), ...body(result, routing([...shown], omitted), [left])]),
    (text) => utf8Bytes(text) <= limitBytes,
  );
}

/** The summary of a step stopped by a bad input: the error and the input to fix; nothing was read or written. */
export function renderInputError(message: string, input: string): string {
  const fix = input
    ? `Fix the input ${inlineCode(input)} of the step; nothing was read from or written to the cluster.`
    : 'Fix the inputs of the step; nothing was read from or written to the cluster.';
  return `${['## istio-canary: invalid input', alert({ level: 'failure', text: message }), fix].join('\n\n')}\n`;
}
