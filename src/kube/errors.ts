// One line per failed API call: what the server said, in the user's terms, and what to do about it.
// The texts are exported so tests (and docs) compare exact strings.
import { CanaryError, type ErrorCode } from '../errors.js';
import { GATEWAY_API_GROUP } from '../plan/gateway-api/types.js';
import {
  connectionFailure,
  credentialsFailure,
  describeCause,
  HOSTNAME_MISMATCH,
  isAbortError,
  isErrorLike,
  oneLine,
  statusCodeOf,
  statusOf,
  tlsFailure,
  type ApiStatus,
} from './api-error-shape.js';

export const ISTIO_GROUP = 'networking.istio.io';

/** The call that failed, in RBAC's vocabulary (verb: get, list, create, update, patch, delete, watch). */
export interface ApiAttempt {
  verb: string;
  group: string;
  resource: string;
  namespace?: string;
  name?: string;
  /** The API server address from the kubeconfig. */
  server: string;
}

/** `virtualservices.networking.istio.io` or `deployments.apps`; core resources have no group. */
export function qualifiedResource(attempt: Pick<ApiAttempt, 'group' | 'resource'>): string {
  return attempt.group === '' ? attempt.resource : `${attempt.resource}.${attempt.group}`;
}

/** `virtualservices.networking.istio.io "reviews" in namespace "default"`. */
function objectPhrase(attempt: ApiAttempt): string {
  const name = attempt.name ? ` "${attempt.name}"` : '';
  const scope = attempt.namespace ? ` in namespace "${attempt.namespace}"` : '';
  return `${qualifiedResource(attempt)}${name}${scope}`;
}

