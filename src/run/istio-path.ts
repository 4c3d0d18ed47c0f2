// The stage on Istio's API: VirtualServices and the DestinationRule (src/plan/plan-stage.ts), written with
// a resourceVersion precondition, each write waited on (istiod's Reconciled status, else the settle delay).
import type { WrittenObject } from '../kube/index.js';
import { toYaml } from '../plan/diff.js';
import { planProgressiveStep, planStage } from '../plan/plan-stage.js';
import type * as Istio from '../plan/types.js';
import type { Applied, PlanIo } from './apply-plan.js';
import { keepRoutesElsewhere } from './routes-elsewhere.js';
import { lastWritten, PlanningPath, replaceWritten } from './routing-path.js';

export class IstioPath extends PlanningPath<Istio.ClusterState, Istio.WriteStep, Istio.Plan> {
  readonly api = 'istio' as const;

  protected plan(options: Istio.StageOptions, state: Istio.ClusterState, stepWeight?: number): Istio.Plan {
    return stepWeight === undefined
      ? planStage(options, state)
      : planProgressiveStep(options, state, stepWeight);
  }

  protected io(): PlanIo<Istio.ClusterState, Istio.WriteStep> {
    const { client, namespace, dryRun } = this.context;
    return {
      // Other namespaces' VirtualServices are never written: the ones first read are kept.
      reread: async (previous) =>
        keepRoutesElsewhere(await client.readRouting(namespace), previous, namespace),
      send: (step, resourceVersion) => {
        // Only the metadata changes: the planned object is not copied deeper (its spec is only serialised).
        // The status it was read with rides along (it is not sent): the write leaves it as it was, and the
        // object answered (its metadata only) keeps it.
        const status = step.before?.status;
        const body = {
          ...step.after,
          metadata: { ...step.after.metadata },
          ...(status !== undefined ? { status } : {}),
        };
        if (resourceVersion) body.metadata.resourceVersion = resourceVersion;
        else delete body.metadata.resourceVersion;
        return client.write(body, { dryRun });
      },
      kinds: 'virtualservice,destinationrule',
    };
  }

  protected async afterBatch(written: WrittenObject[]): Promise<void> {
    await Promise.all(written.map((object) => this.context.afterWrite(object)));
  }

  protected nextState(state: Istio.ClusterState, { written }: Applied<Istio.Plan>): Istio.ClusterState {
    return {
      ...state,
      virtualServices: replaceWritten<Istio.VirtualService>(state.virtualServices, written, 'VirtualService'),
      destinationRules: replaceWritten<Istio.DestinationRule>(
        state.destinationRules,
        written,
        'DestinationRule',
      ),
    };
  }

  protected managed(plan: Istio.Plan): WrittenObject[] {
    return plan.objects.map(({ after }) => after);
  }

  protected override primaryYaml(plan: Istio.Plan | undefined) {
    const yamlOf = (object: Istio.RoutingObject | undefined) => () =>
      object ? toYaml(lastWritten(this.written, object)) : '';
    return {
      virtualServiceYaml: yamlOf(plan?.virtualService),
      destinationRuleYaml: yamlOf(plan?.destinationRule),
    };
  }
}
