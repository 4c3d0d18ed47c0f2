// A Deployment controller simulator: for each Deployment a ReplicaSet (pod-template-hash) and its pods,
// and the Deployment status a real controller reports, including the failure modes a test asks for.
import { createHash, randomBytes } from 'node:crypto';
import type { ResourceRegistry, ResourceType } from './resources.js';
import type { KubeObject, ObjectStore } from './store.js';

export interface Workloads {
  /** New or updated Deployments become available `delayMs` after the change (0: at once). */
  autoRollout(delayMs: number): void;
  /** The Deployment stops progressing: Progressing=False, reason ProgressDeadlineExceeded. */
  stall(namespace: string, name: string): void;
  /** Its pods crash: containerStatuses[].state.waiting.reason CrashLoopBackOff, restartCount growing. */
  crashLoop(namespace: string, name: string, container?: string): void;
  /** Its pods cannot pull the image: ImagePullBackOff. */
  imagePullBackOff(namespace: string, name: string, container?: string): void;
  /** Back to healthy pods and a normal rollout. */
  heal(namespace: string, name: string): void;
}

type Mode =
  | { kind: 'healthy' }
  | { kind: 'stalled' }
  | { kind: 'crashLoop'; container?: string }
  | { kind: 'imagePullBackOff'; container?: string };

interface PodTemplate {
  metadata?: { labels?: Record<string, string> };
  spec?: { containers?: { name: string; image?: string }[] };
}

interface DeploymentSpec {
  replicas?: number;
  selector?: { matchLabels?: Record<string, string> };
  template?: PodTemplate;
}

const ALPHABET = 'bcdfghjkmnpqrstvwxz2456789';

function suffix(bytes: Buffer, length: number): string {
  return [...bytes.subarray(0, length)].map((b) => ALPHABET[b % ALPHABET.length]).join('');
}

