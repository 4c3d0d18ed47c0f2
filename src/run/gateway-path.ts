// The stage on Gateway API: HTTPRoutes and per-version Services (src/plan/gateway-api), written in the
// plan's batches (version Services created, HTTPRoutes, version Services deleted), each HTTPRoute batch
// waited on (route status) before the next.
import { readGatewayRouting, writeGatewayStep, type WrittenObject } from '../kube/index.js';
import { planGatewayApiStage } from '../plan/gateway-api/plan.js';
import type {
  GatewayApiPlan,
  GatewayApiState,
  GatewayWriteStep,
  HTTPRoute,
  Service,
} from '../plan/gateway-api/types.js';
import { gatewayApiOptions } from '../plan/gateway-api/version-service.js';
import type { StageOptions } from '../plan/types.js';
import type { Applied, PlanIo } from './apply-plan.js';
import { PlanningPath, replaceWritten } from './routing-path.js';

export class GatewayPath extends PlanningPath<GatewayApiState, GatewayWriteStep, GatewayApiPlan> {
  readonly api = 'gateway-api' as const;

  protected plan(options: StageOptions, state: GatewayApiState, stepWeight?: number): GatewayApiPlan {
    return planGatewayApiStage(gatewayApiOptions(options), state, stepWeight);
  }

  protected io(): PlanIo<GatewayApiState, GatewayWriteStep> {
    const { client, namespace, dryRun } = this.context;
    return {
      reread: () => readGatewayRouting(client, namespace),
      send: (step, resourceVersion) => writeGatewayStep(client, step, resourceVersion, { dryRun }),
      kinds: 'httproute,service',
    };
  }

  /** Routes are in force once their parents have them; a Service has no status to wait for. */
  protected afterBatch(written: WrittenObject[]): Promise<void> {
    return this.context.afterRoutes(
      written.filter((object): object is HTTPRoute => object.kind === 'HTTPRoute'),
    );
  }

  /** The routing after our writes (a dry run changed nothing: the next step plans from the read). */
  protected nextState(state: GatewayApiState, { plan, written }: Applied<GatewayApiPlan>): GatewayApiState {
    if (this.context.dryRun) return state;
    const deleted = new Set(
      plan.writes.flatMap((step) =>
        step.action === 'delete' && step.before ? [step.before.metadata.name] : [],
      ),
    );
    return {
      ...state,
      httpRoutes: replaceWritten<HTTPRoute>(state.httpRoutes, written, 'HTTPRoute'),
      services: replaceWritten<Service>(state.services, written, 'Service').filter(
        (service) => !deleted.has(service.metadata.name),
      ),
    };
  }

  /** A version Service the plan deletes has no YAML to show. */
  protected managed(plan: GatewayApiPlan): WrittenObject[] {
    return plan.objects.flatMap(({ after }) => (after ? [after] : []));
  }
}
