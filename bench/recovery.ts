// 4. From the canary turning unhealthy to routing restored to stable: a probe endpoint that flips from 200 to
// 503 at a known instant, and canary pods that go into CrashLoopBackOff while the run waits for the rollout.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { probeHttp } from '../src/health/index.js';
import { runStage } from '../src/run-stage.js';
import type { RunOptions } from '../src/types.js';
import { reviewsOptions } from '../test/support/bookinfo.js';
import { startBenchCluster, type BenchCluster } from './support/cluster.js';
import { ms, sleep, table } from './support/stats.js';
import type { Target } from './support/targets.js';

/** The canary's probe URL: 200 until flipped, 503 after; notes when it first answered 503. */
class FlippingEndpoint {
  flippedAt: number | undefined;
  first503At: number | undefined;
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((_req, res) => {
      const unhealthy = this.flippedAt !== undefined;
      if (unhealthy) this.first503At ??= performance.now();
      res.writeHead(unhealthy ? 503 : 200, { 'Content-Type': 'text/plain', Connection: 'close' });
      res.end(unhealthy ? 'unhealthy' : 'ok');
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/reviews`;
  }

  flip(): void {
    this.flippedAt = performance.now();
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server!.close(() => resolve()));
  }
}

export interface ProbeCase {
  name: string;
  /** consecutive failures that fail the probe (probe-failures); undefined: only the timeout does */
  failures?: number;
  timeoutSeconds: number;
  successes: number;
  /** flip this long after the routing first shows the canary at `flipAtWeight` */
  flipDelayMs: number;
  flipAtWeight: number;
  /** flip → VirtualService back to 100% stable in the store */
  restoredMs: number;
  /** flip → the probe's first 503 */
  detectedMs: number;
  rolledBack: boolean;
}

export interface RecoveryFigures {
  probeCases: ProbeCase[];
  intervals: { intervalMs: number; detectedMs: number }[];
  crashLoop: { detectedMs: number; error: string; routingUnchanged: boolean };
}

/** The canary's weight in the catch-all route of reviews (0 when it is all stable). */
function canaryWeight(cluster: BenchCluster): number {
  const catchAll = (cluster.virtualService().spec.http ?? []).find((route) => !route.match);
  const canary = catchAll?.route?.find((d) => d.destination.subset === 'v2');
  if (!canary) return 0;
  return canary.weight ?? 100;
}

async function probeCase(
  cluster: BenchCluster,
  endpoint: FlippingEndpoint,
  name: string,
  options: RunOptions,
  flipAtWeight: number,
  flipDelayMs: number,
): Promise<ProbeCase> {
  cluster.resetRouting();
  endpoint.flippedAt = undefined;
  endpoint.first503At = undefined;
  let restoredAt: number | undefined;
  let running = true;
  const run = runStage(options, { kubeConfig: cluster.server.kubeConfig() }).finally(() => (running = false));
  // Watches the store finely: when the canary reaches the weight, flip after the delay; then note the restore.
  while (running) {
    const weight = canaryWeight(cluster);
    if (endpoint.flippedAt === undefined && weight === flipAtWeight) {
      await sleep(flipDelayMs);
      endpoint.flip();
    } else if (endpoint.flippedAt !== undefined && restoredAt === undefined && weight === 0) {
      restoredAt = performance.now();
    }
    await sleep(1);
  }
  const result = await run;
  if (restoredAt === undefined && canaryWeight(cluster) === 0) restoredAt = performance.now();
  const flipped = endpoint.flippedAt ?? Number.NaN;
  return {
    name,
    ...(options.probe?.failures !== undefined ? { failures: options.probe.failures } : {}),
    timeoutSeconds: options.timeoutSeconds,
    successes: options.probe!.successes,
    flipDelayMs,
    flipAtWeight,
    restoredMs: (restoredAt ?? Number.NaN) - flipped,
    detectedMs: (endpoint.first503At ?? Number.NaN) - flipped,
    rolledBack: result.rolledBack,
  };
}

/** probeHttp alone with several intervals: how soon after the flip the first 503 is seen. */
async function intervalCase(endpoint: FlippingEndpoint, intervalMs: number, flipAfterMs: number) {
  endpoint.flippedAt = undefined;
  endpoint.first503At = undefined;
  const timer = setTimeout(() => endpoint.flip(), flipAfterMs);
  await probeHttp({
    url: endpoint.url,
    successes: 1_000_000,
    timeoutMs: flipAfterMs + 1500,
    intervalMs,
  }).catch(() => undefined);
  clearTimeout(timer);
  return { intervalMs, detectedMs: (endpoint.first503At ?? Number.NaN) - (endpoint.flippedAt ?? Number.NaN) };
}

/** reviews-v2's pods, one of them in CrashLoopBackOff? */
function canaryCrashing(cluster: BenchCluster): boolean {
  type Pod = {
    metadata: { labels?: Record<string, string> };
    status?: { containerStatuses?: { state?: { waiting?: { reason?: string } } }[] };
  };
  const pods = cluster.server.store.list('v1', 'Pod', 'default') as Pod[];
  return pods.some(
    (pod) =>
      pod.metadata.labels?.app === 'reviews' &&
      pod.metadata.labels.version === 'v2' &&
      (pod.status?.containerStatuses ?? []).some((c) => c.state?.waiting?.reason === 'CrashLoopBackOff'),
  );
}

/**
 * The canary Deployment is rolling out when the run starts; its pods start `startAfterMs` later and crash
 * (the stand-in shows a crash once the pods have started): from the crash in the store to the run's end.
 */
async function crashLoopCase(cluster: BenchCluster, startAfterMs: number) {
  cluster.resetRouting();
  const before = JSON.stringify(cluster.virtualService().spec);
  const { server } = cluster;
  server.workloads.autoRollout(startAfterMs);
  server.workloads.crashLoop('default', 'reviews-v2');
  const canary = server.store.get('apps/v1', 'Deployment', 'default', 'reviews-v2') as {
    spec: { template: { metadata: { annotations?: Record<string, string> } } };
  };
  canary.spec.template.metadata.annotations = { 'bench/restartedAt': new Date().toISOString() };
  server.store.put(canary);
  let running = true;
  const run = runStage(reviewsOptions({ stage: 'shift', weight: 50, timeoutSeconds: 30 }), {
    kubeConfig: server.kubeConfig(),
  }).finally(() => (running = false));
  let crashedAt: number | undefined;
  while (running && crashedAt === undefined) {
    if (canaryCrashing(cluster)) crashedAt = performance.now();
    else await sleep(1);
  }
  const result = await run;
  const detectedMs = performance.now() - (crashedAt ?? Number.NaN);
  server.workloads.autoRollout(0);
  server.workloads.heal('default', 'reviews-v2');
  await sleep(50);
  return {
    detectedMs,
    error: result.error?.message ?? '(the run did not fail)',
    routingUnchanged: JSON.stringify(cluster.virtualService().spec) === before,
  };
}

export async function benchRecovery(timeouts: number[], intervals: number[]): Promise<RecoveryFigures> {
  const cluster = await startBenchCluster();
  const endpoint = new FlippingEndpoint();
  await endpoint.start();
  try {
    const probe = { url: endpoint.url, headers: {}, successes: 3 };
    const probeCases: ProbeCase[] = [];
    for (const timeoutSeconds of timeouts) {
      probeCases.push(
        await probeCase(
          cluster,
          endpoint,
          'shift 50',
          reviewsOptions({ stage: 'shift', weight: 50, timeoutSeconds, probe }),
          50,
          500,
        ),
      );
    }
    // The failure threshold: a canary answering errors fails the probe at once, not at the timeout.
    probeCases.push(
      await probeCase(
        cluster,
        endpoint,
        'shift 50, probe-failures 2, probe-interval 250 ms',
        reviewsOptions({
          stage: 'shift',
          weight: 50,
          timeoutSeconds: timeouts.at(-1)!,
          probe: { ...probe, failures: 2, intervalSeconds: 0.25 },
        }),
        50,
        500,
      ),
    );
    probeCases.push(
      await probeCase(
        cluster,
        endpoint,
        'progressive 10,50',
        reviewsOptions({
          stage: 'progressive',
          steps: [10, 50],
          timeoutSeconds: timeouts[0]!,
          probe: { ...probe, successes: 1 },
        }),
        50,
        0,
      ),
    );
    const intervalFigures = [];
    for (const intervalMs of intervals) intervalFigures.push(await intervalCase(endpoint, intervalMs, 300));
    const crashLoop = await crashLoopCase(cluster, 1000);
    return { probeCases, intervals: intervalFigures, crashLoop };
  } finally {
    await endpoint.close();
    await cluster.close();
  }
}

export function recoveryReport(f: RecoveryFigures): string {
  return [
    '## 4. Canary turns unhealthy → routing back to 100% stable',
    '',
    'HTTP probe through runStage (probe interval 1 s and no failure threshold unless the case names them; the endpoint flips 200 → 503):',
    '',
    table(
      [
        'stage',
        'probe timeout',
        'successes needed',
        'flip',
        'flip → first 503 seen',
        'flip → VS 100% stable',
        'rolled back',
      ],
      f.probeCases.map((c) => [
        c.name,
        `${c.timeoutSeconds} s`,
        c.successes,
        `${c.flipDelayMs} ms after canary at ${c.flipAtWeight}%`,
        ms(c.detectedMs),
        ms(c.restoredMs),
        c.rolledBack ? 'yes' : 'no',
      ]),
    ),
    '',
    'probeHttp alone, by interval (flip 300 ms after the probe starts):',
    '',
    table(
      ['probe interval', 'flip → first 503 seen'],
      f.intervals.map((i) => [`${i.intervalMs} ms`, ms(i.detectedMs)]),
    ),
    '',
    `Rollout watch: the canary's pods start 1 s into the run and go CrashLoopBackOff while the run waits for the rollout → the run ends ${ms(f.crashLoop.detectedMs)} after the crash shows in the store (${f.crashLoop.routingUnchanged ? 'routing untouched' : 'ROUTING CHANGED'}): "${f.crashLoop.error}"`,
  ].join('\n');
}

export function recoveryTargets(f: RecoveryFigures): Target[] {
  const withThreshold = f.probeCases.filter((c) => c.failures !== undefined);
  const worst = Math.max(...withThreshold.map((c) => c.restoredMs));
  return [
    {
      target: 'routing restored ≤ 2 s after the canary turns unhealthy, with probe-failures set',
      measured: `${ms(worst)} (${withThreshold.map((c) => c.name).join('; ')})`,
      met: withThreshold.length > 0 && worst <= 2000 && withThreshold.every((c) => c.rolledBack),
    },
  ];
}
