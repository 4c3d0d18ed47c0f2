// A VirtualService of a thousand routes through the stand-in: the checks that skip what holds no default and
// no CEL rule still find the one route that breaks a rule or carries an unknown field, and an update keeps
// every route. The store's copies give what structuredClone gives.
import { CustomObjectsApi } from '@kubernetes/client-node';
import fc from 'fast-check';
import { startApiServer, type ApiServer } from '../../test/support/kube-apiserver/index.js';
import { clone } from '../../test/support/kube-apiserver/store.js';
import { failureOf, VS } from './helpers.js';

const ROUTES = 1000;

let server: ApiServer;
let custom: CustomObjectsApi;

beforeAll(async () => {
  server = await startApiServer();
  custom = server.kubeConfig().makeApiClient(CustomObjectsApi);
});
afterAll(async () => {
  await server.close();
});

type Route = Record<string, unknown>;

function crowded(name: string, change: (routes: Route[]) => void = () => {}) {
  const http: Route[] = Array.from({ length: ROUTES }, (_, i) => ({
    name: `team-${i}`,
    match: [{ uri: { prefix: `/team-${i}/` } }],
    route: [{ destination: { host: 'reviews', subset: 'v1' } }],
    ...(i % 10 === 0 ? { timeout: '3s' } : {}),
  }));
  change(http);
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name, namespace: 'default' },
    spec: { hosts: ['reviews'], http },
  };
}

type Stored = { metadata: { resourceVersion: string }; spec: { http: Route[] } };

describe(`a VirtualService of ${ROUTES} routes`, () => {
  test('a duration rule deep in the list still runs: the route that breaks it is named', async () => {
    const vs = crowded('bad-timeout', (http) => Object.assign(http[730]!, { timeout: '0s' }));
    const { code, body } = await failureOf(custom.createNamespacedCustomObject({ ...VS, body: vs }));
    expect(code).toBe(422);
    expect(body.details).toMatchObject({
      causes: [
        {
          reason: 'FieldValueInvalid',
          field: 'spec.http[730].timeout',
          message: 'Invalid value: "string": must be a valid duration greater than 1ms',
        },
      ],
    });
  });

  test('an unknown field on one route is named (Strict) or pruned; an update keeps every route in order', async () => {
    const vs = crowded('many', (http) => Object.assign(http[512]!, { retryBudget: { percent: 5 } }));
    const strict = await failureOf(
      custom.createNamespacedCustomObject({ ...VS, body: vs, fieldValidation: 'Strict' }),
    );
    expect(strict.code).toBe(400);
    expect(strict.body.message).toBe(
      'VirtualService in version "v1" cannot be handled as a VirtualService: strict decoding error: unknown field "spec.http[512].retryBudget"',
    );
    const created = (await custom.createNamespacedCustomObject({ ...VS, body: vs })) as Stored;
    expect(created.spec.http).toHaveLength(ROUTES);
    expect(created.spec.http[512]).not.toHaveProperty('retryBudget');

    const update = crowded('many', (http) => http.reverse());
    const replaced = (await custom.replaceNamespacedCustomObject({
      ...VS,
      name: 'many',
      body: {
        ...update,
        metadata: { ...update.metadata, resourceVersion: created.metadata.resourceVersion },
      },
    })) as Stored;
    expect(replaced.spec.http.map((route) => route.name)).toEqual(
      update.spec.http.map((route) => route.name),
    );
    const stored = server.store.get('networking.istio.io/v1', 'VirtualService', 'default', 'many') as Stored;
    expect(stored.spec.http).toEqual(replaced.spec.http);
  });
});

describe("the store's copies", () => {
  test('equal what structuredClone makes, for plain data and for what only structuredClone copies', () => {
    // Dates left to the test below: fast-check makes invalid ones, which Jest never finds equal.
    const value = fc.anything({
      withBoxedValues: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
      withObjectString: true,
      withSparseArray: true,
      withTypedArray: true,
      maxDepth: 4,
    });
    fc.assert(
      fc.property(value, (original) => {
        const copied = clone(original);
        expect(copied).toStrictEqual(structuredClone(original));
        if (typeof original === 'object' && original !== null) expect(copied).not.toBe(original);
      }),
      { numRuns: 3000 },
    );
  });

  test('keep undefined members, holes and a `__proto__` field; refuse functions as structuredClone does', () => {
    const original: Record<string, unknown> = { a: undefined, b: [1, , 3], c: { d: -0, at: new Date(0) } };
    Object.defineProperty(original, '__proto__', { value: { x: 1 }, enumerable: true });
    const copied = clone(original);
    expect(Object.keys(copied)).toEqual(['a', 'b', 'c', '__proto__']);
    expect(1 in (copied.b as unknown[])).toBe(false);
    expect(Object.is((copied.c as { d: number }).d, -0)).toBe(true);
    expect(copied.c).toStrictEqual({ d: -0, at: new Date(0) });
    expect((copied.c as { at: Date }).at).not.toBe((original.c as { at: Date }).at);
    expect(Object.getPrototypeOf(copied)).toBe(Object.prototype);
    expect(() => clone({ f: () => 1 })).toThrow(DOMException);
  });
});
