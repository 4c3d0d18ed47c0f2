// Which VirtualServices carry the service's traffic: every one with an http route whose destinations reach
// the host, whatever its own hosts and gateways — the mesh one, gateway-bound ones (north-south) and
// delegates (no hosts, chained from a root's `delegate`). The namespace's ones may be written (all, or those
// `virtual-services` names); those of other namespaces are only reported.
import { InputError } from '../errors.js';
import { namespaceOf, sameQualifiedHost } from './objects.js';
import type { HTTPRoute, RouteDoor, StageOptions, VirtualService } from './types.js';

/** A destination host, as written in a VirtualService of `vsNamespace`, names the service's host. */
export function reachesHost(host: string | undefined, vsNamespace: string, options: StageOptions): boolean {
  return host !== undefined && sameQualifiedHost(host, vsNamespace, options.host, options.namespace);
}

/** An http route sends (some of) its requests to the host. */
export function routeReachesHost(route: HTTPRoute, vsNamespace: string, options: StageOptions): boolean {
  return (route.route ?? []).some((destination) =>
    reachesHost(destination.destination.host, vsNamespace, options),
  );
}

export function virtualServiceReachesHost(vs: VirtualService, options: StageOptions): boolean {
  const namespace = namespaceOf(vs, options.namespace);
  return (vs.spec.http ?? []).some((route) => routeReachesHost(route, namespace, options));
}

/** Mesh when it has hosts and serves the mesh (no gateways, or `mesh` among them); delegate without hosts. */
export function doorOf(vs: VirtualService): RouteDoor {
  if ((vs.spec.hosts ?? []).length === 0) return 'delegate';
  const gateways = vs.spec.gateways ?? [];
  return gateways.length === 0 || gateways.includes('mesh') ? 'mesh' : 'gateway';
}

export interface RoutesToHost {
  /** The namespace's VirtualServices the stage writes, in the namespace's order. */
  managed: VirtualService[];
  /** The namespace's VirtualServices with a route to the host that `virtual-services` leaves out. */
  excluded: VirtualService[];
  /** VirtualServices of other namespaces with a route to the host: reported, never written. */
  elsewhere: VirtualService[];
}

/**
 * Splits the VirtualServices routing to the host into managed, excluded and elsewhere. `primary` (the
 * service's own mesh VirtualService, which a plan creates when absent) counts as routing to the host.
 * A name in `virtual-services` that is not one of them is an input error naming the ones there are.
 */
export function findRoutesToHost(
  virtualServices: VirtualService[],
  options: StageOptions,
  primary: VirtualService | undefined,
): RoutesToHost {
  const inNamespace = (vs: VirtualService) => namespaceOf(vs, options.namespace) === options.namespace;
  const routing = virtualServices.filter((vs) => vs === primary || virtualServiceReachesHost(vs, options));
  const local = routing.filter(inNamespace);
  const elsewhere = routing.filter((vs) => !inNamespace(vs));
  const selection = options.virtualServices;
  if (selection === undefined || selection.length === 0) return { managed: local, excluded: [], elsewhere };
  const names = local.map((vs) => vs.metadata.name);
  const unknown = selection.filter((name) => !names.includes(name) && name !== options.service);
  if (unknown.length > 0) {
    throw new InputError(
      'virtual-services',
      `virtual-services names ${unknown.join(', ')}, which ${unknown.length === 1 ? 'is' : 'are'} not a VirtualService of "${options.namespace}" with a route to ${options.host}: name some of ${names.join(', ') || '(none found)'}, or leave virtual-services empty for all`,
    );
  }
  return {
    managed: local.filter((vs) => selection.includes(vs.metadata.name)),
    excluded: local.filter((vs) => !selection.includes(vs.metadata.name)),
    elsewhere,
  };
}
