// Each request's credentials (src/kube/rest.ts): credentials that are all in the kubeconfig are read once
// per user entry; an authenticator is asked for every request, as client-node asks it, so that a token it
// refreshes is the one sent.
import { ClusterClient } from '../../src/kube/index.js';
import { closeIdlePools } from '../../src/kube/pool.js';
import { FAST_RETRY, startReviewsCluster, type TestCluster } from './cluster.js';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startReviewsCluster();
});
afterAll(async () => {
  await closeIdlePools();
  await cluster.server.close();
});

const usersSince = (mark: number) => cluster.server.requests.slice(mark).map((entry) => entry.user);

test('an authenticator added with addAuthenticator is asked for every request: its new token is the one sent', async () => {
  const kubeConfig = cluster.server.kubeConfig();
  const user = kubeConfig.getCurrentUser()!;
  // The same entry, its token left to the authenticator.
  (user as { token?: string }).token = undefined;
  const tokens = ['admin-token', 'ops-token', 'admin-token'];
  let asked = 0;
  kubeConfig.addAuthenticator({
    isAuthProvider: (candidate) => candidate === user,
    applyAuthentication: async (_user, options) => {
      options.headers = { ...options.headers, Authorization: `Bearer ${tokens[asked++ % tokens.length]}` };
    },
  });
  const client = new ClusterClient(kubeConfig, { retry: FAST_RETRY });
  const mark = cluster.mark();
  for (let request = 0; request < 3; request++) await client.listDeployments('default', 'app=reviews');
  await client.close();
  expect(asked).toBe(3);
  expect(usersSince(mark)).toEqual(['admin', 'ops', 'admin']);
});

test('a token in the kubeconfig: every request carries it, from the first to the last', async () => {
  const client = cluster.client({ user: 'ops' });
  const mark = cluster.mark();
  for (let request = 0; request < 3; request++) await client.listDeployments('default', 'app=reviews');
  await client.close();
  expect(usersSince(mark)).toEqual(['ops', 'ops', 'ops']);
});
