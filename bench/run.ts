// `npm run bench`: the figures of bench/RESULTS.md, printed as markdown, ending with one table of the
// targets (measured, met or missed). `--quick` runs tiny sizes only (a smoke test, not figures).
// A section is one `section(name, work, report, targets)` call below; comparisons in it are paired and
// interleaved (bench/support/paired.ts).
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { analysisReport, benchAnalysisAll } from './analysis.js';
import { benchClusters, clustersReport, clustersTargets } from './clusters.js';
import { benchColdStart, coldStartReport, coldStartTargets } from './cold-start.js';
import { benchGatewayApi, gatewayApiReport, gatewayApiTargets } from './gateway-api.js';
import { benchRecovery, recoveryReport, recoveryTargets } from './recovery.js';
import { benchRoutes, routesReport } from './routes.js';
import { benchScale, scaleReport, scaleTargets } from './scale.js';
import { benchStage, stageReport, stageTargets } from './stage.js';
import { targetsTable, type Target } from './support/targets.js';

const quick = process.argv.includes('--quick');
const sizes = quick
  ? {
      latencies: [0, 20],
      rounds: 2,
      routeRounds: 2,
      runs: 2,
      routes: [1, 10],
      services: [1, 3],
      timeouts: [2],
      intervals: [50],
    }
  : {
      latencies: [0, 5, 20],
      rounds: 12,
      // A stage on a large object takes one of two speeds from round to round on a small machine (a
      // collection lands in it or not): more pairs than elsewhere, at about 0.1 s a round.
      routeRounds: 30,
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
    `- ${new Date().toISOString()}; load average at start ${load()}`,
    '',
    '```',
    free,
    '```',
  ].join('\n');
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

async function main(): Promise<void> {
  const started = performance.now();
  const targets: Target[] = [];
  const section = async <T>(
    name: string,
    work: () => Promise<T>,
    report: (figures: T) => string,
    targetsOf: (figures: T) => Target[] = () => [],
  ): Promise<T> => {
    const from = performance.now();
    const figures = await work();
    targets.push(...targetsOf(figures));
    console.log(
      `${report(figures)}\n\n_(${name}: ${((performance.now() - from) / 1000).toFixed(0)} s; load average ${load()})_\n`,
    );
    return figures;
  };
  console.log(`# istio-canary benchmark${quick ? ' (quick)' : ''}\n\n${machine()}\n`);
  await section(
    'stage',
    () => benchStage(sizes.latencies, sizes.rounds),
    (f) => stageReport(f, sizes.rounds),
    stageTargets,
  );
  await section('cold start', () => benchColdStart(sizes.rounds), coldStartReport, coldStartTargets);
  await section(
    'scale',
    () => benchScale(sizes.routes, sizes.services, sizes.routeRounds),
    scaleReport,
    scaleTargets,
  );
  await section(
    'recovery',
    () => benchRecovery(sizes.timeouts, sizes.intervals),
    recoveryReport,
    recoveryTargets,
  );
  await section('analysis', () => benchAnalysisAll(quick ? 200 : 10_000, quick ? 1 : 3), analysisReport);
  await section(
    'clusters',
    () => benchClusters(quick ? [1, 3] : [1, 3, 10], quick ? 2 : 20, 20, quick ? 2 : undefined),
    clustersReport,
    clustersTargets,
  );
  const routeCounts = quick ? [1, 5] : [1, 5, 20];
  const virtualServices = await section(
    'several VirtualServices',
    () => benchRoutes(routeCounts, 20, sizes.runs),
    (f) => routesReport(f, 20, sizes.runs),
  );
  await section(
    'Gateway API',
    () => benchGatewayApi(routeCounts, 20, sizes.runs),
    (f) => gatewayApiReport(f, virtualServices, 20, sizes.runs),
    gatewayApiTargets,
  );
  console.log(`${targetsTable(targets)}\n`);
  console.log(
    `Whole bench: ${((performance.now() - started) / 1000).toFixed(0)} s; load average at the end ${load()}.`,
  );
}

main().then(
  () => process.exit(0), // lease timers and keep-alive sockets of the runs must not hold the process
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
