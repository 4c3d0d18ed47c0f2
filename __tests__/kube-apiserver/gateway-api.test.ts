// gateway.networking.k8s.io served from Gateway API's own CRDs: discovery, structural defaulting, the
// CRDs' CEL rules (and Istio's), and the CRD copies kept beside the stand-in.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CustomObjectsApi, type KubernetesObject } from '@kubernetes/client-node';
import { loadAll } from 'js-yaml';
import { celErrors, compileRule } from '../../test/support/kube-apiserver/cel.js';
import { loadCrds } from '../../test/support/kube-apiserver/crds.js';
import { startApiServer, type ApiServer } from '../../test/support/kube-apiserver/index.js';
import { describeWithShared, failureOf, rawRequest, virtualService, VS } from './helpers.js';

const GROUP = 'gateway.networking.k8s.io';
const ROUTES = { group: GROUP, version: 'v1', namespace: 'default', plural: 'httproutes' };

let server: ApiServer;
let custom: CustomObjectsApi;

beforeAll(async () => {
  server = await startApiServer();
  custom = server.kubeConfig().makeApiClient(CustomObjectsApi);
});
afterAll(async () => {
  await server.close();
});

type Route = KubernetesObject & { spec: { rules?: Record<string, unknown>[] } & Record<string, unknown> };

function httpRoute(name: string, rules: Record<string, unknown>[], apiVersion = `${GROUP}/v1`): Route {
  return {
    apiVersion,
    kind: 'HTTPRoute',
    metadata: { name, namespace: 'default' },
    spec: { parentRefs: [{ group: '', kind: 'Service', name: 'reviews', port: 9080 }], rules },
  };
}

const get = async (path: string) =>
  JSON.parse(
    (await rawRequest(server.kubeConfig(), 'GET', path, { Authorization: 'Bearer admin-token' })).body,
  );

describe('discovery', () => {
  test('the group serves v1 (preferred) and v1beta1, each kind as its CRD declares it', async () => {
    const group = (await get(`/apis/${GROUP}`)) as {
      versions: { version: string }[];
      preferredVersion: object;
    };
    expect(group.versions.map((v) => v.version)).toEqual(['v1', 'v1beta1']);
    expect(group.preferredVersion).toEqual({ groupVersion: `${GROUP}/v1`, version: 'v1' });
    const resources = (name: string) =>
      get(`/apis/${GROUP}/${name}`).then(
        (doc: { resources: { name: string; kind: string; namespaced: boolean; shortNames?: string[] }[] }) =>
          doc.resources.map((r) => [r.name, r.kind, r.namespaced, r.shortNames ?? []]),
      );
    expect(await resources('v1')).toEqual([
      ['gatewayclasses', 'GatewayClass', false, ['gc']],
      ['gatewayclasses/status', 'GatewayClass', false, []],
      ['gateways', 'Gateway', true, ['gtw']],
      ['gateways/status', 'Gateway', true, []],
      ['grpcroutes', 'GRPCRoute', true, []],
      ['grpcroutes/status', 'GRPCRoute', true, []],
      ['httproutes', 'HTTPRoute', true, []],
      ['httproutes/status', 'HTTPRoute', true, []],
      ['referencegrants', 'ReferenceGrant', true, ['refgrant']],
    ]);
    // GRPCRoute is served in v1 only.
    expect((await resources('v1beta1')).map((r) => r[0])).toEqual([
      'gatewayclasses',
      'gatewayclasses/status',
      'gateways',
      'gateways/status',
      'httproutes',
      'httproutes/status',
      'referencegrants',
    ]);
  });

  test('gatewayApi: false serves no gateway.networking.k8s.io group: a plain-text 404', async () => {
    const bare = await startApiServer({ gatewayApi: false });
    try {
      const answer = await rawRequest(
        bare.kubeConfig(),
        'GET',
        `/apis/${GROUP}/v1/namespaces/default/httproutes`,
        {
          Authorization: 'Bearer admin-token',
        },
      );
      expect([answer.status, answer.headers['content-type'], answer.body]).toEqual([
        404,
        'text/plain; charset=utf-8',
        '404 page not found\n',
      ]);
      const groups = (await get('/apis')) as { groups: { name: string }[] };
      expect(groups.groups.map((g) => g.name)).toContain(GROUP);
      const bareGroups = JSON.parse(
        (await rawRequest(bare.kubeConfig(), 'GET', '/apis', { Authorization: 'Bearer admin-token' })).body,
      ) as { groups: { name: string }[] };
      expect(bareGroups.groups.map((g) => g.name)).not.toContain(GROUP);
    } finally {
      await bare.close();
    }
  });
});

