// How istiod decides whether a Gateway accepts an HTTPRoute (pilot/pkg/config/kube/gateway, ReferenceAllowed
// and createRouteStatus): each listener of the Gateway is a candidate parent; a parentRef's port and
// sectionName select listeners, then the route's hostnames must match a listener's hostname (a
// bidirectional wildcard match, none meaning "*") from a namespace the listener's allowedRoutes admits.
// The route is Accepted when one listener binds it; otherwise the most telling reason of all listeners is
// reported, its messages joined with "; ".
import { selectorObjectMatcher, type LabelSelectorObject } from './selectors.js';

export interface GatewayParentRef {
  name: string;
  port?: number;
  sectionName?: string;
}

export interface Listener {
  name: string;
  port: number;
  hostname?: string;
  allowedRoutes?: { namespaces?: { from?: 'Same' | 'All' | 'Selector'; selector?: LabelSelectorObject } };
}

export interface Verdict {
  status: 'True' | 'False';
  reason: string;
  message: string;
}

/** Istio's ranking when no listener binds the route: the first reason found is reported. */
const RANKING = ['NotAllowedByListeners', 'NoMatchingListenerHostname', 'NoMatchingParent'];

/** Istio's host.Name.Matches: equal, or one side a wildcard that covers the other. */
function hostMatches(a: string, b: string): boolean {
  if (a === b) return true;
  if (a.startsWith('*')) return b.endsWith(a.slice(1));
  if (b.startsWith('*')) return a.endsWith(b.slice(1));
  return false;
}

function namespaceAllowed(
  listener: Listener,
  gatewayNamespace: string,
  routeNamespace: string,
  routeNamespaceLabels: Record<string, string>,
): boolean {
  const from = listener.allowedRoutes?.namespaces?.from ?? 'Same';
  if (from === 'All') return true;
  if (from === 'Selector')
    return selectorObjectMatcher(listener.allowedRoutes?.namespaces?.selector)(routeNamespaceLabels);
  return routeNamespace === gatewayNamespace;
}

function listenerVerdict(
  listener: Listener,
  parentRef: GatewayParentRef,
  hostnames: string[],
  allowed: boolean,
  routeNamespace: string,
): Omit<Verdict, 'status'> | undefined {
  if (parentRef.port && parentRef.port !== listener.port)
    return { reason: 'NoMatchingParent', message: `port ${parentRef.port} not found` };
  if (parentRef.sectionName && parentRef.sectionName !== listener.name)
    return {
      reason: 'NoMatchingParent',
      message: `sectionName ${JSON.stringify(parentRef.sectionName)} not found`,
    };
  const parentHostname = listener.hostname ?? '*';
  const hostMatched = (hostnames.length ? hostnames : ['*']).some((h) => hostMatches(parentHostname, h));
  if (hostMatched && allowed) return undefined;
  return hostMatched
    ? {
        reason: 'NotAllowedByListeners',
        message: `hostnames matched parent hostname ${JSON.stringify(parentHostname)}, but namespace ${JSON.stringify(routeNamespace)} is not allowed by the parent`,
      }
    : {
        reason: 'NoMatchingListenerHostname',
        message: `no hostnames matched parent hostname ${JSON.stringify(parentHostname)}`,
      };
}

/** The Accepted condition istiod writes for a route's parentRef to an existing Gateway it serves. */
export function gatewayAccepted(
  gateway: { namespace: string; listeners: Listener[] },
  parentRef: GatewayParentRef,
  route: { namespace: string; namespaceLabels: Record<string, string>; hostnames: string[] },
): Verdict {
  const results = gateway.listeners.map((listener) =>
    listenerVerdict(
      listener,
      parentRef,
      route.hostnames,
      namespaceAllowed(listener, gateway.namespace, route.namespace, route.namespaceLabels),
      route.namespace,
    ),
  );
  const bound = results.filter((r) => r === undefined).length;
  if (bound > 0)
    return {
      status: 'True',
      reason: 'Accepted',
      message: bound > 1 ? `Route was valid, bound to ${bound} parents` : 'Route was valid',
    };
  const refusals = results.filter((r) => r !== undefined);
  const reason = RANKING.find((r) => refusals.some((x) => x.reason === r)) ?? 'NoMatchingParent';
  const messages = refusals.filter((r) => r.reason === reason).map((r) => r.message);
  return { status: 'False', reason, message: messages.join('; ') || 'no listeners' };
}
