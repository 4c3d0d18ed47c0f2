// The wording of answers the stand-in is not asked to give in errors.test.ts: cluster-scoped RBAC, a
// Status without a user, server errors, aborts and the unknown. client-node's own ApiException is used.
import { ApiException } from '../../src/kube/client-node.js';
import { CanaryError } from '../../src/errors.js';
import { describeApiError, type ApiAttempt } from '../../src/kube/index.js';

const server = 'https://10.0.0.1:6443';
const vsUpdate: ApiAttempt = {
  verb: 'update',
  group: 'networking.istio.io',
  resource: 'virtualservices',
  namespace: 'default',
  name: 'reviews',
  server,
};

function apiError(code: number, status: object | undefined): ApiException<string | undefined> {
  return new ApiException(code, 'Unknown API Status Code!', status && JSON.stringify(status), {});
}

test('403 at cluster scope asks for a ClusterRole rule', () => {
  const error = describeApiError(
    apiError(403, {
      message:
        'namespaces is forbidden: User "system:serviceaccount:ci:deployer" cannot list resource "namespaces" in API group "" at the cluster scope',
      reason: 'Forbidden',
    }),
    { verb: 'list', group: '', resource: 'namespaces', server },
  );
  expect(error.message).toBe(
    'RBAC forbids list on namespaces cluster-wide for User "system:serviceaccount:ci:deployer": grant a ClusterRole rule {apiGroups: [""], resources: ["namespaces"], verbs: ["list"]}',
  );
});

test('403 without a user in the message leaves the user out', () => {
  const error = describeApiError(
    apiError(403, { message: 'forbidden by policy', reason: 'Forbidden' }),
    vsUpdate,
  );
  expect(error.message).toBe(
    'RBAC forbids update on virtualservices.networking.istio.io in namespace "default": grant a Role rule {apiGroups: ["networking.istio.io"], resources: ["virtualservices"], verbs: ["update"]} in "default"',
  );
});

test('401 carries no body in client-node: the wording needs none', () => {
  expect(describeApiError(apiError(401, undefined), vsUpdate).message).toBe(
    "the Kubernetes API at https://10.0.0.1:6443 rejected the credentials (401 Unauthorized): refresh the kubeconfig's token or client certificate",
  );
});

test('a 404 for a list under the Istio group means the CRDs are gone', () => {
  const error = describeApiError(
    apiError(404, { message: 'the server could not find the requested resource', reason: 'NotFound' }),
    {
      verb: 'list',
      group: 'networking.istio.io',
      resource: 'destinationrules',
      namespace: 'default',
      server,
    },
  );
  expect(error.code).toBe('istio-missing');
});

test('a server error keeps the server message on one line', () => {
  const error = describeApiError(
    apiError(504, {
      message: 'Timeout: request did not complete\nwithin requested timeout',
      reason: 'Timeout',
    }),
    vsUpdate,
  );
  expect(error.message).toBe(
    'the Kubernetes API at https://10.0.0.1:6443 failed to update virtualservices.networking.istio.io "reviews" in namespace "default" (504 Timeout): Timeout: request did not complete within requested timeout: try again when the API server is healthy',
  );
});

test('an aborted request is a cancellation', () => {
  const abort = Object.assign(new Error('This operation was aborted'), { name: 'AbortError' });
  const error = describeApiError(abort, vsUpdate);
  expect(error.code).toBe('cancelled');
  expect(error.message).toBe(
    'the run was cancelled during update virtualservices.networking.istio.io "reviews" in namespace "default": nothing more was sent',
  );
});

/** What fetch() throws when the connection fails: "fetch failed" with the system error as its cause. */
function fetchFailed(message: string, code: string): Error {
  return new TypeError('fetch failed', { cause: Object.assign(new Error(message), { code }) });
}

test.each([
  [
    fetchFailed('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT'),
    "the Kubernetes API at https://10.0.0.1:6443 presented a certificate the kubeconfig does not trust (DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate): check the cluster's certificate-authority-data in the kubeconfig",
  ],
  [
    fetchFailed(
      'Connect Timeout Error (attempted address: 10.0.0.1:6443, timeout: 10000ms)',
      'UND_ERR_CONNECT_TIMEOUT',
    ),
    "cannot reach the Kubernetes API at https://10.0.0.1:6443 (UND_ERR_CONNECT_TIMEOUT: connect timed out): check the kubeconfig's server address and that the cluster is up",
  ],
  [
    Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' }),
    "cannot reach the Kubernetes API at https://10.0.0.1:6443 (ETIMEDOUT: no answer in time): check the kubeconfig's server address and that the cluster is up",
  ],
])('a connection that failed names its cause from the chain: %#', (err, message) => {
  const error = describeApiError(err, vsUpdate);
  expect(error.code).toBe('unreachable');
  expect(error.message).toBe(message);
});

test('anything else: the call and its message', () => {
  expect(describeApiError(new Error('boom'), vsUpdate).message).toBe(
    'the call update virtualservices.networking.istio.io "reviews" in namespace "default" to the Kubernetes API at https://10.0.0.1:6443 failed (boom): check the cluster and the kubeconfig',
  );
});

test('a CanaryError passes through unchanged', () => {
  const own = new CanaryError('lease-held', 'held');
  expect(describeApiError(own, vsUpdate)).toBe(own);
});
