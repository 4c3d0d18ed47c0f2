// Builds the lean files: the parts of a dependency the project uses, as one ESM file each, with everything
// else the package would evaluate on import left out.
//   src/kube/client-node.lean.js    @kubernetes/client-node: KubeConfig with its auth plugins, the HTTP
//                                   transport, ApiException, Watch, V1MicroTime, and the YAML parser it
//                                   reads kubeconfigs with (js-yaml's load), the global dispatcher, Agent
//                                   and buildConnector of the undici it sends with
//   src/action/actions-core.lean.js @actions/core: inputs, outputs, masking, log lines, the job summary
//   src/plan/yaml-diff.lean.js      yaml's parse, parseAllDocuments and stringify, and diff's
//                                   createTwoFilesPatch
//
// Why: client-node's files import one another through gen/index.js, which re-exports every generated API
// group and model class, so importing even KubeConfig alone evaluates all of them (≈4 MB of code; 90 MB of
// RSS and ≈0.6 s in a fresh process). @actions/core imports its OIDC client at the top, and with it
// @actions/http-client and a whole undici (≈0.7 MB), for getIDToken, which a canary release never calls.
// yaml and diff are many small files each (yaml 72 CommonJS files, diff 19): loading them cost a process
// 14.7 MB of RSS, the same functions in one file 2.1 MB.
// esbuild follows the same imports but drops what nothing uses, once told that these packages' own files
// have no import-time side effects (true of all: they declare classes, functions and constants).
// The code is the packages' own, unchanged; each lean file has one importer (src/kube/client-node.ts,
// src/action/actions-core.ts, src/plan/yaml-diff.ts) and a .lean.d.ts beside it with the packages' own
// types.
//
// Run by `npm ci` / `npm install` (prepare) and by the bundle script; `--lib` (the build) also copies the
// files and their declarations into lib/; --check exits non-zero when a file is missing or not what the
// installed packages build to.
import { build } from 'esbuild';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLIENT_NODE = '@kubernetes/client-node/dist';

const LEAN = [
  {
    out: 'kube/client-node.lean.js',
    packageFiles: /[\\/]@kubernetes[\\/]client-node[\\/]dist[\\/]/,
    entry: `
export { KubeConfig } from '${CLIENT_NODE}/config.js';
export { Watch } from '${CLIENT_NODE}/watch.js';
export { HttpMethod, RequestContext } from '${CLIENT_NODE}/gen/http/http.js';
export { ApiException } from '${CLIENT_NODE}/gen/apis/exception.js';
export { V1MicroTime } from '${CLIENT_NODE}/types.js';
export { load as loadKubeconfigYaml } from 'js-yaml';
export { getGlobalDispatcher, Agent as UndiciAgent, buildConnector } from 'undici-of-client-node';
`,
  },
  {
    out: 'plan/yaml-diff.lean.js',
    packageFiles: /[\\/]node_modules[\\/](yaml|diff)[\\/]/,
    entry: `
export { parse, parseAllDocuments, stringify } from 'yaml';
export { createTwoFilesPatch } from 'diff';
`,
  },
  {
    out: 'action/actions-core.lean.js',
    packageFiles: /[\\/]@actions[\\/]core[\\/]lib[\\/]/,
    entry: `
export { getInput, group, info, setFailed, setOutput, setSecret, summary, warning } from '@actions/core';
`,
  },
];

/**
 * client-node takes three things from undici (fetch, Agent, ProxyAgent), but undici's index loads every one
 * of its features on import (mocks, caches with node:sqlite, WebSocket, EventSource, interceptors …).
 * This module gives client-node those three from undici's own files, fetch wrapped as undici's index wraps
 * it (the caller's stack appended to a failure), and the project its global dispatcher (src/kube/dispatch.ts
 * dispatches on it for a server without TLS settings, as undici's request() would) and its buildConnector
 * (src/kube/tls-connector.ts keeps one TLS context and session per server).
 */