function timestamp(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

/** The ownerReferences of an object a Deployment or ReplicaSet controls; deletes cascade along them. */
function controlledBy(owner: KubeObject) {
  const { name, uid } = owner.metadata;
  return [{ apiVersion: 'apps/v1', kind: owner.kind!, name: name!, uid: uid!, controller: true }];
}

function condition(type: string, status: string, reason: string, message: string) {
  const now = timestamp();
  return { type, status, lastUpdateTime: now, lastTransitionTime: now, reason, message };
}

export class WorkloadSimulator implements Workloads {
  private delayMs = 0;
  private modes = new Map<string, Mode>();
  private timers = new Set<NodeJS.Timeout>();
  private readonly deployments: ResourceType;
  private readonly replicaSets: ResourceType;
  private readonly pods: ResourceType;
  private unsubscribe: () => void;

  constructor(
    registry: ResourceRegistry,
    private readonly store: ObjectStore,
  ) {
    this.deployments = registry.byPlural('apps', 'v1', 'deployments')!;
    this.replicaSets = registry.byPlural('apps', 'v1', 'replicasets')!;
    this.pods = registry.byPlural('', 'v1', 'pods')!;
    this.unsubscribe = store.subscribe((e) => {
      if (e.resource !== this.deployments || e.type === 'DELETED') return;
      const status = (e.object.status ?? {}) as { observedGeneration?: number };
      if (status.observedGeneration !== e.object.metadata.generation) {
        this.schedule(e.object.metadata.namespace!, e.object.metadata.name!);
      }
    });
  }

  autoRollout(delayMs: number): void {
    this.delayMs = delayMs;
  }

  stall(namespace: string, name: string): void {
    this.setMode(namespace, name, { kind: 'stalled' });
  }

  crashLoop(namespace: string, name: string, container?: string): void {
    this.setMode(namespace, name, { kind: 'crashLoop', ...(container ? { container } : {}) });
  }

  imagePullBackOff(namespace: string, name: string, container?: string): void {
    this.setMode(namespace, name, { kind: 'imagePullBackOff', ...(container ? { container } : {}) });
  }

  heal(namespace: string, name: string): void {
    this.setMode(namespace, name, { kind: 'healthy' });
  }

  close(): void {
    this.unsubscribe();
    for (const t of this.timers) clearTimeout(t);
  }

  private setMode(namespace: string, name: string, mode: Mode): void {
    this.modes.set(`${namespace}/${name}`, mode);
    this.schedule(namespace, name);
  }

  /** Reconciles after the current write has been answered and seen by every watcher, as a controller would. */
  private schedule(namespace: string, name: string): void {
    const first = setTimeout(() => {
      this.timers.delete(first);
      this.reconcile(namespace, name, false);
      const later = setTimeout(() => {
        this.timers.delete(later);
        this.reconcile(namespace, name, true);
      }, this.delayMs);
      this.timers.add(later);
    }, 0);
    this.timers.add(first);
  }

  private reconcile(namespace: string, name: string, settled: boolean): void {
    const dep = this.store.get(this.deployments, namespace, name);
    if (!dep) return;
    const spec = (dep.spec ?? {}) as DeploymentSpec;
    const replicas = spec.replicas ?? 1;
    const mode = this.modes.get(`${namespace}/${name}`) ?? { kind: 'healthy' };
    const hash = suffix(
      createHash('sha256')
        .update(JSON.stringify(spec.template ?? {}))
        .digest(),
      10,
    );
    const rsName = `${name}-${hash}`;
    const rs = this.ensureReplicaSet(dep, rsName, hash, replicas);
    this.retireOldReplicaSets(dep, rsName);
    const podsUp = mode.kind === 'healthy' && settled;
    // Pods start once the rollout settles, except on a stalled one; a failing container keeps its pod unready.
    this.ensurePods(rs, replicas, mode, settled && mode.kind !== 'stalled');
    const available = podsUp ? replicas : 0;
    const conditions = [
      available >= replicas
        ? condition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.')
        : condition(
            'Available',
            'False',
            'MinimumReplicasUnavailable',
            'Deployment does not have minimum availability.',
          ),
      mode.kind === 'stalled' && settled
        ? condition(
            'Progressing',
            'False',
            'ProgressDeadlineExceeded',
            `ReplicaSet "${rsName}" has timed out progressing.`,
          )
        : available >= replicas
          ? condition(
              'Progressing',
              'True',
              'NewReplicaSetAvailable',
              `ReplicaSet "${rsName}" has successfully progressed.`,
            )
          : condition('Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${rsName}" is progressing.`),
    ];
    const status: Record<string, unknown> = {
      observedGeneration: dep.metadata.generation,
      replicas,
      updatedReplicas: replicas,
      readyReplicas: available,
      availableReplicas: available,
      conditions,
    };
    if (available < replicas) status.unavailableReplicas = replicas - available;
    if (available === 0) delete status.readyReplicas;
    this.store.write(this.deployments, { ...dep, status });
    this.writeReplicaSetStatus(rs, replicas, available);
  }

  private ensureReplicaSet(dep: KubeObject, rsName: string, hash: string, replicas: number): KubeObject {
    const spec = (dep.spec ?? {}) as DeploymentSpec;
    const ns = dep.metadata.namespace!;
    const template = structuredClone(spec.template ?? {});
    template.metadata = {
      ...template.metadata,
      labels: { ...template.metadata?.labels, 'pod-template-hash': hash },
    };
    const existing = this.store.get(this.replicaSets, ns, rsName);
    const rs: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        ...(existing?.metadata ?? {}),
        name: rsName,
        namespace: ns,
        labels: template.metadata.labels,
        ownerReferences: controlledBy(dep),
      },
      spec: {
        replicas,
        selector: { matchLabels: { ...spec.selector?.matchLabels, 'pod-template-hash': hash } },
        template,
      },
      status: existing?.status ?? { replicas: 0 },
    };
    if (existing && JSON.stringify(existing.spec) === JSON.stringify(rs.spec)) return existing;
    return this.store.write(this.replicaSets, rs);
  }

  private retireOldReplicaSets(dep: KubeObject, current: string): void {
    for (const rs of this.store.list(this.replicaSets, dep.metadata.namespace)) {
      const owned = rs.metadata.ownerReferences?.some((r) => r.uid === dep.metadata.uid);
      if (!owned || rs.metadata.name === current) continue;
      for (const pod of this.podsOf(rs))
        this.store.remove(this.pods, pod.metadata.namespace, pod.metadata.name!);
      if ((rs.spec as { replicas?: number }).replicas !== 0) {
        this.store.write(this.replicaSets, {
          ...rs,
          spec: { ...(rs.spec as object), replicas: 0 },
          status: { replicas: 0 },
        });
      }
    }
  }

  private podsOf(rs: KubeObject): KubeObject[] {
    return this.store
      .list(this.pods, rs.metadata.namespace)
      .filter((p) => p.metadata.ownerReferences?.some((r) => r.uid === rs.metadata.uid));
  }

  private ensurePods(rs: KubeObject, replicas: number, mode: Mode, ready: boolean): void {
    const pods = this.podsOf(rs);
    for (const extra of pods.slice(replicas))
      this.store.remove(this.pods, extra.metadata.namespace, extra.metadata.name!);
    const template = (rs.spec as { template: PodTemplate }).template;
    for (let i = 0; i < replicas; i++) {
      const existing = pods[i];
      const name = existing?.metadata.name ?? `${rs.metadata.name}-${suffix(randomBytes(5), 5)}`;
      const pod: KubeObject = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          ...(existing?.metadata ?? {}),
          name,
          namespace: rs.metadata.namespace,
          labels: template.metadata?.labels ?? {},
          ownerReferences: controlledBy(rs),
        },
        spec: { ...structuredClone(template.spec ?? {}), nodeName: 'stand-in-node' },
        status: this.podStatus(template, mode, ready, existing),
      };
      if (!existing || JSON.stringify(existing.status) !== JSON.stringify(pod.status))
        this.store.write(this.pods, pod);
    }
  }

  private podStatus(template: PodTemplate, mode: Mode, ready: boolean, existing: KubeObject | undefined) {
    const containers = template.spec?.containers ?? [];
    const previous = ((
      existing?.status as { containerStatuses?: { name: string; restartCount: number }[] } | undefined
    )?.containerStatuses ?? []) as { name: string; restartCount: number }[];
    const failing = (c: { name: string }) =>
      (mode.kind === 'crashLoop' || mode.kind === 'imagePullBackOff') &&
      (!mode.container || mode.container === c.name);
    const containerStatuses = containers.map((c) => {
      const restarts = previous.find((p) => p.name === c.name)?.restartCount ?? 0;
      const base = {
        name: c.name,
        image: c.image ?? '',
        imageID: '',
        started: ready,
        ready: ready && !failing(c),
      };
      if (!ready)
        return { ...base, restartCount: restarts, state: { waiting: { reason: 'ContainerCreating' } } };
      if (mode.kind === 'crashLoop' && failing(c)) {
        return {
          ...base,
          ready: false,
          started: false,
          restartCount: restarts + 3,
          state: {
            waiting: {
              reason: 'CrashLoopBackOff',
              message: `back-off 40s restarting failed container=${c.name} pod=${existing?.metadata.name ?? ''}`,
            },
          },
          lastState: {
            terminated: { exitCode: 1, reason: 'Error', startedAt: timestamp(), finishedAt: timestamp() },
          },
        };
      }
      if (mode.kind === 'imagePullBackOff' && failing(c)) {
        return {
          ...base,
          ready: false,
          started: false,
          restartCount: 0,
          state: {
            waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.image ?? ''}"` },
          },
        };
      }
      return {
        ...base,
        restartCount: restarts,
        state: { running: { startedAt: timestamp() } },
      };
    });
    const allReady = containerStatuses.every((c) => c.ready) && containerStatuses.length > 0;
    const pending = mode.kind === 'imagePullBackOff' || (!ready && mode.kind !== 'crashLoop');
    return {
      phase: pending ? 'Pending' : 'Running',
      conditions: [
        { type: 'Ready', status: allReady ? 'True' : 'False' },
        { type: 'ContainersReady', status: allReady ? 'True' : 'False' },
        { type: 'PodScheduled', status: 'True' },
      ],
      containerStatuses,
      hostIP: '10.0.0.1',
      podIP: '10.244.0.10',
    };
  }

  private writeReplicaSetStatus(rs: KubeObject, replicas: number, available: number): void {
    const current = this.store.get(this.replicaSets, rs.metadata.namespace, rs.metadata.name!);
    if (!current) return;
    const status = {
      replicas,
      fullyLabeledReplicas: replicas,
      readyReplicas: available,
      availableReplicas: available,
      observedGeneration: current.metadata.generation,
    };
    if (JSON.stringify(current.status) !== JSON.stringify(status))
      this.store.write(this.replicaSets, { ...current, status });
  }
}
