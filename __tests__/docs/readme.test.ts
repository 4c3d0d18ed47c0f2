// The README's promises checked: its generated sections match action.yml and the planner, and it opens with
// the two commands a newcomer runs.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { generatedSections, renderReadme } from '../../scripts/readme.js';

const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');

describe('README.md', () => {
  it('has the inputs, outputs and stage YAML as action.yml and the planner give them (npm run readme)', () => {
    expect(renderReadme(readme)).toBe(readme);
  });

  it('lists every input and output of action.yml', () => {
    const sections = generatedSections();
    for (const name of ['stage', 'header-match', 'kubeconfig', 'rollback-on-failure', 'github-token']) {
      expect(sections.inputs).toContain(`| \`${name}\` |`);
    }
    expect(sections.outputs).toContain('| `rolled-back` |');
  });

  it('walks Bookinfo on Gateway API through every stage, version Services created and deleted', () => {
    const { httproutes = '', versionservices = '' } = generatedSections();
    expect([...httproutes.matchAll(/^#### `([a-z]+)`/gm)].map((found) => found[1])).toEqual([
      'route',
      'shift',
      'promote',
      'finalize',
    ]);
    expect(httproutes).toContain('--routing-api gateway-api');
    expect(versionservices).toContain(
      '| `route --header-match end-user=test-user` | create Service reviews-v1, create Service reviews-v2, update HTTPRoute reviews |',
    );
    expect(versionservices).toContain('| `finalize` | update HTTPRoute reviews, delete Service reviews-v1 |');
    expect(readme).toContain('### Bookinfo on Gateway API (HTTPRoute)');
  });

  it('starts with the two commands: the main job on an embedded default, and every test', () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(
      firstBlock
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => line.split('#')[0]?.trim()),
    ).toEqual(['npm ci && npm start', 'npm ci && npm test']);
  });

  it("names every file under src/ in its folder's entry of the Development layout", () => {
    const layout = readme.slice(
      readme.indexOf('- Layout'),
      readme.indexOf('\n## ', readme.indexOf('- Layout')),
    );
    // Each entry: `  - \`src/<folder>/\`: …` up to the next entry.
    const entries = new Map(
      layout
        .split(/\n {2}- (?=`src\/)/)
        .slice(1)
        .map((entry) => [/^`(src\/[^`]*)`/.exec(entry)?.[1] ?? '', entry]),
    );
    const src = join(import.meta.dirname, '..', '..', 'src');
    const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((file) =>
      file.endsWith('.ts'),
    );
    const missing = files.filter((file) => {
      const folder = `src/${dirname(file) === '.' ? '' : `${dirname(file)}/`}`;
      return !entries.get(folder)?.includes(`\`${basename(file)}\``);
    });
    expect(missing).toEqual([]);
    expect(files.length).toBeGreaterThan(100);
  });
});
