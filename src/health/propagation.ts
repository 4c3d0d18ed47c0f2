// Waits until istiod has pushed the written routing objects to the proxies, as far as it tells:
// with PILOT_ENABLE_STATUS istiod writes `status.conditions[type=Reconciled]` and
// `status.observedGeneration` on each object; without it nothing is written and only a settle delay
// is left. Each object is watched (list + watch by name): istiod's status writes arrive as they
// happen, with no request per poll and no poll interval added to the wait.
import { CustomObjectsApi, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { HealthCheckResult } from '../types.js';
import { CheckClock, seconds, type HealthCheckFailure } from './check.js';
import { WatchWait } from './watch-wait.js';
import { WatchedSet } from './watched-set.js';

export interface WrittenObject {
  /** e.g. networking.istio.io/v1 */
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  /** metadata.generation as the write returned it. */
  generation: number;
}

export interface WaitForPropagationOptions {
  timeoutMs: number;
  /** How long to wait for an object on which istiod writes no status. */
  settleMs: number;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
}

interface IstioCondition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  observedGeneration?: number | string;
}

type IstioObject = KubernetesObject & {
  status?: { conditions?: IstioCondition[]; observedGeneration?: number | string };
};

type State =
  { kind: 'reconciled' } | { kind: 'pending'; text: string } | { kind: 'no-status' } | { kind: 'missing' };

/** Istio's kinds and the Gateway API route, by plural; others by the usual lower-case + s. */
const PLURALS: Record<string, string> = {
  VirtualService: 'virtualservices',
  DestinationRule: 'destinationrules',
  Gateway: 'gateways',
  ServiceEntry: 'serviceentries',
  Sidecar: 'sidecars',
  HTTPRoute: 'httproutes',
};

function label(object: WrittenObject): string {
  return `${object.kind} ${object.name} in ${object.namespace}`;
}

/** Where istiod stands on this object for the written generation. */
export function propagationState(object: IstioObject | undefined, generation: number): State {
  if (!object) return { kind: 'missing' };
  const reconciled = object.status?.conditions?.find((condition) => condition.type === 'Reconciled');
  if (!reconciled) return { kind: 'no-status' };
  // Newer Istio puts observedGeneration on the condition itself; older on status.
  const observed = Number(reconciled.observedGeneration ?? object.status?.observedGeneration ?? 0);
  if (reconciled.status === 'True' && observed >= generation) return { kind: 'reconciled' };
  const said = [reconciled.status, reconciled.reason, reconciled.message].filter(Boolean).join(' ');
  return { kind: 'pending', text: `Reconciled ${said}, observed generation ${observed} of ${generation}` };
}

/**
 * Resolves when every object is Reconciled=True by istiod for at least the written generation; an
 * object that carries no Reconciled condition counts as propagated once `settleMs` has passed.
 * Rejects 'timeout' after `timeoutMs`, 'not-found' when an object is deleted, 'cancelled' on `signal`.
 */
export function waitForPropagation(
  kubeConfig: KubeConfig,
  objects: WrittenObject[],
  options: WaitForPropagationOptions,
): Promise<HealthCheckResult> {
  return new PropagationWait(kubeConfig, objects, options).run();
}

class PropagationWait extends WatchWait {
  private readonly watches: WatchedSet<IstioObject>[];
  private settled = false;
  private lastProgress = '';
  private settleTimer: NodeJS.Timeout | undefined;

  constructor(
    kubeConfig: KubeConfig,
    private readonly objects: WrittenObject[],
    private readonly options: WaitForPropagationOptions,
  ) {
    super(
      new CheckClock('istio propagation'),
      `istiod to reconcile ${objects.map((o) => `${label(o)} generation ${o.generation}`).join(', ')}`,
      options,
    );
    const api = kubeConfig.makeApiClient(CustomObjectsApi);
    this.watches = objects.map((object) => {
      const [group = '', version = ''] = object.apiVersion.split('/');
      const plural = PLURALS[object.kind] ?? `${object.kind.toLowerCase()}s`;
      const fieldSelector = `metadata.name=${object.name}`;
      const namespace = object.namespace;
      return new WatchedSet<IstioObject>({
        kubeConfig,
        path: `/apis/${group}/${version}/namespaces/${encodeURIComponent(namespace)}/${plural}`,
        list: () => api.listNamespacedCustomObject({ group, version, namespace, plural, fieldSelector }),
        fieldSelector,
        attempt: { group, resource: plural, namespace, name: object.name },
        onChange: () => this.evaluate(),
        onFatal: (error) => this.finish(this.clock.fail(error.code, error.message)),
      });
    });
  }

  override async run(): Promise<HealthCheckResult> {
    if (this.objects.length === 0 && !this.options.signal?.aborted) return this.clock.pass('nothing written');
    return super.run();
  }

  protected startWatching(): void {
    this.settleTimer = setTimeout(() => {
      this.settled = true;
      this.evaluate();
    }, this.options.settleMs);
    for (const watch of this.watches) void watch.start();
  }

  protected stopWatching(): void {
    clearTimeout(this.settleTimer);
    for (const watch of this.watches) watch.stop();
  }

  private states(): State[] {
    return this.objects.map((object, i) => {
      const found = this.watches[i]!.objects().find((o) => o.metadata?.name === object.name);
      return propagationState(found, object.generation);
    });
  }

  private evaluate(): void {
    if (!this.open || !this.watches.every((watch) => watch.synced)) return;
    const states = this.states();
    const missing = states.findIndex((state) => state.kind === 'missing');
    if (missing >= 0) {
      const object = this.objects[missing]!;
      this.finish(
        this.clock.fail(
          'not-found',
          `${label(object)} was deleted while waiting for istiod to reconcile it: run the stage again`,
        ),
      );
      return;
    }
    const pending = this.pendingText(states);
    if (pending && pending !== this.lastProgress) this.options.onProgress?.(`waiting for istiod: ${pending}`);
    this.lastProgress = pending;
    const done = states.every((s) => s.kind === 'reconciled' || (s.kind === 'no-status' && this.settled));
    if (done) this.finish(this.clock.pass(this.detail(states)));
  }

  private pendingText(states: State[]): string {
    return states
      .flatMap((state, i) => (state.kind === 'pending' ? [`${label(this.objects[i]!)}: ${state.text}`] : []))
      .join('; ');
  }

  /** "reconciled: VirtualService reviews in default (generation 3)" and/or "no istiod status: waited 2s". */
  private detail(states: State[]): string {
    const reconciled = this.objects.filter((_, i) => states[i]!.kind === 'reconciled');
    const silent = this.objects.filter((_, i) => states[i]!.kind === 'no-status');
    const parts = [];
    if (reconciled.length)
      parts.push(
        `reconciled: ${reconciled.map((o) => `${label(o)} (generation ${o.generation})`).join(', ')}`,
      );
    if (silent.length) {
      const on = reconciled.length ? ` on ${silent.map(label).join(', ')}` : '';
      parts.push(`no istiod status${on}: waited ${seconds(this.options.settleMs)}`);
    }
    return parts.join('; ');
  }

  protected timedOut(): HealthCheckFailure {
    const pending = this.pendingText(this.states()) || 'no answer from the API server';
    const apiError = this.watches.find((watch) => watch.lastError)?.lastError;
    return this.clock.fail(
      'timeout',
      `timed out after ${seconds(this.options.timeoutMs)} waiting for ${this.what} (${pending}` +
        `${apiError ? `; last API error: ${apiError}` : ''}): check istiod's logs and istioctl proxy-status, ` +
        'or raise the timeout',
    );
  }
}
