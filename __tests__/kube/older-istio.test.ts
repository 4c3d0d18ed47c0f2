// A cluster whose Istio serves no networking.istio.io/v1 (Istio before 1.22): reads and new objects use
// v1beta1. The stand-in always serves v1, so a small HTTPS front hides it: discovery without v1, and 404
// for any v1 path, as such a cluster answers.
import { createServer, request, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse, stringify } from 'yaml';
import { ClusterClient, loadKubeConfig, readVirtualServicesElsewhere } from '../../src/kube/index.js';
import { servingTls } from '../../test/support/kube-apiserver/tls.js';
import { FAST_RETRY, reviewsVirtualService, startCluster, type TestCluster } from './cluster.js';

let cluster: TestCluster;
let front: Server;
let client: ClusterClient;
const paths: string[] = [];

function forward(req: IncomingMessage, res: ServerResponse, rewrite?: (body: string) => string): void {
  const upstream = new URL(cluster.server.url);
  const out = request(
    {
      host: upstream.hostname,
      port: upstream.port,
      path: req.url,
      method: req.method,
      headers: req.headers,
      ca: servingTls().caPem,
    },
    (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (c: Buffer) => chunks.push(c));
      answer.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        const body = rewrite ? rewrite(text) : text;
        res.writeHead(answer.statusCode ?? 502, { 'content-type': 'application/json' });
        res.end(body);
      });
    },
  );
  req.pipe(out);
}

/** Discovery without v1 for the Istio group; v1 and v1alpha3 dropped, v1beta1 preferred. */
function withoutIstioV1(text: string): string {
  const list = JSON.parse(text) as {
    groups: { name: string; versions: { version: string }[]; preferredVersion?: { version: string } }[];
  };
  for (const group of list.groups) {
    if (group.name !== 'networking.istio.io') continue;
    group.versions = group.versions.filter((v) => v.version === 'v1beta1');
    group.preferredVersion = group.versions[0];
  }
  return JSON.stringify(list);
}

beforeAll(async () => {
  cluster = await startCluster();
  cluster.server.store.put(reviewsVirtualService('networking.istio.io/v1beta1'));
  const tls = servingTls();
  front = createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    paths.push(`${req.method} ${req.url?.split('?')[0]}`);
    if (req.url?.startsWith('/apis/networking.istio.io/v1/')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'Status',
          code: 404,
          reason: 'NotFound',
          message: 'the server could not find the requested resource',
        }),
      );
    } else forward(req, res, req.url === '/apis' ? withoutIstioV1 : undefined);
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  const config = parse(cluster.server.kubeconfigYaml());
  config.clusters[0].cluster.server = `https://127.0.0.1:${(front.address() as AddressInfo).port}`;
  client = new ClusterClient(loadKubeConfig({ kubeconfig: stringify(config) }).kubeConfig, {
    retry: FAST_RETRY,
  });
});
afterAll(async () => {
  await new Promise<void>((resolve) => front.close(() => resolve()));
  await cluster.server.close();
});

test('reads with v1beta1 after the v1 guess fails: one more round trip, objects as v1beta1', async () => {
  const state = await client.readRouting('default');
  expect(state.virtualServices.map((o) => [o.metadata.name, o.apiVersion])).toEqual([
    ['reviews', 'networking.istio.io/v1beta1'],
  ]);
  expect(paths.sort()).toEqual([
    'GET /apis',
    'GET /apis/networking.istio.io/v1/namespaces/default/destinationrules',
    'GET /apis/networking.istio.io/v1/namespaces/default/virtualservices',
    'GET /apis/networking.istio.io/v1beta1/namespaces/default/destinationrules',
    'GET /apis/networking.istio.io/v1beta1/namespaces/default/virtualservices',
  ]);
});

test('new objects are written as v1beta1', async () => {
  await expect(client.newObjectApiVersion()).resolves.toBe('networking.istio.io/v1beta1');
});

test('the list across namespaces also falls back to v1beta1', async () => {
  paths.length = 0;
  const elsewhere = await readVirtualServicesElsewhere(client, 'storefront');
  expect(elsewhere.visible).toBe(true);
  expect(elsewhere.virtualServices.map((o) => [o.metadata.name, o.apiVersion])).toEqual([
    ['reviews', 'networking.istio.io/v1beta1'],
  ]);
  // Discovery is cached by the client: the v1 guess, then v1beta1.
  expect(paths).toEqual([
    'GET /apis/networking.istio.io/v1/virtualservices',
    'GET /apis/networking.istio.io/v1beta1/virtualservices',
  ]);
});
