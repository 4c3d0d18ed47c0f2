// One run at a time per service: a coordination.k8s.io/v1 Lease `istio-canary-<service>`. Taking a free
// lease is one request (create); a held one is waited for (bounded), an expired one taken over with a
// resourceVersion precondition, so two runs racing for it cannot both win.
import { hostname } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { V1MicroTime, type V1Lease } from './client-node.js';
import { CanaryError } from '../errors.js';
import type { ClusterClient } from './client.js';
import { isCode, kubeMessages } from './errors.js';

export interface LeaseOptions {
  namespace: string;
  service: string;
  /** Who holds it, as other runs will see it: see leaseHolderIdentity(). */
  holder: string;
  /** How long the lease stays ours without renewal (a crashed run frees it after this). */
  durationSeconds: number;
  /** How long to wait for another run's lease before failing. */
  waitSeconds: number;
  signal?: AbortSignal;
  /** How often to look again while another run holds it (default 2 s). */
  pollIntervalMs?: number;
  /** How often to renew while held (default a third of the duration). */
  renewIntervalMs?: number;
  /**
   * Take over a lease whose holder has stopped renewing it (see stoppedRenewing) instead of waiting for it
   * to expire: for `rollback`, the safe direction, after a run was killed mid-release.
   */
  takeOverStale?: boolean;
  /** Told who holds the lease and until when, each time that changes while we wait. */
  onWait?: (message: string) => void;
}

export interface LeaseHandle {
  readonly name: string;
  readonly holder: string;
  /** Set when another run took the lease over while we held it (our renewals had stopped too long). */
  readonly lost: CanaryError | undefined;
  /** The holder whose stale lease we took over (takeOverStale), and when it had last renewed it. */
  readonly takenOver?: { holder: string; renewedAt: Date };
  /** Stops renewing and deletes the lease if it is still ours. */
  release(): Promise<void>;
}

const LEASES = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases' };

export function leaseName(service: string): string {
  return `istio-canary-${service}`;
}

/** `github-actions https://github.com/o/r/actions/runs/1 (pid 123@host)`: enough to find the other run. */
export function leaseHolderIdentity(
  runUrl?: string,
  origin: { pid: number; host: string; githubActions: boolean } = {
    pid: process.pid,
    host: hostname(),
    githubActions: process.env.GITHUB_ACTIONS === 'true',
  },
): string {
  const runner = origin.githubActions ? 'github-actions' : 'istio-canary';
  return `${runner}${runUrl ? ` ${runUrl}` : ''} (pid ${origin.pid}@${origin.host})`;
}

function timeOf(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  return typeof value === 'string' ? Date.parse(value) : NaN;
}

/** When the holder's claim ends: renewTime (or acquireTime) + leaseDurationSeconds. */
export function leaseExpiry(lease: V1Lease): Date {
  const spec = lease.spec ?? {};
  const renewed = timeOf(spec.renewTime ?? spec.acquireTime);
  const duration = (spec.leaseDurationSeconds ?? 0) * 1000;
  return new Date((Number.isNaN(renewed) ? 0 : renewed) + duration);
}

/** When the holder last renewed (or took) the lease. */
function renewedAt(lease: V1Lease): Date {
  const renewed = timeOf(lease.spec?.renewTime ?? lease.spec?.acquireTime);
  return new Date(Number.isNaN(renewed) ? 0 : renewed);
}

/** A holder renews every third of the duration; one renewal missed by more than this has stopped. */
export const RENEWAL_GRACE_SECONDS = 5;

/**
 * The holder has missed a renewal: its last one is older than its renew interval (a third of the lease's
 * duration) plus RENEWAL_GRACE_SECONDS. A live run renews on time; a killed one cannot.
 */
export function stoppedRenewing(lease: V1Lease, now: Date): boolean {
  const interval = ((lease.spec?.leaseDurationSeconds ?? 0) * 1000) / 3;
  return now.getTime() - renewedAt(lease).getTime() > interval + RENEWAL_GRACE_SECONDS * 1000;
}

