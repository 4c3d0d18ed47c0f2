// waitForRouteStatus against the API server stand-in: HTTPRoutes written through the real client, and the
// stand-in's istiod writing status.parents (Accepted, ResolvedRefs per parent) as Istio does.
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import {
  routeStatusState,
  waitForRouteStatus,
  type RouteObject,
  type WaitForRouteStatusOptions,
  type WrittenRoute,
} from '../../src/health/index.js';
import { failureOf } from './failure-of.js';
import { standInPerFile } from './stand-in.js';

const GROUP = 'gateway.networking.k8s.io';
const cluster = standInPerFile('route-status');
let custom: CustomObjectsApi;
let core: CoreV1Api;
beforeAll(() => {
  custom = cluster.server.kubeConfig().makeApiClient(CustomObjectsApi);
  core = cluster.server.kubeConfig().makeApiClient(CoreV1Api);
});
beforeEach(async () => {
  // Bookinfo's reviews Service and its per-version Services (bookinfo-versions.yaml).
  for (const name of ['reviews', 'reviews-v1', 'reviews-v2']) {
    await core.createNamespacedService({
      namespace: cluster.namespace,
      body: {
        metadata: { name },
        spec: { ports: [{ port: 9080, name: 'http' }], selector: { app: 'reviews' } },
      },
    });
  }
});
afterEach(() => {
  // The delay first: switching back catches up at once, not in the middle of the next test.
  cluster.server.istiod.delay(0);
  cluster.server.istiod.writeRouteStatus(true);
  cluster.server.istiod.ambient(false);
});

const MESH_PARENT = { group: '', kind: 'Service', name: 'reviews', port: 9080 };

type ParentRefs = Record<string, unknown>[];

function routeSpec(backends: string[], parentRefs: ParentRefs = [MESH_PARENT]) {
  return { parentRefs, rules: [{ backendRefs: backends.map((name) => ({ name, port: 9080 })) }] };
}

