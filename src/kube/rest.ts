// One request to the API server through client-node's own transport: its RequestContext and its
// KubeConfig's authentication (tokens, client certificates, exec and auth-provider plugins, TLS options,
// proxies, the undici dispatcher for the server) — the steps a generated API method takes, minus the typed
// (de)serialization — sent straight through the dispatch() of the undici client-node sends with
// (dispatch.ts), rather than its fetch(): the WHATWG layer (Request, Headers, Response, web streams) made
// about half of a request's CPU here, and a wave of clusters or a hundred releases at once is CPU-bound.
// Watches still go through client-node's fetch.
//
// Why not the generated API classes: every object here is read and written as plain JSON (custom resources
// always were); the typed classes would turn each Deployment of a list into model instances only for us to
// read a few fields, and importing them loads every API group and model of the package (see
// scripts/lean-packages.mjs). Failures are client-node's ApiException, shaped as the generated methods
// shape them, so describeApiError reads both alike.
import { ApiException, CLIENT_NODE_USER_AGENT, HttpMethod, RequestContext } from './client-node.js';
import { exchange, type Answer } from './dispatch.js';
import { jsonBody } from './json-pieces.js';
import type { KubeConfig } from './client-node.js';
import type { AgentOptions } from 'node:https';
import type { Dispatcher } from './pool.js';

/** What client-node's applyToHTTPSOptions fills in: TLS files and settings, and the credentials' headers. */
export type TlsOptions = AgentOptions & { headers?: Record<string, unknown>; auth?: string };

/** A request in RBAC's words: the verb on a resource of a group/version, in a namespace, by name. */
export interface KubeCall {
  verb: 'get' | 'list' | 'create' | 'update' | 'patch' | 'delete';
  /** '' for the core group (/api/v1). */
  group: string;
  version: string;
  /** The plural resource name, e.g. `virtualservices`. */
  resource: string;
  namespace?: string;
  name?: string;
  query?: Record<string, string | undefined>;
  /** Sent as JSON. */
  body?: unknown;
  /** The body's media type when not plain JSON (a patch: `application/merge-patch+json` …). */
  contentType?: string;
  /** The answer's media types when not the object as JSON (`…;as=PartialObjectMetadata…`: metadata only). */
  accept?: string;
}

/** The connection pool a request goes through (pool.ts), made from the TLS options of the first request. */
export type PoolOf = (kubeConfig: KubeConfig, tls: TlsOptions) => Promise<Dispatcher | undefined>;

export interface SendOptions {
  signal?: AbortSignal;
  /** The request's connection pool; without one, the dispatcher client-node builds for the request. */
  pool?: PoolOf;
}

const METHODS: Record<KubeCall['verb'], HttpMethod> = {
  get: HttpMethod.GET,
  list: HttpMethod.GET,
  create: HttpMethod.POST,
  update: HttpMethod.PUT,
  patch: HttpMethod.PATCH,
  delete: HttpMethod.DELETE,
};

/** `/apis/apps/v1/namespaces/default/deployments/reviews-v1`, `/api/v1/namespaces/default/services` … */
export function pathOf(
  call: Pick<KubeCall, 'verb' | 'group' | 'version' | 'resource' | 'namespace' | 'name'>,
): string {
  const segment = encodeURIComponent;
  let path = call.group === '' ? `/api/${call.version}` : `/apis/${call.group}/${call.version}`;
  if (call.namespace !== undefined) path += `/namespaces/${segment(call.namespace)}`;
  path += `/${call.resource}`;
  // A create is sent to the collection; its name is in the body (and in messages).
  if (call.name !== undefined && call.verb !== 'create' && call.verb !== 'list')
    path += `/${segment(call.name)}`;
  return path;
}

/**
 * Sends one request and answers its JSON body; a non-2xx answer throws client-node's ApiException with
 * the server's Status text as its body (401: none), as the generated methods do.
 */
export async function sendCall<T>(
  kubeConfig: KubeConfig,
  call: KubeCall,
  options: SendOptions = {},
): Promise<T> {
  return parsed<T>(await sendCallText(kubeConfig, call, options));
}

/** The same, answering the body's text (for a reader that may not need its objects). */
export function sendCallText(
  kubeConfig: KubeConfig,
  call: KubeCall,
  options: SendOptions = {},
): Promise<string> {
  return sendPathText(kubeConfig, METHODS[call.verb], pathOf(call), call, options);
}

/** The same for a path of its own (GET /apis). */
export async function sendPath<T>(
  kubeConfig: KubeConfig,
  method: HttpMethod,
  path: string,
  request: Pick<KubeCall, 'query' | 'body' | 'contentType' | 'accept'>,
  options: SendOptions = {},
): Promise<T> {
  return parsed<T>(await sendPathText(kubeConfig, method, path, request, options));
}

