// Which Service a backendRef or parentRef names, with the API server's defaults applied, and the names
// of the service's Services (main, stable, canary) that the stage works with.
import { normalizeParentRef } from './normalize.js';
import type { HTTPBackendRef, HTTPRoute, HTTPRouteRule, ParentReference } from './types.js';
import { versionServiceName } from './version-service.js';
import type { GatewayApiStageOptions } from './types.js';

export interface ServiceNames {
  namespace: string;
  main: string;
  stable: string;
  canary: string;
}

export function serviceNames(options: GatewayApiStageOptions): ServiceNames {
  const name = (version: string) => versionServiceName(options.versionService, options.service, version);
  return {
    namespace: options.namespace,
    main: options.service,
    stable: name(options.stable),
    canary: name(options.canary),
  };
}

export function routeNamespace(route: HTTPRoute, fallback: string): string {
  return route.metadata.namespace ?? fallback;
}

type ObjectRef = Pick<HTTPBackendRef, 'group' | 'kind' | 'name' | 'namespace'>;

/** The core Service `namespace/name` a reference names, or undefined when it names something else. */
export function serviceOf(
  ref: ObjectRef,
  fromNamespace: string,
): { namespace: string; name: string } | undefined {
  const group = ref.group ?? '';
  const kind = ref.kind ?? 'Service';
  if (group !== '' || kind !== 'Service') return undefined;
  return { namespace: ref.namespace ?? fromNamespace, name: ref.name };
}

export function namesService(
  ref: ObjectRef,
  fromNamespace: string,
  namespace: string,
  name: string,
): boolean {
  const service = serviceOf(ref, fromNamespace);
  return service !== undefined && service.namespace === namespace && service.name === name;
}

/** The route is attached to the main Service (`parentRefs` kind Service: mesh traffic to it). */
export function attachedToService(route: HTTPRoute, names: ServiceNames, fallbackNamespace: string): boolean {
  const from = routeNamespace(route, fallbackNamespace);
  return (route.spec.parentRefs ?? []).some((parent: ParentReference) => {
    const ref = normalizeParentRef(parent);
    return (
      ref.group === '' &&
      ref.kind === 'Service' &&
      ref.name === names.main &&
      (ref.namespace ?? from) === names.namespace
    );
  });
}

/** The Services of the service this stage moves traffic between. */
export function versionOf(
  ref: ObjectRef,
  from: string,
  names: ServiceNames,
): 'main' | 'stable' | 'canary' | undefined {
  for (const which of ['main', 'stable', 'canary'] as const) {
    if (namesService(ref, from, names.namespace, names[which])) return which;
  }
  return undefined;
}

export function ruleReaches(rule: HTTPRouteRule, from: string, names: ServiceNames): boolean {
  return (rule.backendRefs ?? []).some((ref) => versionOf(ref, from, names) !== undefined);
}

/** The route reaches the service: attached to it, or some rule sends to it or to one of its versions. */
export function routesTheService(route: HTTPRoute, names: ServiceNames, fallbackNamespace: string): boolean {
  const from = routeNamespace(route, fallbackNamespace);
  return (
    attachedToService(route, names, fallbackNamespace) ||
    (route.spec.rules ?? []).some((rule) => ruleReaches(rule, from, names))
  );
}

/**
 * The namespaces whose service the routes reach (the route's own, or one a reference names), as
 * load.ts's namespacesRouting finds them for VirtualServices; `undefined` stands for a route that names no
 * namespace and reaches the service of the namespace planned in.
 */
export function namespacesRoutedBy(
  routes: HTTPRoute[],
  options: GatewayApiStageOptions,
): (string | undefined)[] {
  const found = routes.flatMap((route) => {
    const named = [
      ...(route.spec.parentRefs ?? []).map((parent) => parent.namespace),
      ...(route.spec.rules ?? []).flatMap((rule) => (rule.backendRefs ?? []).map((ref) => ref.namespace)),
    ];
    const candidates = [route.metadata.namespace, ...named].filter(
      (namespace): namespace is string => namespace !== undefined,
    );
    const reached = [...new Set(candidates)].filter((namespace) =>
      routesTheService(route, serviceNames({ ...options, namespace }), namespace),
    );
    if (route.metadata.namespace !== undefined) return reached;
    // No namespace of its own: it reaches the service of the namespace planned in, or one it names.
    return routesTheService(route, serviceNames(options), options.namespace) ? [undefined] : reached;
  });
  return [...new Set(found)];
}
