// Measures the stand-in once: requests per second (GET, merge PATCH, server-side apply) over keep-alive
// HTTPS on 127.0.0.1, and memory with many objects stored. Bounded in count; prints a Markdown table.
// Run: npx tsx test/support/kube-apiserver/bench.ts
import { Agent, request } from 'node:https';
import { startApiServer } from './index.js';

const CONCURRENCY = 8;
const REQUESTS = 4000;
const OBJECTS = 2000;

interface Call {
  method: string;
  path: string;
  contentType?: string;
  body?: string;
}

async function main(): Promise<void> {
  const server = await startApiServer();
  const kc = server.kubeConfig();
  const cluster = kc.getCurrentCluster()!;
  const agent = new Agent({
    keepAlive: true,
    maxSockets: CONCURRENCY,
    ca: Buffer.from(cluster.caData!, 'base64'),
  });
  const token = kc.getCurrentUser()!.token!;

  const send = (call: Call) =>
    new Promise<number>((resolve, reject) => {
      const req = request(
        new URL(call.path, server.url),
        {
          method: call.method,
          agent,
          headers: {
            Authorization: `Bearer ${token}`,
            ...(call.contentType ? { 'Content-Type': call.contentType } : {}),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(call.body);
    });

  const vsPath = '/apis/networking.istio.io/v1/namespaces/default/virtualservices';
  const vs = (name: string, weight: number) =>
    JSON.stringify({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name },
      spec: { hosts: [name], http: [{ route: [{ destination: { host: name, subset: 'v1' }, weight }] }] },
    });
  await send({ method: 'POST', path: vsPath, contentType: 'application/json', body: vs('bench', 100) });

  async function rate(label: string, make: (i: number) => Call): Promise<string> {
    let next = 0;
    let failures = 0;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < REQUESTS) {
          const status = await send(make(next++));
          if (status >= 300) failures++;
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return `| ${label} | ${Math.round(REQUESTS / seconds)} | ${failures} |`;
  }

  const rows = [
    await rate('GET a VirtualService', () => ({ method: 'GET', path: `${vsPath}/bench` })),
    await rate('merge PATCH a VirtualService', (i) => ({
      method: 'PATCH',
      path: `${vsPath}/bench`,
      contentType: 'application/merge-patch+json',
      body: JSON.stringify({ metadata: { labels: { i: String(i) } } }),
    })),
    await rate('server-side apply a VirtualService', (i) => ({
      method: 'PATCH',
      path: `${vsPath}/bench?fieldManager=bench&force=true`,
      contentType: 'application/apply-patch+yaml',
      body: vs('bench', i % 100),
    })),
  ];

  const before = process.memoryUsage();
  for (let i = 0; i < OBJECTS; i++) {
    await send({ method: 'POST', path: vsPath, contentType: 'application/json', body: vs(`vs-${i}`, 100) });
  }
  global.gc?.();
  const after = process.memoryUsage();
  const mb = (n: number) => (n / 1024 / 1024).toFixed(0);
  console.log(`| request (${CONCURRENCY} concurrent, ${REQUESTS} each) | requests/s | failures |`);
  console.log('| --- | --- | --- |');
  for (const r of rows) console.log(r);
  console.log('');
  console.log(
    `RSS ${mb(before.rss)} MB before and ${mb(after.rss)} MB after ${OBJECTS} more VirtualServices`,
  );
  console.log(
    `(heap used ${mb(before.heapUsed)} MB → ${mb(after.heapUsed)} MB; the watch history keeps 5000 events).`,
  );
  agent.destroy();
  await server.close();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
