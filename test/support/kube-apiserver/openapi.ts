// Just enough of /openapi/v3 for kubectl: it reads the PATCH operation of each group/version to learn
// that the server validates fields itself (fieldValidation) and supports dryRun, and then leaves
// validation to the server instead of downloading schemas.
import { ResourceRegistry, type ResourceType } from './resources.js';

function gvPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

export function openApiIndex(registry: ResourceRegistry) {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  const gvs = new Set<string>();
  for (const t of registry.types) for (const v of t.versions) gvs.add(gvPath(t.group, v));
  for (const gv of gvs)
    paths[gv] = {
      serverRelativeURL: `/openapi/v3/${gv}?hash=${Buffer.from(gv).toString('hex').slice(0, 32)}`,
    };
  return { paths };
}

const QUERY_PARAMETERS = ['dryRun', 'fieldManager', 'fieldValidation', 'force', 'pretty'].map((name) => ({
  name,
  in: 'query',
  schema: { type: name === 'force' ? 'boolean' : 'string' },
  uniqueItems: true,
}));

function itemPath(t: ResourceType, version: string): string {
  const base = `/${gvPath(t.group, version)}`;
  return t.namespaced ? `${base}/namespaces/{namespace}/${t.plural}/{name}` : `${base}/${t.plural}/{name}`;
}

/** The OpenAPI v3 document of one group/version (`api/v1`, `apis/apps/v1`), or undefined. */
export function openApiGroupVersion(registry: ResourceRegistry, gv: string) {
  const m = /^(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(gv);
  if (!m) return undefined;
  const group = m[1] ? '' : m[2]!;
  const version = m[1] ?? m[3]!;
  const types = registry.inGroupVersion(group, version);
  if (types.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  for (const t of types) {
    paths[itemPath(t, version)] = {
      patch: {
        operationId: `patch${t.kind}`,
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': { group, version, kind: t.kind },
        parameters: QUERY_PARAMETERS,
        responses: { '200': { description: 'OK' } },
      },
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.4' },
    paths,
    components: { schemas: {} },
  };
}
