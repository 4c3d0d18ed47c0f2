// Which routing API a run works on, read from the cluster: `routing-api` as given, or for `auto` what routes
// the service (plan/routing-api.ts decides; this reads what it decides on).
import { isCode, readGatewayRouting } from '../kube/index.js';
import type { ClusterClient, GatewayRouting } from '../kube/index.js';
import { gatewayApiOptions } from '../plan/gateway-api/index.js';
import { namespaceOf } from '../plan/objects.js';
import { chooseRoutingApi, virtualServiceRoutes } from '../plan/routing-api.js';
import type { ClusterState, StageOptions } from '../plan/types.js';

/** The namespace's routing on the API chosen, and what the reader should know about the choice. */
export type RoutingRead = (
  { api: 'istio'; state: ClusterState } | { api: 'gateway-api'; state: GatewayRouting }
) & { warnings: string[] };

/**
 * With `auto`, both APIs are read at once (one round trip: their lists share the discovery request). A
 * cluster without one of them has none of its objects; without either, Istio's error stands, as before.
 * Credentials that may not read HTTPRoutes or Services (a Role from before Gateway API) go on with the
 * VirtualServices when one routes the service, and say so; otherwise the refusal is the answer.
 */
export async function readRoutingOfService(
  client: ClusterClient,
  options: StageOptions,
): Promise<RoutingRead> {
  const namespace = options.namespace;
  const choice = options.routingApi ?? 'auto';
  if (choice === 'istio') return { api: 'istio', state: await client.readRouting(namespace), warnings: [] };
  if (choice === 'gateway-api') {
    return { api: 'gateway-api', state: await readGatewayRouting(client, namespace), warnings: [] };
  }
  const [istio, gateway] = await Promise.allSettled([
    client.readRouting(namespace),
    readGatewayRouting(client, namespace),
  ]);
  if (istio.status === 'rejected' && !isCode(istio.reason, 'istio-missing')) throw istio.reason;
  const virtualServices = istio.status === 'fulfilled' ? istio.value.virtualServices : [];
  if (gateway.status === 'rejected') {
    const routed = virtualServices.some(
      (vs) => namespaceOf(vs, namespace) === namespace && virtualServiceRoutes(vs, options.host, namespace),
    );
    const forbidden = isCode(gateway.reason, 'forbidden');
    if (!isCode(gateway.reason, 'gateway-api-missing') && !(forbidden && routed)) throw gateway.reason;
    // Gateway API not installed (or not readable): Istio, whose error stands when it is missing too.
    if (istio.status === 'rejected') throw istio.reason;
    const message = gateway.reason instanceof Error ? gateway.reason.message : String(gateway.reason);
    const warnings = forbidden
      ? [
          `routing-api auto could not read HTTPRoutes (${message}) and went on with the VirtualServices routing ${options.service}: grant list on httproutes and services (examples/rbac), or set routing-api istio`,
        ]
      : [];
    return { api: 'istio', state: istio.value, warnings };
  }
  const api = chooseRoutingApi('auto', gatewayApiOptions(options), {
    virtualServices,
    httpRoutes: gateway.value.httpRoutes,
  });
  if (api === 'gateway-api') return { api, state: gateway.value, warnings: [] };
  // Neither routes the service: Istio, as before (its error when only Gateway API is installed).
  if (istio.status === 'rejected') throw istio.reason;
  return { api: 'istio', state: istio.value, warnings: [] };
}
