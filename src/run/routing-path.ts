// A routing API as the run drives it: plan from what was read, write in make-before-break batches (journaled
// for a restore), wait for health after each batch, and say what the result reports. The run's phases
// (lease, rollout, steps, checks, restore) are the same for every API; istio-path.ts and gateway-path.ts are
// the two.
import type { ClusterClient, WrittenObject } from '../kube/index.js';
import { toYaml } from '../plan/diff.js';
import { lazyProperties } from '../plan/lazy.js';
import type { HTTPRoute } from '../plan/gateway-api/types.js';
import type { RoutingApi } from '../plan/routing-api.js';
import type { RouteRow, RouteSplit, StageOptions } from '../plan/types.js';
import type { RoutingObjectYaml, RunReporter, StageResult } from '../types.js';
import { applyPlan, type Applied, type PlanIo, type PlannedWrite, type WritablePlan } from './apply-plan.js';
import type { WriteJournal } from './journal.js';

type PrimaryYaml = 'virtualServiceYaml' | 'destinationRuleYaml';

/** What a path needs of the run. */
export interface PathContext {
  client: ClusterClient;
  namespace: string;
  dryRun: boolean;
  reporter: RunReporter;
  journal: WriteJournal;
  /** Waits until an Istio object written is in force (istiod's status, else the settle delay). */
  afterWrite: (written: WrittenObject) => Promise<void>;
  /** Waits until a batch of HTTPRoutes written is taken by every parent (route status). */
  afterRoutes: (written: HTTPRoute[]) => Promise<void>;
}

/** The result's routing fields; the YAML and the diff are rendered only when read. */
export interface RoutingOutcome extends Pick<
  StageResult,
  'previousWeight' | 'weight' | 'before' | 'after' | 'routes' | 'objects'
> {
  changed: boolean;
  routingApi: RoutingApi;
  /** Made when read (a thousand routes' rows are for people, not for the writes). */
  lazy: {
    diff: () => string;
    virtualServiceYaml: () => string;
    destinationRuleYaml: () => string;
    before: () => RouteRow[];
    after: () => RouteRow[];
    routes: () => RouteSplit[];
  };
}

export interface RoutingPath {
  readonly api: RoutingApi;
  /**
   * Plans `options` (or one progressive step at `stepWeight`) from the routing as this run last saw it,
   * writes it and waits after each batch; a conflict re-reads and plans again.
   */
  write(options: StageOptions, stepWeight?: number): Promise<{ changed: boolean }>;
  /** The routing fields of the result: as written, or as read at the start when it was rolled back. */
  outcome(rolledBack: boolean): RoutingOutcome;
}

/** What every plan reports, whatever its objects. */
export interface PlanSummary {
  changed: boolean;
  previousWeight: number;
  weight: number;
  before: RouteRow[];
  after: RouteRow[];
  routes: RouteSplit[];
  diff: string;
}

/**
 * What both paths share: plan (pure) from the routing as this run last saw it, write with conflict
 * re-reads, remember the first plan (what a rollback returns to) and the last one, and carry the state
 * after the writes to the next step without another read.
 */
export abstract class PlanningPath<
  State,
  S extends PlannedWrite,
  P extends WritablePlan<S> & PlanSummary,