/** A body's JSON (an empty body: undefined). */
export function parsed<T>(text: string): T {
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

async function sendPathText(
  kubeConfig: KubeConfig,
  method: HttpMethod,
  path: string,
  { query, body, contentType, accept }: Pick<KubeCall, 'query' | 'body' | 'contentType' | 'accept'>,
  options: SendOptions = {},
): Promise<string> {
  const server = kubeConfig.getCurrentCluster()?.server;
  if (!server) throw new Error('No active cluster!');
  const request = new RequestContext(server + path, method);
  request.setHeaderParam('Accept', accept ?? 'application/json, */*;q=0.8');
  request.setHeaderParam('User-Agent', CLIENT_NODE_USER_AGENT);
  for (const [name, value] of Object.entries(query ?? {}))
    if (value !== undefined) request.setQueryParam(name, value);
  // A large body goes out in pieces (json-pieces.ts), its length announced; client-node's own steps
  // below (authentication, the dispatcher) never read the body.
  const sent = body === undefined ? undefined : jsonBody(body);
  if (sent !== undefined) request.setHeaderParam('Content-Type', contentType ?? 'application/json');
  if (typeof sent === 'object') request.setHeaderParam('Content-Length', String(sent.length));
  await authenticate(kubeConfig, request, options.pool);

  let answer: Answer;
  try {
    answer = await exchange(request.getUrl(), {
      dispatcher: request.getDispatcher(),
      method: request.getHttpMethod(),
      headers: normalizedHeaders(request.getHeaders()),
      body: typeof sent === 'object' ? sent.pieces : sent,
      signal: options.signal,
    });
  } catch (err) {
    throw asFetchFailure(err);
  }
  const { statusCode: status, text } = answer;
  const headers = answer.headers as Record<string, string>;
  if (status === 401) throw new ApiException(status, 'Unauthorized', undefined, headers);
  if (status < 200 || status > 299) throw new ApiException(status, 'Unknown API Status Code!', text, headers);
  return text;
}

/**
 * The request's credentials and dispatcher, as client-node's applySecurityAuthentication sets them, which
 * also builds an undici Agent for every request (its options deep-copied, the CA and keys with them) only
 * for the pool to drop it. A pooled request takes the same headers from applyToHTTPSOptions (the TLS files
 * read and the auth plugins asked as often as before) and the pool's dispatcher instead.
 */
async function authenticate(kubeConfig: KubeConfig, request: RequestContext, pool: PoolOf | undefined) {
  if (!pool) return kubeConfig.applySecurityAuthentication(request);
  const tls = await credentialsOf(kubeConfig);
  // Basic first, as client-node does: a token (or an auth plugin's header) takes precedence.
  if (tls.auth !== undefined)
    request.setHeaderParam('Authorization', `Basic ${Buffer.from(tls.auth).toString('base64')}`);
  for (const [name, value] of Object.entries(tls.headers ?? {})) request.setHeaderParam(name, `${value}`);
  const dispatcher = await pool(kubeConfig, tls);
  if (dispatcher) request.setDispatcher(dispatcher);
}

type User = NonNullable<ReturnType<KubeConfig['getCurrentUser']>>;
type Cluster = ReturnType<KubeConfig['getCurrentCluster']>;

/** What applyToHTTPSOptions gave for a user whose credentials cannot change while the process runs. */
const fixedCredentials = new WeakMap<User, { cluster: Cluster; tls: TlsOptions }>();

/**
 * applyToHTTPSOptions's answer: asked for every request, except for credentials that are all in the
 * kubeconfig itself (a token, a password, certificate and key data, no file and no plugin), whose answer
 * is kept with the user's entry. applyToHTTPSOptions decodes the CA and keys and builds an https.Agent each
 * time: 6–8 % of the library's CPU time in a wave of ten clusters. Files are read again and plugins asked
 * again (a token file or an exec plugin refreshes its token), as client-node does.
 */
async function credentialsOf(kubeConfig: KubeConfig): Promise<TlsOptions> {
  const user = kubeConfig.getCurrentUser();
  const cluster = kubeConfig.getCurrentCluster();
  const kept = user ? fixedCredentials.get(user) : undefined;
  if (kept && kept.cluster === cluster) return kept.tls;
  const tls: TlsOptions = {};
  await kubeConfig.applyToHTTPSOptions(tls);
  if (user && cannotChange(kubeConfig, user, cluster)) fixedCredentials.set(user, { cluster, tls });
  return tls;
}

/**
 * No exec or auth-provider plugin, no file, and no authenticator added with addAuthenticator (client-node
 * keeps them in `custom_authenticators`; when that is not an empty list as expected, nothing is kept).
 */
function cannotChange(kubeConfig: KubeConfig, user: User, cluster: Cluster): boolean {
  const added = (kubeConfig as unknown as { custom_authenticators?: unknown }).custom_authenticators;
  return (
    Array.isArray(added) &&
    added.length === 0 &&
    !user.exec &&
    !user.authProvider &&
    !user.certFile &&
    !user.keyFile &&
    !cluster?.caFile
  );
}

/**
 * Header values as fetch() normalizes them (leading and trailing HTTP whitespace removed): a token read
 * from a file (the in-cluster service account's, a token-file) ends with a newline, which request() would
 * refuse as an invalid header.
 */
function normalizedHeaders(headers: Record<string, string>): Record<string, string> {
  const normalized: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers))
    normalized[name] = value.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
  return normalized;
}

/**
 * A request that got no HTTP answer, shaped as client-node's fetch shapes it (`TypeError: fetch failed` with
 * the cause, the abort reason itself when cancelled or timed out), so that one reader describes the failures
 * of requests and of watches (which go through fetch) alike.
 */
function asFetchFailure(err: unknown): unknown {
  const name = (err as { name?: unknown } | undefined)?.name;
  if (name === 'AbortError' || name === 'TimeoutError') return err;
  return new TypeError('fetch failed', { cause: err });
}
