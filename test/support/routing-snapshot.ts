// What "the cluster exactly as it was" means in a test: every routing object's spec, labels and
// annotations (VirtualServices, DestinationRules, HTTPRoutes, Services), and every Deployment, serialised
// so that any change at all shows.
import { canonicalJson } from '../../src/plan/objects.js';
import type { ApiServer } from './kube-apiserver/index.js';

interface Stored {
  metadata: { name: string; labels?: unknown; annotations?: unknown };
  spec?: unknown;
}

export function routingSnapshot(server: ApiServer, namespace = 'default'): Record<string, string> {
  const snapshot: Record<string, string> = {};
  const kinds: [string, string][] = [
    ['networking.istio.io/v1', 'VirtualService'],
    ['networking.istio.io/v1', 'DestinationRule'],
    ['apps/v1', 'Deployment'],
    ['gateway.networking.k8s.io/v1', 'HTTPRoute'],
    ['v1', 'Service'],
  ];
  for (const [apiVersion, kind] of kinds) {
    for (const object of listServed(server, apiVersion, kind, namespace)) {
      const { name, labels, annotations } = object.metadata;
      // Keys sorted: a server re-encodes objects in its own field order; list order still counts.
      snapshot[`${kind}/${name}`] = canonicalJson({ labels, annotations, spec: object.spec });
    }
  }
  return snapshot;
}

/** A cluster started without a group (gatewayApi: false) has none of its objects. */
function listServed(server: ApiServer, apiVersion: string, kind: string, namespace: string): Stored[] {
  try {
    return server.store.list(apiVersion, kind, namespace) as Stored[];
  } catch (err) {
    if (err instanceof Error && err.message.startsWith('the stand-in does not serve')) return [];
    throw err;
  }
}
