// Shared set-up for the cluster I/O tests: a stand-in API server, a client for it, and routing objects
// shaped like the Bookinfo `reviews` ones (hand-written here so exact-byte assertions do not depend on
// fixture files).
import {
  startApiServer,
  type ApiServer,
  type StartOptions,
} from '../../test/support/kube-apiserver/index.js';
import { ClusterClient, type ClusterClientOptions } from '../../src/kube/index.js';
import type { DestinationRule, VirtualService } from '../../src/plan/types.js';

export interface TestCluster {
  server: ApiServer;
  client(options?: ClusterClientOptions & { user?: string }): ClusterClient;
  /** Requests after `mark()`, as `METHOD path` lines. */
  requestsSince(mark: number): string[];
  mark(): number;
}

/** Retries without real waiting: the policy is tested in retry.test.ts, here only the counts matter. */
export const FAST_RETRY = { baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 50 };

export async function startCluster(options: StartOptions = {}): Promise<TestCluster> {
  const server = await startApiServer(options);
  return {
    server,
    client: ({ user, ...clientOptions } = {}) =>
      new ClusterClient(server.kubeConfig(user), { retry: FAST_RETRY, ...clientOptions }),
    mark: () => server.requests.length,
    requestsSince: (mark) => server.requests.slice(mark).map((r) => `${r.method} ${r.path}`),
  };
}

/** A cluster with two users who may do anything (admin, ops) and the reviews VirtualService and DestinationRule. */
export async function startReviewsCluster(): Promise<TestCluster> {
  const cluster = await startCluster({
    users: { 'admin-token': 'admin', 'ops-token': 'ops' },
    rules: [{ users: ['admin', 'ops'], verbs: ['*'], groups: ['*'], resources: ['*'] }],
  });
  cluster.server.store.put(reviewsVirtualService());
  cluster.server.store.put(reviewsDestinationRule());
  return cluster;
}

export function reviewsVirtualService(apiVersion = 'networking.istio.io/v1'): VirtualService {
  return {
    apiVersion,
    kind: 'VirtualService',
    metadata: {
      name: 'reviews',
      namespace: 'default',
      labels: { app: 'reviews', team: 'books' },
      annotations: { 'owner.example.com/contact': 'books@example.com' },
    },
    spec: {
      hosts: ['reviews'],
      http: [
        {
          name: 'reviews-primary',
          route: [{ destination: { host: 'reviews', subset: 'v1' } }],
          timeout: '2s',
        },
      ],
    },
  };
}

export function reviewsDestinationRule(apiVersion = 'networking.istio.io/v1'): DestinationRule {
  return {
    apiVersion,
    kind: 'DestinationRule',
    metadata: { name: 'reviews', namespace: 'default' },
    spec: {
      host: 'reviews',
      trafficPolicy: { loadBalancer: { simple: 'RANDOM' } },
      subsets: [
        { name: 'v1', labels: { version: 'v1' } },
        { name: 'v2', labels: { version: 'v2' } },
        { name: 'v3', labels: { version: 'v3' } },
      ],
    },
  };
}
