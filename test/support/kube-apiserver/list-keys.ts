// Which lists of built-in types merge item by item (patchMergeKey / listMapKeys in the Kubernetes API
// types), for strategic merge patch and server-side apply. Every other list is atomic, as all lists in the
// Istio CRDs are (they declare no x-kubernetes-list-type).

const POD_SPEC_LISTS: Record<string, string[]> = {
  containers: ['name'],
  initContainers: ['name'],
  volumes: ['name'],
  imagePullSecrets: ['name'],
};
const CONTAINER_LISTS: Record<string, string[]> = {
  ports: ['containerPort', 'protocol'],
  env: ['name'],
  volumeMounts: ['mountPath'],
};

/**
 * The merge key of the list at `path` (field names from the object root, '*' for a list item), or undefined
 * for an atomic list.
 */
export function associativeListKey(kind: string, path: string[]): string[] | undefined {
  const p = path.join('.');
  const last = path[path.length - 1] ?? '';
  if (kind === 'Service' && p === 'spec.ports') return ['port', 'protocol'];
  if (p === 'metadata.ownerReferences') return ['uid'];
  if (p === 'status.conditions' && (kind === 'Deployment' || kind === 'ReplicaSet' || kind === 'Pod'))
    return ['type'];
  const podSpec =
    kind === 'Pod' ? 'spec' : kind === 'Deployment' || kind === 'ReplicaSet' ? 'spec.template.spec' : '';
  if (!podSpec) return undefined;
  const parent = path.slice(0, -1).join('.');
  if (parent === podSpec) return POD_SPEC_LISTS[last];
  if (parent === `${podSpec}.containers.*` || parent === `${podSpec}.initContainers.*`)
    return CONTAINER_LISTS[last];
  return undefined;
}
