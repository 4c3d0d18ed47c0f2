// src reaches @kubernetes/client-node only through src/kube/client-node.ts, which imports the package's
// files by path so that the bundles leave out what the index would drag in. These tests keep it so: no
// other src file imports the package, the facade takes only types from the index, and every value it
// takes by path is the very class or constant the index exports (a layout change in an upgrade fails
// here, not in a user's run).
import * as index from '@kubernetes/client-node';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as facade from '../../src/kube/client-node.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FACADE = 'src/kube/client-node.ts';
const PACKAGE_IMPORT = /(?:from\s*|import\s*\(\s*|import\s+)['"]@kubernetes\/client-node(?:\/[^'"]*)?['"]/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [relative(ROOT, path)] : [];
  });
}

test('no src file but the facade imports @kubernetes/client-node', () => {
  const importing = sourceFiles(join(ROOT, 'src')).filter(
    (file) => file !== FACADE && PACKAGE_IMPORT.test(readFileSync(join(ROOT, file), 'utf8')),
  );
  expect(importing).toEqual([]);
});

test('the facade takes only types from the package index, values by path', () => {
  const text = readFileSync(join(ROOT, FACADE), 'utf8');
  const statements = text.match(/^(?:import|export)\b[^;]*?from\s*'@kubernetes\/client-node[^']*';/gms) ?? [];
  expect(statements.length).toBeGreaterThan(1);
  const fromIndex = statements.filter((statement) => statement.endsWith(`from '@kubernetes/client-node';`));
  expect(fromIndex).toHaveLength(1);
  expect(fromIndex[0]).toMatch(/^export type \{/);
  for (const statement of statements.filter((s) => !fromIndex.includes(s)))
    expect(statement).toMatch(/from '@kubernetes\/client-node\/dist\/[\w/]+\.js';$/);
});

test('every value the facade exports is the one the package index exports under that name', () => {
  const values = Object.entries(facade);
  expect(values.map(([name]) => name).sort()).toEqual([
    'ADD',
    'ApiException',
    'ApisApi',
    'AppsV1Api',
    'CoordinationV1Api',
    'CoreV1Api',
    'CustomObjectsApi',
    'DELETE',
    'ERROR',
    'KubeConfig',
    'ListWatch',
    'Observable',
    'UPDATE',
    'V1MicroTime',
    'Watch',
  ]);
  for (const [name, value] of values) {
    expect(value).toBeDefined();
    expect(value === index[name as keyof typeof index]).toBe(true);
  }
});
