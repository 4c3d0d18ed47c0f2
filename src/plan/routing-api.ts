// Which routing API carries a stage: the `routing-api` option, and for `auto` what the namespace holds.
import { InputError } from '../errors.js';
import { routesTheService, serviceNames } from './gateway-api/refs.js';
import type { GatewayApiStageOptions, HTTPRoute } from './gateway-api/types.js';
import { namespaceOf, resourceName, sameHost } from './objects.js';
import type { VirtualService } from './types.js';
import { invalid } from './validate.js';

export const ROUTING_APIS = ['auto', 'istio', 'gateway-api'] as const;
export type RoutingApiChoice = (typeof ROUTING_APIS)[number];
export type RoutingApi = Exclude<RoutingApiChoice, 'auto'>;

export function checkRoutingApi(value: string): RoutingApiChoice {
  const choice = ROUTING_APIS.find((known) => known === value);
  if (choice === undefined) invalid('routing-api', `one of ${ROUTING_APIS.join(', ')}`, value);
  return choice;
}

/**
 * A VirtualService routes the service when it is for the host or sends anything to it. Asked of every
 * VirtualService of the namespace by every run: it reads them in place rather than listing their hosts.
 */
export function virtualServiceRoutes(vs: VirtualService, host: string, namespace: string): boolean {
  const routes = (route: { route?: { destination: { host?: string } }[] }) =>
    (route.route ?? []).some((destination) => sameHost(destination.destination.host, host, namespace));
  return (
    (vs.spec.hosts ?? []).some((each) => sameHost(each, host, namespace)) ||
    (vs.spec.http ?? []).some(routes) ||
    (vs.spec.tcp ?? []).some(routes) ||
    (vs.spec.tls ?? []).some(routes)
  );
}

/** The routing objects of the namespace that could carry the service's routing. */
export interface RoutingEvidence {
  virtualServices: VirtualService[];
  httpRoutes: HTTPRoute[];
}

/**
 * `istio` and `gateway-api` are taken as given. `auto`: Gateway API when an HTTPRoute already routes the
 * service (attached to its Service, or sending to it or to its stable or canary version Service), Istio
 * when a VirtualService does (for its host, or sending to it); both at once is an error naming them (Istio
 * leaves one workload routed by both undefined); neither: Istio, which creates the VirtualService.
 */
export function chooseRoutingApi(
  choice: RoutingApiChoice,
  options: GatewayApiStageOptions,
  evidence: RoutingEvidence,
): RoutingApi {
  if (choice !== 'auto') return choice;
  const namespace = options.namespace;
  const names = serviceNames(options);
  // A route of another namespace (a Gateway's) counts when it names the service there.
  const routes = evidence.httpRoutes.filter((route) => routesTheService(route, names, namespace));
  const virtualServices = evidence.virtualServices.filter(
    (vs) => namespaceOf(vs, namespace) === namespace && virtualServiceRoutes(vs, options.host, namespace),
  );
  if (routes.length > 0 && virtualServices.length > 0) {
    const objects = [...virtualServices, ...routes].map((object) => resourceName(object, namespace));
    throw new InputError(
      'routing-api',
      `routing-api auto cannot choose: ${objects.join(', ')} all route ${options.service} (Istio leaves a workload routed by both APIs undefined); remove the ones not in use, or set routing-api to istio or gateway-api`,
    );
  }
  return routes.length > 0 ? 'gateway-api' : 'istio';
}
