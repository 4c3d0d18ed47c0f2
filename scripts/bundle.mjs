// Builds the two ncc bundles (action: dist/, CLI: dist/cli/) and, with --check, verifies that the
// committed dist/ is exactly what the current source builds to.
//
// Start-up is most of a short step's time, so: each entry only turns on node's compile cache and then
// imports the rest, which ncc puts in chunks of their own (code imported only when a run needs it, such as
// the pull-request comment, gets chunks of its own too); every .js file ncc writes, chunks included, is then
// minified with esbuild (ncc's --minify leaves chunks as they are, and is several times slower).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, existsSync, writeFileSync } from 'node:fs';
import { transformSync } from 'esbuild';
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
      '--license',
      'licenses.txt',
      '--quiet',
    ],
    { stdio: 'inherit' },
  );
  for (const name of readdirSync(out).filter((file) => file.endsWith('.js'))) {
    const path = join(out, name);
    const { code } = transformSync(readFileSync(path, 'utf8'), {
      minify: true,
      format: 'esm',
      target: 'node24',
      legalComments: 'none', // the licences are in licenses.txt beside
    });
    writeFileSync(path, code);
  }
}

function listFiles(dir, base = dir, skip = []) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (skip.includes(path)) return [];
    return statSync(path).isDirectory() ? listFiles(path, base, skip) : [relative(base, path)];
  });
}

// ncc bundles client-node and @actions/core through their lean files: make sure they are the installed packages'.
execFileSync(process.execPath, ['scripts/lean-packages.mjs'], { stdio: 'inherit' });
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
