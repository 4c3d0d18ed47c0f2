// The planner's picture of the API server's defaults against the HTTPRoute CRD itself (../shared).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { parse } from 'yaml';
import { HTTP_ROUTE_DEFAULTS, normalizeSpec, sameSpec } from '../../../src/plan/gateway-api/index.js';
import type { HTTPRouteSpec } from '../../../src/plan/gateway-api/index.js';
import { canonicalJson } from '../../../src/plan/objects.js';
import { gatewaySeed, sharedCrdDir, withShared } from './support.js';

interface Schema {
  default?: unknown;
  properties?: Record<string, Schema>;
  items?: Schema;
}

function crdSchemas(): { name: string; schema: Schema }[] {
  const crd = parse(
    readFileSync(path.join(sharedCrdDir, 'gateway.networking.k8s.io_httproutes.yaml'), 'utf8'),
  ) as {
    spec: { versions: { name: string; schema: { openAPIV3Schema: Schema } }[] };
  };
  return crd.spec.versions.map((version) => ({ name: version.name, schema: version.schema.openAPIV3Schema }));
}

function defaultsOf(schema: Schema, at = ''): Record<string, unknown> {
  const found: Record<string, unknown> =
    schema.default !== undefined && at !== '' ? { [at]: schema.default } : {};
  for (const [name, property] of Object.entries(schema.properties ?? {}))
    Object.assign(found, defaultsOf(property, `${at}.${name}`));
  if (schema.items) Object.assign(found, defaultsOf(schema.items, `${at}[]`));
  return found;
}

/** Structural defaulting as kube-apiserver does it: absent fields with a default get it, recursively. */
function applyDefaults(value: unknown, schema: Schema): unknown {
  if (Array.isArray(value))
    return schema.items ? value.map((item) => applyDefaults(item, schema.items as Schema)) : value;
  if (value === null || typeof value !== 'object') return value;
  const result: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    if (result[name] === undefined && property.default !== undefined)
      result[name] = structuredClone(property.default);
    if (result[name] !== undefined) result[name] = applyDefaults(result[name], property);
  }
  return result;
}

const specs: fc.Arbitrary<HTTPRouteSpec> = fc.record(
  {
    parentRefs: fc.array(
      fc.record(
        { name: fc.constantFrom('gw', 'reviews'), kind: fc.constantFrom(undefined, 'Service', 'Gateway') },
        { requiredKeys: ['name'] },
      ),
      { maxLength: 2 },
    ),
    rules: fc.array(
      fc.record(
        {
          matches: fc.array(
            fc.record(
              {
                path: fc.record(
                  {
                    type: fc.constantFrom('PathPrefix' as const, 'Exact' as const),
                    value: fc.constantFrom('/', '/a'),
                  },
                  { requiredKeys: [] },
                ),
                headers: fc.array(
                  fc.record(
                    {
                      name: fc.constant('end-user'),
                      value: fc.constant('jason'),
                      type: fc.constantFrom(undefined, 'Exact' as const),
                    },
                    { requiredKeys: ['name', 'value'] },
                  ),
                  { maxLength: 1 },
                ),
                method: fc.constantFrom('GET' as const, 'POST' as const),
              },
              { requiredKeys: [] },
            ),
            { maxLength: 2 },
          ),
          backendRefs: fc.array(
            fc.record(
              {
                name: fc.constantFrom('reviews-v1', 'reviews-v2'),
                port: fc.constant(9080),
                weight: fc.integer({ min: 0, max: 3 }),
              },
              { requiredKeys: ['name', 'port'] },
            ),
            { maxLength: 2 },
          ),
          filters: fc.array(
            fc.constant({
              type: 'RequestMirror' as const,
              requestMirror: { backendRef: { name: 'reviews-v2', port: 9080 }, fraction: { numerator: 1 } },
            }),
            { maxLength: 1 },
          ),
        },
        { requiredKeys: [] },
      ),
      { maxLength: 3 },
    ),
  },
  { requiredKeys: [] },
);

describe('normalizeSpec', () => {
  it('fills in what the seed route lacks, as the server would', () => {
    const route = gatewaySeed().httpRoutes[0];
    expect(route && normalizeSpec(route.spec).rules).toEqual([
      {
        matches: [{ path: { type: 'PathPrefix', value: '/' } }],
        backendRefs: [{ group: '', kind: 'Service', name: 'reviews-v1', port: 9080, weight: 1 }],
      },
    ]);
  });
});

withShared('normalizeSpec against the HTTPRoute CRD in ../shared/gateway-api-crds', sharedCrdDir, () => {
  it.each(['v1', 'v1beta1'])('lists exactly the defaults of the %s schema', (version) => {
    const schema = crdSchemas().find((each) => each.name === version)?.schema as Schema;
    expect(defaultsOf(schema)).toEqual(HTTP_ROUTE_DEFAULTS);
  });

  it('treats a spec and the same spec defaulted by the CRD schema as equal, and adds nothing the server would not', () => {
    const schema = crdSchemas()[0]?.schema.properties?.spec as Schema;
    fc.assert(
      fc.property(specs, (spec) => {
        const clean = JSON.parse(JSON.stringify(spec)) as HTTPRouteSpec;
        const defaulted = applyDefaults(clean, schema) as HTTPRouteSpec;
        expect(sameSpec(clean, defaulted)).toBe(true);
        expect(canonicalJson(normalizeSpec(clean))).toBe(canonicalJson(defaulted));
      }),
      { numRuns: 200 },
    );
  });
});
