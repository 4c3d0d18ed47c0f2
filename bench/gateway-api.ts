// 8. The HTTPRoute path beside the VirtualService path: the same stages on Gateway API (Bookinfo as Istio's
// ambient samples route it: the HTTPRoute `reviews` attached to the Service, per-version Services) with K
// HTTPRoutes to reviews (the mesh one and K−1 attached to a Gateway), at the RTT of section 7. Each stage
// also waits for istiod's route status on what it wrote (the stand-in's istiod writes it at once). Target:
// the round trips of the VirtualService path, one more when a version Service is created.
import type { HTTPRoute, Service } from '../src/plan/gateway-api/types.js';
import type { RunOptions } from '../src/types.js';
import {
  BOOKINFO_GATEWAY_API_DIR,
  bookinfoObjects,
  loadBookinfoGatewayApi,
  reviewsOptions,
} from '../test/support/bookinfo.js';
import { startApiServer, type ApiServer } from '../test/support/kube-apiserver/index.js';
import { largestRounds, measure, summary, type RoutesFigures } from './routes.js';
import { ms, sleep, table, verdict } from './support/stats.js';
import type { Target } from './support/targets.js';
import { RequestTimeline } from './support/timeline.js';

const GATEWAY_API = 'gateway.networking.k8s.io/v1';

/** One stage measured on HTTPRoutes, and the stage of section 7 it is the counterpart of. */
export interface GatewayFigures extends RoutesFigures {
  /** Section 7's stage with the same meaning (`route (adds a subset)` for a route creating a Service). */
  virtualServiceStage: string;
  createsService: boolean;
}

/** The Gateway the edge routes attach to: one HTTP listener that admits routes of its namespace. */
const GATEWAY = {
  apiVersion: GATEWAY_API,
  kind: 'Gateway',
  metadata: { name: 'bookinfo-gateway', namespace: 'default' },
  spec: {
    gatewayClassName: 'istio',
    listeners: [
      { name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'Same' } } },
    ],
  },
};

/** The HTTPRoutes attached to the Gateway beside the mesh one, each with a `/reviews` rule to reviews-v1. */
function edges(count: number): HTTPRoute[] {
  return Array.from({ length: count }, (_, index) => ({
    apiVersion: GATEWAY_API,
    kind: 'HTTPRoute',
    metadata: { name: `edge-${index + 1}`, namespace: 'default' },
    spec: {
      parentRefs: [{ name: 'bookinfo-gateway' }],
      hostnames: [`edge-${index + 1}.example.com`],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/reviews' } }],
          backendRefs: [{ name: 'reviews-v1', port: 9080 }],
        },
      ],
    },
  }));
}

/**
 * Bookinfo on Gateway API with K routes to reviews. `ours`: reviews-v1's Service is one this tool created
 * and reviews-v2's is missing, so that route creates the canary's and finalize deletes the stable's.
 */
function reset(server: ApiServer, count: number, ours: boolean): void {
  for (const route of server.store.list(GATEWAY_API, 'HTTPRoute', 'default') as HTTPRoute[]) {
    server.store.delete(GATEWAY_API, 'HTTPRoute', 'default', route.metadata.name);
  }
  const seed = ['01-bookinfo-versions.yaml', '03-route-reviews-v1.yaml'].flatMap((file) =>
    bookinfoObjects(file, 'default', BOOKINFO_GATEWAY_API_DIR),
  );
  for (const object of [...seed, GATEWAY, ...edges(count)]) server.store.put(structuredClone(object));
  if (!ours) return;
  const v1 = server.store.get('v1', 'Service', 'default', 'reviews-v1') as Service;
  server.store.put({
    ...v1,
    metadata: { ...v1.metadata, labels: { 'app.kubernetes.io/managed-by': 'istio-canary' } },
  });
  server.store.delete('v1', 'Service', 'default', 'reviews-v2');
}

const testUser = [{ name: 'end-user', kind: 'exact' as const, value: 'test-user' }];

