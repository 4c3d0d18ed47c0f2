// Status bodies worded as kube-apiserver words them (k8s.io/apimachinery/pkg/api/errors).
import { qualifiedKind, qualifiedResource, type ResourceType } from './resources.js';

export interface StatusCause {
  reason?: string;
  message: string;
  field?: string;
}

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    uid?: string;
    causes?: StatusCause[];
    retryAfterSeconds?: number;
  };
  code: number;
}

/** An error the request handler turns into a Status response. */
export class ApiError extends Error {
  readonly status: StatusBody;
  readonly headers: Record<string, string>;
  /** answered as this plain text instead of the Status (Go's http.NotFound) */
  plainText?: string;
  constructor(status: StatusBody, headers: Record<string, string> = {}) {
    super(status.message);
    this.status = status;
    this.headers = headers;
  }
}

export function failure(
  code: number,
  reason: string | undefined,
  message: string,
  details?: StatusBody['details'],
) {
  const body: StatusBody = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    code,
  };
  if (reason) body.reason = reason;
  if (details) body.details = details;
  return new ApiError(body);
}

function resourceDetails(t: ResourceType, name?: string): StatusBody['details'] {
  const d: NonNullable<StatusBody['details']> = {};
  if (name) d.name = name;
  if (t.group) d.group = t.group;
  d.kind = t.plural;
  return d;
}

export function notFound(t: ResourceType, name: string): ApiError {
  return failure(404, 'NotFound', `${qualifiedResource(t)} "${name}" not found`, resourceDetails(t, name));
}

export function alreadyExists(t: ResourceType, name: string): ApiError {
  return failure(
    409,
    'AlreadyExists',
    `${qualifiedResource(t)} "${name}" already exists`,
    resourceDetails(t, name),
  );
}

export function conflict(t: ResourceType, name: string, why: string): ApiError {
  return failure(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(t)} "${name}": ${why}`,
    resourceDetails(t, name),
  );
}

/** A 409 as rest.BeforeDelete makes it: `Lease.coordination.k8s.io "x"`, the kind where a resource goes. */
export function kindConflict(t: ResourceType, name: string, why: string): ApiError {
  return failure(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedKind(t)} "${name}": ${why}`, {
    name,
    ...(t.group ? { group: t.group } : {}),
    kind: t.kind,
  });
}

export const STALE_OBJECT =
  'the object has been modified; please apply your changes to the latest version and try again';

export interface FieldError {
  type:
    | 'FieldValueInvalid'
    | 'FieldValueTypeInvalid'
    | 'FieldValueNotSupported'
    | 'FieldValueRequired'
    | 'FieldValueTooLong'
    | 'FieldValueTooMany'
    | 'FieldValueForbidden'
    | 'FieldValueDuplicate';
  field: string;
  /** the part after `field: `, e.g. `Required value` or `Invalid value: "string": ...` */
  body: string;
}

export function invalid(t: ResourceType, name: string, errors: FieldError[]): ApiError {
  const parts = errors.map((e) => `${e.field}: ${e.body}`);
  const aggregate = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
  const details: NonNullable<StatusBody['details']> = { name, kind: t.kind };
  if (t.group) details.group = t.group;
  details.causes = errors.map((e) => ({ reason: e.type, message: e.body, field: e.field }));
  return failure(422, 'Invalid', `${qualifiedKind(t)} "${name}" is invalid: ${aggregate}`, details);
}

export function badRequest(message: string): ApiError {
  return failure(400, 'BadRequest', message);
}

export function forbidden(
  t: ResourceType | undefined,
  name: string | undefined,
  user: string,
  verb: string,
  resource: string,
  group: string,
  namespace: string | undefined,
): ApiError {
  const scope = namespace ? ` in the namespace "${namespace}"` : ' at the cluster scope';
  const what = t ? qualifiedResource(t) : resource;
  const subject = name ? `${what} "${name}"` : what;
  return failure(
    403,
    'Forbidden',
    `${subject} is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group "${group}"${scope}`,
    { ...(name ? { name } : {}), ...(group ? { group } : {}), kind: resource },
  );
}

/** A non-resource path (`/api`, `/apis`, `/openapi/v3`) RBAC does not let the user read. */
export function nonResourceForbidden(user: string, method: string, path: string): ApiError {
  return failure(
    403,
    'Forbidden',
    `forbidden: User "${user}" cannot ${method.toLowerCase()} path "${path}"`,
    {},
  );
}

export function unauthorized(): ApiError {
  return failure(401, 'Unauthorized', 'Unauthorized');
}

export function methodNotAllowed(): ApiError {
  return failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
}

export function unsupportedMediaType(accepted: string[]): ApiError {
  return failure(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  );
}

export function gone(message: string): ApiError {
  return failure(410, 'Expired', message);
}

/**
 * A path no API serves (an unknown group, version, resource or subresource): kube-apiserver's last handler
 * is Go's http.NotFound, a plain-text `404 page not found`, not a Status.
 */
export function pathNotFound(): ApiError {
  const e = failure(404, 'NotFound', 'the server could not find the requested resource');
  e.plainText = '404 page not found\n';
  return e;
}
