// The Deployments behind the versions of a service.
import { kubeMessages } from '../../src/kube/index.js';
import { startCluster, type TestCluster } from './cluster.js';

let cluster: TestCluster;

function deployment(name: string, labels: Record<string, string>) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default', labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: `example/${name}:1` }] } },
    },
  };
}

beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(() => cluster.server.close());
beforeEach(() => {
  const { store } = cluster.server;
  for (const d of store.list('apps/v1', 'Deployment', 'default') as { metadata: { name: string } }[]) {
    store.delete('apps/v1', 'Deployment', 'default', d.metadata.name);
  }
  store.put(deployment('reviews-v1', { app: 'reviews', version: 'v1' }));
  store.put(deployment('reviews-v2', { app: 'reviews', version: 'v2' }));
  store.put(deployment('reviews-v2-eu', { app: 'reviews', version: 'v2' }));
  store.put(deployment('ratings-v1', { app: 'ratings', version: 'v1' }));
});

const names = (list: { metadata?: { name?: string } }[]) => list.map((d) => d.metadata?.name).sort();

test('listDeployments: by label selector, one request', async () => {
  const mark = cluster.mark();
  const found = await cluster.client().listDeployments('default', 'app=reviews,version=v2');
  expect(names(found)).toEqual(['reviews-v2', 'reviews-v2-eu']);
  expect(cluster.requestsSince(mark)).toEqual(['GET /apis/apps/v1/namespaces/default/deployments']);
});

test('versionsOf: the distinct versions deployed for the app, for the missing-canary message', async () => {
  const versions = await cluster.client().versionsOf('default', 'reviews', 'version');
  expect(versions).toEqual(['v1', 'v2']);
  expect(kubeMessages.deploymentMissing('canary', 'v3', 'default', 'reviews', versions)).toBe(
    'Deployment for canary v3 not found in default: app=reviews has versions v1, v2; deploy v3 first or correct the canary input',
  );
  expect(kubeMessages.deploymentMissing('stable', 'v1', 'default', 'details', [])).toBe(
    'Deployment for stable v1 not found in default: app=details has no Deployments; deploy v1 first or correct the stable input',
  );
});

test('deleteDeployments: every match, by name; a dry run deletes nothing', async () => {
  const client = cluster.client();
  await expect(
    client.deleteDeployments('default', 'app=reviews,version=v1', { dryRun: true }),
  ).resolves.toEqual(['reviews-v1']);
  expect(cluster.server.store.get('apps/v1', 'Deployment', 'default', 'reviews-v1')).toBeDefined();
  const mark = cluster.mark();
  const deleted = await client.deleteDeployments('default', 'app=reviews,version=v2');
  expect(deleted.sort()).toEqual(['reviews-v2', 'reviews-v2-eu']);
  expect(cluster.requestsSince(mark).sort()).toEqual([
    'DELETE /apis/apps/v1/namespaces/default/deployments/reviews-v2',
    'DELETE /apis/apps/v1/namespaces/default/deployments/reviews-v2-eu',
    'GET /apis/apps/v1/namespaces/default/deployments',
  ]);
  expect(
    names(cluster.server.store.list('apps/v1', 'Deployment', 'default') as { metadata: { name: string } }[]),
  ).toEqual(['ratings-v1', 'reviews-v1']);
});
