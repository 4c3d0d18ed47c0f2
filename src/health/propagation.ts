// Waits until istiod has pushed the written routing objects to the proxies, as far as it tells:
// with PILOT_ENABLE_STATUS istiod writes `status.conditions[type=Reconciled]` and
// `status.observedGeneration` on each object; without it nothing is written and only a settle delay
// is left. Each object is watched by name (from the write's answer when given, else list + watch):
// istiod's status writes arrive as they happen, with no request per poll and no poll interval added to
// the wait.
import type { KubeConfig, KubernetesObject } from '../kube/client-node.js';
import type { HealthCheckResult } from '../types.js';
import { CheckClock, seconds, type HealthCheckFailure } from './check.js';
import {
  pluralOf,
  splitApiVersion,
  StatusWait,
  type StatusWaitOptions,
  type WatchedCollection,
} from './status-wait.js';

export interface WrittenObject {
  /** e.g. networking.istio.io/v1 */
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  /** metadata.generation as the write returned it. */
  generation: number;
  /**
   * The write's answer: the wait starts from it and watches from its resourceVersion, with no list first
   * (one round trip less per write). Without it, the object is listed, then watched.
   */
  written?: KubernetesObject;
}

/** `settleMs`: how long to wait for an object on which istiod writes no status. */
export type WaitForPropagationOptions = StatusWaitOptions;

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

function seedOf(written: KubernetesObject | undefined): Pick<WatchedCollection, 'seed'> {
  const resourceVersion = written?.metadata?.resourceVersion;
  return written && resourceVersion ? { seed: { items: [written], resourceVersion } } : {};
}

class PropagationWait extends StatusWait<IstioObject> {
  constructor(
    kubeConfig: KubeConfig,
    private readonly objects: WrittenObject[],
    options: WaitForPropagationOptions,
  ) {
    super(
      new CheckClock('istio propagation'),
      `istiod to reconcile ${objects.map((o) => `${label(o)} generation ${o.generation}`).join(', ')}`,
      kubeConfig,
      objects.map((object) => ({
        ...splitApiVersion(object.apiVersion),
        plural: pluralOf(object.kind),
        namespace: object.namespace,
        name: object.name,
        ...seedOf(object.written),
      })),
      options,
    );
  }

  override async run(): Promise<HealthCheckResult> {
    if (this.objects.length === 0 && !this.options.signal?.aborted) return this.clock.pass('nothing written');
    return super.run();
  }

  private states(): State[] {
    return this.objects.map((object, i) =>
      propagationState(this.find(i, object.namespace, object.name), object.generation),
    );
  }

  protected evaluate(): void {
    const states = this.states();
    const missing = states.findIndex((state) => state.kind === 'missing');
    if (missing >= 0) {
      this.finish(this.deleted(label(this.objects[missing]!), 'istiod to reconcile it'));
      return;
    }
    this.progress(this.pendingText(states), 'waiting for istiod');
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
    return this.timeoutFailure(
      this.pendingText(this.states()),
      "check istiod's logs and istioctl proxy-status, or raise the timeout",
    );
  }
}
