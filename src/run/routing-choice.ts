// Which routing API a run drives, from the first round trip: `routing-api` as given, or for `auto` what the
// namespace holds (src/plan/routing-api.ts). With `auto`, a cluster without the Gateway API CRDs is a
// cluster whose routing is Istio's, as before Gateway API support; one without Istio but with HTTPRoutes
// for the service runs on Gateway API; an API the credentials may not read is left out, with a warning.
import {
  isCode,
  readGatewayRouting,
  readVirtualServicesElsewhere,
  type ClusterClient,
  type GatewayRouting,
} from '../kube/index.js';
import { gatewayApiOptions } from '../plan/gateway-api/version-service.js';
import { chooseRoutingApi, type RoutingApi } from '../plan/routing-api.js';
import type { ClusterState, StageOptions } from '../plan/types.js';
import { GatewayPath } from './gateway-path.js';
import { IstioPath } from './istio-path.js';
import type { RunReporter } from '../types.js';
import { withRoutesElsewhere } from './routes-elsewhere.js';
import type { PathContext, RoutingPath } from './routing-path.js';

/** The routing reads of the first round trip: only those the `routing-api` choice can need. */
export interface RoutingReads {
  istio: Promise<ClusterState | undefined>;
  gateway: Promise<GatewayRouting | undefined>;
}

/**
 * Istio's routing of the namespace with the other namespaces' VirtualServices that the credentials may list
 * (reported, never written); `reporter` hears once when they were not visible.
 */
async function readIstioRouting(
  client: ClusterClient,
  options: StageOptions,
  reporter: Pick<RunReporter, 'info'>,
): Promise<ClusterState> {
  const [read, elsewhere] = await Promise.all([
    client.readRouting(options.namespace),
    readVirtualServicesElsewhere(client, options.namespace),
  ]);
  return withRoutesElsewhere(read, elsewhere, options, reporter);
}

export function readRoutingOf(
  client: ClusterClient,
  options: StageOptions,
  reporter: Pick<RunReporter, 'info'>,
): RoutingReads {
  const choice = options.routingApi ?? 'auto';
  const reads = {
    istio:
      choice === 'gateway-api' ? Promise.resolve(undefined) : readIstioRouting(client, options, reporter),
    gateway: choice === 'istio' ? Promise.resolve(undefined) : readGatewayRouting(client, options.namespace),
  };
  // Settled by chooseRoutingPath; a read it does not need must not become an unhandled rejection.
  reads.istio.catch(() => undefined);
  reads.gateway.catch(() => undefined);
  return reads;
}

/**
 * What `auto` may take as "this API routes nothing here" rather than as a failure: its CRDs not installed
 * (silently, as before Gateway API support), or credentials that may not read it (with a warning: the
 * stage then runs on the other API, which would be wrong if this one routed the service).
 */
function absent<T>(
  read: Promise<T | undefined>,
  missing: 'istio-missing' | 'gateway-api-missing',
  api: RoutingApi,
  warn: (message: string) => void,
): Promise<T | undefined> {
  return read.catch((err: unknown) => {
    if (isCode(err, missing)) return undefined;
    if (!isCode(err, 'forbidden')) throw err;
    warn(
      `routing-api auto could not read the ${api === 'istio' ? 'VirtualServices' : 'HTTPRoutes'} (${(err as Error).message}): it chose from the other API alone; grant the read, or set routing-api`,
    );
    return undefined;
  });
}

async function required<T>(read: Promise<T | undefined>): Promise<T> {
  const value = await read;
  if (value === undefined) throw new Error('a routing read the choice needs was not made');
  return value;
}

/** The namespace's routing on the API chosen: what `status` reports, and what a routing path runs on. */
export type ChosenRouting =
  { api: 'istio'; state: ClusterState } | { api: 'gateway-api'; state: GatewayRouting };

/**
 * The API the stage works on and its objects; throws what the read or the choice found wrong. `warn` hears
 * what the reader should know about the choice (an API the credentials may not read).
 */
export async function chooseRouting(
  options: StageOptions,
  reads: RoutingReads,
  warn: (message: string) => void,
): Promise<ChosenRouting> {
  const choice = options.routingApi ?? 'auto';
  let api: RoutingApi = choice === 'auto' ? 'istio' : choice;
  if (choice === 'auto') {
    const [istio, gateway] = await Promise.all([
      absent(reads.istio, 'istio-missing', 'istio', warn),
      absent(reads.gateway, 'gateway-api-missing', 'gateway-api', warn),
    ]);
    api = chooseRoutingApi('auto', gatewayApiOptions(options), {
      virtualServices: istio?.virtualServices ?? [],
      httpRoutes: gateway?.httpRoutes ?? [],
    });
  }
  return api === 'gateway-api'
    ? { api, state: await required(reads.gateway) }
    : { api, state: await required(reads.istio) };
}

/** The path the stage runs on; throws what the read or the choice found wrong (nothing written yet). */
export async function chooseRoutingPath(
  options: StageOptions,
  reads: RoutingReads,
  context: PathContext,
): Promise<RoutingPath> {
  const chosen = await chooseRouting(options, reads, (message) => context.reporter.warning(message));
  if (chosen.api === 'istio') return new IstioPath(chosen.state, context);
  if (!chosen.state.clusterWide) {
    context.reporter.info(
      `the credentials may not list HTTPRoutes cluster-wide: only the routes of "${options.namespace}" are moved (routes of Gateways elsewhere are not seen); grant the optional ClusterRole of examples/rbac to see them`,
    );
  }
  return new GatewayPath(chosen.state, context);
}
