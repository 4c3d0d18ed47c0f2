// `npm run bench`: the figures of bench/RESULTS.md, printed as markdown. `--quick` runs tiny sizes only.
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { analysisReport, benchAnalysisAll } from './analysis.js';
import { benchClusters, clustersReport } from './clusters.js';
import { benchColdStart, coldStartReport } from './cold-start.js';
import { benchRecovery, recoveryReport } from './recovery.js';
import { benchRoutes, routesReport } from './routes.js';
import { benchScale, scaleReport } from './scale.js';
import { benchStage, stageReport } from './stage.js';

const quick = process.argv.includes('--quick');
const sizes = quick
  ? { latencies: [0, 20], runs: 2, routes: [1, 10], services: [1, 3], timeouts: [2], intervals: [50] }
  : {
      latencies: [0, 5, 20],
      runs: 5,
      routes: [1, 100, 1000],
      services: [1, 10, 100],
      timeouts: [2, 4],
      intervals: [50, 250, 1000],
    };

function machine(): string {
  const free = execFileSync('free', ['-h'], { encoding: 'utf8' }).trim();
  return [
    '## Machine',
    '',
    `- ${cpus().length} CPUs (nproc ${execFileSync('nproc', { encoding: 'utf8' }).trim()}): ${cpus()[0]?.model ?? '?'}`,
    `- Node ${process.version}, kubectl ${execFileSync('/usr/bin/kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8' }).match(/"gitVersion":\s*"([^"]+)"/)?.[1] ?? '?'}`,
    `- ${new Date().toISOString()}; load average at start ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
    '',
    '```',
    free,
    '```',
  ].join('\n');
}

async function main(): Promise<void> {
  const started = performance.now();
  const section = async <T>(name: string, work: () => Promise<T>, report: (figures: T) => string) => {
    const from = performance.now();
    const text = report(await work());
    console.log(`${text}\n\n_(${name}: ${((performance.now() - from) / 1000).toFixed(0)} s)_\n`);
  };
  console.log(`# istio-canary benchmark${quick ? ' (quick)' : ''}\n\n${machine()}\n`);
  await section(
    'stage',
    () => benchStage(sizes.latencies, sizes.runs),
    (f) => stageReport(f, sizes.runs),
  );
  await section('cold start', () => benchColdStart(sizes.runs), coldStartReport);
  await section('scale', () => benchScale(sizes.routes, sizes.services, 3), scaleReport);
  await section('recovery', () => benchRecovery(sizes.timeouts, sizes.intervals), recoveryReport);
  await section('analysis', () => benchAnalysisAll(quick ? 200 : 10_000, quick ? 1 : 3), analysisReport);
  await section('clusters', () => benchClusters(quick ? [1, 3] : [1, 3, 10], quick ? 2 : 9), clustersReport);
  await section(
    'several VirtualServices',
    () => benchRoutes(quick ? [1, 5] : [1, 5, 20], 20, sizes.runs),
    (f) => routesReport(f, 20, sizes.runs),
  );
  console.log(
    `Whole bench: ${((performance.now() - started) / 1000).toFixed(0)} s; load average at the end ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}.`,
  );
}

main().then(
  () => process.exit(0), // lease timers and keep-alive sockets of the runs must not hold the process
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
