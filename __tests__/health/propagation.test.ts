// waitForPropagation against the API server stand-in: istiod's status (PILOT_ENABLE_STATUS) is written
// through the store as istiod would write it; without it, the settle delay applies.
import { CustomObjectsApi } from '@kubernetes/client-node';
import {
  waitForPropagation,
  type WaitForPropagationOptions,
  type WrittenObject,
} from '../../src/health/index.js';
import { failureOf } from './failure-of.js';
import { standInPerFile } from './stand-in.js';

const GROUP = 'networking.istio.io';
const cluster = standInPerFile('propagation');
let api: CustomObjectsApi;
beforeAll(() => {
  api = cluster.server.kubeConfig().makeApiClient(CustomObjectsApi);
});

const SPECS = {
  VirtualService: {
    plural: 'virtualservices',
    spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews', subset: 'v1' } }] }] },
  },
  DestinationRule: {
    plural: 'destinationrules',
    spec: { host: 'reviews', subsets: [{ name: 'v1', labels: { version: 'v1' } }] },
  },
};

/** Creates the object through the API, as a stage writes it, and returns what the wait is given. */
async function written(kind: keyof typeof SPECS): Promise<WrittenObject> {
  const { plural, spec } = SPECS[kind];
  const created = (await api.createNamespacedCustomObject({
    group: GROUP,
    version: 'v1',
    namespace: cluster.namespace,
    plural,
    body: { apiVersion: `${GROUP}/v1`, kind, metadata: { name: 'reviews' }, spec },
  })) as { metadata: { generation: number } };
  return {
    apiVersion: `${GROUP}/v1`,
    kind,
    namespace: cluster.namespace,
    name: 'reviews',
    generation: created.metadata.generation,
  };
}

/** Writes istiod's status on the object, as istiod does (status only: generation unchanged). */
function istiodStatus(
  object: WrittenObject,
  status: 'True' | 'False',
  observedGeneration: number,
  onCondition = false,
) {
  const current = cluster.server.store.get(
    object.apiVersion,
    object.kind,
    cluster.namespace,
    object.name,
  ) as Record<string, unknown>;
  const condition = {
    type: 'Reconciled',
    status,
    reason: status === 'True' ? 'Reconciled' : 'stillPropagating',
    message: status === 'True' ? '2/2 complete' : '1/2 complete',
    ...(onCondition ? { observedGeneration } : {}),
  };
  cluster.server.store.put({
    ...current,
    status: { conditions: [condition], ...(onCondition ? {} : { observedGeneration }) },
  });
}

function wait(objects: WrittenObject[], overrides: Partial<WaitForPropagationOptions> = {}) {
  return waitForPropagation(cluster.server.kubeConfig(), objects, {
    timeoutMs: 20_000,
    settleMs: 60_000,
    ...overrides,
  });
}

