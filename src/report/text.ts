// The same report for a terminal: aligned plain text, a bar for the split, YAML and diff indented.
import type { StageResult } from '../types.js';
import { clusterRows, splitDrift } from './clusters.js';
import { comparisonLines, comparisonRows } from './comparison.js';
import { formatDuration } from './duration.js';
import { nothingRead, notices, objectYamls, weightChange, yamlLabel, yesNo } from './facts.js';
import { defaultSplit, routeChanges } from './routing.js';

const BAR_WIDTH = 20;
const NONE = '—';
const NOTICE_PREFIX = { note: 'Note', warning: 'Warning', failure: 'Error' } as const;

function oneLine(text: string): string {
  return text.replace(/\r?\n/g, ' ');
}

function indent(block: string): string {
  return block
    .replace(/\n$/, '')
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

/** Left-aligned columns, as wide as their widest cell. */
function columns(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, index) => Math.max(...rows.map((row) => (row[index] ?? '').length))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd(widths[index] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

function bar(weight: number): string {
  const filled = Math.round((weight / 100) * BAR_WIDTH);
  return `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}`;
}

function section(title: string, lines: string[]): string {
  return [title, ...lines.map((line) => `  ${line}`)].join('\n');
}

/** Several clusters: the table of clusters, then each cluster's own report, indented. */
function clustersText(result: StageResult): string {
  const clusters = result.clusters ?? [];
  const drift = result.stage === 'status' ? splitDrift(clusters) : undefined;
  const header = ['cluster', 'wave', 'split (before → after)', 'health', 'restored'];
  const rows = clusterRows(clusters).map((row) => [
    row.cluster,
    row.wave,
    row.split,
    oneLine(row.health),
    row.restored,
  ]);
  const parts = [
    `istio-canary ${result.stage} ${result.service} (namespace ${result.namespace}) in ${clusters.length} clusters`,
    ...(result.error ? [`Error: ${oneLine(result.error.message)}`] : []),
    ...(drift ? [`Warning: ${drift}`] : []),
    section('Clusters', columns([header, ...rows])),
    ...clusters.map(
      (cluster) =>
        `${cluster.cluster}${cluster.wave === undefined ? ' (workloads)' : ` (wave ${cluster.wave})`}\n${indent(renderText(cluster.result))}`,
    ),
  ];
  return `${parts.join('\n\n')}\n`;
}

export function renderText(result: StageResult): string {
  if (result.clusters) return clustersText(result);
  const title = `istio-canary ${result.stage} ${result.service} (namespace ${result.namespace})`;
  const alerts = notices(result).map((notice) =>
    // The failure's own words after `Error:` (the notice's `Failed:` lead is for the summary's alert box).
    notice.level === 'failure' && result.error
      ? `${NOTICE_PREFIX.failure}: ${oneLine(result.error.message)}`
      : `${NOTICE_PREFIX[notice.level]}: ${oneLine(notice.text)}`,
  );
  if (nothingRead(result)) return `${[title, ...alerts].join('\n\n')}\n`;
  const overview = [
    title,
    `  stable ${result.stable}, canary ${result.canary}, canary weight ${weightChange(result)}, ` +
      `changed: ${yesNo(result.changed)}, healthy: ${yesNo(result.healthy)}`,
  ].join('\n');
  const routing = section(
    'Routing (before → after)',
    columns(
      routeChanges(result.before, result.after).map((change) => [
        oneLine(change.match),
        change.before ?? NONE,
        '→',
        change.after ?? NONE,
      ]),
    ),
  );
  const slices = defaultSplit(result.after);
  const split = slices.length
    ? section(
        'Split (default route)',
        columns(slices.map(({ subset, weight }) => [subset, bar(weight), `${weight}%`])),
      )
    : undefined;
  const checks = result.checks.length
    ? section(
        'Health checks',
        columns(
          result.checks.map((check) => [
            check.ok ? '✓' : '✗',
            oneLine(check.name),
            formatDuration(check.durationMs),
            oneLine(check.detail),
          ]),
        ),
      )
    : undefined;
  const comparisons = result.checks.flatMap(({ name, comparison }) =>
    comparison
      ? [
          section(`${oneLine(name)}: ${comparison.canary} against ${comparison.stable}`, [
            ...comparisonLines(comparison),
            ...columns(comparisonRows(comparison)),
            'PromQL used:',
            ...comparison.queries.map((query) => `  ${query}`),
          ]),
        ]
      : [],
  );
  const label = yamlLabel(result);
  const yaml = objectYamls(result).map(({ kind, yaml }) => `${kind} (${label})\n${indent(yaml)}`);
  const diff = result.diff.trim() ? `Diff\n${indent(result.diff)}` : undefined;
  const parts = [overview, ...alerts, routing, split, checks, ...comparisons, ...yaml, diff];
  return `${parts.filter((part) => part !== undefined).join('\n\n')}\n`;
}
