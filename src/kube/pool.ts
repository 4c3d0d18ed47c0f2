// One connection pool per API server and credentials for the whole process, shared by every client that
// talks to that server: a run's client and its restore client, the clusters of a wave, and concurrent runs
// of a library user (100 services released at once keep one pool per cluster, not one per run).
//
// client-node builds a new undici Agent (a pool with no connections yet) for every request; a request that
// reuses none pays its own TCP and TLS handshake. The first request to a server and credentials makes one
// Agent with the same TLS options client-node would use (createDispatcherOptions), opening its connections
// through the process's connector for that server (tls-connector.ts: one TLS context, sessions resumed),
// and every later request is given that Agent; over HTTP/2 (which kube-apiserver speaks, and client-node's
// undici offers) that is one connection carrying every request at once. A proxied server keeps the
// dispatcher client-node built for the first request.
//
// Sharing is safe for cancellation: a run aborts its own requests through their signals, which ends only
// their streams (HTTP/2) or the connection carrying that one request (HTTP/1.1), never another run's.
// A pool is closed when the last client holding it is closed.
import { createHash } from 'node:crypto';
import { HttpMethod, RequestContext, UndiciAgent, type KubeConfig } from './client-node.js';
import type { TlsOptions } from './rest.js';
import { connectorFor } from './tls-connector.js';

export type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

interface SharedPool {
  dispatcher: Promise<Dispatcher | undefined>;
  holders: number;
  /** Its dispatcher could not be made (an auth plugin failing for a proxy): the next request tries again. */
  failed?: boolean;
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

/**
 * The pool's dispatcher, from the TLS options client-node read for the first request: an Agent over the
 * process's connector for the server; for a proxy or a SOCKS proxy, the dispatcher client-node builds;
 * none (client-node's global dispatcher) for a cluster without any TLS settings.
 */
async function poolDispatcher(kubeConfig: KubeConfig, tls: TlsOptions): Promise<Dispatcher | undefined> {
  const options = kubeConfig.createDispatcherOptions(kubeConfig.getCurrentCluster(), tls);
  if (options.type === 'none') return undefined;
  if (options.type === 'agent')
    return new UndiciAgent({ connect: connectorFor(options.connect) }) as unknown as Dispatcher;
  const server = kubeConfig.getCurrentCluster()?.server ?? '';
  const built = new RequestContext(server, HttpMethod.GET);
  await kubeConfig.applySecurityAuthentication(built);
  return built.getDispatcher();
}

/** A client's hold on the pool of its server: taken with its first request, given back by release(). */
export class PoolShare {
  private pool: SharedPool | undefined;

  constructor(private readonly key: string) {}

  /**
   * The dispatcher for a request: the pool's, made with the first request to this server and credentials.
   * Undefined for a cluster without any TLS settings (client-node's global dispatcher).
   */
  dispatcher(kubeConfig: KubeConfig, tls: TlsOptions): Promise<Dispatcher | undefined> {
    if (this.pool?.failed) void this.release();
    if (this.pool) return this.pool.dispatcher;
    let pool = pools.get(this.key);
    if (!pool || pool.failed) {
      const made: SharedPool = { dispatcher: poolDispatcher(kubeConfig, tls), holders: 0 };
      made.dispatcher.catch(() => {
        made.failed = true;
        if (pools.get(this.key) === made) pools.delete(this.key);
      });
      pool = made;
      pools.set(this.key, pool);
    }
    pool.holders++;
    this.pool = pool;
    return pool.dispatcher;
  }

  /**
   * A hold on the pool as it is, made by another client's request (a read this client joined): the pool
   * then stays open for this client until it is closed, as if the request had been its own.
   */
  holdExisting(): void {
    if (this.pool) return;
    const pool = pools.get(this.key);
    if (!pool || pool.failed) return;
    pool.holders++;
    this.pool = pool;
  }

  /** Gives the hold back; the last holder closes the pool (after the requests in flight on it). */
  async release(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    if (!pool || --pool.holders > 0) return;
    if (pools.get(this.key) === pool) pools.delete(this.key);
    await (await pool.dispatcher.catch(() => undefined))?.close();
  }
}
