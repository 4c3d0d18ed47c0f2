// 3. Scale: one stage on a VirtualService that already holds many routes (each size on a stand-in of its
// own, the sizes interleaved in rounds through one worker, the time paired with the 1-route case's), and
// many services released at once (each case in a worker of its own: peak rss/heapUsed of the library's
// process, the built lib/ under plain node).
import { reviewsOptions } from '../test/support/bookinfo.js';
import type { BenchCluster } from './support/cluster.js';
import { startBenchCluster } from './support/cluster.js';
import { interleave, pairedRatio } from './support/paired.js';
import { mb, median, ms, msSpread, ratio, ratioSpread, table, type Spread } from './support/stats.js';
import type { Target } from './support/targets.js';
import { runWorker, startWorker } from './support/worker-process.js';
import type { WorkerReport } from './worker.js';

const ROUTES_GROWTH = 3;
const MEMORY_LIMIT = 200 * 1024 * 1024;

const ISTIO = 'networking.istio.io/v1';

export interface RoutesCase {
  size: number;
  /** one stage */
  wall: Spread;
  /** this size's stage / the smallest size's, per round */
  growth: Spread;
}

export interface ServicesCase {
  size: number;
  /** all of them, first start to last end */
  wallMs: number;
  /** median time of one service's stage within the crowd */
  perStageMs: number;
  peakRss: number;
  peakHeap: number;
  baseRss: number;
  baseHeap: number;
  /** where the memory was at the rss peak (bench/worker.ts) */
  atPeak: Record<string, number>;
}

export interface ScaleFigures {
  rounds: number;
  routes: RoutesCase[];
  services: ServicesCase[];
}

/** The reviews VirtualService with `count` routes: other users' uri-prefix routes, then the catch-all. */
function crowdRoutes(cluster: BenchCluster, count: number): void {
  const vs = cluster.virtualService();
  const others = Array.from({ length: count - 1 }, (_, i) => ({
    name: `team-${i}`,
    match: [{ uri: { prefix: `/team-${i}/` } }],
    route: [{ destination: { host: 'reviews', subset: 'v1' } }],
  }));
  const catchAll = { route: [{ destination: { host: 'reviews', subset: 'v1' } }] };
  cluster.server.store.put({
    apiVersion: vs.apiVersion,
    kind: vs.kind,
    metadata: { name: 'reviews', namespace: 'default' },
    spec: { ...vs.spec, http: [...others, catchAll] },
  });
}

/** A service of its own: Service, v1 and v2 Deployments, everything routed to v1, both subsets. */
function addService(cluster: BenchCluster, name: string): void {
  const labels = (version?: string) => ({ app: name, ...(version ? { version } : {}) });
  const put = (object: object) => cluster.server.store.put(object);
  put({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default', labels: labels() },
    spec: { ports: [{ port: 9080, name: 'http' }], selector: labels() },
  });
  for (const version of ['v1', 'v2']) {
    put({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: `${name}-${version}`, namespace: 'default', labels: labels(version) },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels(version) },
        template: {
          metadata: { labels: labels(version) },
          spec: { containers: [{ name, image: `example/${name}:${version}` }] },
        },
      },
    });
  }
  put({
    apiVersion: ISTIO,
    kind: 'VirtualService',
    metadata: { name, namespace: 'default' },
    spec: { hosts: [name], http: [{ route: [{ destination: { host: name, subset: 'v1' } }] }] },
  });
  put({
    apiVersion: ISTIO,
    kind: 'DestinationRule',
    metadata: { name, namespace: 'default' },
    spec: {
      host: name,
      subsets: ['v1', 'v2'].map((version) => ({ name: version, labels: { version } })),
    },
  });
}

function memoryOf(report: WorkerReport) {
  return {
    peakRss: Math.max(report.peakRss, report.maxRssKernel),
    peakHeap: report.peakHeap,
    baseRss: report.baseRss,
    baseHeap: report.baseHeap,
    atPeak: report.atPeak,
  };
}

function failures(report: WorkerReport): void {
  const failed = report.stages.find((stage) => stage.error);
  if (failed) throw new Error(`a stage failed: ${failed.error}`);
}

