// Routing objects from YAML text (files, `kubectl get -o yaml` output), read as kubectl reads them (YAML
// 1.1, merge keys): multi-document, `List` items unwrapped, kinds other than VirtualService and
// DestinationRule ignored.
import { InputError } from '../errors.js';
import { checkRoutingObject } from './crd-schema.js';
import { KUBECTL_READ } from './kubectl-yaml.js';
import { sameHost } from './objects.js';
import { parseAllDocuments } from './yaml-diff.js';
import type { ClusterState, DestinationRule, RoutingObject, VirtualService } from './types.js';

const ISTIO_NETWORKING_VERSIONS = [
  'networking.istio.io/v1',
  'networking.istio.io/v1beta1',
  'networking.istio.io/v1alpha3',
];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function itemsOf(document: unknown): unknown[] {
  if (
    isRecord(document) &&
    typeof document.kind === 'string' &&
    document.kind.endsWith('List') &&
    Array.isArray(document.items)
  ) {
    return document.items;
  }
  return [document];
}

function isIstioRoutingObject(object: Record<string, unknown>): boolean {
  return (
    ISTIO_NETWORKING_VERSIONS.includes(String(object.apiVersion)) &&
    (object.kind === 'VirtualService' || object.kind === 'DestinationRule')
  );
}

/** An object as read from YAML: it has an apiVersion and a name; its spec is an object (`{}` when absent). */
export interface ReadObject {
  apiVersion: string;
  kind?: unknown;
  metadata: { name: string; [field: string]: unknown };
  spec: Record<string, unknown>;
  [field: string]: unknown;
}

/** Every object of `text` (documents, `List` items); `source` names the text in error messages. */
export function kubeObjectsIn(text: string, source: string): ReadObject[] {
  const objects: ReadObject[] = [];
  for (const document of parseAllDocuments(text, KUBECTL_READ)) {
    if (document.errors.length > 0) {
      const reason = document.errors[0]?.message.split('\n')[0] ?? 'invalid YAML';
      throw new InputError(
        'from',
        `from must be YAML files of Kubernetes objects, got "${source}": ${reason}`,
      );
    }
    for (const object of itemsOf(document.toJS())) {
      if (!isRecord(object) || typeof object.apiVersion !== 'string') continue;
      // Istio routing objects are checked whole against the CRD schemas before anything is normalised.
      if (isIstioRoutingObject(object)) checkRoutingObject(object, source);
      const metadata = object.metadata;
      if (!isRecord(metadata) || typeof metadata.name !== 'string') continue;
      const spec = isRecord(object.spec) ? object.spec : {};
      objects.push({
        ...object,
        apiVersion: object.apiVersion,
        metadata: { ...metadata, name: metadata.name },
        spec,
      });
    }
  }
  return objects;
}

/** Adds the routing objects found in `text` to `state`; `source` names the text in error messages. */
export function readRoutingYaml(
  text: string,
  source: string,
  state: ClusterState = emptyState(),
): ClusterState {
  for (const object of kubeObjectsIn(text, source)) {
    if (!ISTIO_NETWORKING_VERSIONS.includes(object.apiVersion)) continue;
    if (object.kind === 'VirtualService') state.virtualServices.push(object as unknown as VirtualService);
    if (object.kind === 'DestinationRule') state.destinationRules.push(object as unknown as DestinationRule);
  }
  return state;
}

export function emptyState(): ClusterState {
  return { virtualServices: [], destinationRules: [] };
}

/**
 * The namespaces of the objects that route `host` (a VirtualService naming it, a DestinationRule for it),
 * each host read in its object's namespace; `undefined` stands for objects that name none (they take the
 * namespace planned in).
 */
export function namespacesRouting(state: ClusterState, host: string): (string | undefined)[] {
  const routes = (object: RoutingObject, namespace: string) =>
    object.kind === 'VirtualService'
      ? (object.spec.hosts ?? []).some((named) => sameHost(named, host, namespace))
      : sameHost(object.spec.host, host, namespace);
  const objects: RoutingObject[] = [...state.virtualServices, ...state.destinationRules];
  const found = objects
    .filter((object) => routes(object, object.metadata.namespace ?? 'default'))
    .map((object) => object.metadata.namespace);
  return [...new Set(found)];
}