function isFree(lease: V1Lease, holder: string, now: Date): boolean {
  const current = lease.spec?.holderIdentity;
  return !current || current === holder || leaseExpiry(lease).getTime() <= now.getTime();
}

function leaseBody(name: string, options: LeaseOptions, now: Date, previous?: V1Lease): V1Lease {
  const takenOver = previous && previous.spec?.holderIdentity !== options.holder;
  const transitions = previous?.spec?.leaseTransitions ?? 0;
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name,
      namespace: options.namespace,
      ...(previous?.metadata?.resourceVersion ? { resourceVersion: previous.metadata.resourceVersion } : {}),
    },
    spec: {
      holderIdentity: options.holder,
      leaseDurationSeconds: options.durationSeconds,
      // V1MicroTime prints six fractional digits: the server's MicroTime parser rejects toISOString()'s three.
      acquireTime: new V1MicroTime(takenOver || !previous ? now : timeOf(previous.spec?.acquireTime)),
      renewTime: new V1MicroTime(now),
      leaseTransitions: takenOver ? transitions + 1 : transitions,
    },
  };
}

class HeldLease implements LeaseHandle {
  lost: CanaryError | undefined;
  takenOver: { holder: string; renewedAt: Date } | undefined;
  private current: V1Lease;
  private readonly timer: NodeJS.Timeout;
  private renewing: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: ClusterClient,
    private readonly options: LeaseOptions,
    readonly name: string,
    lease: V1Lease,
  ) {
    this.current = lease;
    const every = options.renewIntervalMs ?? (options.durationSeconds * 1000) / 3;
    this.timer = setInterval(() => {
      this.renewing = this.renewing.then(() => this.renew());
    }, every);
    // Renewal must never keep a finished CLI process alive.
    this.timer.unref();
  }

  get holder(): string {
    return this.options.holder;
  }

  private async renew(): Promise<void> {
    if (this.lost) return;
    try {
      this.current = await replaceLease(
        this.client,
        leaseBody(this.name, this.options, this.client.now(), this.current),
      );
    } catch (err) {
      if (isCode(err, 'conflict') || isCode(err, 'not-found')) {
        const other = await readLease(this.client, this.options.namespace, this.name).catch(() => undefined);
        const holder = other?.spec?.holderIdentity ?? 'nobody (it was deleted)';
        this.lost = new CanaryError(
          'lease-held',
          kubeMessages.leaseLost(this.name, this.options.namespace, holder),
        );
      }
      // Other failures were already retried: the next tick tries again while the lease has time left.
    }
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    await this.renewing;
    if (this.lost) return;
    const { namespace } = this.options;
    const resourceVersion = this.current.metadata?.resourceVersion;
    // Released even when the run was cancelled: otherwise the next run waits for the lease to expire.
    await deleteLease(this.client.detached(), namespace, this.name, resourceVersion);
  }
}

/**
 * Deletes the lease on the resourceVersion we last saw: the precondition makes sure we never delete a lease
 * another run has taken since. Already gone or taken over: nothing to do.
 */
async function deleteLease(
  client: ClusterClient,
  namespace: string,
  name: string,
  resourceVersion: string | undefined,
): Promise<void> {
  try {
    await client.send({
      verb: 'delete',
      ...LEASES,
      namespace,
      name,
      body: { preconditions: resourceVersion ? { resourceVersion } : {} },
    });
  } catch (err) {
    if (!isCode(err, 'conflict') && !isCode(err, 'not-found')) throw err;
  }
}

function readLease(client: ClusterClient, namespace: string, name: string): Promise<V1Lease> {
  return client.send({ verb: 'get', ...LEASES, namespace, name });
}

function replaceLease(client: ClusterClient, body: V1Lease): Promise<V1Lease> {
  const name = body.metadata?.name ?? '';
  const namespace = body.metadata?.namespace ?? '';
  return client.send({ verb: 'update', ...LEASES, namespace, name, body });
}