/** Each size on a stand-in of its own; in each round one stage per size, in one worker. */
export async function routesCases(sizes: number[], rounds: number): Promise<RoutesCase[]> {
  const clusters = await Promise.all(sizes.map(() => startBenchCluster()));
  const worker = await startWorker();
  try {
    clusters.forEach((cluster, i) => crowdRoutes(cluster, sizes[i]!));
    let round = 0;
    const stageOn = (cluster: BenchCluster, size: number) => async () => {
      const weight = Math.floor(round++ / sizes.length) % 2 === 0 ? 50 : 40; // every stage writes
      const options = reviewsOptions({ stage: 'shift', weight, kubeconfig: cluster.server.kubeconfigPath });
      const report = await worker.run({ kind: 'sequential', stages: [options] });
      failures(report);
      const http = (cluster.virtualService().spec.http ?? []).length;
      if (http !== size) throw new Error(`expected ${size} routes after the stage, found ${http}`);
      const [stage] = report.stages;
      return stage!.end - stage!.start;
    };
    const names = sizes.map(String);
    const result = await interleave(
      rounds,
      Object.fromEntries(names.map((name, i) => [name, stageOn(clusters[i]!, sizes[i]!)])),
    );
    return sizes.map((size, i) => ({
      size,
      wall: result.spread[names[i]!]!,
      growth: pairedRatio(result, names[i]!, names[0]!),
    }));
  } finally {
    await worker.close();
    await Promise.all(clusters.map((cluster) => cluster.close()));
  }
}

async function servicesCase(size: number): Promise<ServicesCase> {
  const cluster = await startBenchCluster();
  try {
    const names = Array.from({ length: size }, (_, i) => `svc-${i}`);
    names.forEach((name) => addService(cluster, name));
    await new Promise((resolve) => setTimeout(resolve, 50)); // the Deployment simulator rolls them out
    const kubeconfig = cluster.server.kubeconfigPath;
    const stages = names.map((name) =>
      reviewsOptions({
        stage: 'shift',
        weight: 50,
        service: name,
        host: name,
        kubeconfig,
        timeoutSeconds: 60,
      }),
    );
    const report = await runWorker({ kind: 'concurrent', stages, sampleMemory: true });
    failures(report);
    const start = Math.min(...report.stages.map((s) => s.start));
    const end = Math.max(...report.stages.map((s) => s.end));
    return {
      size,
      wallMs: end - start,
      perStageMs: median(report.stages.map((s) => s.end - s.start)),
      ...memoryOf(report),
    };
  } finally {
    await cluster.close();
  }
}

export async function benchScale(
  routeSizes: number[],
  serviceSizes: number[],
  rounds: number,
): Promise<ScaleFigures> {
  const routes = await routesCases(routeSizes, rounds);
  const services: ServicesCase[] = [];
  for (const size of serviceSizes) services.push(await servicesCase(size));
  return { rounds, routes, services };
}

export function scaleReport(f: ScaleFigures): string {
  const first = f.services[0]!;
  return [
    '## 3. Scale — the built library (lib/) in a worker process under plain node',
    '',
    `Plan + apply (\`shift\`) on a VirtualService holding N routes (N−1 uri-prefix routes of other users + the catch-all), ${f.rounds} interleaved rounds (one stage per size per round, one worker):`,
    '',
    table(
      ['case', 'one stage (median, IQR)', `/ ${f.routes[0]!.size}-route stage, paired (median, IQR)`],
      f.routes.map((c) => [`${c.size} routes`, msSpread(c.wall), ratioSpread(c.growth)]),
    ),
    '',
    'Services released concurrently through the library (`shift 50` each, own Service/Deployments/VS/DR), one stand-in, each case in a worker of its own (peak = max of 5 ms samples and the kernel maxRSS):',
    '',
    table(
      ['case', 'time', 'one stage (median)', 'peak rss', 'rss growth', 'peak heapUsed', 'idle rss / heap'],
      f.services.map((c) => [
        `${c.size} services`,
        ms(c.wallMs),
        ms(c.perStageMs),
        mb(c.peakRss),
        ratio(c.peakRss, first.peakRss),
        mb(c.peakHeap),
        `${mb(c.baseRss)} / ${mb(c.baseHeap)}`,
      ]),
    ),
    '',
    `At the rss peak of ${f.services.at(-1)!.size} services: ${Object.entries(f.services.at(-1)!.atPeak)
      .filter(([, bytes]) => bytes >= 1024 * 1024)
      .map(([name, bytes]) => `${name} ${mb(bytes)}`)
      .join(', ')}.`,
  ].join('\n');
}

export function scaleTargets(f: ScaleFigures): Target[] {
  const smallest = f.routes[0]!;
  const largest = f.routes.at(-1)!;
  const crowd = f.services.at(-1)!;
  return [
    {
      target: `plan + apply on a ${largest.size}-route VirtualService ≤ ${ROUTES_GROWTH}× the ${smallest.size}-route case (paired)`,
      measured: `${ratioSpread(largest.growth)}; ${msSpread(largest.wall)} vs ${msSpread(smallest.wall)}`,
      met: largest.growth.median <= ROUTES_GROWTH,
    },
    {
      target: `${crowd.size} services released concurrently through the library ≤ ${mb(MEMORY_LIMIT)} peak RSS`,
      measured: `${mb(crowd.peakRss)} (heapUsed ${mb(crowd.peakHeap)}; idle ${mb(crowd.baseRss)})`,
      met: crowd.peakRss <= MEMORY_LIMIT,
    },
  ];
}
