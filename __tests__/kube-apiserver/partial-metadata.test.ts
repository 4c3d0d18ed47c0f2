// Metadata-only answers (Accept: application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1) for reads
// and writes, as kube-apiserver's transformResponseObject gives them, and its HTTP/2 flow-control settings.
import { connect as connectHttp2 } from 'node:http2';
import { startApiServer, type ApiServer } from '../../test/support/kube-apiserver/index.js';
import { rawRequest, virtualService } from './helpers.js';

const METADATA = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1, application/json';
const METADATA_LIST = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1, application/json';
const PATH = '/apis/networking.istio.io/v1/namespaces/default/virtualservices';

let server: ApiServer;
beforeAll(async () => {
  server = await startApiServer();
});
afterAll(async () => {
  await server.close();
});

/** A JSON answer as the tests read it: a Status, an object, its metadata, or a list of them. */
interface Answer {
  kind: string;
  apiVersion: string;
  code?: number;
  message?: string;
  metadata: { name?: string; generation?: number; resourceVersion?: string };
  spec?: { http: { route: unknown[] }[] };
  items: Answer[];
}

function call(method: string, path: string, accept: string, body?: unknown) {
  const kc = server.kubeConfig();
  const headers = {
    Authorization: `Bearer ${kc.getCurrentUser()!.token}`,
    Accept: accept,
    ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
  };
  return rawRequest(kc, method, path, headers, body === undefined ? undefined : JSON.stringify(body)).then(
    (answer) => ({ status: answer.status, body: JSON.parse(answer.body) as Answer }),
  );
}

describe('metadata-only answers', () => {
  test('a create, a read and a replace answer the metadata alone; the object is stored whole', async () => {
    const created = await call('POST', PATH, METADATA, virtualService('meta'));
    expect(created.status).toBe(201);
    expect(Object.keys(created.body)).toEqual(['kind', 'apiVersion', 'metadata']);
    expect(created.body).toMatchObject({
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: { name: 'meta', namespace: 'default', generation: 1, labels: { app: 'meta' } },
    });
    const full = await call('GET', `${PATH}/meta`, 'application/json');
    expect(full.body.metadata).toEqual(created.body.metadata);
    expect(full.body.spec).toEqual(virtualService('meta').spec);

    const read = await call('GET', `${PATH}/meta`, METADATA);
    expect(read.body).toEqual({ ...created.body });

    const changed = { ...full.body, spec: virtualService('meta', 90).spec as NonNullable<Answer['spec']> };
    changed.spec.http[0]!.route.push({ destination: { host: 'meta', subset: 'v2' }, weight: 10 });
    const replaced = await call('PUT', `${PATH}/meta`, METADATA, changed);
    expect(replaced.status).toBe(200);
    expect(replaced.body.kind).toBe('PartialObjectMetadata');
    expect(replaced.body.metadata.generation).toBe(2);
    expect(Number(replaced.body.metadata.resourceVersion)).toBeGreaterThan(
      Number(full.body.metadata.resourceVersion),
    );
    const after = await call('GET', `${PATH}/meta`, 'application/json');
    expect(after.body.metadata).toEqual(replaced.body.metadata);
    expect(after.body.spec).toEqual(changed.spec);
  });

  test('a list answers PartialObjectMetadataList, each item its metadata', async () => {
    const list = await call('GET', PATH, METADATA_LIST);
    expect(list.status).toBe(200);
    expect(list.body.kind).toBe('PartialObjectMetadataList');
    expect(list.body.apiVersion).toBe('meta.k8s.io/v1');
    expect(list.body.metadata.resourceVersion).toMatch(/^\d+$/);
    const meta = list.body.items.find((item) => item.metadata.name === 'meta');
    expect(meta).toEqual({
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: expect.objectContaining({ name: 'meta' }),
    });
    expect(list.body.items.every((item) => item.spec === undefined)).toBe(true);
  });

  test('the form that does not fit is 406 NotAcceptable in kube-apiserver words; a write is stored anyway', async () => {
    const list = await call('GET', PATH, METADATA);
    expect(list.status).toBe(406);
    expect(list.body).toMatchObject({
      kind: 'Status',
      reason: 'NotAcceptable',
      code: 406,
      message:
        'you requested PartialObjectMetadata, but the requested object is a list (*unstructured.UnstructuredList)',
    });
    const created = await call('POST', PATH, METADATA_LIST, virtualService('meta-two'));
    expect(created.status).toBe(406);
    expect(created.body.message).toBe(
      'you requested PartialObjectMetadataList, but the requested object is not a list (*unstructured.Unstructured)',
    );
    expect((await call('GET', `${PATH}/meta-two`, 'application/json')).body.spec).toEqual(
      virtualService('meta-two').spec,
    );
  });

  test('a failure is its Status, whatever form was asked', async () => {
    const missing = await call('GET', `${PATH}/absent`, METADATA);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ kind: 'Status', reason: 'NotFound' });
  });

  test('a transform asked second, or of another group, is not taken: the full object', async () => {
    const second = await call('GET', `${PATH}/meta`, `application/json, ${METADATA}`);
    expect(second.body.kind).toBe('VirtualService');
    const other = await call(
      'GET',
      `${PATH}/meta`,
      'application/json;as=PartialObjectMetadata;g=example.com;v=v1',
    );
    expect(other.body.kind).toBe('VirtualService');
  });
});

describe('HTTP/2 flow control', () => {
  test("advertises kube-apiserver's 256 KiB stream window and frame size, and a connection window for 100 streams", async () => {
    const { hostname, port } = new URL(server.url);
    const ca = Buffer.from(server.kubeConfig().getCurrentCluster()!.caData!, 'base64').toString();
    const session = connectHttp2(`https://${hostname}:${port}`, { ca });
    try {
      const settings = await new Promise<Record<string, unknown>>((resolve, reject) => {
        session.once('remoteSettings', resolve);
        session.once('error', reject);
      });
      expect(settings).toMatchObject({
        initialWindowSize: 256 * 1024,
        maxFrameSize: 256 * 1024,
        maxConcurrentStreams: 100,
      });
      // the connection window is raised by a WINDOW_UPDATE right after the settings
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(session.state.remoteWindowSize).toBe(256 * 1024 * 100);
    } finally {
      session.close();
    }
  });
});
