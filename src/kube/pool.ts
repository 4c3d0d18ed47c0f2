// One connection pool per API server and credentials for the whole process, shared by every client that
// talks to that server: a run's client and its restore client, the clusters of a wave, and concurrent runs
// of a library user (100 services released at once keep one pool per cluster, not one per run).
//
// client-node builds a new undici Agent (a pool with no connections yet) for every request; a request that
// reuses none pays its own TCP and TLS handshake. The first Agent built for a server and credentials is
// kept here and given to every later request; over HTTP/2 (which kube-apiserver speaks, and client-node's
// undici offers) that is one connection carrying every request at once.
//
// Sharing is safe for cancellation: a run aborts its own requests through their signals, which ends only
// their streams (HTTP/2) or the connection carrying that one request (HTTP/1.1), never another run's.
// A pool is closed when the last client holding it is closed.
import { createHash } from 'node:crypto';
import type { KubeConfig, RequestContext } from './client-node.js';

export type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

interface SharedPool {
  dispatcher: Dispatcher;
  holders: number;
}

const pools = new Map<string, SharedPool>();

/**
 * What a connection is bound to: the selected cluster (server, CA, TLS name, proxy) and user (client
 * certificate, or whatever an auth plugin adds). Hashed, so that no credential is kept as a key.
 */
export function poolKey(kubeConfig: KubeConfig): string {
  const identity = JSON.stringify([kubeConfig.getCurrentCluster(), kubeConfig.getCurrentUser()]);
  return createHash('sha256').update(identity).digest('hex');
}

/** How many pools the process holds open (for tests). */
export function openPools(): number {
  return pools.size;
}

/** A client's hold on the pool of its server: taken with its first request, given back by release(). */
export class PoolShare {
  private pool: SharedPool | undefined;

  constructor(private readonly key: string) {}

  /**
   * The dispatcher for a request: the pool's, or — for the first request to this server and credentials —
   * the one client-node built for it, which becomes the pool. Undefined when client-node uses the global
   * dispatcher (plain HTTP without TLS options).
   */
  dispatcher(built: Dispatcher | undefined): Dispatcher | undefined {
    if (this.pool) return this.pool.dispatcher;
    if (!built) return undefined;
    let pool = pools.get(this.key);
    if (!pool) {
      pool = { dispatcher: built, holders: 0 };
      pools.set(this.key, pool);
    }
    pool.holders++;
    this.pool = pool;
    return pool.dispatcher;
  }

  /** Gives the hold back; the last holder closes the pool (after the requests in flight on it). */
  async release(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    if (!pool || --pool.holders > 0) return;
    if (pools.get(this.key) === pool) pools.delete(this.key);
    await pool.dispatcher.close();
  }
}