export const kubeMessages = {
  unreachable: (server: string, cause: string): string =>
    `cannot reach the Kubernetes API at ${server} (${cause}): check the kubeconfig's server address and that the cluster is up`,
  untrustedCertificate: (server: string, cause: string): string =>
    `the Kubernetes API at ${server} presented a certificate the kubeconfig does not trust (${cause}): check the cluster's certificate-authority-data in the kubeconfig`,
  certificateForOtherHost: (server: string, cause: string): string =>
    `the Kubernetes API at ${server} presented a certificate for another host name (${cause}): use a server address the certificate names, or set tls-server-name in the kubeconfig's cluster`,
  unusableClientCertificate: (server: string, cause: string): string =>
    `the kubeconfig's client certificate or key for ${server} cannot be used (${cause}): check the user's client-certificate-data and client-key-data (or the files they name) in the kubeconfig`,
  unauthorized: (server: string): string =>
    `the Kubernetes API at ${server} rejected the credentials (401 Unauthorized): refresh the kubeconfig's token or client certificate`,
  forbidden: (attempt: ApiAttempt, user: string | undefined): string => {
    const who = user !== undefined ? ` for User "${user}"` : '';
    const rule = `{apiGroups: ["${attempt.group}"], resources: ["${attempt.resource}"], verbs: ["${attempt.verb}"]}`;
    return attempt.namespace
      ? `RBAC forbids ${attempt.verb} on ${qualifiedResource(attempt)} in namespace "${attempt.namespace}"${who}: grant a Role rule ${rule} in "${attempt.namespace}"`
      : `RBAC forbids ${attempt.verb} on ${qualifiedResource(attempt)} cluster-wide${who}: grant a ClusterRole rule ${rule}`;
  },
  istioMissing: (): string =>
    `Istio's CRDs are not installed: the cluster serves no ${ISTIO_GROUP}/v1 or v1beta1 (install Istio, or check the context)`,
  gatewayApiMissing: (): string =>
    `Gateway API's CRDs are not installed: the cluster serves no ${GATEWAY_API_GROUP}/v1 or v1beta1 (install the Gateway API CRDs: kubectl apply -f https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.6.1/standard-install.yaml, or check the context)`,
  resourceTypeMissing: (attempt: ApiAttempt): string =>
    `the Kubernetes API at ${attempt.server} does not serve ${qualifiedResource(attempt)} (404 Not Found): check the context points at the right cluster`,
  notFound: (attempt: ApiAttempt): string =>
    `${objectPhrase(attempt)} was not found (404 Not Found): it was deleted while the run worked; run the stage again`,
  conflict: (attempt: ApiAttempt): string =>
    `${objectPhrase(attempt)} was changed by someone else after it was read (409 Conflict): nothing of theirs was overwritten; run the stage again to plan from the current state`,
  alreadyExists: (attempt: ApiAttempt): string =>
    `${objectPhrase(attempt)} was created by someone else after it was read (409 AlreadyExists): nothing of theirs was overwritten; run the stage again to plan from the current state`,
  invalid: (attempt: ApiAttempt, status: string, serverMessage: string): string =>
    `the Kubernetes API refused to ${attempt.verb} ${objectPhrase(attempt)} (${status}): ${serverMessage}: fix the field it names, in the inputs or in the object already in the cluster`,
  serverError: (attempt: ApiAttempt, status: string, serverMessage: string): string =>
    `the Kubernetes API at ${attempt.server} failed to ${attempt.verb} ${objectPhrase(attempt)} (${status}): ${serverMessage}: try again when the API server is healthy`,
  deploymentMissing: (
    role: string,
    version: string,
    namespace: string,
    app: string,
    versions: string[],
  ): string =>
    `Deployment for ${role} ${version} not found in ${namespace}: app=${app} has ${versions.length > 0 ? `versions ${versions.join(', ')}` : 'no Deployments'}; deploy ${version} first or correct the ${role} input`,
  leaseHeld: (lease: string, namespace: string, holder: string, until: string): string =>
    `the lease ${lease} is held by ${holder} until ${until}: wait for that run to finish, or delete the lease if that run is gone (kubectl delete lease ${lease} -n ${namespace})`,
  leaseWait: (lease: string, holder: string, until: string, renewedSecondsAgo: number): string =>
    `waiting for the lease ${lease}: held by ${holder} until ${until} (renewed ${renewedSecondsAgo} s ago)`,
  leaseTakenOver: (lease: string, holder: string, renewedAt: string): string =>
    `took over the lease ${lease} from ${holder}, which stopped renewing it at ${renewedAt}: that run is gone (a killed runner); the rollback did not wait for it to expire`,
  leaseLost: (lease: string, namespace: string, holder: string): string =>
    `the lease ${lease} in ${namespace} was taken by ${holder} while this run held it: another run is changing the same service; check its log before running again`,
  cancelled: (attempt: ApiAttempt): string =>
    `the run was cancelled during ${attempt.verb} ${objectPhrase(attempt)}: nothing more was sent`,
  unexpected: (attempt: ApiAttempt, detail: string): string =>
    `the call ${attempt.verb} ${objectPhrase(attempt)} to the Kubernetes API at ${attempt.server} failed (${detail}): check the cluster and the kubeconfig`,
};

const STATUS_TEXT: Record<number, string> = {
  400: 'BadRequest',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

/** The real server's 403 text: `... is forbidden: User "ci" cannot patch resource ...`. */
function forbiddenUser(status: ApiStatus): string | undefined {
  return /User "([^"]*)"/.exec(status.message ?? '')?.[1];
}

/** The verb the server names wins over ours: it is the one RBAC evaluated. */
function forbiddenVerb(status: ApiStatus, fallback: string): string {
  return /cannot (\w+) resource/.exec(status.message ?? '')?.[1] ?? fallback;
}

/**
 * A 404 about an object names it in `details.name`; a 404 about the resource type (a CRD that is not
 * installed, a group that is not served) has no name.
 */
function isMissingType(status: ApiStatus, attempt: ApiAttempt): boolean {
  if (status.details?.name) return false;
  return !attempt.name || /could not find the requested resource/.test(status.message ?? '');
}

