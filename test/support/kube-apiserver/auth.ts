// Bearer-token authentication and a flat RBAC: a request is allowed when one rule covers its
// user, verb, API group, resource (with `/subresource`) and namespace. '*' matches anything.

export interface RbacRule {
  /** user names; absent = every authenticated user */
  users?: string[];
  verbs: string[];
  /** API groups; '' is the core group */
  groups: string[];
  /** plural resource names, `deployments/scale` for a subresource */
  resources: string[];
  /** absent = every namespace and cluster-scoped resources */
  namespaces?: string[];
}

export interface Attributes {
  user: string;
  verb: string;
  group: string;
  resource: string; // plural, or plural/subresource
  namespace?: string;
}

export const ADMIN_RULES: RbacRule[] = [{ users: ['admin'], verbs: ['*'], groups: ['*'], resources: ['*'] }];

function covers(list: string[] | undefined, value: string | undefined): boolean {
  if (list === undefined) return true;
  return list.includes('*') || (value !== undefined && list.includes(value));
}

export function allowed(rules: RbacRule[], a: Attributes): boolean {
  return rules.some(
    (r) =>
      covers(r.users, a.user) &&
      covers(r.verbs, a.verb) &&
      covers(r.groups, a.group) &&
      covers(r.resources, a.resource) &&
      (r.namespaces === undefined || (a.namespace !== undefined && covers(r.namespaces, a.namespace))),
  );
}

export function userForToken(
  users: Record<string, string>,
  authorization: string | undefined,
): string | undefined {
  const m = /^Bearer\s+(.+)$/i.exec(authorization ?? '');
  return m ? users[m[1]!.trim()] : undefined;
}