function createLease(client: ClusterClient, body: V1Lease): Promise<V1Lease> {
  const namespace = body.metadata?.namespace ?? '';
  return client.send({ verb: 'create', ...LEASES, namespace, name: body.metadata?.name, body });
}

async function waitBeforeRetry(ms: number, signal: AbortSignal | undefined, name: string): Promise<void> {
  try {
    await delay(ms, undefined, { signal });
  } catch {
    throw new CanaryError('cancelled', `the run was cancelled while waiting for the lease ${name}`);
  }
}

/**
 * Takes the service's lease: create it (free), take it over (expired, or already ours), or wait up to
 * `waitSeconds` for its holder to release it, then fail naming the holder and how to free it.
 */
export async function acquireLease(client: ClusterClient, options: LeaseOptions): Promise<LeaseHandle> {
  const name = leaseName(options.service);
  const { namespace } = options;
  // The wait is measured on the monotonic clock; client.now() (wall time, injectable) stamps the lease.
  const deadline = performance.now() + options.waitSeconds * 1000;
  const signal = options.signal ?? client.signal;
  let lastWaitMessage: string | undefined;
  for (;;) {
    try {
      const created = await createLease(client, leaseBody(name, options, client.now()));
      return new HeldLease(client, options, name, created);
    } catch (err) {
      if (!isCode(err, 'conflict')) throw err;
    }
    let existing: V1Lease | undefined;
    try {
      existing = await readLease(client, namespace, name);
    } catch (err) {
      if (!isCode(err, 'not-found')) throw err; // released between our create and our read: try again
    }
    const now = client.now();
    const stale = existing && options.takeOverStale && stoppedRenewing(existing, now);
    if (existing && (isFree(existing, options.holder, now) || stale)) {
      try {
        const taken = await replaceLease(client, leaseBody(name, options, now, existing));
        const held = new HeldLease(client, options, name, taken);
        if (stale && !isFree(existing, options.holder, now))
          held.takenOver = {
            holder: existing.spec?.holderIdentity ?? 'another run',
            renewedAt: renewedAt(existing),
          };
        return held;
      } catch (err) {
        if (!isCode(err, 'conflict') && !isCode(err, 'not-found')) throw err; // another run was faster
      }
    } else if (existing) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) {
        const holder = existing.spec?.holderIdentity ?? 'another run';
        const until = leaseExpiry(existing).toISOString();
        throw new CanaryError('lease-held', kubeMessages.leaseHeld(name, namespace, holder, until));
      }
      const waiting = kubeMessages.leaseWait(
        name,
        existing.spec?.holderIdentity ?? 'another run',
        leaseExpiry(existing).toISOString(),
        Math.max(0, Math.round((now.getTime() - renewedAt(existing).getTime()) / 1000)),
      );
      if (waiting !== lastWaitMessage) options.onWait?.(waiting);
      lastWaitMessage = waiting;
      await waitBeforeRetry(Math.min(options.pollIntervalMs ?? 2000, remaining), signal, name);
    }
  }
}

/**
 * After a lease request was cancelled in flight: the server may have created the lease all the same. It is
 * deleted when it names this run as its holder (on its resourceVersion), so the next run does not wait for
 * it to expire.
 */
export async function releaseIfHeldBy(
  client: ClusterClient,
  options: Pick<LeaseOptions, 'namespace' | 'service' | 'holder'>,
): Promise<void> {
  const name = leaseName(options.service);
  const { namespace } = options;
  const detached = client.detached();
  let lease: V1Lease;
  try {
    lease = await readLease(detached, namespace, name);
  } catch (err) {
    if (isCode(err, 'not-found')) return;
    throw err;
  }
  if (lease.spec?.holderIdentity !== options.holder) return;
  await deleteLease(detached, namespace, name, lease.metadata?.resourceVersion);
}
