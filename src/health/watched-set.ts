// A live set of objects kept by list + watch: list, then watch from the list's resourceVersion; when a
// stream ends cleanly, watch again from the last resourceVersion seen (a BOOKMARK's included); after 410
// Gone, list again and watch from the new list. A stream that fails (reset connection, 5xx) is started
// again after a pause, and 401/403/404 end the wait with the API error's one line. Only client-node's
// Watch is used: its informer cache would load the client's model classes for nothing.
import {
  ApiException,
  Watch,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '../kube/client-node.js';
import type { CanaryError } from '../errors.js';
import { statusCodeOf } from '../kube/api-error-shape.js';
import { describeApiError, type ApiAttempt } from '../kube/errors.js';
import { serverOf } from '../kube/kubeconfig.js';
import { GONE, WatchedObjects } from './watched-objects.js';

/** Pause before a failed list or stream is started again. */
const RESTART_DELAY_MS = 1000;

/** Answers that retrying cannot change: the wait ends with them. */
const FATAL_STATUS = new Set([401, 403, 404]);

export interface WatchedSetOptions<T extends KubernetesObject> {
  kubeConfig: KubeConfig;
  /** The collection path, e.g. /apis/apps/v1/namespaces/default/deployments. */
  path: string;
  /** Lists the same collection with the same selectors. */
  list: () => Promise<KubernetesListObject<T>>;
  labelSelector?: string;
  fieldSelector?: string;
  /** The call in RBAC's words, for error messages. */
  attempt: Omit<ApiAttempt, 'server' | 'verb'>;
  /** Called after every change of the set, the initial list included. */
  onChange: () => void;
  /** Called once when an error ends the wait. */
  onFatal: (error: CanaryError) => void;
}

export class WatchedSet<T extends KubernetesObject> {
  private readonly objectsSeen = new WatchedObjects<T>();
  private readonly watch: Watch;
  private stopped = false;
  private listed = false;
  /** The open stream, to close on stop. */
  private stream: AbortController | undefined;
  /** Counts the streams opened: events and ends of an older one than the last are ignored. */
  private streamCount = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  /** The last transient failure, for a timeout message. */
  lastError: string | undefined;

  constructor(private readonly options: WatchedSetOptions<T>) {
    this.watch = new Watch(options.kubeConfig);
  }

  /** Resolves once the first list has been answered and its watch opened (or either has failed). */
  start(): Promise<void> {
    return this.connect();
  }

  /** True once a list succeeded and its objects are in: only then does an absent object mean "not there". */
  get synced(): boolean {
    return this.listed;
  }

  objects(): readonly T[] {
    return this.objectsSeen.list();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    this.streamCount++;
    this.stream?.abort();
    this.stream = undefined;
  }

  /** Lists when there is no resourceVersion to watch from, then opens the watch. */
  private async connect(): Promise<void> {
    if (this.stopped) return;
    if (!this.objectsSeen.resourceVersion) {
      let answer: KubernetesListObject<T>;
      try {
        answer = await this.options.list();
      } catch (error) {
        this.failed(error, 'list');
        return;
      }
      // A stop while the list was in flight: no watch after it.
      if (this.stopped) return;
      const changed = this.objectsSeen.replace(answer);
      const first = !this.listed;
      this.listed = true;
      if (first || changed) this.options.onChange();
      if (this.stopped) return;
    }
    await this.openStream();
  }

  private async openStream(): Promise<void> {
    const stream = ++this.streamCount;
    const { path, labelSelector, fieldSelector } = this.options;
    const query = {
      resourceVersion: this.objectsSeen.resourceVersion,
      allowWatchBookmarks: true,
      labelSelector,
      fieldSelector,
    };
    try {
      const controller = await this.watch.watch(
        path,
        query,
        (type: string, object: unknown) => this.event(stream, type, object),
        (error: unknown) => this.ended(stream, error),
      );
      // Stopped (or superseded) while the request was being answered: close what it opened.
      if (stream === this.streamCount) this.stream = controller;
      else controller.abort();
    } catch (error) {
      // Credentials could not be had, or the kubeconfig has no cluster: the request was never sent.
      if (stream === this.streamCount) this.failed(error, 'watch');
    }
  }

  private event(stream: number, type: string, object: unknown): void {
    if (stream !== this.streamCount) return;
    if (this.objectsSeen.apply(type, object)) this.options.onChange();
  }

  /**
   * The stream is over: cleanly (the server's timeout, a cut), after 410 Gone (an ERROR event, then the
   * end; or the request answered 410), after the client's own inactivity timeout, or with a failure.
   */
  private ended(stream: number, error: unknown): void {
    if (stream !== this.streamCount) return;
    this.stream = undefined;
    if (error && errorCode(error) === GONE) this.objectsSeen.expire();
    else if (isTimeout(error)) this.objectsSeen.resetResumeDelay();
    else if (error) {
      this.failed(error, 'watch');
      return;
    }
    this.restartAfter(this.objectsSeen.nextResumeDelay());
  }

  private failed(error: unknown, verb: 'list' | 'watch'): void {
    if (this.stopped) return;
    const attempt: ApiAttempt = { ...this.options.attempt, verb, server: serverOf(this.options.kubeConfig) };
    const status = errorCode(error);
    // A refused watch request carries its HTTP status as `statusCode`; give it the ApiException shape.
    const shaped =
      status !== undefined && statusCodeOf(error) === undefined ? withCode(error, status) : error;
    const described = describeApiError(shaped, attempt);
    if (status !== undefined && FATAL_STATUS.has(status)) {
      this.stop();
      this.options.onFatal(described);
      return;
    }
    this.lastError = described.message;
    this.objectsSeen.resetResumeDelay();
    this.restartAfter(RESTART_DELAY_MS);
  }

  private restartAfter(delayMs: number): void {
    if (this.stopped) return;
    if (delayMs === 0) {
      void this.connect();
      return;
    }
    this.restartTimer = setTimeout(() => void this.connect(), delayMs);
  }
}

/** The HTTP status of a failed list (ApiException `code`) or watch request (`statusCode`). */
function errorCode(error: unknown): number | undefined {
  const code = statusCodeOf(error) ?? (error as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** client-node's Watch ends a stream silent for its request timeout with a TimeoutError. */
function isTimeout(error: unknown): boolean {
  return (error as { name?: unknown } | undefined)?.name === 'TimeoutError';
}

function withCode(error: unknown, code: number): ApiException<undefined> {
  const message = (error as { message?: unknown } | undefined)?.message;
  return new ApiException(code, typeof message === 'string' ? message : String(error), undefined, {});
}