function describeStatus(code: number, attempt: ApiAttempt, err: unknown): CanaryError {
  const status = statusOf(err);
  const serverMessage = oneLine(status.message ?? '') || 'no message';
  const statusText = `${code} ${status.reason ?? STATUS_TEXT[code] ?? 'Error'}`;
  const cause = { cause: err };
  switch (code) {
    case 401:
      return new CanaryError('unauthorized', kubeMessages.unauthorized(attempt.server), cause);
    case 403: {
      const verb = forbiddenVerb(status, attempt.verb);
      return new CanaryError(
        'forbidden',
        kubeMessages.forbidden({ ...attempt, verb }, forbiddenUser(status)),
        cause,
      );
    }
    case 404:
      if (isMissingType(status, attempt)) {
        if (attempt.group === ISTIO_GROUP) {
          return new CanaryError('istio-missing', kubeMessages.istioMissing(), cause);
        }
        return attempt.group === GATEWAY_API_GROUP
          ? new CanaryError('gateway-api-missing', kubeMessages.gatewayApiMissing(), cause)
          : new CanaryError('not-found', kubeMessages.resourceTypeMissing(attempt), cause);
      }
      return new CanaryError('not-found', kubeMessages.notFound(attempt), cause);
    case 409:
      return status.reason === 'AlreadyExists'
        ? new CanaryError('conflict', kubeMessages.alreadyExists(attempt), cause)
        : new CanaryError('conflict', kubeMessages.conflict(attempt), cause);
    case 400:
    case 415:
    case 422:
      return new CanaryError('api-error', kubeMessages.invalid(attempt, statusText, serverMessage), cause);
    default:
      if (code === 500 && isSchemaError(err)) {
        return new CanaryError('api-error', kubeMessages.invalid(attempt, statusText, serverMessage), cause);
      }
      return new CanaryError(
        'api-error',
        kubeMessages.serverError(attempt, statusText, serverMessage),
        cause,
      );
  }
}

/**
 * Server-side apply of a schema-invalid custom object answers 500 with this text on real clusters
 * (kubernetes/kubernetes#139253): it is the object that is wrong, not the server, so it is not retried.
 */
export function isSchemaError(err: unknown): boolean {
  return statusCodeOf(err) === 500 && /failed to create typed patch object/.test(statusOf(err).message ?? '');
}

/** True when `err` is a CanaryError of that code (`conflict`, `not-found`, …). */
export function isCode(err: unknown, code: ErrorCode): boolean {
  return err instanceof CanaryError && err.code === code;
}

export function describeApiError(err: unknown, attempt: ApiAttempt): CanaryError {
  if (err instanceof CanaryError) return err;
  const code = statusCodeOf(err);
  if (code !== undefined) return describeStatus(code, attempt, err);
  if (isAbortError(err)) return new CanaryError('cancelled', kubeMessages.cancelled(attempt), { cause: err });
  const tls = tlsFailure(err);
  if (tls) {
    const describe =
      tls.code === HOSTNAME_MISMATCH
        ? kubeMessages.certificateForOtherHost
        : kubeMessages.untrustedCertificate;
    return new CanaryError('unreachable', describe(attempt.server, describeCause(tls)), { cause: err });
  }
  const credentials = credentialsFailure(err);
  if (credentials) {
    const message = kubeMessages.unusableClientCertificate(attempt.server, describeCause(credentials));
    return new CanaryError('invalid-input', message, { cause: err });
  }
  const connection = connectionFailure(err);
  if (connection) {
    return new CanaryError(
      'unreachable',
      kubeMessages.unreachable(attempt.server, describeCause(connection)),
      {
        cause: err,
      },
    );
  }
  const detail = isErrorLike(err) ? oneLine(err.message) : String(err);
  return new CanaryError('api-error', kubeMessages.unexpected(attempt, detail), { cause: err });
}
