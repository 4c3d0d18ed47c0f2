// 3. Scale: one stage on a VirtualService that already holds many routes, and many services released at
// once, each case in its own worker process (time, peak rss/heapUsed of the library's process).
import { reviewsOptions } from '../test/support/bookinfo.js';
import type { BenchCluster } from './support/cluster.js';
import { runWorker, startBenchCluster } from './support/cluster.js';
import { mb, median, ms, ratio, table, verdict } from './support/stats.js';
import type { WorkerReport } from './worker.js';

const ISTIO = 'networking.istio.io/v1';

export interface ScaleCase {
  size: number;
  /** routes: median of one stage; services: all of them, first start to last end */
  wallMs: number;
  /** services: median time of one service's stage within the crowd */
  perStageMs?: number;
  peakRss: number;
  peakHeap: number;
  baseRss: number;
  baseHeap: number;
}

export interface ScaleFigures {
  runs: number;
  routes: ScaleCase[];
  services: ScaleCase[];
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
  };
}

function failures(report: WorkerReport): void {
  const failed = report.stages.find((stage) => stage.error);
  if (failed) throw new Error(`a stage failed: ${failed.error}`);
}

async function routesCase(size: number, runs: number): Promise<ScaleCase> {
  const cluster = await startBenchCluster();
  try {
    crowdRoutes(cluster, size);
    const kubeconfig = cluster.server.kubeconfigPath;
    const stages = Array.from({ length: runs + 1 }, (_, i) =>
      reviewsOptions({ stage: 'shift', weight: i % 2 === 0 ? 50 : 40, kubeconfig }),
    );
    const report = await runWorker({ kind: 'sequential', stages });
    failures(report);
    const http = (cluster.virtualService().spec.http ?? []).length;
    if (http !== size) throw new Error(`expected ${size} routes after the stage, found ${http}`);
    return {
      size,
      wallMs: median(report.stages.slice(1).map((s) => s.end - s.start)),
      ...memoryOf(report),
    };
  } finally {
    await cluster.close();
  }
}

async function servicesCase(size: number): Promise<ScaleCase> {
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
    const report = await runWorker({ kind: 'concurrent', stages });
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
  runs: number,
): Promise<ScaleFigures> {
  const routes: ScaleCase[] = [];
  for (const size of routeSizes) routes.push(await routesCase(size, runs));
  const services: ScaleCase[] = [];
  for (const size of serviceSizes) services.push(await servicesCase(size));
  return { runs, routes, services };
}

function rows(cases: ScaleCase[], unit: string): (string | number)[][] {
  const first = cases[0]!;
  return cases.map((c) => [
    `${c.size} ${unit}`,
    ms(c.wallMs),
    c.perStageMs === undefined ? '' : ms(c.perStageMs),
    ratio(c.wallMs, first.wallMs),
    mb(c.peakRss),
    ratio(c.peakRss, first.peakRss),
    mb(c.peakHeap),
    ratio(c.peakHeap, first.peakHeap),
    `${mb(c.baseRss)} / ${mb(c.baseHeap)}`,
  ]);
}

export function scaleReport(f: ScaleFigures): string {
  const header = [
    'case',
    'time',
    'one stage (median)',
    'time growth',
    'peak rss',
    'rss growth',
    'peak heapUsed',
    'heap growth',
    'idle rss / heap',
  ];
  const smallest = f.routes[0]!;
  const largest = f.routes.at(-1)!;
  const crowd = f.services.at(-1)!;
  const growth = largest.wallMs / smallest.wallMs;
  return [
    '## 3. Scale — each case in its own worker process (peak = max of 5 ms samples and the kernel maxRSS)',
    '',
    `Plan + apply (\`shift\`, median of ${f.runs} stages) on a VirtualService holding N routes (N−1 uri-prefix routes of other users + the catch-all):`,
    '',
    table(header, rows(f.routes, 'routes')),
    '',
    'Services released concurrently through the library (`shift 50` each, own Service/Deployments/VS/DR), one stand-in:',
    '',
    table(header, rows(f.services, 'services')),
    '',
    `- Target: ${largest.size}-route plan+apply within 3× of ${smallest.size}-route: ${growth.toFixed(2)}× — ${verdict(growth <= 3, `${(growth - 3).toFixed(2)}× over`)}.`,
    `- Target: ${crowd.size} concurrent services with peak memory ≤ 200 MB: rss ${mb(crowd.peakRss)} — ${verdict(crowd.peakRss <= 200 * 1024 * 1024, `${mb(crowd.peakRss - 200 * 1024 * 1024)} over`)} (heapUsed ${mb(crowd.peakHeap)}; the idle worker with the library loaded is ${mb(crowd.baseRss)} rss).`,
  ].join('\n');
}
