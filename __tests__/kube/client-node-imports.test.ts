// src reaches @kubernetes/client-node only through src/kube/client-node.ts, so that how the package is
// loaded (which affects start-up of the bundles) is decided in one place; the declarations of the lean
// build (client-node.lean.d.ts) are the package's own types. This test keeps it so.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FACADES = ['src/kube/client-node.ts', 'src/kube/client-node.lean.d.ts'];
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
    (file) => !FACADES.includes(file) && PACKAGE_IMPORT.test(readFileSync(join(ROOT, file), 'utf8')),
  );
  expect(importing).toEqual([]);
});

test('the facade takes only types from the package itself: its values come from the lean build', () => {
  const facade = readFileSync(join(ROOT, FACADES[0]!), 'utf8');
  const valueImports = facade
    .split(/;\s*\n/)
    .filter((statement) => /^\s*(?:export|import)\s*\{/m.test(statement) && PACKAGE_IMPORT.test(statement));
  expect(valueImports).toEqual([]);
  expect(facade).toMatch(/from '\.\/client-node\.lean\.js'/);
});
