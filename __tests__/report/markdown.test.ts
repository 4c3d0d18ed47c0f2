import { renderMarkdown } from '../../src/report/index.js';
import { rolledBackAfterProbe, shiftedTo50 } from './results.js';

describe('renderMarkdown', () => {
  test('shows stage, service, the routing before → after and the split as a pie', () => {
    const markdown = renderMarkdown(shiftedTo50());
    expect(markdown).toContain('## istio-canary: `shift` reviews\n');
    expect(markdown).toContain(
      '| Namespace | Stable | Canary | Canary weight | Changed | Healthy |\n' +
        '| --- | --- | --- | --- | --- | --- |\n' +
        '| default | v1 | v2 | 0 → 50 | yes | ✅ yes |',
    );
    expect(markdown).toContain(
      '| Match | Before | After |\n' +
        '| --- | --- | --- |\n' +
        '| end-user=test-user | v2: 100 | v2: 100 |\n' +
        '| default | v1: 100 | v1: 50, v2: 50 |',
    );
    expect(markdown).toContain(
      '```mermaid\npie showData title Default route split\n    "v1" : 50\n    "v2" : 50\n```',
    );
  });

  test('lists each health check with its result and duration', () => {
    const markdown = renderMarkdown(rolledBackAfterProbe());
    expect(markdown).toContain('| ✅ | rollout reviews-v2 | 1.2 s | 1/1 replicas ready |');
    expect(markdown).toContain(
      '| ❌ | probe http://reviews:9080/health | 30.0 s | HTTP 503 on 3 of 3 requests |',
    );
  });

  test('says the run was rolled back and why', () => {
    const markdown = renderMarkdown(rolledBackAfterProbe());
    expect(markdown).toContain(
      '> [!WARNING]\n> Rolled back: probe http://reviews:9080/health failed: HTTP 503 on 3 of 3 requests; ' +
        'fix the canary or raise timeout. The VirtualService and DestinationRule were restored to what they ' +
        'were before this run.',
    );
    expect(markdown).toContain('| default | v1 | v2 | 0 | yes | ❌ no |');
  });

  test('puts the applied YAML in collapsed blocks and the dry-run diff in an open one', () => {
    const applied = renderMarkdown(shiftedTo50());
    expect(applied).toContain(
      '<details><summary>VirtualService (applied)</summary>\n\n```yaml\napiVersion: networking.istio.io/v1\n',
    );
    expect(applied).toContain('<details><summary>DestinationRule (applied)</summary>');
    expect(applied).toContain('<details><summary>Diff</summary>');

    const dryRun = renderMarkdown(shiftedTo50({ dryRun: true }));
    expect(dryRun).toContain('> [!NOTE]\n> Dry run: nothing was written; this is what would be applied.');
    expect(dryRun).toContain('<details><summary>VirtualService (would be applied)</summary>');
    expect(dryRun).toContain(
      '<details open><summary>Diff (dry run)</summary>\n\n```diff\n--- VirtualService default/reviews\n',
    );
  });

  test('escapes user strings so they cannot become markup or break the table', () => {
    const markdown = renderMarkdown(
      shiftedTo50({
        service: 'reviews*<img src=x>',
        after: [{ match: 'x-flag=a|b', destinations: [{ subset: 'v2', weight: 100 }] }],
        virtualServiceYaml: 'note: "```"\n',
      }),
    );
    expect(markdown).toContain('## istio-canary: `shift` reviews\\*&lt;img src=x&gt;\n');
    expect(markdown).not.toContain('<img');
    expect(markdown).toContain('| x-flag=a\\|b | — | v2: 100 |');
    expect(markdown).toContain('````yaml\nnote: "```"\n````');
  });

  test('leaves out the chart, checks and YAML a read-only status run does not have', () => {
    const result = shiftedTo50({
      stage: 'status',
      changed: false,
      checks: [],
      diff: '',
      virtualServiceYaml: '',
      destinationRuleYaml: '',
      after: [],
    });
    const markdown = renderMarkdown(result);
    expect(markdown).not.toContain('mermaid');
    expect(markdown).not.toContain('Health checks');
    expect(markdown).not.toContain('<details');
    expect(markdown).toContain('| default | v1: 100 | — |');
  });
});

describe('the routing table', () => {
  test('pairs an adopted catch-all with the route that now carries our name, and lists removed routes', () => {
    const markdown = renderMarkdown(
      shiftedTo50({
        before: [
          { match: 'x-team=qa', destinations: [{ subset: 'v3', weight: 100 }] },
          { match: 'default', destinations: [{ subset: 'v1', weight: 100 }] },
        ],
        after: [
          {
            name: 'reviews-canary-header',
            match: 'end-user=test-user',
            destinations: [{ subset: 'v2', weight: 100 }],
          },
          { name: 'reviews-primary', match: 'default', destinations: [{ subset: 'v1', weight: 100 }] },
        ],
      }),
    );
    expect(markdown).toContain(
      '| end-user=test-user | — | v2: 100 |\n| default | v1: 100 | v1: 100 |\n| x-team=qa | v3: 100 | — |',
    );
  });
});
