// Writes action.yml from src/action/action-yml.ts (itself built on the option table), or with --check
// verifies the committed file is what the table gives. Runs the TypeScript sources through tsc's transpiler.
import { registerHooks } from 'node:module';
import ts from 'typescript';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import * as prettier from 'prettier';

// The sources import each other as `./x.js` (NodeNext): point those at the `.ts` files and transpile them
// (Node's own type stripping rejects parameter properties).
registerHooks({
  resolve(specifier, context, next) {
    if (specifier.startsWith('.') && specifier.endsWith('.js') && context.parentURL) {
      const source = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL);
      if (existsSync(fileURLToPath(source))) return next(source.href, context);
    }
    return next(specifier, context);
  },
  load(url, context, next) {
    if (!url.startsWith('file:') || !url.endsWith('.ts')) return next(url, context);
    const { outputText } = ts.transpileModule(readFileSync(fileURLToPath(url), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2023 },
      fileName: fileURLToPath(url),
    });
    return { format: 'module', source: outputText, shortCircuit: true };
  },
});

const { actionMetadata } = await import('../src/action/action-yml.ts');
const header =
  '# Generated from the option table by `node scripts/action-yml.mjs`: edit src/options/definitions.ts.\n';
const text = await prettier.format(header + stringify(actionMetadata(), { lineWidth: 0 }), {
  ...(await prettier.resolveConfig('action.yml')),
  parser: 'yaml',
});

if (process.argv.includes('--check')) {
  if (readFileSync('action.yml', 'utf8') !== text) {
    console.error(
      "action.yml is not what the option table gives: run 'node scripts/action-yml.mjs' and commit it.",
    );
    process.exit(1);
  }
  console.log('action.yml matches the option table.');
} else {
  writeFileSync('action.yml', text);
  console.log('action.yml written.');
}