function undiciSubset(undiciDir) {
  return `
import Agent from '${undiciDir}/lib/dispatcher/agent.js';
import ProxyAgent from '${undiciDir}/lib/dispatcher/proxy-agent.js';
import fetchModule from '${undiciDir}/lib/web/fetch/index.js';
import globalDispatcher from '${undiciDir}/lib/global.js';
import buildConnector from '${undiciDir}/lib/core/connect.js';
export { Agent, ProxyAgent, buildConnector };
export function fetch(init, options = undefined) {
  return fetchModule.fetch(init, options).catch((err) => {
    if (err && typeof err === 'object') Error.captureStackTrace(err, fetch);
    throw err;
  });
}
export function getGlobalDispatcher() {
  return globalDispatcher.getGlobalDispatcher();
}
`;
}

/**
 * client-node's `import … from 'undici'`, and the project's `'undici-of-client-node'`, resolved to
 * undiciSubset() of the undici client-node depends on.
 */
const undiciForClientNode = {
  name: 'undici-for-client-node',
  setup(builder) {
    builder.onResolve({ filter: /^undici(-of-client-node)?$/ }, async (args) => {
      const fromClientNode = /[\\/]@kubernetes[\\/]client-node[\\/]dist[\\/]/.test(args.importer);
      if (args.path === 'undici' && !fromClientNode) return undefined;
      const clientNode = await builder.resolve('@kubernetes/client-node/package.json', {
        kind: args.kind,
        resolveDir: ROOT,
      });
      const manifest = await builder.resolve('undici/package.json', {
        kind: args.kind,
        resolveDir: clientNode.path.replace(/[\\/]package\.json$/, ''),
      });
      return { path: manifest.path.replace(/[\\/]package\.json$/, ''), namespace: 'undici-subset' };
    });
    builder.onLoad({ filter: /.*/, namespace: 'undici-subset' }, (args) => ({
      contents: undiciSubset(args.path),
      loader: 'js',
      resolveDir: args.path,
    }));
  },
};

/** Marks the package's own files as free of import-time side effects, so that esbuild drops what is unused. */
function withoutSideEffects(packageFiles) {
  return {
    name: 'without-side-effects',
    setup(builder) {
      builder.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData === 'resolved') return undefined;
        const result = await builder.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          pluginData: 'resolved',
        });
        if (result.errors.length === 0 && packageFiles.test(result.path))
          return { ...result, sideEffects: false };
        return result;
      });
    },
  };
}

async function leanSource({ entry, packageFiles }) {
  const result = await build({
    stdin: { contents: entry, resolveDir: ROOT, loader: 'js' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    write: false,
    legalComments: 'none',
    // Whitespace and syntax only: names stay as the packages wrote them, for readable stack traces.
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: 'error',
    plugins: [undiciForClientNode, withoutSideEffects(packageFiles)],
    // The CommonJS packages inside (undici …) require Node's built-ins.
    banner: {
      js:
        '// Generated by scripts/lean-packages.mjs: do not edit.\n' +
        "import { createRequire as __leanCreateRequire } from 'node:module';\n" +
        'const require = __leanCreateRequire(import.meta.url);',
    },
  });
  return result.outputFiles[0].text;
}

const check = process.argv.includes('--check');
let stale = false;
for (const lean of LEAN) {
  const out = `${ROOT}src/${lean.out}`;
  const source = await leanSource(lean);
  if (check) {
    if (!existsSync(out) || readFileSync(out, 'utf8') !== source) {
      console.error(`src/${lean.out} is missing or stale: run \`node scripts/lean-packages.mjs\`.`);
      stale = true;
    }
    continue;
  }
  // Unchanged text is not written again: a newer src/ file would make the bench rebuild lib/ every run.
  if (!existsSync(out) || readFileSync(out, 'utf8') !== source) writeFileSync(out, source);
  if (process.argv.includes('--lib')) {
    copyFileSync(out, `${ROOT}lib/${lean.out}`);
    const types = lean.out.replace(/\.js$/, '.d.ts');
    copyFileSync(`${ROOT}src/${types}`, `${ROOT}lib/${types}`);
  }
}
if (stale) process.exit(1);
