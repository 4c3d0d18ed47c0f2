// Writes through client-node: the four patch types, server-side apply with field managers, dryRun,
// Istio schema validation from the real CRDs, and deletes that take dependents along.
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubernetesObject,
  type V1Deployment,
} from '@kubernetes/client-node';
import { failureOf, virtualService, VS, watchUntil } from './helpers.js';
import { startApiServer, type ApiServer } from '../../test/support/kube-apiserver/index.js';

let server: ApiServer;
let custom: CustomObjectsApi;
let objects: KubernetesObjectApi;
beforeAll(async () => {
  server = await startApiServer();
  custom = server.kubeConfig().makeApiClient(CustomObjectsApi);
  objects = KubernetesObjectApi.makeApiClient(server.kubeConfig());
});
afterAll(async () => {
  await server.close();
});

const as = (strategy: PatchStrategy) => setHeaderOptions('Content-Type', strategy);
/** Server-side apply through KubernetesObjectApi, as the product applies. */
const apply = (obj: KubernetesObject, manager: string, options: { force?: boolean; dryRun?: boolean } = {}) =>
  objects.patch(
    obj,
    undefined,
    options.dryRun ? 'All' : undefined,
    manager,
    options.force,
    PatchStrategy.ServerSideApply,
  );
const routeOf = (o: object) =>
  (o as { spec: { http: { route: { weight?: unknown }[] }[] } }).spec.http[0]!.route[0]!;

function deployment(name: string): V1Deployment {
  return {
    metadata: { name, labels: { app: name } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            { name: 'app', image: 'app:1' },
            { name: 'sidecar', image: 'proxy:1' },
          ],
        },
      },
    },
  };
}

describe('patch types', () => {
  test('JSON patch with a failing test op answers 422 and changes nothing', async () => {
    await custom.createNamespacedCustomObject({ ...VS, body: virtualService('jp') });
    const ok = await custom.patchNamespacedCustomObject({
      ...VS,
      name: 'jp',
      body: [{ op: 'replace', path: '/spec/http/0/route/0/weight', value: 90 }],
    });
    expect(routeOf(ok).weight).toBe(90);
    const { code, body } = await failureOf(
      custom.patchNamespacedCustomObject({
        ...VS,
        name: 'jp',
        body: [
          { op: 'test', path: '/spec/http/0/route/0/weight', value: 100 },
          { op: 'replace', path: '/spec/http/0/route/0/weight', value: 1 },
        ],
      }),
    );
    expect(code).toBe(422);
    expect(body.message).toBe('the server rejected our request due to an error in our request');
    expect(
      routeOf(server.store.get('networking.istio.io/v1', 'VirtualService', 'default', 'jp')!).weight,
    ).toBe(90);
  });

  test('strategic merge patch merges containers by name on a Deployment', async () => {
    const apps = server.kubeConfig().makeApiClient(AppsV1Api);
    await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('smp') });
    const patched = await apps.patchNamespacedDeployment(
      {
        namespace: 'default',
        name: 'smp',
        body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'app:2' }] } } } },
      },
      as(PatchStrategy.StrategicMergePatch),
    );
    expect(patched.spec?.template.spec?.containers.map((c) => `${c.name}=${c.image}`)).toEqual([
      'app=app:2',
      'sidecar=proxy:1',
    ]);
  });

  test('strategic merge patch on a custom resource answers 415 like the real server', async () => {
    await custom.createNamespacedCustomObject({ ...VS, body: virtualService('smp-vs') });
    const { code, body } = await failureOf(
      custom.patchNamespacedCustomObject(
        { ...VS, name: 'smp-vs', body: { spec: { hosts: ['x'] } } },
        as(PatchStrategy.StrategicMergePatch),
      ),
    );
    expect(code).toBe(415);
    expect(body.message).toBe(
      'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
    );
  });

  test('a merge patch carrying a stale resourceVersion answers 409 Conflict', async () => {
    const created = (await custom.createNamespacedCustomObject({
      ...VS,
      body: virtualService('mp-rv'),
    })) as KubernetesObject;
    await custom.patchNamespacedCustomObject(
      { ...VS, name: 'mp-rv', body: { spec: { hosts: ['a'] } } },
      as(PatchStrategy.MergePatch),
    );
    const { code } = await failureOf(
      custom.patchNamespacedCustomObject(
        {
          ...VS,
          name: 'mp-rv',
          body: { metadata: { resourceVersion: created.metadata?.resourceVersion }, spec: { hosts: ['b'] } },
        },
        as(PatchStrategy.MergePatch),
      ),
    );
    expect(code).toBe(409);
  });
});

