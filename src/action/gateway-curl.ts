// The pull-request comment's way in through an ingress gateway: for each gateway-bound route the stage
// moved, a curl to the gateway's host and the route's own path that the header twin sends to the canary.
import type { RouteSplit } from '../plan/types.js';
import type { RunOptions, StageResult } from '../types.js';

export interface GatewayCurl {
  /** `VirtualService default/bookinfo-edge` */
  resource: string;
  /** Host and path of the request (`bookinfo.example.com`, `/reviews`). */
  host: string;
  path: string;
}

/** The path the twin accepts: the header route's uri-prefix when it narrows the route's, else the route's. */
function twinPath(route: RouteSplit, uriPrefix: string | undefined): string {
  const own = route.path ?? '/';
  return uriPrefix !== undefined && uriPrefix.startsWith(own) ? uriPrefix : own;
}

/** One request per gateway-bound route moved, through its first host a client can name (no wildcard). */
export function gatewayCurls(result: StageResult, options: Pick<RunOptions, 'uriPrefix'>): GatewayCurl[] {
  return (result.routes ?? []).flatMap((route) => {
    const host = route.hosts.find((candidate) => !candidate.includes('*'));
    if (route.door !== 'gateway' || route.leftAlone !== undefined || host === undefined) return [];
    return [{ resource: route.resource, host, path: twinPath(route, options.uriPrefix) }];
  });
}
