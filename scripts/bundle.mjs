// Builds the two ncc bundles (action: dist/, CLI: dist/cli/) and, with --check, verifies that the
// committed dist/ is exactly what the current source builds to.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const entries = [
  { entry: 'src/index.ts', out: 'dist' },
  { entry: 'src/cli.ts', out: 'dist/cli' },
];
const check = process.argv.includes('--check');
const root = check ? mkdtempSync(join(tmpdir(), 'istio-canary-dist-')) : '.';

function build(entry, out) {
  execFileSync(
    process.execPath,
    [
      'node_modules/@vercel/ncc/dist/ncc/cli.js',
      'build',
      entry,
      '-o',
      out,
      '--minify',
      '--license',
      'licenses.txt',
      '--quiet',
    ],
    { stdio: 'inherit' },
  );
}

function listFiles(dir, base = dir, skip = []) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (skip.includes(path)) return [];
    return statSync(path).isDirectory() ? listFiles(path, base, skip) : [relative(base, path)];
  });
}

if (!check) rmSync('dist', { recursive: true, force: true });
for (const { entry, out } of entries) build(entry, join(root, out));

if (check) {
  const built = listFiles(join(root, 'dist')).sort();
  const committed = listFiles('dist').sort();
  const differ = [...new Set([...built, ...committed])].filter((file) => {
    const a = join(root, 'dist', file);
    const b = join('dist', file);
    return !existsSync(a) || !existsSync(b) || !readFileSync(a).equals(readFileSync(b));
  });
  rmSync(root, { recursive: true, force: true });
  if (differ.length > 0) {
    console.error(
      `dist/ is not what the source builds to (${differ.join(', ')}): run 'npm run bundle' and commit dist/.`,
    );
    process.exit(1);
  }
  console.log(`dist/ is current (${built.length} files).`);
}
