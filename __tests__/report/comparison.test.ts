// The comparison with the stable as the summary and the terminal show it: exact output for a small report.
import { renderMarkdown, renderText } from '../../src/report/index.js';
import type { ComparisonReport } from '../../src/types.js';
import { shiftedTo50 } from './results.js';

const report: ComparisonReport = {
  decision: 'fail',
  confidence: 0.9931,
  stable: 'v1',
  canary: 'v2',
  maxErrorRateIncrease: 1,
  maxLatencyIncrease: 20,
  latency: {
    boundMs: 100,
    stableShareAbove: 0.08,
    allowedShareAbove: 0.22,
    from: '2026-11-30T11:50:00.000Z',
    to: '2026-11-30T12:00:00.000Z',
  },
  ticks: [
    {
      seconds: 10,
      from: '2026-11-30T12:00:00.000Z',
      to: '2026-11-30T12:00:10.000Z',
      canary: { requests: 100, errors: 4, slow: 9 },
      stable: { requests: 900, errors: 1, slow: 70 },
      verdict: 'continue',
      confidence: 0.42,
    },
    {
      seconds: 20,
      from: '2026-11-30T12:00:00.000Z',
      to: '2026-11-30T12:00:20.000Z',
      canary: { requests: 200, errors: 11, slow: 17 },
      stable: { requests: 1800, errors: 2, slow: 150 },
      verdict: 'fail',
      confidence: 0.9931,
    },
  ],
  queries: [
    'sum by (le) (increase(a[600000ms] @ 1.000))',
    'sum by (destination_version) (increase(b[20000ms] @ 2.000))',
  ],
};

const result = () =>
  shiftedTo50({
    checks: [
      {
        name: 'comparison reviews v2 vs v1',
        ok: false,
        durationMs: 20_000,
        detail: 'worse',
        comparison: report,
      },
    ],
  });

describe('the comparison in the job summary', () => {
  test('decision, what is allowed and the interval each figure covers', () => {
    expect(renderMarkdown(result())).toContain(
      '### comparison reviews v2 vs v1: v2 against v1\n\n' +
        'Decision: fail (confidence 99.31%); allowed: error rate +1 points, latency +20% (share above 100 ms, ' +
        'the stable&#39;s p90 bucket: 8% before the write, up to 22% allowed).\n' +
        'Every figure counts the requests from the write (2026-11-30T12:00:00.000Z) to its tick; the last tick is 2026-11-30T12:00:20.000Z.\n' +
        "The latency bound comes from the stable's histogram from 2026-11-30T11:50:00.000Z to 2026-11-30T12:00:00.000Z (before the write).".replace(
          "'",
          '&#39;',
        ),
    );
  });

  test('a mermaid xychart-beta line chart per metric, stable first, canary second', () => {
    const markdown = renderMarkdown(result());
    expect(markdown).toContain(
      '```mermaid\nxychart-beta\n' +
        '  title "Error rate: stable v1 (first line), canary v2 (second)"\n' +
        '  x-axis "seconds after the write" [10, 20]\n' +
        '  y-axis "errors (%)" 0 --> 6.05\n' +
        '  line [0.111, 0.111]\n' +
        '  line [4, 5.5]\n```',
    );
    expect(markdown).toContain(
      '  title "Share of requests slower than 100 ms: stable v1 (first line), canary v2 (second)"\n' +
        '  x-axis "seconds after the write" [10, 20]\n' +
        '  y-axis "above 100 ms (%)" 0 --> 9.9\n' +
        '  line [7.778, 8.333]\n' +
        '  line [9, 8.5]\n```',
    );
  });

  test('the per-tick table and the PromQL used, in collapsed blocks', () => {
    const markdown = renderMarkdown(result());
    expect(markdown).toContain(
      '<details><summary>Per tick (2)</summary>\n\n' +
        '| after write | canary requests | stable requests | canary errors (%) | stable errors (%) | canary above 100 ms (%) | stable above 100 ms (%) | verdict | confidence |\n' +
        '| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n' +
        '| 10s | 100 | 900 | 4% | 0.111% | 9% | 7.778% | … | 42% |\n' +
        '| 20s | 200 | 1800 | 5.5% | 0.111% | 8.5% | 8.333% | fail | 99.31% |\n\n</details>',
    );
    expect(markdown).toContain(
      '<details><summary>PromQL used</summary>\n\n```promql\n' +
        report.queries.join('\n') +
        '\n```\n\n</details>',
    );
  });

  test('the terminal shows the same as text', () => {
    const text = renderText(result());
    expect(text).toContain(
      'comparison reviews v2 vs v1: v2 against v1\n  Decision: fail (confidence 99.31%)',
    );
    expect(text).toContain('  10s          100              900              4%                 0.111%');
    expect(text).toContain('  PromQL used:\n    sum by (le) (increase(a[600000ms] @ 1.000))');
  });
});
