// What a failed client-node call looks like, read without trusting its shape: an ApiException carries
// `.code`, `.headers` and the server's Status as `.body` (a JSON string, an object, or nothing on 401);
// a connection failure is undici's `TypeError: fetch failed` with the system error as `.cause`.
import { ApiException } from '@kubernetes/client-node';

/** The fields of a Kubernetes `Status` that messages use. */
export interface ApiStatus {
  message?: string;
  reason?: string;
  details?: { name?: string; group?: string; kind?: string; causes?: { message?: string; field?: string }[] };
}

export function isApiException(err: unknown): err is ApiException<unknown> {
  return err instanceof ApiException;
}

/**
 * Errors from Node's own fetch (undici) come from another realm than the caller's `Error` under test
 * runners with VM contexts, so `instanceof Error` would miss them: look at the shape instead.
 */
export function isErrorLike(value: unknown): value is Error {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

export function statusCodeOf(err: unknown): number | undefined {
  return isApiException(err) ? err.code : undefined;
}

export function statusOf(err: unknown): ApiStatus {
  if (!isApiException(err)) return {};
  let body: unknown = err.body;
  if (typeof body === 'string') {
    const text = body;
    try {
      body = JSON.parse(text);
    } catch {
      return { message: text };
    }
  }
  return typeof body === 'object' && body !== null ? (body as ApiStatus) : {};
}

/** A header of the failed response (client-node stores them lower-cased, as fetch gives them). */
export function responseHeader(err: unknown, name: string): string | undefined {
  if (!isApiException(err) || !err.headers) return undefined;
  const wanted = name.toLowerCase();
  const entry = Object.entries(err.headers).find(([key]) => key.toLowerCase() === wanted);
  return entry?.[1];
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** Codes that mean "the TLS handshake failed": not transient, the kubeconfig's CA is wrong. */
const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
]);

function errorChain(err: unknown): Error[] {
  const chain: Error[] = [];
  let current: unknown = err;
  while (isErrorLike(current) && chain.length < 5) {
    chain.push(current);
    current = current.cause;
  }
  return chain;
}

/** `ECONNREFUSED`, `UND_ERR_SOCKET`, … when the request never got an HTTP answer; else undefined. */
export function connectionErrorCode(err: unknown): string | undefined {
  for (const link of errorChain(err)) {
    const code = (link as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) return code;
    if (/socket hang up|other side closed/i.test(link.message)) return 'ECONNRESET';
    // Our per-request bound (AbortSignal.timeout) fired: the server did not answer in time.
    if (link.name === 'TimeoutError') return 'ETIMEDOUT';
  }
  return undefined;
}

export function tlsErrorCode(err: unknown): string | undefined {
  for (const link of errorChain(err)) {
    const code = (link as { code?: unknown }).code;
    if (typeof code === 'string' && TLS_CODES.has(code)) return code;
  }
  return undefined;
}

export function isAbortError(err: unknown): boolean {
  return errorChain(err).some((link) => link.name === 'AbortError');
}

/** The server's message on one line (Status messages may carry newlines from admission webhooks). */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