describe('server-side apply', () => {
  test('creates, records managedFields per manager, and a second manager conflicts on the same field', async () => {
    const applied = await apply(virtualService('ssa'), 'ci');
    expect(applied.metadata?.managedFields).toEqual([
      expect.objectContaining({
        manager: 'ci',
        operation: 'Apply',
        apiVersion: 'networking.istio.io/v1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': { 'f:hosts': {}, 'f:http': {} },
        },
      }),
    ]);
    const { code, body } = await failureOf(apply(virtualService('ssa', 50), 'other'));
    expect(code).toBe(409);
    expect(body.message).toBe('Apply failed with 1 conflict: conflict with "ci": .spec.http');
    expect(body.details).toEqual({
      causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "ci"', field: '.spec.http' }],
    });
  });

  test('force takes the field over; the same values are shared without conflict', async () => {
    await apply(virtualService('ssa-force'), 'ci');
    const shared = await apply(virtualService('ssa-force'), 'other');
    expect(shared.metadata?.managedFields?.map((m) => m.manager)).toEqual(['ci', 'other']);
    const forced = await apply(virtualService('ssa-force', 10), 'other', { force: true });
    expect(routeOf(forced).weight).toBe(10);
    const ci = forced.metadata?.managedFields?.find((m) => m.manager === 'ci');
    expect(ci?.fieldsV1).toEqual({
      'f:metadata': { 'f:labels': { 'f:app': {} } },
      'f:spec': { 'f:hosts': {} },
    });
  });

  test('a field an applier stops applying is removed', async () => {
    const withGateways = {
      ...virtualService('ssa-drop'),
      spec: { ...virtualService('ssa-drop').spec, gateways: ['gw'] },
    };
    await apply(withGateways, 'ci');
    const after = await apply(virtualService('ssa-drop'), 'ci');
    expect((after as { spec: { gateways?: string[] } }).spec.gateways).toBeUndefined();
  });

  test('an update by another writer of an applied field is a conflict named with its apiVersion', async () => {
    await apply(virtualService('ssa-upd'), 'ci');
    await custom.patchNamespacedCustomObject(
      { ...VS, name: 'ssa-upd', body: { spec: { hosts: ['changed'] } }, fieldManager: 'editor' },
      as(PatchStrategy.MergePatch),
    );
    const { body } = await failureOf(apply(virtualService('ssa-upd'), 'ci'));
    expect(body.message).toBe(
      'Apply failed with 1 conflict: conflict with "editor" using networking.istio.io/v1: .spec.hosts',
    );
  });

  test('on a Deployment, containers are owned item by item (merge key name)', async () => {
    const applyImage = (manager: string, image: string) =>
      apply(
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'ssa-deploy', namespace: 'default' },
          spec: {
            selector: { matchLabels: { app: 'ssa-deploy' } },
            template: {
              metadata: { labels: { app: 'ssa-deploy' } },
              spec: { containers: [{ name: 'app', image }] },
            },
          },
        } as KubernetesObject,
        manager,
      );
    await applyImage('ci', 'app:1');
    const { code, body } = await failureOf(applyImage('other', 'app:2'));
    expect(code).toBe(409);
    expect(body.message).toBe(
      'Apply failed with 1 conflict: conflict with "ci": .spec.template.spec.containers[name="app"].image',
    );
  });

  test('force on a merge patch is refused as the real server refuses it', async () => {
    await custom.createNamespacedCustomObject({ ...VS, body: virtualService('forced-merge') });
    const { code, body } = await failureOf(
      objects.patch(
        virtualService('forced-merge'),
        undefined,
        undefined,
        'ci',
        true,
        PatchStrategy.MergePatch,
      ),
    );
    expect(code).toBe(422);
    expect(body.message).toBe(
      'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch',
    );
  });

  test('fieldManager is required', async () => {
    const { code, body } = await failureOf(
      custom.patchNamespacedCustomObject(
        { ...VS, name: 'no-manager', body: virtualService('no-manager') },
        as(PatchStrategy.ServerSideApply),
      ),
    );
    expect(code).toBe(422);
    expect(body.message).toBe(
      'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    );
  });
});