export async function benchGatewayApi(
  counts: number[],
  latencyMs: number,
  runs: number,
): Promise<GatewayFigures[]> {
  const server = await startApiServer();
  const cluster = { timeline: new RequestTimeline(server) };
  const figures: GatewayFigures[] = [];
  const row = (
    count: number,
    stage: string,
    counterpart: { stage: string; expected: number },
    createsService: boolean,
    samples: Awaited<ReturnType<typeof measure>>,
  ) =>
    figures.push({
      ...summary(count, stage, counterpart.expected + (createsService ? 1 : 0), samples),
      virtualServiceStage: counterpart.stage,
      createsService,
    });
  try {
    loadBookinfoGatewayApi(server);
    await sleep(20); // the Deployment simulator reconciles on the next tick
    for (const count of counts) {
      const options = (overrides: Partial<RunOptions>) =>
        reviewsOptions({ settleSeconds: 0, kubeconfig: server.kubeconfigPath, ...overrides });
      const shift = { stage: 'shift', expected: 3 };
      const route = { stage: 'route (adds a subset)', expected: 4 };
      const finalize = { stage: 'finalize (drops a subset)', expected: 4 };

      // shift: weights alternate, so every run writes every HTTPRoute and nothing else.
      reset(server, count - 1, false);
      server.faults.latencyMs = latencyMs;
      const shifts = Array.from({ length: runs + 1 }, (_, i) =>
        options({ stage: 'shift', weight: i % 2 === 0 ? 50 : 40 }),
      );
      row(count, 'shift', shift, false, await measure(cluster, shifts));

      // route and rollback with the version Services of Istio's samples in place: the routes alone change.
      server.faults.latencyMs = 0;
      reset(server, count - 1, false);
      server.faults.latencyMs = latencyMs;
      const toggles = Array.from({ length: 2 * runs + 1 }, (_, i) =>
        options(i % 2 === 0 ? { stage: 'route', headerMatch: testUser } : { stage: 'rollback' }),
      );
      const routed = await measure(cluster, [options({ stage: 'status' }), ...toggles]);
      row(
        count,
        'route (version Service there)',
        route,
        false,
        routed.filter((_, i) => i % 2 === 0),
      );

      // route then finalize, the versions swapping roles each time: route creates the canary's version
      // Service (before the routes name it), finalize deletes the stable's (after they stop naming it).
      server.faults.latencyMs = 0;
      reset(server, count - 1, true);
      server.faults.latencyMs = latencyMs;
      const versions = (i: number) =>
        Math.floor(i / 2) % 2 === 0 ? { stable: 'v1', canary: 'v2' } : { stable: 'v2', canary: 'v1' };
      const cycle = Array.from({ length: 2 * runs + 2 }, (_, i) =>
        options({
          ...versions(i),
          ...(i % 2 === 0 ? { stage: 'route', headerMatch: testUser } : { stage: 'finalize' }),
        }),
      );
      const samples = await measure(cluster, [options({ stage: 'status' }), ...cycle]);
      row(
        count,
        'route (creates a version Service)',
        route,
        true,
        samples.filter((_, i) => i % 2 === 0),
      );
      row(
        count,
        'finalize (deletes a version Service)',
        finalize,
        false,
        samples.filter((_, i) => i % 2 === 1),
      );
      server.faults.latencyMs = 0;
    }
    return figures;
  } finally {
    server.faults.latencyMs = 0;
    await server.close();
  }
}

/** Each HTTPRoute stage's target: its VirtualService counterpart's round trips (+1 creating a Service). */
function overTarget(figures: GatewayFigures[]): GatewayFigures[] {
  return figures.filter((f) => f.sequential > f.expected);
}

export function gatewayApiReport(
  figures: GatewayFigures[],
  virtualServices: RoutesFigures[],
  latencyMs: number,
  runs: number,
): string {
  const counterpart = (f: GatewayFigures) =>
    virtualServices.find((v) => v.virtualServices === f.virtualServices && v.stage === f.virtualServiceStage);
  const rows = figures.map((f) => {
    const vs = counterpart(f);
    return [
      f.virtualServices,
      f.stage,
      ms(f.wallMs),
      f.sequential,
      vs ? `${vs.stage}: ${ms(vs.wallMs)}, ${vs.sequential}` : '—',
      f.expected,
    ];
  });
  const { largest, rounds } = largestRounds(figures);
  const over = overTarget(figures);
  return [
    `## 8. Gateway API (HTTPRoute) beside the VirtualService path, at ${latencyMs} ms RTT — median of ${runs} runs`,
    '',
    'K HTTPRoutes route to reviews: the mesh one (attached to the Service) and K−1 attached to a Gateway, each',
    'with a `/reviews` rule. Each stage waits for the route status istiod writes on the routes it wrote. Beside',
    "each row: section 7's VirtualService stage of the same meaning at the same K (wall time, sequential round",
    'trips).',
    '',
    table(
      ['K', 'stage on HTTPRoute', 'wall time', 'sequential round trips', 'VirtualService path', 'target'],
      rows,
    ),
    '',
    `Round trips at K = ${largest}:`,
    ...rounds,
    '',
    `- Target: the VirtualService path's sequential round trips (3 for a shift, 4 for a route or finalize), one more when a version Service is created: ${verdict(
      over.length === 0,
      over.map((f) => `K = ${f.virtualServices} ${f.stage}: ${f.sequential}`).join(', '),
    )}.`,
  ].join('\n');
}

export function gatewayApiTargets(figures: GatewayFigures[]): Target[] {
  const over = overTarget(figures);
  const worst = figures.reduce(
    (most, f) => (f.sequential - f.expected > most.sequential - most.expected ? f : most),
    figures[0]!,
  );
  return [
    {
      target:
        'HTTPRoute path: the VirtualService round trips per stage, +1 when a version Service is created',
      measured: `${worst.stage} at K = ${worst.virtualServices}: ${worst.sequential} (target ${worst.expected})`,
      met: over.length === 0,
    },
  ];
}
