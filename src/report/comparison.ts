// The comparison with the stable, for people: per tick the canary's and the stable's error rate and
// slow share (a mermaid xychart-beta line chart in the summary, a table in both), the decision with its
// confidence, the interval every figure covers, and the PromQL used.
import type { ComparisonReport, ComparisonTick, VersionFigures } from '../types.js';
import { codeBlock, escapeHtml, escapeMarkdown } from './escape.js';

function percentOf(part: number | undefined, whole: number): number | undefined {
  return whole > 0 && part !== undefined ? (100 * part) / whole : undefined;
}

function percentText(value: number | undefined): string {
  return value === undefined ? '—' : `${Number(value.toFixed(3))}%`;
}

function confidenceText(confidence: number): string {
  return `${Number((confidence * 100).toFixed(2))}%`;
}

interface Series {
  title: string;
  axis: string;
  of: (figures: VersionFigures) => number | undefined;
}

function seriesOf(report: ComparisonReport): Series[] {
  const series: Series[] = [];
  if (report.maxErrorRateIncrease !== undefined)
    series.push({ title: 'Error rate', axis: 'errors (%)', of: (f) => percentOf(f.errors, f.requests) });
  if (report.latency) {
    const bound = report.latency.boundMs;
    series.push({
      title: `Share of requests slower than ${bound} ms`,
      axis: `above ${bound} ms (%)`,
      of: (f) => percentOf(f.slow, f.requests),
    });
  }
  return series;
}

/** The sentences both renderings start with. */
export function comparisonLines(report: ComparisonReport): string[] {
  const allowed = [];
  if (report.maxErrorRateIncrease !== undefined)
    allowed.push(`error rate +${report.maxErrorRateIncrease} points`);
  if (report.maxLatencyIncrease !== undefined && report.latency) {
    const { boundMs, stableShareAbove, allowedShareAbove } = report.latency;
    allowed.push(
      `latency +${report.maxLatencyIncrease}% (share above ${boundMs} ms, the stable's p90 bucket: ` +
        `${percentText(100 * stableShareAbove)} before the write, up to ${percentText(100 * allowedShareAbove)} allowed)`,
    );
  }
  const first = report.ticks[0];
  const lines = [
    `Decision: ${report.decision} (confidence ${confidenceText(report.confidence)}); allowed: ${allowed.join(', ')}.`,
  ];
  if (first)
    lines.push(
      `Every figure counts the requests from the write (${first.from}) to its tick; the last tick is ` +
        `${report.ticks[report.ticks.length - 1]!.to}.`,
    );
  if (report.latency)
    lines.push(
      `The latency bound comes from the stable's histogram from ${report.latency.from} to ${report.latency.to} (before the write).`,
    );
  return lines;
}

/** The per-tick table: header and rows of plain strings. */
export function comparisonRows(report: ComparisonReport): string[][] {
  const series = seriesOf(report);
  const header = [
    'after write',
    'canary requests',
    'stable requests',
    ...series.flatMap((s) => [`canary ${s.axis}`, `stable ${s.axis}`]),
    'verdict',
    'confidence',
  ];
  const rows = report.ticks.map((tick: ComparisonTick) => [
    `${tick.seconds}s`,
    String(tick.canary.requests),
    String(tick.stable.requests),
    ...series.flatMap((s) => [percentText(s.of(tick.canary)), percentText(s.of(tick.stable))]),
    tick.verdict === 'continue' ? '…' : tick.verdict,
    confidenceText(tick.confidence),
  ]);
  return [header, ...rows];
}

/** Mermaid chart titles are quoted: keep out what would end the quote or the line. */
function chartText(text: string): string {
  return text.replace(/["\\\r\n]/g, '');
}

function chart(report: ComparisonReport, series: Series): string {
  const x = report.ticks.map((tick) => tick.seconds);
  const values = (version: 'stable' | 'canary') =>
    report.ticks.map((tick) => Number((series.of(tick[version]) ?? 0).toFixed(3)));
  const all = [...values('stable'), ...values('canary')];
  const top = Math.max(1, ...all) * 1.1;
  return codeBlock(
    [
      'xychart-beta',
      `  title "${chartText(`${series.title}: stable ${report.stable} (first line), canary ${report.canary} (second)`)}"`,
      `  x-axis "seconds after the write" [${x.join(', ')}]`,
      `  y-axis "${chartText(series.axis)}" 0 --> ${Number(top.toFixed(3))}`,
      `  line [${values('stable').join(', ')}]`,
      `  line [${values('canary').join(', ')}]`,
    ].join('\n'),
    'mermaid',
  );
}

export function comparisonMarkdown(report: ComparisonReport, checkName: string): string {
  const [header, ...rows] = comparisonRows(report);
  const line = (cells: string[]) => `| ${cells.map(escapeMarkdown).join(' | ')} |`;
  const table = [line(header!), line(header!.map(() => '---')), ...rows.map(line)].join('\n');
  const queries = `<details><summary>PromQL used</summary>\n\n${codeBlock(report.queries.join('\n'), 'promql')}\n\n</details>`;
  return [
    `### ${escapeMarkdown(checkName)}: ${escapeMarkdown(report.canary)} against ${escapeMarkdown(report.stable)}`,
    comparisonLines(report).map(escapeMarkdown).join('\n'),
    ...seriesOf(report).map((series) => chart(report, series)),
    `<details><summary>${escapeHtml(`Per tick (${report.ticks.length})`)}</summary>\n\n${table}\n\n</details>`,
    queries,
  ].join('\n\n');
}