> implements RoutingPath {
  abstract readonly api: RoutingApi;
  protected first: P | undefined;
  protected last: P | undefined;
  protected written: WrittenObject[] = [];

  constructor(
    protected state: State,
    protected readonly context: PathContext,
  ) {}

  protected abstract plan(options: StageOptions, state: State, stepWeight?: number): P;
  protected abstract io(): PlanIo<State, S>;
  /** Waits until what one batch wrote is in force. */
  protected abstract afterBatch(written: WrittenObject[]): Promise<void>;
  /** The routing after `applied`, for the next step's plan. */
  protected abstract nextState(state: State, applied: Applied<P>): State;
  /** Every object the plan manages that has YAML to show (a deleted one has none). */
  protected abstract managed(plan: P): WrittenObject[];
  /** The primary VirtualService's and the DestinationRule's YAML (empty where the API has none). */
  protected primaryYaml(_plan: P | undefined): Pick<RoutingOutcome['lazy'], PrimaryYaml> {
    return { virtualServiceYaml: () => '', destinationRuleYaml: () => '' };
  }

  outcome(rolledBack: boolean): RoutingOutcome {
    const { rows, ...summary } = summarize(this.first, this.last, rolledBack);
    const managed = this.last ? this.managed(this.last) : [];
    return {
      ...summary,
      // these empty lists keep their places in the result for the rows, made when read
      before: [],
      after: [],
      routes: [],
      routingApi: this.api,
      objects: managed.map((object) => objectYaml(lastWritten(this.written, object))),
      lazy: { ...rows, ...this.primaryYaml(this.last) },
    };
  }

  async write(options: StageOptions, stepWeight?: number): Promise<{ changed: boolean }> {
    const { namespace, dryRun, reporter, journal } = this.context;
    const applied = await applyPlan(
      this.state,
      (current) => {
        const plan = this.plan(options, current, stepWeight);
        this.first ??= plan;
        return plan;
      },
      this.io(),
      { namespace, dryRun, reporter, journal, afterBatch: (written) => this.afterBatch(written) },
    );
    this.last = applied.plan;
    this.written = applied.written;
    this.state = this.nextState(this.state, applied);
    return { changed: applied.plan.changed };
  }
}

/**
 * The result's routing from the run's first plan (what a rollback returns to, even when its writes failed
 * half-way) and its last one.
 */
export function summarize(
  first: PlanSummary | undefined,
  last: PlanSummary | undefined,
  rolledBack: boolean,
): Pick<RoutingOutcome, 'changed' | 'previousWeight' | 'weight'> & {
  rows: Pick<RoutingOutcome['lazy'], 'before' | 'after' | 'routes' | 'diff'>;
} {
  const routes = () =>
    rolledBack
      ? (first?.routes ?? []).map((route) => ({ ...route, after: route.before }))
      : (last?.routes ?? []).map((route, index) => {
          // Progressive: each route's split before the first step (the bound routes stay the same ones).
          const start = first?.routes[index];
          return start?.resource === route.resource ? { ...route, before: start.before } : route;
        });
  return {
    changed: last?.changed ?? false,
    // Absent, never 0, when no plan was made: a weight that was not read must not be reported.
    previousWeight: first?.previousWeight,
    weight: rolledBack ? first?.previousWeight : (last?.weight ?? first?.previousWeight),
    rows: {
      before: () => first?.before ?? [],
      after: () => (rolledBack ? (first?.before ?? []) : (last?.after ?? [])),
      routes,
      diff: () => (first && last ? (first === last ? last.diff : `${first.diff}${last.diff}`) : ''),
    },
  };
}

/** The object as the server answered our last write of it, else as planned. */
export function lastWritten<T extends WrittenObject>(written: WrittenObject[], planned: T): T {
  return (written.findLast(
    (object) =>
      object.kind === planned.kind &&
      object.metadata.name === planned.metadata.name &&
      (planned.metadata.namespace ?? object.metadata.namespace) === object.metadata.namespace,
  ) ?? planned) as T;
}

/** One managed object for `objects`, its YAML rendered when read. */
export function objectYaml(object: WrittenObject): RoutingObjectYaml {
  return lazyProperties<RoutingObjectYaml, 'yaml'>(
    { kind: object.kind, name: object.metadata.name },
    { yaml: () => toYaml(object) },
  );
}

/** The routing state after our writes: each written object replaces the one read (the last write wins). */
export function replaceWritten<T extends WrittenObject>(
  objects: T[],
  written: WrittenObject[],
  kind: T['kind'],
): T[] {
  const keyOf = (object: WrittenObject) => `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
  const byKey = new Map(written.filter((o): o is T => o.kind === kind).map((o) => [keyOf(o), o]));
  return [...objects.filter((object) => !byKey.has(keyOf(object))), ...byKey.values()];
}
