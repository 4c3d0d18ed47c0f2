// The one door to the cluster: every request goes through `send()`, which retries what is transient and
// turns every failure into one CanaryError line. A request names its resource as RBAC does (verb, group,
// version, resource), which is also its path: one HTTP request per call, no discovery per group/version.
import { HttpMethod, type KubeConfig, type V1APIGroup, type V1Deployment } from './client-node.js';
import { CanaryError } from '../errors.js';
import type { ClusterState, RoutingObject } from '../plan/types.js';
import { describeApiError, ISTIO_GROUP, kubeMessages, type ApiAttempt } from './errors.js';
import { serverOf } from './kubeconfig.js';
import { PoolShare, poolKey } from './pool.js';
import { parsed, pathOf, sendCall, sendCallText, sendPath, type KubeCall, type SendOptions } from './rest.js';
import { ReadsInFlight, WriteEpochs } from './reads-in-flight.js';
import { withRetry, type RetryOptions } from './retry.js';
import { readRouting, readVersionOf } from './routing-read.js';
import {
  restoreRoutingObject,
  writeRoutingObject,
  type RoutingRef,
  type WriteOptions,
} from './routing-write.js';
import { deleteDeployments, listDeployments, versionsOf } from './workloads.js';

export interface ClusterClientOptions {
  retry?: RetryOptions;
  /** Cancels waits between retries and requests in flight. */
  signal?: AbortSignal;
  /** Bound on one HTTP request (default 30 s); a timed-out request counts as a dropped connection. */
  requestTimeoutMs?: number;
  /** Recorded in the `istio-canary.io/run-url` annotation and the lease holder. */
  runUrl?: string;
  /** The clock for annotations and lease times. */
  now?: () => Date;
}

export type CallAttempt = Omit<ApiAttempt, 'server'>;

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** The reads of the process in flight, shared by every client (see reads-in-flight.ts). */
const readsInFlight = new ReadsInFlight();
/** The writes each API server has answered, for which reads may still be joined. */
const writeEpochs = new WriteEpochs();

const READ_VERBS = new Set<KubeCall['verb']>(['get', 'list']);

/** A request as messages name it. */
function attemptOf({ verb, group, resource, namespace, name }: KubeCall): CallAttempt {
  return { verb, group, resource, namespace, name };
}

export class ClusterClient {
  readonly kubeConfig: KubeConfig;
  /** The API server address of the selected context, for messages. */
  readonly server: string;
  readonly runUrl: string | undefined;
  readonly now: () => Date;
  private readonly options: ClusterClientOptions;
  private istioVersionsPromise: Promise<string[]> | undefined;
  /** This client's hold on the process's connection pool for its server and credentials (see pool.ts). */
  private pool: PoolShare;
  /** What a read is shared by: the server and credentials (the pool's key). */
  private readonly identity: string;
  private apiGroupsPromise: Promise<V1APIGroup[]> | undefined;

  constructor(kubeConfig: KubeConfig, options: ClusterClientOptions = {}, identity?: string) {
    this.kubeConfig = kubeConfig;
    this.server = serverOf(kubeConfig);
    this.identity = identity ?? poolKey(kubeConfig);
    this.pool = new PoolShare(this.identity);
    this.options = options;
    this.runUrl = options.runUrl;
    this.now = options.now ?? (() => new Date());
  }

  get signal(): AbortSignal | undefined {
    return this.options.signal;
  }

  /**
   * The same client without the run's cancellation: for the clean-up a cancelled run still owes (putting
   * routing back, releasing the lease). Shares the discovery already made.
   */
  detached(): ClusterClient {
    if (!this.options.signal) return this;
    const copy = new ClusterClient(this.kubeConfig, { ...this.options, signal: undefined });
    copy.istioVersionsPromise = this.istioVersionsPromise;
    copy.apiGroupsPromise = this.apiGroupsPromise;
    copy.pool = this.pool;
    return copy;
  }

