// RBAC manifests as the API server stand-in's rules, and the request log as the RBAC attributes Kubernetes
// would check: what a Role grants against what a run actually asked for.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { RbacRule, RequestLogEntry } from './kube-apiserver/index.js';

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface ManifestObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: PolicyRule[];
  roleRef?: { apiGroup: string; kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}

export function readManifest(path: string): ManifestObject[] {
  return parseAllDocuments(readFileSync(path, 'utf8'))
    .map((doc) => doc.toJS() as ManifestObject | null)
    .filter((object): object is ManifestObject => object !== null);
}

/**
 * A Role's rules as the stand-in's, held by `user` in the Role's namespace only (a ClusterRole's: in every
 * namespace). The stand-in cannot express resourceNames or nonResourceURLs: a Role using them is refused
 * rather than widened.
 */
export function roleAsRbacRules(role: ManifestObject, user: string): RbacRule[] {
  if (role.kind !== 'Role' && role.kind !== 'ClusterRole') {
    throw new Error(`expected a Role or ClusterRole, got ${role.kind} ${role.metadata.name}`);
  }
  return (role.rules ?? []).map((rule) => {
    if (rule.resourceNames || rule.nonResourceURLs) {
      throw new Error(`Role ${role.metadata.name}: resourceNames and nonResourceURLs are not modelled`);
    }
    return {
      users: [user],
      verbs: rule.verbs ?? [],
      groups: rule.apiGroups ?? [],
      resources: rule.resources ?? [],
      ...(role.kind === 'Role' ? { namespaces: [role.metadata.namespace ?? 'default'] } : {}),
    };
  });
}

/** "group resource verb" for every combination a Role's rules grant (no wildcards expected). */
export function grantedAccess(role: ManifestObject): Set<string> {
  const granted = new Set<string>();
  for (const rule of role.rules ?? []) {
    for (const group of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) {
        for (const verb of rule.verbs ?? []) granted.add(accessKey(group, resource, verb));
      }
    }
  }
  return granted;
}

export function accessKey(group: string, resource: string, verb: string): string {
  return `${group || 'core'} ${resource} ${verb}`;
}

/**
 * The (group, resource, verb) a logged resource request was authorised for, as "group resource verb";
 * undefined for non-resource paths (discovery), which carry no verb in the log.
 *   /api/v1/namespaces/default/pods                                   → core pods
 *   /apis/networking.istio.io/v1/namespaces/default/virtualservices/x → networking.istio.io virtualservices
 */
export function accessOf(entry: RequestLogEntry): string | undefined {
  if (!entry.verb) return undefined;
  const segments = entry.path.split('/').filter((segment) => segment !== '');
  const [root, ...rest] = segments;
  const afterVersion = root === 'api' ? rest.slice(1) : rest.slice(2);
  const group = root === 'api' ? '' : (rest[0] ?? '');
  const scoped =
    afterVersion[0] === 'namespaces' && afterVersion.length > 2 ? afterVersion.slice(2) : afterVersion;
  const [plural, , subresource] = scoped;
  const resource = subresource ? `${plural}/${subresource}` : (plural ?? '');
  return accessKey(group, resource, entry.verb);
}
