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
//
// A pool outlives its last client by a few seconds (IDLE_MS), as client-go's transports keep idle
// connections: stages run one after another in one process (a script's loop, a wave after a wave, a
// service releasing several times) take the connection of the one before instead of a TCP and TLS
// handshake each, which is most of what a cluster of a wave costs besides its requests. An idle
// connection does not keep the process alive (undici unrefs it, and the timer is unref'd): a CLI or
// action run exits as soon as its work is done.
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
  /** Closes the pool once it has had no holder for IDLE_MS. */
  idle?: NodeJS.Timeout;
}

const pools = new Map<string, SharedPool>();

/** How long a pool without holders stays open for the next client of its server (see the top). */
const IDLE_MS = 5_000;
let idleMs = IDLE_MS;

/** For tests: how long an idle pool stays open (0: closed with its last holder, as it is given back). */
export function setPoolIdleMs(ms: number = IDLE_MS): void {
  idleMs = ms;
}

/**
 * What a connection is bound to: the selected cluster (server, CA, TLS name, proxy) and user (client
 * certificate, or whatever an auth plugin adds). Hashed, so that no credential is kept as a key.
 */
export function poolKey(kubeConfig: KubeConfig): string {
  const identity = JSON.stringify([kubeConfig.getCurrentCluster(), kubeConfig.getCurrentUser()]);
  return createHash('sha256').update(identity).digest('hex');
}

/** How many pools the process holds open, those kept idle included (for tests). */
export function openPools(): number {
  return pools.size;
}

/** How many of them some client holds (for tests): the others are idle, kept for the next client. */
export function heldPools(): number {
  return [...pools.values()].filter((pool) => pool.holders > 0).length;
}

/** Closes every pool no client holds now, without waiting for its idle time (for tests). */
export async function closeIdlePools(): Promise<void> {
  const idle = [...pools].filter(([, pool]) => pool.holders === 0);
  await Promise.all(idle.map(([key, pool]) => closePool(key, pool)));
}

async function closePool(key: string, pool: SharedPool): Promise<void> {
  clearTimeout(pool.idle);
  if (pools.get(key) === pool) pools.delete(key);
  const dispatcher = await pool.dispatcher.catch(() => undefined);
  // A connection the server already ended closes with an error: nothing is left to close.
  await dispatcher?.close().catch(() => undefined);
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
    hold(pool);
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
    hold(pool);
    this.pool = pool;
  }

  /**
   * Gives the hold back. A pool left without holders is closed (after the requests in flight on it) once
   * it has stayed so for its idle time; one that failed, or with no idle time, at once.
   */
  async release(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    if (!pool || --pool.holders > 0) return;
    if (pool.failed || idleMs <= 0) return closePool(this.key, pool);
    const key = this.key;
    pool.idle = setTimeout(() => void closePool(key, pool), idleMs);
    pool.idle.unref();
  }
}

function hold(pool: SharedPool): void {
  pool.holders++;
  clearTimeout(pool.idle);
  pool.idle = undefined;
}
