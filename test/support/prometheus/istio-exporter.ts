// A loopback HTTP server that publishes Istio's standard request metrics for a few workloads, as the
// sidecars of those workloads would: counters that grow with time at a fixed rate and error share.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Upper bounds (ms) of the duration histogram, as Istio's default buckets start. */
const BUCKETS_MS = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

export interface WorkloadTraffic {
  namespace: string;
  service: string;
  version: string;
  /** Requests per second reported by the destination sidecar. */
  requestsPerSecond: number;
  /** Share of answers that are 503 (0–1). */
  errorShare: number;
  /** Cumulative share of requests at or below each bucket bound (ms); bounds not named inherit. */
  latency: Record<number, number>;
  /** What the client sidecars report (reporter="source"); the analysis must ignore it. */
  sourceReporterErrorShare?: number;
  /** The proxy that reports the workload's requests: 'destination' (sidecar, the default) or 'waypoint'. */
  reporter?: string;
}

export interface IstioExporter {
  /** host:port for a Prometheus scrape target. */
  target: string;
  /** Counters back to 0, as when the sidecars restart. */
  resetCounters(): void;
  close(): Promise<void>;
}

function labels(traffic: WorkloadTraffic, reporter: string, code: string): string {
  const pairs: Record<string, string> = {
    reporter,
    source_workload: 'productpage-v1',
    source_workload_namespace: traffic.namespace,
    destination_workload: `${traffic.service}-${traffic.version}`,
    destination_workload_namespace: traffic.namespace,
    destination_service: `${traffic.service}.${traffic.namespace}.svc.cluster.local`,
    destination_service_name: traffic.service,
    destination_service_namespace: traffic.namespace,
    destination_app: traffic.service,
    destination_version: traffic.version,
    request_protocol: 'http',
    response_code: code,
    response_flags: '-',
  };
  return Object.entries(pairs)
    .map(([name, value]) => `${name}="${value}"`)
    .join(',');
}

function cumulativeShare(latency: Record<number, number>, bound: number): number {
  let share = 0;
  for (const [limit, value] of Object.entries(latency))
    if (Number(limit) <= bound) share = Math.max(share, value);
  return share;
}

function exposition(all: WorkloadTraffic[], elapsedSeconds: number): string {
  const lines = ['# TYPE istio_requests_total counter'];
  const histogram = ['# TYPE istio_request_duration_milliseconds histogram'];
  for (const traffic of all) {
    // Whole seconds only: every counter then grows by the same exact share at each step, so the
    // figures Prometheus computes (70.0% success, p99 2425 ms) do not depend on scrape timing.
    const total = traffic.requestsPerSecond * Math.floor(elapsedSeconds);
    const reporter = traffic.reporter ?? 'destination';
    const reporters: [string, number][] = [[reporter, traffic.errorShare]];
    if (traffic.sourceReporterErrorShare !== undefined)
      reporters.push(['source', traffic.sourceReporterErrorShare]);
    for (const [reporter, errorShare] of reporters) {
      const errors = Math.round(total * errorShare);
      lines.push(`istio_requests_total{${labels(traffic, reporter, '200')}} ${total - errors}`);
      lines.push(`istio_requests_total{${labels(traffic, reporter, '503')}} ${errors}`);
    }
    const base = labels(traffic, reporter, '200');
    for (const bound of BUCKETS_MS) {
      const count = Math.round(total * cumulativeShare(traffic.latency, bound));
      histogram.push(`istio_request_duration_milliseconds_bucket{${base},le="${bound}"} ${count}`);
    }
    histogram.push(`istio_request_duration_milliseconds_bucket{${base},le="+Inf"} ${total}`);
    histogram.push(`istio_request_duration_milliseconds_count{${base}} ${total}`);
  }
  return [...lines, ...histogram, ''].join('\n');
}

/** Starts the exporter on 127.0.0.1 (a free port); counters start at 0 when it starts. */
export async function startIstioExporter(traffic: WorkloadTraffic[]): Promise<IstioExporter> {
  let started = performance.now();
  const server: Server = createServer((request, response) => {
    if (request.url !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    const body = exposition(traffic, (performance.now() - started) / 1000);
    response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    target: `127.0.0.1:${port}`,
    resetCounters: () => (started = performance.now()),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Stable v1, a good canary v2 and a bad canary v3 of `reviews` in `default`: what a release is judged on. */
export function reviewsRelease(): WorkloadTraffic[] {
  return [
    goodCanary('default', 'reviews', 'v1'),
    goodCanary('default', 'reviews', 'v2'),
    badCanary('default', 'reviews', 'v3'),
  ];
}

/** A canary that answers 99.5% of requests well and fast (p99 under 100 ms). */
export function goodCanary(namespace: string, service: string, version: string): WorkloadTraffic {
  return {
    namespace,
    service,
    version,
    requestsPerSecond: 200,
    errorShare: 0.005,
    latency: { 25: 0.6, 50: 0.95, 100: 1 },
  };
}

/** A canary that fails 30% of requests with 503 and is slow (p99 in seconds); its clients see no errors. */
export function badCanary(namespace: string, service: string, version: string): WorkloadTraffic {
  return {
    namespace,
    service,
    version,
    requestsPerSecond: 200,
    errorShare: 0.3,
    latency: { 250: 0.5, 1000: 0.8, 2500: 1 },
    sourceReporterErrorShare: 0,
  };
}