  /**
   * One attempt with a signal of its own, aborted by the run's cancellation or by the per-request timeout
   * (a TimeoutError, as AbortSignal.timeout gives), whichever comes first; its timer and listener go when
   * the attempt ends. Not AbortSignal.any: its weak references cost every request (and the collector) more
   * than the request's own bookkeeping, and a wave of clusters sends hundreds.
   */
  private async attempt<T>(send: (options: SendOptions) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
      this.options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    );
    const run = this.options.signal;
    const cancel = () => controller.abort(run?.reason);
    if (run?.aborted) cancel();
    else run?.addEventListener('abort', cancel, { once: true });
    try {
      return await send({
        signal: controller.signal,
        pool: (kubeConfig, tls) => this.pool.dispatcher(kubeConfig, tls),
      });
    } finally {
      clearTimeout(timer);
      run?.removeEventListener('abort', cancel);
    }
  }

  /**
   * Gives back this client's hold on the connection pool (shared with its detached() copies): the last
   * client of the process to hold it closes it, so that a finished run does not hold the process open.
   */
  async close(): Promise<void> {
    await this.pool.release();
  }

  /** One API request: retried while transient, then described in one line; answers the JSON body. */
  send<T>(call: KubeCall): Promise<T> {
    const sent = this.call(attemptOf(call), (options) => sendCall<T>(this.kubeConfig, call, options));
    if (READ_VERBS.has(call.verb)) return sent;
    // A read asked for from now on does not join one sent before this write ended.
    const ended = () => writeEpochs.ended(this.server);
    sent.then(ended, ended);
    return sent;
  }

  /**
   * The same, answering a parser of the JSON body (each call makes the objects; the caller keeps them): for
   * a read made ahead in case the run needs it (a namespace's Services, which only the Gateway API path
   * reads). Its text is one string; its objects, made and thrown away in every run that does not need
   * them, were a large share of what a hundred concurrent releases allocate. The text is shared with the
   * same read in flight from another client of the process (sendShared).
   */
  async sendLazily<T>(call: KubeCall): Promise<() => T> {
    const text = await this.joined(call, 'text', (client) =>
      client.call(attemptOf(call), (options) => sendCallText(client.kubeConfig, call, options)),
    );
    return () => parsed<T>(text);
  }

  /**
   * A read (get or list) whose answer the caller only reads: it joins the same read in flight from any
   * client of the process with the same server and credentials, and the answer is shared by all (frozen
   * when it was shared).
   * A hundred releases in one namespace at once each list its VirtualServices and DestinationRules: one
   * request and one parse serve those asked for while it is in flight, instead of a hundred of each.
   */
  sendShared<T>(call: KubeCall): Promise<T> {
    return this.joined(call, 'json', (client) =>
      client.call(attemptOf(call), (options) => sendCall<T>(client.kubeConfig, call, options)),
    );
  }

  /**
   * The read in flight for this request, or a new one. It is sent by a client of its own: with this
   * client's retries and request bound, its own hold on the pool, and a signal of its own that ends it
   * once no caller waits (each caller stops waiting on its own run's cancellation). Each caller takes a
   * hold on the pool when the answer comes, as for a request of its own; the sender gives its hold back
   * after that, so that the connection outlives the read for the runs that go on.
   */
  private joined<T>(call: KubeCall, form: string, send: (client: ClusterClient) => Promise<T>): Promise<T> {
    const run = this.options.signal;
    const cancelled = () => describeApiError(run?.reason, { ...attemptOf(call), server: this.server });
    if (run?.aborted) return Promise.reject(cancelled());
    const key = [this.identity, form, call.verb, pathOf(call), JSON.stringify(call.query ?? {}), call.accept];
    let sender: ClusterClient | undefined;
    const { read, leave } = readsInFlight.join(
      key.join('\n'),
      writeEpochs.of(this.server),
      (signal) => {
        sender = new ClusterClient(this.kubeConfig, { ...this.options, signal }, this.identity);
        return send(sender);
      },
      () => void sender?.close(),
    );
    const held = read.then((value) => {
      this.pool.holdExisting();
      return value;
    });
    if (!run) return held;
    return new Promise<T>((resolve, reject) => {
      const cancel = () => {
        leave();
        reject(cancelled());
      };
      run.addEventListener('abort', cancel, { once: true });
      held.then(resolve, reject).finally(() => run.removeEventListener('abort', cancel));
    });
  }

  private async call<T>(attempt: CallAttempt, send: (options: SendOptions) => Promise<T>): Promise<T> {
    try {
      return await withRetry(() => this.attempt(send), {
        ...this.options.retry,
        signal: this.options.signal,
      });
    } catch (err) {
      throw describeApiError(err, { ...attempt, server: this.server });
    }
  }

  /** The served versions of networking.istio.io, preferred first; asked once per client. */
  istioVersions(): Promise<string[]> {
    if (!this.istioVersionsPromise) {
      const discovery = this.discoverIstioVersions();
      this.istioVersionsPromise = discovery;
      // A failed discovery is not cached: the next call asks again.
      discovery.catch(() => {
        if (this.istioVersionsPromise === discovery) this.istioVersionsPromise = undefined;
      });
    }
    return this.istioVersionsPromise;
  }

  /** The apiVersion for an object that does not exist yet: v1, or v1beta1 on a cluster without v1. */
  async newObjectApiVersion(): Promise<string> {
    return `${ISTIO_GROUP}/${readVersionOf(await this.istioVersions())}`;
  }

  /**
   * The served API groups, asked once per client (and shared with the same read in flight elsewhere, as
   * sendShared shares) and shared by every reader (Istio's and Gateway API's
   * versions come from the same request). GET /apis lists every group with its versions in one request,
   * and answers 200 whether or not a group is there (GET /apis/networking.istio.io would 404 without it,
   * which reads like a broken server). A failed discovery is not cached: the next call asks again.
   */
  apiGroups(): Promise<V1APIGroup[]> {
    if (!this.apiGroupsPromise) {
      const call: KubeCall = { verb: 'get', group: '', version: '', resource: 'apis' };
      const discovery = this.joined(call, 'apis', (client) =>
        client.call(attemptOf(call), (options) =>
          sendPath<{ groups: V1APIGroup[] }>(client.kubeConfig, HttpMethod.GET, '/apis', {}, options),
        ),
      ).then((list) => list.groups);
      this.apiGroupsPromise = discovery;
      discovery.catch(() => {
        if (this.apiGroupsPromise === discovery) this.apiGroupsPromise = undefined;
      });
    }
    return this.apiGroupsPromise;
  }

  private async discoverIstioVersions(): Promise<string[]> {
    const groups = await this.apiGroups();
    const istio = groups.find((group) => group.name === ISTIO_GROUP);
    const versions = istio?.versions.map((version) => version.version) ?? [];
    if (!versions.includes('v1') && !versions.includes('v1beta1')) {
      throw new CanaryError('istio-missing', kubeMessages.istioMissing());
    }
    const preferred = istio?.preferredVersion?.version;
    return preferred ? [preferred, ...versions.filter((version) => version !== preferred)] : versions;
  }

  /** The namespace's VirtualServices and DestinationRules, each with the apiVersion it was last written with. */
  readRouting(namespace: string): Promise<ClusterState> {
    return readRouting(this, namespace);
  }

  /** Create, or replace on the resourceVersion it was read with (409 → CanaryError 'conflict'). */
  write(object: RoutingObject, options: WriteOptions): Promise<RoutingObject> {
    return writeRoutingObject(this, object, options);
  }

  /** Put back `original` exactly (spec, labels, annotations), or delete `current` when there was none. */
  restore(original: RoutingObject | undefined, current: RoutingRef): Promise<RoutingObject | undefined> {
    return restoreRoutingObject(this, original, current);
  }

  listDeployments(namespace: string, selector: string): Promise<V1Deployment[]> {
    return listDeployments(this, namespace, selector);
  }

  versionsOf(namespace: string, app: string, versionLabel: string): Promise<string[]> {
    return versionsOf(this, namespace, app, versionLabel);
  }

  deleteDeployments(
    namespace: string,
    selector: string,
    options: { dryRun?: boolean } = {},
  ): Promise<string[]> {
    return deleteDeployments(this, namespace, selector, options);
  }
}