describe('structural defaulting', () => {
  test('a write gets the schema defaults: backendRef group/kind/weight, match path, header type', async () => {
    const created = (await custom.createNamespacedCustomObject({
      ...ROUTES,
      body: httpRoute('defaults', [
        {
          matches: [{ headers: [{ name: 'end-user', value: 'jason' }] }],
          backendRefs: [{ name: 'reviews-v2', port: 9080 }],
        },
        { backendRefs: [{ name: 'reviews-v1', port: 9080 }] },
      ]),
    })) as Route;
    expect(created.spec.rules).toEqual([
      {
        matches: [
          {
            headers: [{ name: 'end-user', value: 'jason', type: 'Exact' }],
            path: { type: 'PathPrefix', value: '/' },
          },
        ],
        backendRefs: [{ name: 'reviews-v2', port: 9080, group: '', kind: 'Service', weight: 1 }],
      },
      {
        // A rule without matches gets the default match list, itself defaulted.
        backendRefs: [{ name: 'reviews-v1', port: 9080, group: '', kind: 'Service', weight: 1 }],
        matches: [{ path: { type: 'PathPrefix', value: '/' } }],
      },
    ]);
    // parentRefs: group and kind were given; a nested default of an absent parent (filters) is not made up.
    expect(created.spec.parentRefs).toEqual([{ group: '', kind: 'Service', name: 'reviews', port: 9080 }]);
    expect(created.spec.rules![0]!.filters).toBeUndefined();
  });

  test('defaults apply on reading too: an object stored without them is read with them', async () => {
    server.store.put(httpRoute('stored-bare', [{ backendRefs: [{ name: 'reviews-v1', port: 9080 }] }]));
    const read = (await custom.getNamespacedCustomObject({ ...ROUTES, name: 'stored-bare' })) as Route;
    expect(read.spec.rules![0]!.backendRefs).toEqual([
      { name: 'reviews-v1', port: 9080, group: '', kind: 'Service', weight: 1 },
    ]);
  });

  test('v1beta1 and v1 read and write the same object', async () => {
    await custom.createNamespacedCustomObject({
      ...ROUTES,
      version: 'v1beta1',
      body: httpRoute('beta', [{ backendRefs: [{ name: 'reviews-v1', port: 9080 }] }], `${GROUP}/v1beta1`),
    });
    const asV1 = (await custom.getNamespacedCustomObject({ ...ROUTES, name: 'beta' })) as Route;
    expect(asV1.apiVersion).toBe(`${GROUP}/v1`);
    expect(asV1.spec.rules![0]!.backendRefs).toEqual([
      { name: 'reviews-v1', port: 9080, group: '', kind: 'Service', weight: 1 },
    ]);
  });
});