describe('dryRun=All', () => {
  test('validates and answers the object without storing it, on create, patch, apply and delete', async () => {
    const created = (await custom.createNamespacedCustomObject({
      ...VS,
      body: virtualService('dry'),
      dryRun: 'All',
    })) as KubernetesObject;
    expect(created.metadata?.name).toBe('dry');
    expect(server.store.get('networking.istio.io/v1', 'VirtualService', 'default', 'dry')).toBeUndefined();
    await apply(virtualService('dry'), 'ci', { dryRun: true });
    expect(server.store.get('networking.istio.io/v1', 'VirtualService', 'default', 'dry')).toBeUndefined();
    const { code } = await failureOf(
      custom.createNamespacedCustomObject({ ...VS, body: virtualService('dry', 'x'), dryRun: 'All' }),
    );
    expect(code).toBe(422);
    await custom.createNamespacedCustomObject({ ...VS, body: virtualService('dry') });
    await custom.patchNamespacedCustomObject(
      { ...VS, name: 'dry', body: { spec: { hosts: ['dry-run-only'] } }, dryRun: 'All' },
      as(PatchStrategy.MergePatch),
    );
    await custom.deleteNamespacedCustomObject({ ...VS, name: 'dry', dryRun: 'All' });
    const kept = server.store.get('networking.istio.io/v1', 'VirtualService', 'default', 'dry') as {
      spec: { hosts: string[] };
    };
    expect(kept.spec.hosts).toEqual(['dry']);
  });
});

/** The cause kube-apiserver adds when a structural error keeps a CRD's CEL rules from running. */
const RULES_NOT_CHECKED =
  '<nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation';

