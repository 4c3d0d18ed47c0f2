// The HTTPRoute path keeps the VirtualService path's sequential round trips: the first round reads both
// APIs' routing at once (with the lease and the Deployments), a stage's routes go out in one batch, and
// the status wait after it is a watch where the controller writes status (Istio always does on HTTPRoutes;
// on VirtualServices with PILOT_ENABLE_STATUS). Both paths start the wait from the PUT answers and watch
// from their resourceVersion, so the wait adds no round (a watch is a stream the client waits on for
// istiod, not a request answered). Creating a version Service first costs one round more, and so does a
// DestinationRule subset added first (its write, and its wait before the VirtualService is written). Rounds are counted from the request spans at an injected latency
// (bench/support/timeline.ts), not timed; each round is named by the request that opened it.
import { afterEach, describe, expect, it } from '@jest/globals';
import { describeSpan, roundTrips, RequestTimeline } from '../../bench/support/timeline.js';
import { runStage } from '../../src/run-stage.js';
import type { RunOptions } from '../../src/types.js';
import { loadBookinfo, loadBookinfoGatewayApi, reviewsOptions } from '../../test/support/bookinfo.js';
import { startApiServer, type ApiServer } from '../../test/support/kube-apiserver/index.js';

/** Long enough that requests sent together overlap on the server, whatever the machine's load. */
const LATENCY_MS = 150;
const testUser = [{ name: 'end-user', kind: 'exact' as const, value: 'test-user' }];

let server: ApiServer | undefined;
afterEach(() => server?.close());

async function cluster(load: (server: ApiServer) => void): Promise<RequestTimeline> {
  server = await startApiServer();
  load(server);
  // PILOT_ENABLE_STATUS: the VirtualService path waits on istiod's status as the HTTPRoute path always does.
  server.istiod.writeReconciled(true);
  // The objects carry istiod's status before the run reads them, as on a cluster where it runs.
  await new Promise((resolve) => setTimeout(resolve, 50));
  return new RequestTimeline(server);
}

/** The rounds of one stage at the injected latency, each as its requests; its watches in `watched`. */
const watched: string[] = [];
async function rounds(timeline: RequestTimeline, options: Partial<RunOptions>): Promise<string[]> {
  const s = server!;
  s.faults.latencyMs = LATENCY_MS;
  const mark = timeline.now();
  const result = await runStage(reviewsOptions(options), { kubeConfig: s.kubeConfig() });
  s.faults.latencyMs = 0;
  expect(result.error).toBeUndefined();
  expect(result.changed).toBe(true);
  const spans = timeline.since(mark);
  watched.splice(0, watched.length, ...spans.filter((span) => span.verb === 'watch').map(describeSpan));
  return roundTrips(spans).rounds;
}

/** Each round named by the request that opened it. */
function opened(rounds: string[]): string[] {
  return rounds.map((round) => round.split(', ')[0] ?? '');
}

describe('sequential round trips of a stage, VirtualService vs HTTPRoute', () => {
  it('shift: read, write, lease release on either API; the status waits are watches', async () => {
    const vs = await rounds(await cluster(loadBookinfo), { stage: 'shift', weight: 50 });
    expect(watched).toEqual(['GET virtualservices (watch)']);
    await server?.close();
    const http = await rounds(await cluster(loadBookinfoGatewayApi), { stage: 'shift', weight: 50 });
    expect(opened(vs).slice(1)).toEqual([
      'PUT virtualservices/reviews',
      'DELETE leases/istio-canary-reviews',
    ]);
    expect(opened(http).slice(1)).toEqual(['PUT httproutes/reviews', 'DELETE leases/istio-canary-reviews']);
    // The status was waited for all the same: through a watch from the PUT's answer.
    expect(watched).toEqual(['GET httproutes (watch)']);
    // The first round holds every read of both APIs, the lease and the Deployments.
    for (const first of [vs[0], http[0]]) {
      const reads = [
        'GET virtualservices',
        'GET httproutes',
        'GET services',
        'GET deployments',
        'POST leases',
      ];
      expect(reads.filter((read) => !first?.includes(read))).toEqual([]);
    }
  });

  it('creating the canary version Service first: one round more than a shift (so does a subset added first)', async () => {
    const withoutCanarySubset = (s: ApiServer) => {
      loadBookinfo(s);
      const rule = s.store.get('networking.istio.io/v1', 'DestinationRule', 'default', 'reviews') as {
        spec: { subsets: { name: string }[] };
      };
      rule.spec.subsets = rule.spec.subsets.filter((subset) => subset.name !== 'v2');
      s.store.put(rule);
    };
    const withoutCanaryService = (s: ApiServer) => {
      loadBookinfoGatewayApi(s);
      s.store.delete('v1', 'Service', 'default', 'reviews-v2');
    };
    const route = { stage: 'route' as const, headerMatch: testUser };
    const vs = await rounds(await cluster(withoutCanarySubset), route);
    expect(watched).toEqual(['GET destinationrules (watch)', 'GET virtualservices (watch)']);
    await server?.close();
    const http = await rounds(await cluster(withoutCanaryService), route);
    expect(opened(vs).slice(1)).toEqual([
      'PUT destinationrules/reviews',
      'PUT virtualservices/reviews',
      'DELETE leases/istio-canary-reviews',
    ]);
    expect(opened(http).slice(1)).toEqual([
      'POST services',
      'PUT httproutes/reviews',
      'DELETE leases/istio-canary-reviews',
    ]);
    expect(watched).toEqual(['GET httproutes (watch)']);
  });
});
