import { CoreV1Api } from '@kubernetes/client-node';
import {
  startApiServer,
  type ApiServer,
  type StartOptions,
} from '../../test/support/kube-apiserver/index.js';

export interface StandIn {
  server: ApiServer;
  /** A namespace of the current test's own. */
  namespace: string;
}

/**
 * One API server stand-in for the test file (starting it is the slow part) and a fresh namespace for
 * each test, so that tests do not see each other's objects; injected faults are cleared after each.
 */
export function standInPerFile(prefix: string, options: StartOptions = {}): StandIn {
  const state = { namespace: '' } as StandIn;
  let count = 0;
  beforeAll(async () => {
    state.server = await startApiServer(options);
  }, 120_000);
  afterAll(async () => {
    await state.server?.close();
  });
  beforeEach(async () => {
    state.namespace = `${prefix}-${++count}`;
    const core = state.server.kubeConfig().makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: state.namespace } } });
  });
  afterEach(() => {
    state.server.faults.clear();
  });
  return state;
}