describe('waitForPropagation', () => {
  test('passes as soon as istiod reports Reconciled for the written generation', async () => {
    const vs = await written('VirtualService');
    const dr = await written('DestinationRule');
    istiodStatus(vs, 'True', 1);
    istiodStatus(dr, 'False', 1);
    const progress: string[] = [];
    const result = await wait([dr, vs], {
      onProgress: (message) => {
        progress.push(message);
        istiodStatus(dr, 'True', 1); // istiod finishes pushing the DestinationRule
      },
    });
    expect(progress).toEqual([
      `waiting for istiod: DestinationRule reviews in ${cluster.namespace}: Reconciled False stillPropagating 1/2 complete, observed generation 1 of 1`,
    ]);
    expect(result).toMatchObject({
      name: 'istio propagation',
      ok: true,
      detail: `reconciled: DestinationRule reviews in ${cluster.namespace} (generation 1), VirtualService reviews in ${cluster.namespace} (generation 1)`,
    });
    expect(result.durationMs).toBeLessThan(60_000); // the settle delay was not waited
    const reads = cluster.server.requests.filter(
      (r) =>
        r.method === 'GET' && r.path === `/apis/${GROUP}/v1/namespaces/${cluster.namespace}/destinationrules`,
    );
    expect(reads.map((r) => `${r.verb} ${r.query.fieldSelector}`)).toEqual([
      'list metadata.name=reviews',
      'watch metadata.name=reviews',
    ]);
  });

  test("given the write's answer, watches from it with no list and sees istiod's status written since", async () => {
    const { plural, spec } = SPECS.VirtualService;
    const answer = (await api.createNamespacedCustomObject({
      group: GROUP,
      version: 'v1',
      namespace: cluster.namespace,
      plural,
      body: { apiVersion: `${GROUP}/v1`, kind: 'VirtualService', metadata: { name: 'reviews' }, spec },
    })) as { metadata: { name: string; generation: number; resourceVersion: string } };
    const vs: WrittenObject = {
      apiVersion: `${GROUP}/v1`,
      kind: 'VirtualService',
      namespace: cluster.namespace,
      name: 'reviews',
      generation: answer.metadata.generation,
      written: answer,
    };
    // istiod reconciles between the write's answer and the start of the wait: the watch from the answer's
    // resourceVersion still brings it.
    istiodStatus(vs, 'True', 1);
    const result = await wait([vs]);
    expect(result).toMatchObject({
      ok: true,
      detail: `reconciled: VirtualService reviews in ${cluster.namespace} (generation 1)`,
    });
    const reads = cluster.server.requests.filter(
      (r) => r.path === `/apis/${GROUP}/v1/namespaces/${cluster.namespace}/virtualservices`,
    );
    expect(
      reads.map((r) => `${r.method} ${r.verb} ${r.query.fieldSelector} ${r.query.resourceVersion}`),
    ).toEqual([
      `POST create undefined undefined`,
      `GET watch metadata.name=reviews ${answer.metadata.resourceVersion}`,
    ]);
  });

  test('a Reconciled condition of an older generation is not enough', async () => {
    const vs = await written('VirtualService');
    istiodStatus(vs, 'True', 1);
    const current = cluster.server.store.get(vs.apiVersion, vs.kind, cluster.namespace, 'reviews') as Record<
      string,
      unknown
    >;
    const updated = (await api.replaceNamespacedCustomObject({
      group: GROUP,
      version: 'v1',
      namespace: cluster.namespace,
      plural: 'virtualservices',
      name: 'reviews',
      body: { ...current, spec: { ...SPECS.VirtualService.spec, hosts: ['reviews', 'reviews.example.com'] } },
    })) as { metadata: { generation: number } };
    expect(updated.metadata.generation).toBe(2);
    const progress: string[] = [];
    const result = await wait([{ ...vs, generation: 2 }], {
      onProgress: (message) => {
        progress.push(message);
        istiodStatus(vs, 'True', 2, true); // newer Istio: observedGeneration on the condition
      },
    });
    expect(progress).toEqual([
      `waiting for istiod: VirtualService reviews in ${cluster.namespace}: Reconciled True Reconciled 2/2 complete, observed generation 1 of 2`,
    ]);
    expect(result.detail).toBe(`reconciled: VirtualService reviews in ${cluster.namespace} (generation 2)`);
  });

  test('without istiod status, waits the settle delay and says so', async () => {
    const vs = await written('VirtualService');
    const dr = await written('DestinationRule');
    const result = await wait([dr, vs], { settleMs: 700 });
    expect(result.detail).toBe('no istiod status: waited 0.7s');
    expect(result.durationMs).toBeGreaterThanOrEqual(690);
  });

  test('objects with and without status are each reported', async () => {
    const vs = await written('VirtualService');
    const dr = await written('DestinationRule');
    istiodStatus(vs, 'True', 1);
    const result = await wait([dr, vs], { settleMs: 300 });
    expect(result.detail).toBe(
      `reconciled: VirtualService reviews in ${cluster.namespace} (generation 1); ` +
        `no istiod status on DestinationRule reviews in ${cluster.namespace}: waited 0.3s`,
    );
  });

  test('times out naming the objects and where istiod stands', async () => {
    const dr = await written('DestinationRule');
    istiodStatus(dr, 'False', 1);
    const failure = await failureOf(wait([dr], { timeoutMs: 4000, settleMs: 100 }));
    expect(failure.code).toBe('timeout');
    expect(failure.message).toBe(
      `timed out after 4s waiting for istiod to reconcile DestinationRule reviews in ${cluster.namespace} generation 1 ` +
        `(DestinationRule reviews in ${cluster.namespace}: Reconciled False stillPropagating 1/2 complete, observed generation 1 of 1): ` +
        "check istiod's logs and istioctl proxy-status, or raise the timeout",
    );
  });

  test('fails when the object is deleted meanwhile', async () => {
    const vs = await written('VirtualService');
    istiodStatus(vs, 'False', 1);
    const failure = await failureOf(
      wait([vs], {
        onProgress: () => cluster.server.store.delete(vs.apiVersion, vs.kind, cluster.namespace, 'reviews'),
      }),
    );
    expect(failure.code).toBe('not-found');
    expect(failure.message).toBe(
      `VirtualService reviews in ${cluster.namespace} was deleted while waiting for istiod to reconcile it: run the stage again`,
    );
  });

  test('stops at once when cancelled', async () => {
    const vs = await written('VirtualService');
    const controller = new AbortController();
    const work = wait([vs], { signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    const failure = await failureOf(work);
    expect(failure.code).toBe('cancelled');
    expect(failure.message).toBe(
      `cancelled while waiting for istiod to reconcile VirtualService reviews in ${cluster.namespace} generation 1: ` +
        'the run was stopped; run the stage again, or roll back',
    );
    expect(failure.check.durationMs).toBeLessThan(20_000);
  });
});
