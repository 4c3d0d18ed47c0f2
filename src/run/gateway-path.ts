// The stage on Gateway API: HTTPRoutes and per-version Services (src/plan/gateway-api), written in the
// plan's batches (version Services created, HTTPRoutes, version Services deleted), each HTTPRoute batch
// waited on before the next.
import { readGatewayRouting, writeGatewayStep, type WrittenObject } from '../kube/index.js';
import { planGatewayApiStage } from '../plan/gateway-api/plan.js';
import { DEFAULT_VERSION_SERVICE } from '../plan/gateway-api/version-service.js';
import type {
  GatewayApiPlan,
  GatewayApiState,
  GatewayWriteStep,
  HTTPRoute,
  Service,
} from '../plan/gateway-api/types.js';
import type { StageOptions } from '../plan/types.js';
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

export class GatewayPath implements RoutingPath {
  readonly api = 'gateway-api' as const;
  private first: GatewayApiPlan | undefined;
  private last: GatewayApiPlan | undefined;
  private written: WrittenObject[] = [];

  constructor(
    private state: GatewayApiState,
    private readonly context: PathContext,
  ) {}

  async write(options: StageOptions, stepWeight?: number): Promise<{ changed: boolean }> {
    const { client, namespace, dryRun, reporter, journal } = this.context;
    const planned = { ...options, versionService: options.versionService ?? DEFAULT_VERSION_SERVICE };
    const io: PlanIo<GatewayApiState, GatewayWriteStep> = {
      reread: () => readGatewayRouting(client, namespace),
      send: (step, resourceVersion) => writeGatewayStep(client, step, resourceVersion, { dryRun }),
      kinds: 'httproute,service',
    };
    const applied = await applyPlan(
      this.state,
      (current) => {
        const plan = planGatewayApiStage(planned, current, stepWeight);
        this.first ??= plan;
        return plan;
      },
      io,
      {
        namespace,
        dryRun,
        reporter,
        journal,
        // Routes are in force once their parents have them; a Service needs no wait (no route names it yet).
        afterBatch: (written) =>
          this.context.afterRoutes(
            written.filter((object): object is HTTPRoute => object.kind === 'HTTPRoute'),
          ),
      },
    );
    this.last = applied.plan;
    this.written = applied.written;
    this.state = afterWrites(this.state, applied.plan, applied.written, dryRun);
    return { changed: applied.plan.changed };
  }

  outcome(rolledBack: boolean): RoutingOutcome {
    const plan = this.last;
    const { diff, ...summary } = summarize(this.first, plan, rolledBack);
    const managed = (plan?.objects ?? []).flatMap(({ after }) => (after ? [after] : []));
    return {
      ...summary,
      routingApi: this.api,
      objects: managed.map((object) => objectYaml(lastWritten(this.written, object))),
      lazy: { diff, virtualServiceYaml: () => '', destinationRuleYaml: () => '' },
    };
  }
}

/** The routing state after our writes, for the next step's plan without another read. */
function afterWrites(
  state: GatewayApiState,
  plan: GatewayApiPlan,
  written: WrittenObject[],
  dryRun: boolean,
): GatewayApiState {
  if (dryRun) return state;
  const deleted = new Set(
    plan.writes
      .filter((step) => step.action === 'delete' && step.before)
      .map((step) => step.before?.metadata.name),
  );
  return {
    ...state,
    httpRoutes: replaceWritten<HTTPRoute>(state.httpRoutes, written, 'HTTPRoute'),
    services: replaceWritten<Service>(state.services, written, 'Service').filter(
      (service) => !deleted.has(service.metadata.name),
    ),
  };
}