describe('Istio schema validation from the CRDs', () => {
  test('a wrong type answers 422 with the real message', async () => {
    const { code, body } = await failureOf(
      custom.createNamespacedCustomObject({ ...VS, body: virtualService('bad', 'string') }),
    );
    expect(code).toBe(422);
    expect(body.message).toBe(
      `VirtualService.networking.istio.io "bad" is invalid: [spec.http[0].route[0].weight: Invalid value: "string": spec.http[0].route[0].weight in body must be of type integer: "string", ${RULES_NOT_CHECKED}]`,
    );
    expect(body.details).toEqual({
      name: 'bad',
      group: 'networking.istio.io',
      kind: 'VirtualService',
      causes: [
        {
          reason: 'FieldValueTypeInvalid',
          message:
            'Invalid value: "string": spec.http[0].route[0].weight in body must be of type integer: "string"',
          field: 'spec.http[0].route[0].weight',
        },
        {
          reason: 'FieldValueInvalid',
          message:
            'Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
          field: '<nil>',
        },
      ],
    });
  });

  test('an enum violation answers 422 Unsupported value', async () => {
    const dr = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'bad-enum', namespace: 'default' },
      spec: { host: 'x', trafficPolicy: { tls: { mode: 'SOMETIMES' } } },
    };
    const { code, body } = await failureOf(objects.create(dr));
    expect(code).toBe(422);
    expect(body.message).toBe(
      `DestinationRule.networking.istio.io "bad-enum" is invalid: [spec.trafficPolicy.tls.mode: Unsupported value: "SOMETIMES": supported values: "DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL", ${RULES_NOT_CHECKED}]`,
    );
  });

  test('unknown fields are pruned, with a warning; fieldValidation=Strict answers 400', async () => {
    const misspelt = virtualService('typo');
    (routeOf(misspelt) as Record<string, unknown>).wieght = 5;
    const created = await custom.createNamespacedCustomObject({ ...VS, body: misspelt });
    expect(routeOf(created as object)).toEqual({ destination: { host: 'typo', subset: 'v1' }, weight: 100 });
    const { code, body } = await failureOf(
      custom.createNamespacedCustomObject({
        ...VS,
        body: { ...misspelt, metadata: { name: 'typo2' } },
        fieldValidation: 'Strict',
      }),
    );
    expect(code).toBe(400);
    expect(body.message).toBe(
      'VirtualService in version "v1" cannot be handled as a VirtualService: strict decoding error: unknown field "spec.http[0].route[0].wieght"',
    );
  });

  test('server-side apply of a schema-invalid object answers 500 as the real server does', async () => {
    const wrongType = await failureOf(apply(virtualService('bad-apply', 'string'), 'ci'));
    expect(wrongType.code).toBe(500);
    expect(wrongType.body.message).toBe(
      'failed to create typed patch object (default/bad-apply; networking.istio.io/v1, Kind=VirtualService): .spec.http[0].route[0].weight: expected numeric (int or float), got string',
    );
    const misspelt = virtualService('bad-apply');
    (routeOf(misspelt) as Record<string, unknown>).wieght = 5;
    const unknown = await failureOf(apply(misspelt, 'ci'));
    expect(unknown.code).toBe(500);
    expect(unknown.body.message).toBe(
      'failed to create typed patch object (default/bad-apply; networking.istio.io/v1, Kind=VirtualService): .spec.http[0].route[0].wieght: field not declared in schema',
    );
  });

  test('a missing required field answers 422 Required value', async () => {
    const noDestination = {
      ...virtualService('no-dest'),
      spec: { hosts: ['x'], http: [{ route: [{ weight: 100 }] }] },
    };
    const { code, body } = await failureOf(objects.create(noDestination));
    expect(code).toBe(422);
    expect(body.message).toBe(
      `VirtualService.networking.istio.io "no-dest" is invalid: [spec.http[0].route[0].destination: Required value, ${RULES_NOT_CHECKED}]`,
    );
  });
});

describe('delete', () => {
  test('deleting a Deployment takes its ReplicaSet and pods along; Orphan leaves them', async () => {
    const apps = server.kubeConfig().makeApiClient(AppsV1Api);
    const core = server.kubeConfig().makeApiClient(CoreV1Api);
    for (const name of ['del-bg', 'del-orphan']) {
      await apps.createNamespacedDeployment({ namespace: 'default', body: deployment(name) });
    }
    const podsOf = async (app: string) =>
      (await core.listNamespacedPod({ namespace: 'default', labelSelector: `app=${app}` })).items;
    const kc = server.kubeConfig();
    for (const app of ['del-bg', 'del-orphan']) {
      await watchUntil(kc, '/api/v1/namespaces/default/pods', { labelSelector: `app=${app}` }, () => true);
    }
    const status = await apps.deleteNamespacedDeployment({ namespace: 'default', name: 'del-bg' });
    expect(status).toMatchObject({
      kind: 'Status',
      status: 'Success',
      details: { name: 'del-bg', group: 'apps', kind: 'deployments' },
    });
    expect(await podsOf('del-bg')).toEqual([]);
    expect(
      (await apps.listNamespacedReplicaSet({ namespace: 'default', labelSelector: 'app=del-bg' })).items,
    ).toEqual([]);
    await apps.deleteNamespacedDeployment({
      namespace: 'default',
      name: 'del-orphan',
      propagationPolicy: 'Orphan',
    });
    expect((await podsOf('del-orphan')).length).toBe(1);
  });
});

// A VirtualService of a thousand routes: the checks that skip what holds no default and no CEL rule still
// find the one route that breaks a rule or carries an unknown field, and an update keeps every route.
const ROUTES = 1000;

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
