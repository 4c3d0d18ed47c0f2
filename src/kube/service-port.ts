// The port a client inside the mesh uses to reach the Service (Bookinfo's reviews: 9080), so that the curl
// in the pull-request comment reaches the canary as written.
import type { V1Service, V1ServicePort } from './client-node.js';
import type { ClusterClient } from './client.js';

/** Istio picks HTTP for a port named `http` or `http-…`: that one, else the only port, else the first. */
function httpPort(ports: V1ServicePort[]): number | undefined {
  const named = ports.find((port) => port.name === 'http' || port.name?.startsWith('http-'));
  return (named ?? ports[0])?.port;
}

/** The Service's HTTP port; undefined when it cannot be read (the comment then names no port). */
export async function readServicePort(
  client: ClusterClient,
  namespace: string,
  name: string,
): Promise<number | undefined> {
  try {
    const service = await client.send<V1Service>({
      verb: 'get',
      group: '',
      version: 'v1',
      resource: 'services',
      namespace,
      name,
    });
    return httpPort(service.spec?.ports ?? []);
  } catch {
    return undefined;
  }
}
