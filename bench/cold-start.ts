// 2. Cold start: the bundled action from spawn to its first API request, paired with Node's own start
// (`node -e 0`) in the same rounds; the bundle sizes beside.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { inputVariable } from '../test/support/github-api/run-action.js';
import {
  scratchDir,
  startBenchCluster,
  timeProcess,
  writeScratch,
  type BenchCluster,
} from './support/cluster.js';
import { interleave, pairedRatio } from './support/paired.js';
import { mb, msSpread, ratioSpread, spread, table, type Spread } from './support/stats.js';
import type { Target } from './support/targets.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const ACTION_BUNDLE = join(ROOT, 'dist/index.js');
export const CLI_BUNDLE = join(ROOT, 'dist/cli/index.js');
const LIMIT = 3;

export interface ColdStartFigures {
  rounds: number;
  /** why dist/index.js made no API request (a bundle older than the source): no figures then */
  stale?: string;
  /** spawn → first request the stand-in saw, per round */
  firstRequest: Spread;
  /** the same with node's compile cache turned off (NODE_DISABLE_COMPILE_CACHE=1): a first run on a fresh machine */
  firstRequestUncached: Spread;
  /** spawn → exit of the whole `shift 50` stage */
  actionWall: Spread;
  nodeBare: Spread;
  /** first request / `node -e 0`, per round */
  ratio: Spread;
  ratioUncached: Spread;
  bundles: { path: string; bytes: number }[];
}

/** INPUT_* as the runner sets them: every input of action.yml, its default unless given. */
function actionInputs(given: Record<string, string>): Record<string, string> {
  const declared = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')).inputs as Record<
    string,
    { default?: string }
  >;
  return Object.fromEntries(
    Object.entries(declared).map(([name, input]) => [
      inputVariable(name),
      given[name] ?? input.default ?? '',
    ]),
  );
}

/** Every .js file of a bundle folder (the entry and the chunks it loads when needed), with its size. */
function bundleFiles(dir: string): { path: string; bytes: number }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.js'))
    .sort((a, b) => Number(b === 'index.js') - Number(a === 'index.js') || a.localeCompare(b)) // the entry first
    .map((name) => ({ path: join(dir, name).slice(ROOT.length), bytes: statSync(join(dir, name)).size }));
}

class StaleBundle extends Error {}

/** One `shift 50` run of the bundled action: spawn → first API request, and spawn → exit. */
async function actionRun(cluster: BenchCluster, extraEnv: Record<string, string>) {
  const dir = scratchDir('action');
  const env = {
    ...actionInputs({
      stage: 'shift',
      service: 'reviews',
      stable: 'v1',
      canary: 'v2',
      weight: '50',
      settle: '0',
      kubeconfig: cluster.server.kubeconfigPath,
    }),
    HOME: dir,
    RUNNER_TEMP: dir,
    GITHUB_ACTIONS: 'true',
    GITHUB_OUTPUT: writeScratch(dir, 'output', ''),
    GITHUB_STEP_SUMMARY: writeScratch(dir, 'summary.md', ''),
    ...extraEnv,
  };
  const mark = cluster.timeline.now();
  const run = await timeProcess(process.execPath, [ACTION_BUNDLE], env);
  const request = cluster.timeline.since(mark)[0];
  if (!request) {
    // A bundle older than the source fails before it reaches the cluster: there is no first request.
    throw new StaleBundle(
      run.stdout.split('\n').find((line) => line.startsWith('::error::')) ?? `exit code ${run.code}`,
    );
  }
  if (run.code !== 0) throw new Error(`the action failed (${run.code}): ${run.stdout.slice(-400)}`);
  return { ms: request.start - run.spawnedAt, wallMs: run.wallMs };
}

export async function benchColdStart(rounds: number): Promise<ColdStartFigures> {
  const bundles = [...bundleFiles(join(ROOT, 'dist')), ...bundleFiles(join(ROOT, 'dist/cli'))];
  const cluster = await startBenchCluster();
  try {
    const result = await interleave(
      rounds,
      {
        action: () => actionRun(cluster, {}),
        node: async () => (await timeProcess(process.execPath, ['-e', '0'])).wallMs,
        uncached: () => actionRun(cluster, { NODE_DISABLE_COMPILE_CACHE: '1' }),
      },
      { before: () => cluster.resetRouting() },
    );
    return {
      rounds,
      firstRequest: result.spread.action,
      firstRequestUncached: result.spread.uncached,
      actionWall: spread(result.samples.action.map((s) => s.wallMs)),
      nodeBare: result.spread.node,
      ratio: pairedRatio(result, 'action', 'node'),
      ratioUncached: pairedRatio(result, 'uncached', 'node'),
      bundles,
    };
  } catch (error) {
    if (!(error instanceof StaleBundle)) throw error;
    const none = { median: Number.NaN, q1: Number.NaN, q3: Number.NaN };
    return {
      rounds,
      stale: error.message,
      firstRequest: none,
      firstRequestUncached: none,
      actionWall: none,
      nodeBare: none,
      ratio: none,
      ratioUncached: none,
      bundles,
    };
  } finally {
    await cluster.close();
  }
}

export function coldStartReport(f: ColdStartFigures): string {
  return [
    `## 2. Cold start — ${f.rounds} interleaved rounds (action, \`node -e 0\`, action without compile cache)`,
    '',
    ...(f.stale
      ? [
          `dist/index.js made no API request — it is older than the source (\`npm run bundle\` rebuilds it); it printed: ${f.stale}`,
          '',
        ]
      : [
          table(
            ['what', 'time (median, IQR)', 'per round / `node -e 0` (median, IQR)'],
            [
              [
                '`node dist/index.js` (shift 50): spawn → first API request',
                msSpread(f.firstRequest),
                ratioSpread(f.ratio),
              ],
              [
                'the same with the compile cache off (`NODE_DISABLE_COMPILE_CACHE=1`, as on a fresh runner)',
                msSpread(f.firstRequestUncached),
                ratioSpread(f.ratioUncached),
              ],
              ['`node dist/index.js` (shift 50): spawn → exit', msSpread(f.actionWall), ''],
              ['`node -e 0` (Node alone)', msSpread(f.nodeBare), '1×'],
            ],
          ),
          '',
        ]),
    table(
      ['bundle file', 'size'],
      f.bundles.map((b) => [b.path, `${mb(b.bytes)} (${b.bytes} B)`]),
    ),
  ].join('\n');
}

export function coldStartTargets(f: ColdStartFigures): Target[] {
  return [
    {
      target: `spawn → first API request of \`node dist/index.js\` ≤ ${LIMIT}× \`node -e 0\` (paired)`,
      measured: f.stale
        ? `not measured: stale bundle (${f.stale})`
        : `${ratioSpread(f.ratio)}; ${msSpread(f.firstRequest)} vs ${msSpread(f.nodeBare)}; compile cache off: ${ratioSpread(f.ratioUncached)}`,
      met: !f.stale && f.ratio.median <= LIMIT,
    },
  ];
}
