// A live set of objects kept by list + watch: client-node's ListWatch lists, watches from the list's
// resourceVersion, resumes from the last seen resourceVersion when the stream ends, and lists again
// after 410 Gone. What it leaves to its user is added here: a stream that fails (reset connection,
// 5xx) is started again after a pause, and 401/403/404 end the wait with the API error's one line.
import {
  ADD,
  ApiException,
  DELETE,
  ERROR,
  ListWatch,
  UPDATE,
  Watch,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '../kube/client-node.js';
import type { CanaryError } from '../errors.js';
import { statusCodeOf } from '../kube/api-error-shape.js';
import { describeApiError, type ApiAttempt } from '../kube/errors.js';
import { serverOf } from '../kube/kubeconfig.js';

/** Pause before a failed stream is started again; ListWatch itself backs off repeated reconnects. */
const RESTART_DELAY_MS = 1000;

/** Answers that retrying cannot change: the wait ends with them. */
const FATAL_STATUS = new Set([401, 403, 404]);

/**
 * ListWatch checks whether it was stopped only before it lists; a stop that comes while a list is in
 * flight would leave the watch that follows open. This Watch opens none once the set is stopped.
 */
class StoppableWatch extends Watch {
  constructor(
    config: KubeConfig,
    private readonly stopped: () => boolean,
  ) {
    super(config);
  }

  override async watch(...args: Parameters<Watch['watch']>): Promise<AbortController> {
    const idle = new AbortController();
    if (this.stopped()) return idle;
    const controller = await super.watch(...args);
    if (this.stopped()) controller.abort();
    return controller;
  }
}

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
  private readonly informer: ListWatch<T>;
  private stopped = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private listed = false;
  /** How many objects the first list returned: the set is complete once it holds them all. */
  private firstListSize = 0;
  private populated = false;
  /** The last transient failure, for a timeout message. */
  lastError: string | undefined;

  constructor(private readonly options: WatchedSetOptions<T>) {
    this.informer = new ListWatch<T>(
      options.path,
      new StoppableWatch(options.kubeConfig, () => this.stopped),
      async () => {
        const list = await options.list();
        if (!this.listed) this.firstListSize = list.items.length;
        this.listed = true;
        return list;
      },
      false,
      options.labelSelector,
      options.fieldSelector,
    );
    const changed = () => {
      if (!this.stopped && this.complete()) options.onChange();
    };
    this.informer.on(ADD, changed);
    this.informer.on(UPDATE, changed);
    this.informer.on(DELETE, changed);
    this.informer.on(ERROR, (error: unknown) => this.failed(error));
  }

  /** Resolves once the first list has been answered (or has failed). */
  async start(): Promise<void> {
    await this.startInformer();
    if (this.complete() && !this.stopped) this.options.onChange();
  }

  /**
   * ListWatch adds the first list's objects one by one, each with an ADD event: until the last is in, the
   * set would look as if the others did not exist (a waited-for object "deleted", a rollout judged on
   * half its Deployments). Relists keep the objects they had meanwhile, so only the first one matters.
   */
  private complete(): boolean {
    if (!this.populated && this.listed && this.informer.list().length >= this.firstListSize)
      this.populated = true;
    return this.populated;
  }

  /** ListWatch reports list and stream failures through ERROR, but a failure to open a watch rejects. */
  private async startInformer(): Promise<void> {
    try {
      await this.informer.start();
    } catch (error) {
      this.failed(error);
    }
  }

  /** True once a list succeeded and its objects are in: only then does an absent object mean "not there". */
  get synced(): boolean {
    return this.populated;
  }

  objects(): readonly T[] {
    return this.informer.list();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    void this.informer.stop();
  }

  private failed(error: unknown): void {
    if (this.stopped) return;
    const verb = this.listed ? 'watch' : 'list';
    const attempt: ApiAttempt = { ...this.options.attempt, verb, server: serverOf(this.options.kubeConfig) };
    const status = statusCodeOf(error) ?? watchStatusCode(error);
    // A refused watch request carries its HTTP status as `statusCode`; give it the ApiException shape.
    const shaped =
      status !== undefined && statusCodeOf(error) === undefined ? withCode(error, status) : error;
    const described = describeApiError(shaped, attempt);
    if (typeof status === 'number' && FATAL_STATUS.has(status)) {
      this.stop();
      this.options.onFatal(described);
      return;
    }
    this.lastError = described.message;
    this.restartTimer = setTimeout(() => {
      if (!this.stopped) void this.startInformer();
    }, RESTART_DELAY_MS);
  }
}

function watchStatusCode(error: unknown): number | undefined {
  const code = (error as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

function withCode(error: unknown, code: number): ApiException<undefined> {
  const message = (error as { message?: unknown } | undefined)?.message;
  return new ApiException(code, typeof message === 'string' ? message : String(error), undefined, {});
}
