// 2. Cold start: the bundled action from spawn to its first API request, the bundle sizes, and kubectl's
// own start (`kubectl version --client`) and Node's (`node -e 0`) beside it.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { inputVariable } from '../test/support/github-api/run-action.js';
import { KUBECTL, scratchDir, startBenchCluster, timeProcess, writeScratch } from './support/cluster.js';
import { mb, median, ms, ratio, table, verdict } from './support/stats.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const ACTION_BUNDLE = join(ROOT, 'dist/index.js');
export const CLI_BUNDLE = join(ROOT, 'dist/cli/index.js');

export interface ColdStartFigures {
  runs: number;
  /** why dist/index.js made no API request (a bundle older than the source): no first-request figure then */
  stale?: string;
  /** spawn → first request the stand-in saw */
  firstRequestMs: number;
  /** spawn → exit of the whole `shift 50` stage */
  actionWallMs: number;
  nodeBareMs: number;
  kubectlVersionMs: number;
  bundles: { path: string; bytes?: number }[];
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

const sizeOf = (path: string) => (existsSync(path) ? statSync(path).size : undefined);

export async function benchColdStart(runs: number): Promise<ColdStartFigures> {
  const cluster = await startBenchCluster();
  try {
    let stale: string | undefined;
    const bundles: ColdStartFigures['bundles'] = [ACTION_BUNDLE, CLI_BUNDLE].map((path) => ({
      path: path.slice(ROOT.length),
      ...(sizeOf(path) !== undefined ? { bytes: sizeOf(path) } : {}),
    }));
    const first: number[] = [];
    const wall: number[] = [];
    for (let i = 0; i < runs; i++) {
      cluster.resetRouting();
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
      };
      const mark = cluster.timeline.now();
      const run = await timeProcess(process.execPath, [ACTION_BUNDLE], env);
      const request = cluster.timeline.since(mark)[0];
      if (!request) {
        // A bundle older than the source fails before it reaches the cluster: there is no first request.
        stale =
          run.stdout.split('\n').find((line) => line.startsWith('::error::')) ?? `exit code ${run.code}`;
        break;
      }
      if (run.code !== 0) throw new Error(`the action failed (${run.code}): ${run.stdout.slice(-400)}`);
      first.push(request.start - run.spawnedAt);
      wall.push(run.wallMs);
    }
    const bare: number[] = [];
    const kubectl: number[] = [];
    for (let i = 0; i < runs; i++) {
      bare.push((await timeProcess(process.execPath, ['-e', '0'])).wallMs);
      kubectl.push((await timeProcess(KUBECTL, ['version', '--client'])).wallMs);
    }
    return {
      runs,
      ...(stale ? { stale } : {}),
      firstRequestMs: median(first),
      actionWallMs: median(wall),
      nodeBareMs: median(bare),
      kubectlVersionMs: median(kubectl),
      bundles,
    };
  } finally {
    await cluster.close();
  }
}

export function coldStartReport(f: ColdStartFigures): string {
  return [
    `## 2. Cold start — median of ${f.runs} runs`,
    '',
    ...(f.stale
      ? [
          `dist/index.js made no API request — it is older than the source (\`npm run bundle\` rebuilds it); it printed: ${f.stale}`,
          '',
        ]
      : []),
    table(
      ['what', 'time'],
      [
        ['`node dist/index.js` (shift 50): spawn → first API request', ms(f.firstRequestMs)],
        ['`node dist/index.js` (shift 50): spawn → exit', ms(f.actionWallMs)],
        ['`node -e 0` (Node alone)', ms(f.nodeBareMs)],
        ['`kubectl version --client`', ms(f.kubectlVersionMs)],
      ],
    ),
    '',
    table(
      ['bundle', 'size'],
      f.bundles.map((b) => [b.path, b.bytes === undefined ? 'not built' : `${mb(b.bytes)} (${b.bytes} B)`]),
    ),
    '',
    `First request vs Node alone: ${ratio(f.firstRequestMs, f.nodeBareMs)}; vs \`kubectl version --client\`: ${ratio(f.firstRequestMs, f.kubectlVersionMs)}.`,
    '',
    f.stale
      ? '- Target ≤ 300 ms from process start to first API request: not measured (stale bundle).'
      : `- Target ≤ 300 ms from process start to first API request: ${ms(f.firstRequestMs)} — ${verdict(f.firstRequestMs <= 300, `${ms(f.firstRequestMs - 300)} over`)}.`,
  ].join('\n');
}