describe('CEL rules of the CRDs', () => {
  test('a path match that is not absolute answers 422 with the rule message', async () => {
    const { code, body } = await failureOf(
      custom.createNamespacedCustomObject({
        ...ROUTES,
        body: httpRoute('bad', [{ matches: [{ path: { type: 'PathPrefix', value: 'reviews' } }] }]),
      }),
    );
    expect(code).toBe(422);
    expect(body.message).toBe(
      `HTTPRoute.gateway.networking.k8s.io "bad" is invalid: spec.rules[0].matches[0].path: Invalid value: "object": value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']`,
    );
    expect(body.details).toEqual({
      name: 'bad',
      group: GROUP,
      kind: 'HTTPRoute',
      causes: [
        {
          reason: 'FieldValueInvalid',
          message: `Invalid value: "object": value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']`,
          field: 'spec.rules[0].matches[0].path',
        },
      ],
    });
    expect(server.store.get(`${GROUP}/v1`, 'HTTPRoute', 'default', 'bad')).toBeUndefined();
  });

  test('a rule over a list: filter().size() refuses a repeated filter', async () => {
    const { body } = await failureOf(
      custom.createNamespacedCustomObject({
        ...ROUTES,
        body: httpRoute('two-modifiers', [
          {
            filters: [
              { type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'a', value: '1' }] } },
              { type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'b', value: '2' }] } },
            ],
            backendRefs: [{ name: 'reviews-v1', port: 9080 }],
          },
        ]),
      }),
    );
    expect(body.message).toBe(
      'HTTPRoute.gateway.networking.k8s.io "two-modifiers" is invalid: spec.rules[0].filters: Invalid value: "array": RequestHeaderModifier filter cannot be repeated',
    );
  });

  test('string limits: a pattern error lets the rules run, a too long value stops them', async () => {
    const create = async (name: string, spec: Record<string, unknown>) => {
      const route = httpRoute(name, [{ matches: [{ path: { type: 'Exact', value: 'x' } }] }]);
      const body = { ...route, spec: { ...route.spec, ...spec } };
      return (await failureOf(custom.createNamespacedCustomObject({ ...ROUTES, body }))).body.message;
    };
    const pattern = String.raw`^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`;
    expect(await create('bad-host', { hostnames: ['Bad_Host'] })).toBe(
      `HTTPRoute.gateway.networking.k8s.io "bad-host" is invalid: [spec.hostnames[0]: Invalid value: "Bad_Host": spec.hostnames[0] in body should match '${pattern}', spec.rules[0].matches[0].path: Invalid value: "object": value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']]`,
    );
    expect(await create('long-host', { hostnames: ['a'.repeat(254)] })).toBe(
      'HTTPRoute.gateway.networking.k8s.io "long-host" is invalid: [spec.hostnames[0]: Too long: may not be more than 253 bytes, <nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation]',
    );
  });

  test('a schema error keeps the rules from running, with the cause the real server adds', async () => {
    const { body } = await failureOf(
      custom.createNamespacedCustomObject({
        ...ROUTES,
        body: httpRoute('wrong-weight', [
          {
            matches: [{ path: { type: 'PathPrefix', value: 'not-absolute' } }],
            backendRefs: [{ name: 'reviews-v1', port: 9080, weight: 'ten' }],
          },
        ]),
      }),
    );
    expect(body.message).toBe(
      'HTTPRoute.gateway.networking.k8s.io "wrong-weight" is invalid: [spec.rules[0].backendRefs[0].weight: Invalid value: "string": spec.rules[0].backendRefs[0].weight in body must be of type integer: "string", <nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation]',
    );
  });

  test("a transition rule (self == oldSelf) refuses to change GatewayClass's controllerName", async () => {
    const classes = { group: GROUP, version: 'v1', plural: 'gatewayclasses' };
    const created = (await custom.createClusterCustomObject({
      ...classes,
      body: {
        apiVersion: `${GROUP}/v1`,
        kind: 'GatewayClass',
        metadata: { name: 'istio' },
        spec: { controllerName: 'istio.io/gateway-controller' },
      },
    })) as KubernetesObject & { spec: { controllerName: string } };
    created.spec.controllerName = 'example.com/other';
    const { code, body } = await failureOf(
      custom.replaceClusterCustomObject({ ...classes, name: 'istio', body: created }),
    );
    expect(code).toBe(422);
    expect(body.message).toBe(
      'GatewayClass.gateway.networking.k8s.io "istio" is invalid: spec.controllerName: Invalid value: "string": Value is immutable',
    );
  });

  test("Istio's duration rule: a VirtualService with timeout 0s answers 422", async () => {
    const vs = virtualService('zero-timeout') as KubernetesObject & { spec: { http: object[] } };
    vs.spec.http = [{ ...vs.spec.http[0], timeout: '0s' }];
    const { code, body } = await failureOf(custom.createNamespacedCustomObject({ ...VS, body: vs }));
    expect(code).toBe(422);
    expect(body.message).toBe(
      'VirtualService.networking.istio.io "zero-timeout" is invalid: spec.http[0].timeout: Invalid value: "string": must be a valid duration greater than 1ms',
    );
    vs.spec.http = [{ ...vs.spec.http[0], timeout: '1.5s' }];
    await custom.createNamespacedCustomObject({ ...VS, body: vs });
  });

  test('messageExpression, reason, fieldPath and transition rules through map lists', () => {
    const schema = {
      type: 'object',
      properties: {
        listeners: {
          type: 'array',
          'x-kubernetes-list-type': 'map' as const,
          'x-kubernetes-list-map-keys': ['name'],
          items: {
            type: 'object',
            properties: { name: { type: 'string' }, port: { type: 'integer' } },
            'x-kubernetes-validations': [
              { rule: 'self.port == oldSelf.port', message: 'port is immutable' },
              {
                rule: 'self.port < 65536',
                messageExpression: "'port ' + string(self.port) + ' is out of range'",
                reason: 'FieldValueForbidden' as const,
                fieldPath: '.port',
              },
            ],
          },
        },
      },
      'x-kubernetes-validations': [
        { rule: 'self.listeners.exists_one(l, l.name.matches("^http$"))' },
        { rule: 'self.listeners.size() < 3', message: 'too many' },
      ],
    };
    const value = {
      listeners: [
        { name: 'web', port: 80 },
        { name: 'https', port: 70000 },
      ],
    };
    // On create there is no oldSelf: the transition rule does not run.
    expect(celErrors(value, schema, undefined, 'spec')).toEqual([
      {
        type: 'FieldValueInvalid',
        field: 'spec',
        body: `Invalid value: "object": failed rule: self.listeners.exists_one(l, l.name.matches("^http$"))`,
      },
      {
        type: 'FieldValueForbidden',
        field: 'spec.listeners[1].port',
        body: 'Forbidden: port 70000 is out of range',
      },
    ]);
    // On update the items correlate by their key, wherever they sit in the list.
    const old = {
      listeners: [
        { name: 'https', port: 443 },
        { name: 'http', port: 80 },
      ],
    };
    const moved = {
      listeners: [
        { name: 'http', port: 80 },
        { name: 'https', port: 8443 },
        { name: 'x', port: 1 },
      ],
    };
    expect(celErrors(moved, schema, old, 'spec').map((e) => `${e.field}: ${e.body}`)).toEqual([
      'spec: Invalid value: "object": too many',
      'spec.listeners[1]: Invalid value: "object": port is immutable',
    ]);
  });

  test('every rule and message expression of every served CRD compiles', () => {
    const rules: string[] = [];
    const collect = (schema: unknown): void => {
      if (typeof schema !== 'object' || schema === null) return;
      const s = schema as Record<string, unknown>;
      for (const r of (s['x-kubernetes-validations'] ?? []) as {
        rule: string;
        messageExpression?: string;
      }[]) {
        rules.push(r.rule, ...(r.messageExpression ? [r.messageExpression] : []));
      }
      Object.values(s).forEach(collect);
    };
    for (const crd of loadCrds()) for (const v of crd.versions) collect(v.schema);
    expect(rules.length).toBeGreaterThan(300);
    expect(rules.filter((rule) => !compiles(rule))).toEqual([]);
  });
});

function compiles(rule: string): boolean {
  try {
    compileRule(rule);
    return true;
  } catch {
    return false;
  }
}

test('the CRD copies beside the stand-in hold the five standard-channel Gateway API CRDs', () => {
  const copies = join(process.cwd(), 'test/support/kube-apiserver/crds');
  expect(readdirSync(copies).filter((f) => f.startsWith(GROUP))).toHaveLength(5);
});

describeWithShared('gateway-api-crds', 'the CRD copies beside the stand-in', (shared) => {
  const copies = join(process.cwd(), 'test/support/kube-apiserver/crds');
  const docs = (file: string) => loadAll(readFileSync(file, 'utf8'));
  test.each(readdirSync(shared))('%s equals the one in ../shared/gateway-api-crds', (file) => {
    expect(docs(join(copies, file))).toEqual(docs(join(shared, file)));
  });
});
