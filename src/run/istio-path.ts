// The stage on Istio's API: VirtualServices and the DestinationRule (src/plan/plan-stage.ts), written with
// a resourceVersion precondition, each write waited on (istiod's Reconciled status, else the settle delay).
import type { WrittenObject } from '../kube/index.js';
import { planProgressiveStep, planStage } from '../plan/plan-stage.js';
import { toYaml } from '../plan/diff.js';
import type {
  ClusterState,
  DestinationRule,
  Plan,
  RoutingObject,
  StageOptions,
  VirtualService,
  WriteStep,
} from '../plan/types.js';
import { applyPlan, type PlanIo } from './apply-plan.js';
import {
  lastWritten,
  objectYaml,
  replaceWritten,
  summarize,
  type PathContext,
  type RoutingOutcome,
  type RoutingPath,
} from './routing-path.js';

export class IstioPath implements RoutingPath {
  readonly api = 'istio' as const;
  private first: Plan | undefined;
  private last: Plan | undefined;
  private written: WrittenObject[] = [];

  constructor(
    private state: ClusterState,
    private readonly context: PathContext,
  ) {}

  async write(options: StageOptions, stepWeight?: number): Promise<{ changed: boolean }> {
    const { client, namespace, dryRun, reporter, journal } = this.context;
    const io: PlanIo<ClusterState, WriteStep> = {
      reread: () => client.readRouting(namespace),
      send: (step, resourceVersion) => {
        const body = structuredClone(step.after);
        if (resourceVersion) body.metadata.resourceVersion = resourceVersion;
        else delete body.metadata.resourceVersion;
        return client.write(body, { dryRun });
      },
      kinds: 'virtualservice,destinationrule',
    };
    const applied = await applyPlan(
      this.state,
      (current) => {
        const plan =
          stepWeight === undefined
            ? planStage(options, current)
            : planProgressiveStep(options, current, stepWeight);
        this.first ??= plan;
        return plan;
      },
      io,
      {
        namespace,
        dryRun,
        reporter,
        journal,
        afterBatch: async (written) => {
          await Promise.all(written.map((object) => this.context.afterWrite(object)));
        },
      },
    );
    this.last = applied.plan;
    this.written = applied.written;
    // The next step plans from the state after our writes, without another read.
    this.state = {
      ...this.state,
      virtualServices: replaceWritten<VirtualService>(
        this.state.virtualServices,
        applied.written,
        'VirtualService',
      ),
      destinationRules: replaceWritten<DestinationRule>(
        this.state.destinationRules,
        applied.written,
        'DestinationRule',
      ),
    };
    return { changed: applied.plan.changed };
  }

  outcome(rolledBack: boolean): RoutingOutcome {
    const plan = this.last;
    const { diff, ...summary } = summarize(this.first, plan, rolledBack);
    const yamlOf = (object: RoutingObject | undefined) => () =>
      object ? toYaml(lastWritten(this.written, object)) : '';
    return {
      ...summary,
      routingApi: this.api,
      objects: (plan?.objects ?? []).map(({ after }) => objectYaml(lastWritten(this.written, after))),
      lazy: {
        diff,
        virtualServiceYaml: yamlOf(plan?.virtualService),
        destinationRuleYaml: yamlOf(plan?.destinationRule),
      },
    };
  }
}
