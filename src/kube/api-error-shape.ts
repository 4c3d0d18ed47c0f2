// What a failed client-node call looks like, read without trusting its shape: an ApiException carries
// `.code`, `.headers` and the server's Status as `.body` (a JSON string, an object, or nothing on 401);
// a connection failure is undici's `TypeError: fetch failed` with the system error as `.cause`.
import { ApiException } from './client-node.js';

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

/** Codes of a request that never got an HTTP answer, in words a reader can act on. */
const CONNECTION_CAUSES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'timed out',
  EPIPE: 'connection closed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'name lookup failed for now',
  UND_ERR_SOCKET: 'connection closed',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no answer in time',
  UND_ERR_BODY_TIMEOUT: 'answer stalled',
  UND_ERR_CLOSED: 'connection closed',
  // HTTP/2 (kube-apiserver's protocol when the client offers it): the server reset this request's stream,
  // or the connection carrying it failed or is going away.
  ERR_HTTP2_STREAM_ERROR: 'request reset',
  ERR_HTTP2_SESSION_ERROR: 'connection failed',
  ERR_HTTP2_GOAWAY_SESSION: 'connection closing',
};

/** Codes that mean "the TLS handshake failed": not transient, the kubeconfig's CA or address is wrong. */
const TLS_CAUSES: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unknown certificate authority',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unknown certificate authority',
  UNABLE_TO_GET_ISSUER_CERT: 'unknown certificate authority',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in the chain',
  ERR_TLS_CERT_ALTNAME_INVALID: 'hostname mismatch',
  CERT_HAS_EXPIRED: 'certificate expired',
  CERT_NOT_YET_VALID: 'certificate not yet valid',
};

/** The code that names a TLS failure whose certificate names other hosts than the server address. */
export const HOSTNAME_MISMATCH = 'ERR_TLS_CERT_ALTNAME_INVALID';

/** A failure's code and its meaning, `ECONNREFUSED: connection refused`. */
export interface FailureCause {
  code: string;
  words: string;
}

function errorChain(err: unknown): Error[] {
  const chain: Error[] = [];
  let current: unknown = err;
  while (isErrorLike(current) && chain.length < 8) {
    chain.push(current);
    current = current.cause;
  }
  return chain;
}

function codeOf(link: Error): string | undefined {
  const code = (link as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

export function describeCause(cause: FailureCause): string {
  return `${cause.code}: ${cause.words}`;
}

/** A transient reason a request got no HTTP answer (refused, reset, timed out, …), from the cause chain. */
function transientFailure(chain: Error[]): FailureCause | undefined {
  for (const link of chain) {
    const code = codeOf(link);
    const words = code !== undefined ? CONNECTION_CAUSES[code] : undefined;
    if (code !== undefined && words !== undefined) return { code, words };
    if (/socket hang up|other side closed/i.test(link.message))
      return { code: 'ECONNRESET', words: 'connection reset' };
    // Our per-request bound (AbortSignal.timeout) fired: the server did not answer in time.
    if (link.name === 'TimeoutError') return { code: 'ETIMEDOUT', words: 'no answer in time' };
  }
  return undefined;
}

/**
 * Why a request never got an HTTP answer (`ECONNREFUSED: connection refused`, a timeout, …); fetch() itself
 * says only "fetch failed", so anything else is named by the innermost cause (a blocked port, say).
 */
export function connectionFailure(err: unknown): FailureCause | undefined {
  const chain = errorChain(err);
  const transient = transientFailure(chain);
  if (transient) return transient;
  const [outer] = chain;
  if (!outer || outer.message !== 'fetch failed' || chain.length < 2) return undefined;
  const inner = chain[chain.length - 1] ?? outer;
  return { code: codeOf(inner) ?? 'fetch failed', words: oneLine(inner.message) };
}

/** The TLS handshake failed: unknown CA, self-signed, hostname mismatch, expired; else undefined. */
export function tlsFailure(err: unknown): FailureCause | undefined {
  for (const link of errorChain(err)) {
    const code = codeOf(link);
    const words = code !== undefined ? TLS_CAUSES[code] : undefined;
    if (code !== undefined && words !== undefined) return { code, words };
    if (code !== undefined && /^ERR_(TLS|SSL)_|CERT/.test(code))
      return { code, words: oneLine(link.message) };
  }
  return undefined;
}

/**
 * The client certificate or key of the kubeconfig could not be loaded (OpenSSL could not read it: not PEM,
 * a key that does not match the certificate …): the request was never sent; else undefined.
 */
export function credentialsFailure(err: unknown): FailureCause | undefined {
  for (const link of errorChain(err)) {
    const code = codeOf(link);
    if (code !== undefined && /^ERR_OSSL_/.test(code)) return { code, words: oneLine(link.message) };
  }
  return undefined;
}

/** `ECONNREFUSED`, `UND_ERR_SOCKET`, … when the request got no HTTP answer for a transient reason. */
export function connectionErrorCode(err: unknown): string | undefined {
  return transientFailure(errorChain(err))?.code;
}

export function isAbortError(err: unknown): boolean {
  return errorChain(err).some((link) => link.name === 'AbortError');
}

/** The server's message on one line (Status messages may carry newlines from admission webhooks). */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