/** Creates the route, or merge-patches its spec, through the API as a stage writes it; returns what the wait is given. */
async function write(
  name: string,
  backends: string[],
  parentRefs?: ParentRefs,
  apiVersion = 'v1',
): Promise<WrittenRoute & { answer: RouteObject }> {
  const target = { group: GROUP, version: apiVersion, namespace: cluster.namespace, plural: 'httproutes' };
  const spec = routeSpec(backends, parentRefs);
  const exists = cluster.server.store.get(`${GROUP}/v1`, 'HTTPRoute', cluster.namespace, name) !== undefined;
  const answer = (
    exists
      ? await custom.patchNamespacedCustomObject(
          { ...target, name, body: { spec } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        )
      : await custom.createNamespacedCustomObject({
          ...target,
          body: { apiVersion: `${GROUP}/${apiVersion}`, kind: 'HTTPRoute', metadata: { name }, spec },
        })
  ) as RouteObject & { metadata: { generation: number } };
  return {
    apiVersion: `${GROUP}/${apiVersion}`,
    namespace: cluster.namespace,
    name,
    generation: answer.metadata.generation,
    answer,
  };
}

async function createGateway(namespace: string, name: string, gatewayClassName: string, listeners: object[]) {
  await custom.createNamespacedCustomObject({
    group: GROUP,
    version: 'v1',
    namespace,
    plural: 'gateways',
    body: {
      apiVersion: `${GROUP}/v1`,
      kind: 'Gateway',
      metadata: { name },
      spec: { gatewayClassName, listeners },
    },
  });
}

function wait(routes: WrittenRoute[], overrides: Partial<WaitForRouteStatusOptions> = {}) {
  return waitForRouteStatus(cluster.server.kubeConfig(), routes, {
    timeoutMs: 20_000,
    settleMs: 60_000,
    ...overrides,
  });
}

/**
 * istiod off from now until the wait has listed (its first progress line: no status yet), then on: the
 * status arrives through the watch, whatever the machine's load.
 */
function statusAfterFirstList(progress: string[] = []): Partial<WaitForRouteStatusOptions> {
  cluster.server.istiod.writeRouteStatus(false);
  return {
    onProgress: (message) => {
      progress.push(message);
      cluster.server.istiod.writeRouteStatus(true);
    },
  };
}

/** Writes generation 2 of the route while istiod holds back its status: what the wait reported, and its result. */
async function secondWriteSeenLate(backends: string[]) {
  const progress: string[] = [];
  const options = statusAfterFirstList(progress);
  const written = await write('reviews', backends);
  expect(written.generation).toBe(2);
  return { progress, result: await wait([written], options) };
}

const meshParent = () => `HTTPRoute reviews in ${cluster.namespace}, parent Service reviews port 9080`;
const acceptedAt = (generation: number) =>
  `accepted: HTTPRoute reviews in ${cluster.namespace} (generation ${generation}: Service reviews port 9080)`;

const routesPath = () => `/apis/${GROUP}/v1/namespaces/${cluster.namespace}/httproutes`;
const routeReads = () =>
  cluster.server.requests
    .filter((r) => r.method === 'GET' && r.path === routesPath())
    .map((r) => `${r.verb} ${r.query.fieldSelector ?? '(all)'}`);

describe('waitForRouteStatus', () => {
  test('passes when every parent is Accepted and ResolvedRefs for the written generation', async () => {
    const options = statusAfterFirstList();
    const route = await write('reviews', ['reviews-v1']);
    const result = await wait([route], options);
    expect(result).toMatchObject({
      name: 'route status',
      ok: true,
      detail: acceptedAt(1),
    });
    expect(result.durationMs).toBeLessThan(60_000); // the settle delay was not waited
    expect(routeReads()).toEqual(['list metadata.name=reviews', 'watch metadata.name=reviews']);
  });

  test('several routes of a namespace: one list and one watch for all of them', async () => {
    const options = statusAfterFirstList();
    const reviews = await write('reviews', ['reviews-v1']);
    const beta = await write('reviews-beta', ['reviews-v2'], [MESH_PARENT], 'v1beta1');
    const result = await wait([reviews, beta], options);
    expect(result.detail).toBe(
      `accepted: HTTPRoute reviews in ${cluster.namespace} (generation 1: Service reviews port 9080), ` +
        `HTTPRoute reviews-beta in ${cluster.namespace} (generation 1: Service reviews port 9080)`,
    );
    expect(routeReads()).toEqual(['list (all)', 'watch (all)']);
  });

  test('given the write answers: no list, one watch from the first answer, and a status written between the writes is seen', async () => {
    const options = statusAfterFirstList();
    const reviews = await write('reviews', ['reviews-v1']);
    // istiod takes reviews before reviews-beta is written: that status is older than the second answer.
    cluster.server.istiod.writeRouteStatus(true);
    cluster.server.istiod.writeRouteStatus(false);
    const beta = await write('reviews-beta', ['reviews-v2']);
    const result = await wait(
      [reviews, beta].map((route) => ({ ...route, written: route.answer })),
      options,
    );
    expect(result.detail).toBe(
      `accepted: HTTPRoute reviews in ${cluster.namespace} (generation 1: Service reviews port 9080), ` +
        `HTTPRoute reviews-beta in ${cluster.namespace} (generation 1: Service reviews port 9080)`,
    );
    expect(routeReads()).toEqual(['watch (all)']);
    const watch = cluster.server.requests.find((r) => r.verb === 'watch' && r.path === routesPath());
    expect(watch?.query.resourceVersion).toBe(reviews.answer.metadata?.resourceVersion);
  });

  test('given the write answers, a watch from a compacted resourceVersion (410 Expired) lists and watches again', async () => {
    const options = statusAfterFirstList();
    const route = await write('reviews', ['reviews-v1']);
    // A later write, then a compaction: the answer's resourceVersion is no longer watchable.
    await core.createNamespacedService({
      namespace: cluster.namespace,
      body: { metadata: { name: 'later' } },
    });
    cluster.server.store.compact();
    const result = await wait([{ ...route, written: route.answer }], options);
    expect(result.detail).toBe(acceptedAt(1));
    // The list may already hold the status: the wait can end before watching again.
    expect(routeReads().slice(0, 2)).toEqual(['watch metadata.name=reviews', 'list metadata.name=reviews']);
  });

  test('a status for an older generation is not enough: waits for the written one', async () => {
    await wait([await write('reviews', ['reviews-v1'])]);
    const { progress, result } = await secondWriteSeenLate(['reviews-v1', 'reviews-v2']);
    expect(progress).toEqual([
      `waiting for the Gateway API controller: ${meshParent()}: ` +
        'Accepted=True Accepted for generation 1 of 2, ResolvedRefs=True ResolvedRefs for generation 1 of 2',
    ]);
    expect(result.detail).toBe(acceptedAt(2));
  });

  test('a missing backend Service: ResolvedRefs=False BackendNotFound fails at once, naming route, parent and remedy', async () => {
    const route = await write('reviews', ['reviews-v1', 'reviews-v3']);
    const failure = await failureOf(wait([route]));
    expect(failure.code).toBe('unhealthy');
    expect(failure.message).toBe(
      `${meshParent()}: ResolvedRefs=False BackendNotFound: ` +
        `backend(reviews-v3.${cluster.namespace}.svc.cluster.local) not found (istio.io/mesh-controller, generation 1): ` +
        "create the missing backend Service, or correct the route's backendRefs",
    );
    expect(failure.check).toMatchObject({ name: 'route status', ok: false, detail: failure.message });
  });

  test('a refusal of an older generation is not final: the route written to fix it passes', async () => {
    const broken = await write('reviews', ['reviews-v3']);
    await failureOf(wait([broken]));
    const { progress, result } = await secondWriteSeenLate(['reviews-v2']);
    expect(progress).toEqual([
      `waiting for the Gateway API controller: ${meshParent()}: ` +
        'Accepted=True Accepted for generation 1 of 2, ResolvedRefs=False BackendNotFound for generation 1 of 2',
    ]);
    expect(result.detail).toBe(acceptedAt(2));
  });

  test('no Gateway API controller: waits the settle delay and warns', async () => {
    cluster.server.istiod.writeRouteStatus(false);
    const route = await write('reviews', ['reviews-v1']);
    const warnings: string[] = [];
    const result = await wait([route], { settleMs: 700, onWarning: (message) => warnings.push(message) });
    expect(result.detail).toBe(
      `no controller status on HTTPRoute reviews in ${cluster.namespace}: waited 0.7s`,
    );
    expect(result.durationMs).toBeGreaterThanOrEqual(690);
    expect(warnings).toEqual([
      `no Gateway API controller wrote status on HTTPRoute reviews in ${cluster.namespace} within the settle delay (0.7s): ` +
        "its routing is not confirmed; check that istiod (or the controller of the route's parents) is running, or raise settle",
    ]);
  });

  test('two parents, an ingress Gateway and the Service: the Gateway refuses the route until its listener allows the namespace', async () => {
    const name = `${cluster.namespace}-gateway`;
    const listener = { name: 'http', port: 80, protocol: 'HTTP' };
    await createGateway('istio-system', name, 'istio', [listener]); // allowedRoutes: Same (the default)
    const gateway = { name, namespace: 'istio-system' };
    const route = await write('reviews', ['reviews-v1'], [gateway, MESH_PARENT]);
    const failure = await failureOf(wait([route]));
    expect(failure.code).toBe('unhealthy');
    expect(failure.message).toBe(
      `HTTPRoute reviews in ${cluster.namespace}, parent Gateway istio-system/${name}: Accepted=False NotAllowedByListeners: ` +
        `hostnames matched parent hostname "*", but namespace "${cluster.namespace}" is not allowed by the parent ` +
        `(istio.io/gateway-controller, generation 1): allow HTTPRoutes from namespace ${cluster.namespace} in the Gateway's ` +
        'listeners (allowedRoutes), or attach the route to another parent',
    );
    await custom.patchNamespacedCustomObject(
      {
        group: GROUP,
        version: 'v1',
        namespace: 'istio-system',
        plural: 'gateways',
        name,
        body: { spec: { listeners: [{ ...listener, allowedRoutes: { namespaces: { from: 'All' } } }] } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect((await wait([route])).detail).toBe(
      `accepted: HTTPRoute reviews in ${cluster.namespace} (generation 1: Gateway istio-system/${name}, Service reviews port 9080)`,
    );
  });

  test('a parentRef to a Service that does not exist is refused: NoMatchingParent', async () => {
    const route = await write('reviews', ['reviews-v1'], [{ ...MESH_PARENT, name: 'reviewz' }]);
    const failure = await failureOf(wait([route]));
    expect(failure.message).toBe(
      `HTTPRoute reviews in ${cluster.namespace}, parent Service reviewz port 9080: Accepted=False NoMatchingParent: ` +
        `parent service: "reviewz" not found (istio.io/mesh-controller, generation 1): ` +
        "correct the parentRef's name, namespace, port or sectionName, or create the parent",
    );
  });

  test('a parent no controller lists (a Gateway of another class): the others count, that one after the settle delay with a warning', async () => {
    await createGateway(cluster.namespace, 'other', 'example', [
      { name: 'http', port: 80, protocol: 'HTTP' },
    ]);
    const route = await write('reviews', ['reviews-v1'], [{ name: 'other' }, MESH_PARENT]);
    const warnings: string[] = [];
    const result = await wait([route], { settleMs: 500, onWarning: (message) => warnings.push(message) });
    expect(result.detail).toBe(
      `accepted: HTTPRoute reviews in ${cluster.namespace} (generation 1: Service reviews port 9080); ` +
        `no controller status on parent Gateway other of HTTPRoute reviews in ${cluster.namespace}: waited 0.5s`,
    );
    expect(warnings).toEqual([
      `no Gateway API controller wrote status for parent Gateway other of HTTPRoute reviews in ${cluster.namespace} ` +
        'within the settle delay (0.5s): its routing there is not confirmed; check that the parent exists and that its ' +
        'controller is running, or raise settle',
    ]);
  });

  test('ambient mode without a waypoint for the Service: accepted, with a warning that ambient traffic ignores the route', async () => {
    cluster.server.istiod.ambient(true);
    const warnings: string[] = [];
    const onWarning = (message: string) => warnings.push(message);
    const route = await write('reviews', ['reviews-v1']);
    expect((await wait([route], { onWarning })).detail).toBe(acceptedAt(1));
    expect(warnings).toEqual([
      `${meshParent()}: ResolvedWaypoints=True: ` +
        'istio.io/use-waypoint label missing from parent and parent namespace; in ambient mode, route will not be respected: ' +
        'enroll the Service or its namespace in a waypoint (label istio.io/use-waypoint, e.g. istioctl waypoint apply ' +
        '--enroll-namespace), unless sidecars serve it',
    ]);
    // Enrolled: the namespace names its waypoint; istiod says all waypoints resolved for the next write.
    await core.patchNamespace(
      { name: cluster.namespace, body: { metadata: { labels: { 'istio.io/use-waypoint': 'waypoint' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    warnings.length = 0;
    const shifted = await write('reviews', ['reviews-v1', 'reviews-v2']);
    await wait([shifted], { onWarning });
    expect(warnings).toEqual([]);
  });

  test('times out naming the routes and where the controller stands', async () => {
    await wait([await write('reviews', ['reviews-v1'])]);
    cluster.server.istiod.writeRouteStatus(false); // the controller stops: the status stays at generation 1
    const shifted = await write('reviews', ['reviews-v1', 'reviews-v2']);
    const failure = await failureOf(wait([shifted], { timeoutMs: 4000, settleMs: 100 }));
    expect(failure.code).toBe('timeout');
    expect(failure.message).toBe(
      `timed out after 4s waiting for the Gateway API controller to accept HTTPRoute reviews in ${cluster.namespace} generation 2 ` +
        `(HTTPRoute reviews in ${cluster.namespace}, parent Service reviews port 9080: ` +
        'Accepted=True Accepted for generation 1 of 2, ResolvedRefs=True ResolvedRefs for generation 1 of 2): ' +
        "check the routes' status.parents (kubectl get httproute -o yaml) and istiod's logs, or raise the timeout",
    );
  });

  test('fails when a route is deleted meanwhile', async () => {
    cluster.server.istiod.writeRouteStatus(false);
    const route = await write('reviews', ['reviews-v1']);
    const work = wait([route]);
    setTimeout(
      () => cluster.server.store.delete(`${GROUP}/v1`, 'HTTPRoute', cluster.namespace, 'reviews'),
      300,
    );
    const failure = await failureOf(work);
    expect(failure.code).toBe('not-found');
    expect(failure.message).toBe(
      `HTTPRoute reviews in ${cluster.namespace} was deleted while waiting for the Gateway API controller to accept it: ` +
        'run the stage again',
    );
  });

  test('stops at once when cancelled', async () => {
    cluster.server.istiod.writeRouteStatus(false);
    const route = await write('reviews', ['reviews-v1']);
    const controller = new AbortController();
    const work = wait([route], { signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    const failure = await failureOf(work);
    expect(failure.code).toBe('cancelled');
    expect(failure.message).toBe(
      `cancelled while waiting for the Gateway API controller to accept HTTPRoute reviews in ${cluster.namespace} generation 1: ` +
        'the run was stopped; run the stage again, or roll back',
    );
    expect(failure.check.durationMs).toBeLessThan(20_000);
  });
});

describe('routeStatusState', () => {
  const route = (parents: object[]): RouteObject => ({
    metadata: { name: 'reviews', namespace: 'default' },
    spec: { parentRefs: [{ name: 'gw' }] },
    status: { parents: parents as never },
  });
  const condition = (type: string, status: string, reason: string, observedGeneration = 3) => ({
    type,
    status,
    reason,
    message: `${type} ${reason}`,
    observedGeneration,
  });
  const entry = (controllerName: string, ...conditions: object[]) => ({
    // As written by a controller: the API's defaults spelled out, unlike the spec's parentRef.
    parentRef: { group: GROUP, kind: 'Gateway', name: 'gw' },
    controllerName,
    conditions,
  });

  test("Accepted=False Pending is Gateway API's 'not reconciled yet', not a refusal", () => {
    const state = routeStatusState(
      route([
        entry(
          'example.com/gw',
          condition('Accepted', 'False', 'Pending'),
          condition('ResolvedRefs', 'True', 'ResolvedRefs'),
        ),
      ]),
      3,
    );
    expect(state).toEqual([
      { parent: 'Gateway gw', state: { kind: 'pending', text: 'Accepted=False Pending' } },
    ]);
  });

  test('two controllers on one parent: the worse entry counts; a missing condition is pending', () => {
    const accepted = entry(
      'a.example.com/gw',
      condition('Accepted', 'True', 'Accepted'),
      condition('ResolvedRefs', 'True', 'ResolvedRefs'),
    );
    const onlyAccepted = entry('b.example.com/gw', condition('Accepted', 'True', 'Accepted'));
    expect(routeStatusState(route([accepted, onlyAccepted]), 3)).toEqual([
      { parent: 'Gateway gw', state: { kind: 'pending', text: 'ResolvedRefs not reported' } },
    ]);
    const refused = entry(
      'b.example.com/gw',
      condition('Accepted', 'False', 'NotAllowedByListeners'),
      condition('ResolvedRefs', 'True', 'ResolvedRefs'),
    );
    expect(routeStatusState(route([accepted, refused]), 3)).toEqual([
      {
        parent: 'Gateway gw',
        state: {
          kind: 'rejected',
          condition: 'Accepted',
          reason: 'NotAllowedByListeners',
          message: 'Accepted NotAllowedByListeners',
          controller: 'b.example.com/gw',
        },
      },
    ]);
    expect(routeStatusState(route([accepted]), 4)).toEqual([
      {
        parent: 'Gateway gw',
        state: {
          kind: 'pending',
          text: 'Accepted=True Accepted for generation 3 of 4, ResolvedRefs=True ResolvedRefs for generation 3 of 4',
        },
      },
    ]);
  });

  test('an entry for a parent the spec no longer names is ignored; an unlisted parent is silent', () => {
    const other = {
      ...entry('a.example.com/gw', condition('Accepted', 'True', 'Accepted')),
      parentRef: { name: 'old' },
    };
    expect(routeStatusState(route([other]), 3)).toEqual([
      { parent: 'Gateway gw', state: { kind: 'silent' } },
    ]);
    expect(routeStatusState(undefined, 1)).toBeUndefined();
  });
});
