// What the waits for a controller's status share (istiod's Reconciled on Istio's kinds, the Gateway API
// controller's parents on HTTPRoutes): list + watch of the written objects' collections (or, given the
// write answers, a watch from their resourceVersion with no list), a settle delay
// that starts with the wait and stands in for status nobody writes, progress lines only when they change,
// and the same failures for a deleted object and for the timeout.
import type { KubeConfig, KubernetesListObject, KubernetesObject } from '../kube/client-node.js';
import { sendCall } from '../kube/rest.js';
import { seconds, type CheckClock, type HealthCheckFailure } from './check.js';
import { WatchWait } from './watch-wait.js';
import { WatchedSet } from './watched-set.js';

export interface StatusWaitOptions {
  timeoutMs: number;
  /** How long to wait for an object on which no controller writes status. */
  settleMs: number;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
}

/** One custom-object collection to list + watch: a namespace's, narrowed to one name when given. */
export interface WatchedCollection {
  group: string;
  version: string;
  plural: string;
  namespace: string;
  name?: string;
  /**
   * The collection's objects as the writes just answered them, and the resourceVersion to watch from (the
   * lowest of those answers): the wait starts from them and watches, with no list. A later relist (after a
   * 410 Expired on the watch) lists as usual.
   */
  seed?: { items: KubernetesObject[]; resourceVersion: string };
}

/** Istio's kinds and the Gateway API routes, by plural; others by the usual lower-case + s. */
const PLURALS: Record<string, string> = {
  VirtualService: 'virtualservices',
  DestinationRule: 'destinationrules',
  Gateway: 'gateways',
  ServiceEntry: 'serviceentries',
  Sidecar: 'sidecars',
  HTTPRoute: 'httproutes',
  GRPCRoute: 'grpcroutes',
};

export function pluralOf(kind: string): string {
  return PLURALS[kind] ?? `${kind.toLowerCase()}s`;
}

/** `networking.istio.io/v1` → group and version. */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const [group = '', version = ''] = apiVersion.split('/');
  return { group, version };
}

export abstract class StatusWait<T extends KubernetesObject> extends WatchWait {
  protected readonly watches: WatchedSet<T>[];
  /** True once `settleMs` has passed since the wait started. */
  protected settled = false;
  private settleTimer: NodeJS.Timeout | undefined;
  private lastProgress = '';

  constructor(
    clock: CheckClock,
    what: string,
    kubeConfig: KubeConfig,
    collections: WatchedCollection[],
    protected readonly options: StatusWaitOptions,
  ) {
    super(clock, what, options);
    this.watches = collections.map(({ group, version, plural, namespace, name, seed }) => {
      const fieldSelector = name === undefined ? undefined : `metadata.name=${name}`;
      let first = seed && { items: seed.items as T[], metadata: { resourceVersion: seed.resourceVersion } };
      const list = (): Promise<KubernetesListObject<T>> =>
        sendCall<KubernetesListObject<T>>(kubeConfig, {
          verb: 'list',
          group,
          version,
          resource: plural,
          namespace,
          query: { fieldSelector },
        });
      return new WatchedSet<T>({
        kubeConfig,
        path: `/apis/${group}/${version}/namespaces/${encodeURIComponent(namespace)}/${plural}`,
        // The seed stands in for the first list only: the set watches from its resourceVersion.
        list: () => {
          const answer = first;
          first = undefined;
          return answer ? Promise.resolve(answer) : list();
        },
        fieldSelector,
        attempt: { group, resource: plural, namespace, ...(name === undefined ? {} : { name }) },
        onChange: () => this.changed(),
        onFatal: (error) => this.finish(this.clock.fail(error.code, error.message)),
      });
    });
  }

  /** Decides the wait from the watched objects: every watch has listed when this is called. */
  protected abstract evaluate(): void;

  protected startWatching(): void {
    this.settleTimer = setTimeout(() => {
      this.settled = true;
      this.changed();
    }, this.options.settleMs);
    for (const watch of this.watches) void watch.start();
  }

  protected stopWatching(): void {
    clearTimeout(this.settleTimer);
    for (const watch of this.watches) watch.stop();
  }

  /** The object of that namespace and name, as last seen by the watch of collection `index`. */
  protected find(index: number, namespace: string, name: string): T | undefined {
    return this.watches[index]
      ?.objects()
      .find((o) => o.metadata?.name === name && o.metadata?.namespace === namespace);
  }

  /** Reports what is still awaited, once per change of it. */
  protected progress(pending: string, prefix: string): void {
    if (pending && pending !== this.lastProgress) this.options.onProgress?.(`${prefix}: ${pending}`);
    this.lastProgress = pending;
  }

  protected deleted(label: string, awaited: string): HealthCheckFailure {
    return this.clock.fail(
      'not-found',
      `${label} was deleted while waiting for ${awaited}: run the stage again`,
    );
  }

  /** The 'timeout' failure: what was still pending, the last API error if any, and the remedy. */
  protected timeoutFailure(pending: string, remedy: string): HealthCheckFailure {
    const apiError = this.watches.find((watch) => watch.lastError)?.lastError;
    return this.clock.fail(
      'timeout',
      `timed out after ${seconds(this.options.timeoutMs)} waiting for ${this.what} ` +
        `(${pending || 'no answer from the API server'}${apiError ? `; last API error: ${apiError}` : ''}): ${remedy}`,
    );
  }

  /** True once every watch has listed: only then does a missing object mean it is gone. */
  protected get synced(): boolean {
    return this.watches.every((watch) => watch.synced);
  }

  private changed(): void {
    if (this.open && this.synced) this.evaluate();
  }
}
