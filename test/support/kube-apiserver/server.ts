// The HTTPS front: request log, injected faults, authentication and authorisation, then routing to
// discovery, OpenAPI, resource verbs and watches.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import {
  constants,
  createSecureServer,
  type Http2SecureServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type ServerHttp2Session,
} from 'node:http2';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig } from '@kubernetes/client-node';
import { ADMIN_RULES, allowed, userForToken, type RbacRule } from './auth.js';
import { apiGroupDocument, apiGroupList, apiResourceList, apiVersions, SERVER_VERSION } from './discovery.js';
import { FaultState, type Faults } from './faults.js';
import {
  createObject,
  deleteCollection,
  deleteObject,
  getObject,
  listObjects,
  patchObject,
  updateObject,
  type Cluster,
  type Reply,
  type ResourceRequest,
} from './handlers.js';
import { kubeconfigFor } from './kubeconfig.js';
import { openApiGroupVersion, openApiIndex } from './openapi.js';
import { metadataOnly, wantsMetadata } from './partial-metadata.js';
import { tableOf, wantsTable } from './table.js';
import { ResourceRegistry, type ResourceType } from './resources.js';
import { crdSchemas } from './crds.js';
import {
  ApiError,
  failure,
  forbidden,
  methodNotAllowed,
  nonResourceForbidden,
  pathNotFound,
  unauthorized,
} from './status.js';
import { clone, ObjectStore, type KubeObject } from './store.js';
import { servingTls } from './tls.js';
import { serveWatch } from './watch.js';
import { WorkloadSimulator, type Workloads } from './workloads.js';
import { IstiodSimulator, type Istiod } from './istiod.js';

export type { RbacRule } from './auth.js';

export interface StartOptions {
  /** default true; false = no networking.istio.io group ("Istio not installed") */
  istio?: boolean;
  /** default true; false = no gateway.networking.k8s.io group ("Gateway API CRDs not installed") */
  gatewayApi?: boolean;
  /** bearer token → user name; default { 'admin-token': 'admin' } */
  users?: Record<string, string>;
  /** default: admin may do everything */
  rules?: RbacRule[];
  latencyMs?: number;
  /** how often a watch with allowWatchBookmarks=true gets a BOOKMARK; default 1000 ms */
  bookmarkIntervalMs?: number;
  /** default 0 = a random free port */
  port?: number;
  /**
   * Serve HTTP/1.1 only (an API server behind an HTTP/1.1-only proxy). By default, like kube-apiserver,
   * the server offers HTTP/2 and HTTP/1.1 and takes HTTP/2 when the client offers it (ALPN).
   */
  http1Only?: boolean;
}

/** kube-apiserver's limit on concurrent HTTP/2 streams per connection (100 since the rapid-reset fix). */
const MAX_CONCURRENT_STREAMS = 100;

/**
 * kube-apiserver's HTTP/2 flow control (k8s.io/apiserver secure_serving.go): "at least 99% of serialized
 * resources … were smaller than 256kb", so a stream may send 256 KiB before it waits for a WINDOW_UPDATE
 * (MaxUploadBufferPerStream, advertised as SETTINGS_INITIAL_WINDOW_SIZE), frames are up to 256 KiB
 * (MaxReadFrameSize) and the connection's window is that times the concurrent streams
 * (MaxUploadBufferPerConnection). node's defaults (64 KiB windows, 16 KiB frames) would make a large
 * write wait on window updates a real server never asks for.
 */
const RESOURCE_BODY_99_PERCENTILE = 256 * 1024;
const HTTP2_SETTINGS = {
  maxConcurrentStreams: MAX_CONCURRENT_STREAMS,
  initialWindowSize: RESOURCE_BODY_99_PERCENTILE,
  maxFrameSize: RESOURCE_BODY_99_PERCENTILE,
};
const CONNECTION_WINDOW = RESOURCE_BODY_99_PERCENTILE * MAX_CONCURRENT_STREAMS;

export interface RequestLogEntry {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType: string;
  /** the Accept header, when the client sent one */
  accept?: string;
  status: number;
  /** the Kubernetes verb for resource requests: get, list, watch, create, update, patch, delete, deletecollection */
  verb?: string;
  user?: string;
  at: number;
}

export interface TestStore {
  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): object | undefined;
  list(apiVersion: string, kind: string, namespace?: string): object[];
  /** create-or-replace as a controller would: no validation, no precondition, bumps resourceVersion */
  put(obj: object): object;
  delete(apiVersion: string, kind: string, namespace: string | undefined, name: string): void;
  /** forget the event history, as an etcd compaction does: older watch resourceVersions get 410 Gone */
  compact(): void;
}

export interface ApiServer {
  url: string;
  kubeconfigPath: string;
  kubeconfigYaml(user?: string): string;
  kubeConfig(user?: string): KubeConfig;
  store: TestStore;
  requests: RequestLogEntry[];
  faults: Faults;
  workloads: Workloads;
  istiod: Istiod;
  setRules(rules: RbacRule[]): void;
  close(): Promise<void>;
}

const ANONYMOUS = 'system:anonymous';
/** What system:public-info-viewer grants everyone, anonymous included; discovery needs authentication. */
const PUBLIC_INFO = /^\/(version|healthz|livez|readyz)$/;

const INITIAL_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease', 'istio-system'];

interface Route {
  group: string;
  version: string;
  rest: string[];
}

function splitPath(path: string): Route | undefined {
  const segs = path.split('/').filter((s) => s !== '');
  if (segs[0] === 'api' && segs.length >= 2) return { group: '', version: segs[1]!, rest: segs.slice(2) };
  if (segs[0] === 'apis' && segs.length >= 3)
    return { group: segs[1]!, version: segs[2]!, rest: segs.slice(3) };
  return undefined;
}

function verbOf(method: string, name: string | undefined, watch: boolean): string {
  switch (method) {
    case 'GET':
    case 'HEAD':
      return watch ? 'watch' : name ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return name ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Ends the request without an answer: over HTTP/1.1 its connection is dropped; over HTTP/2, where one
 * connection carries many requests, its stream is reset (RST_STREAM INTERNAL_ERROR), so that the fault
 * hits the requests it names and not the others in flight on the connection.
 */
function dropRequest(req: IncomingMessage): void {
  if (req.httpVersionMajor === 2) {
    (req as unknown as Http2ServerRequest).stream.close(constants.NGHTTP2_INTERNAL_ERROR);
  } else req.socket.destroy();
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  sendJsonText(res, status, JSON.stringify(body), headers);
}

/**
 * A JSON body, encoded once (a large text measured for Content-Length and then encoded is read twice), or
 * its bytes in pieces, written one after the other.
 */
function sendJsonText(
  res: ServerResponse,
  status: number,
  json: string | Buffer[],
  headers: Record<string, string>,
): void {
  const pieces = typeof json === 'string' ? [Buffer.from(json)] : json;
  let length = 0;
  for (const piece of pieces) length += piece.length;
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': length, ...headers });
  for (let index = 0; index < pieces.length - 1; index++) res.write(pieces[index]);
  res.end(pieces[pieces.length - 1]);
}

function injectedFailure(status: 500 | 503 | 429, retryAfterSeconds: number | undefined): ApiError {
  if (status === 429) {
    const seconds = retryAfterSeconds ?? 1;
    const e = failure(
      429,
      'TooManyRequests',
      'the server has received too many requests and has asked us to try again later',
      {
        retryAfterSeconds: seconds,
      },
    );
    e.headers['Retry-After'] = String(seconds);
    return e;
  }
  if (status === 503) {
    return failure(503, 'ServiceUnavailable', 'the server is currently unable to handle the request');
  }
  return failure(500, 'InternalError', 'Internal error occurred: injected fault', {
    causes: [{ message: 'injected fault' }],
  });
}

export async function startApiServer(options: StartOptions = {}): Promise<ApiServer> {
  const registry = new ResourceRegistry({
    istio: options.istio ?? true,
    gatewayApi: options.gatewayApi ?? true,
  });
  const store = new ObjectStore();
  const faults = new FaultState(options.latencyMs ?? 0);
  const cluster: Cluster = { registry, store, schemas: crdSchemas(), faults };
  const users = options.users ?? { 'admin-token': 'admin' };
  let rules = options.rules ?? ADMIN_RULES;
  const requests: RequestLogEntry[] = [];
  const workloads = new WorkloadSimulator(registry, store);
  const istiod = new IstiodSimulator(registry, store);
  const nsType = registry.byPlural('', 'v1', 'namespaces')!;
  for (const ns of INITIAL_NAMESPACES)
    store.write(nsType, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns },
      status: { phase: 'Active' },
    });

  const tls = servingTls();
  let url = '';

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parsed = new URL(req.url ?? '/', 'https://stand-in');
    const method = (req.method ?? 'GET').toUpperCase();
    const entry: RequestLogEntry = {
      method,
      path: parsed.pathname,
      query: Object.fromEntries(parsed.searchParams),
      contentType: (req.headers['content-type'] ?? '').split(';')[0]!.trim(),
      ...(req.headers.accept ? { accept: req.headers.accept } : {}),
      status: 0,
      at: Date.now(),
    };
    requests.push(entry);
    // A reset request keeps -1 (node:http2 ends the response of a reset stream as if it had finished).
    res.on('finish', () => (entry.status = entry.status === -1 ? -1 : res.statusCode));
    res.on('close', () => (entry.status = entry.status || res.statusCode));
    const body = await readBody(req);
    if (faults.latencyMs > 0) await sleep(faults.latencyMs);
    if (faults.takeReset(method, parsed.pathname)) {
      entry.status = -1;
      dropRequest(req);
      return;
    }
    const failing = faults.takeFailure(method, parsed.pathname);
    if (failing) throw injectedFailure(failing.status!, failing.match.retryAfterSeconds);

    // No credentials at all: the anonymous user, whom RBAC lets read only the public info paths
    // (ClusterRole system:public-info-viewer); credentials that do not authenticate: 401.
    const user = req.headers.authorization ? userForToken(users, req.headers.authorization) : ANONYMOUS;
    if (!user) throw unauthorized();
    entry.user = user;
    const path = parsed.pathname.replace(/\/+$/, '') || '/';
    if (user === ANONYMOUS && !PUBLIC_INFO.test(path) && !splitPath(path)?.rest.length) {
      throw nonResourceForbidden(user, method, path);
    }
    if (method === 'GET' && serveNonResource(path, res)) return;

    const route = splitPath(path);
    if (!route) throw pathNotFound();
    if (route.rest.length === 0) {
      const doc = method === 'GET' ? apiResourceList(registry, route.group, route.version) : undefined;
      if (!doc) throw pathNotFound();
      return sendJson(res, 200, doc);
    }
    const resourceRequest = toResourceRequest(route, method, parsed, req, entry.contentType, body);
    const watch = ['1', 'true'].includes(parsed.searchParams.get('watch') ?? '');
    const verb = verbOf(method, resourceRequest.name, watch);
    entry.verb = verb;
    const resource = resourceRequest.subresource
      ? `${resourceRequest.type.plural}/${resourceRequest.subresource}`
      : resourceRequest.type.plural;
    if (!allowed(rules, { user, verb, group: route.group, resource, namespace: resourceRequest.namespace })) {
      throw forbidden(
        resourceRequest.type,
        resourceRequest.name,
        user,
        verb,
        resource,
        route.group,
        resourceRequest.namespace,
      );
    }
    if (['create', 'update', 'patch', 'delete', 'deletecollection'].includes(verb)) {
      let object: object | undefined;
      try {
        object =
          faults.hasWriteHooks && body.length > 0 && entry.contentType !== 'application/apply-patch+yaml'
            ? JSON.parse(body.toString())
            : undefined;
      } catch {
        object = undefined;
      }
      await faults.runWriteHooks({ method, path, ...(object ? { object } : {}) });
    }
    if (watch)
      return serveWatch(cluster, resourceRequest, res, {
        bookmarkIntervalMs: options.bookmarkIntervalMs ?? 1000,
        table: wantsTable(req.headers.accept),
      });
    const reply = dispatch(verb, resourceRequest);
    const headers: Record<string, string> = {};
    if (reply.warnings?.length)
      headers.Warning = reply.warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(', ');
    const metadata = wantsMetadata(req.headers.accept);
    if (metadata) return sendJson(res, reply.status, metadataOnly(reply.body, metadata), headers);
    if (verb === 'list' && wantsTable(req.headers.accept)) {
      return sendJson(
        res,
        200,
        tableOf(resourceRequest.type, reply.body as { items: KubeObject[]; metadata: object }),
      );
    }
    if (verb === 'get' && wantsTable(req.headers.accept) && !resourceRequest.subresource) {
      const obj = reply.body as KubeObject;
      return sendJson(
        res,
        200,
        tableOf(resourceRequest.type, {
          items: [obj],
          metadata: { resourceVersion: obj.metadata.resourceVersion },
        }),
      );
    }
    sendJsonText(res, reply.status, reply.bytes ? reply.bytes() : JSON.stringify(reply.body), headers);
  }

  function dispatch(verb: string, r: ResourceRequest): Reply {
    switch (verb) {
      case 'get':
        return getObject(cluster, r);
      case 'list':
        return listObjects(cluster, r);
      case 'create':
        return createObject(cluster, r);
      case 'update':
        return updateObject(cluster, r);
      case 'patch':
        return patchObject(cluster, r);
      case 'delete':
        return deleteObject(cluster, r);
      case 'deletecollection':
        return deleteCollection(cluster, r);
      default:
        throw methodNotAllowed();
    }
  }

  function toResourceRequest(
    route: Route,
    method: string,
    parsed: URL,
    req: IncomingMessage,
    contentType: string,
    body: Buffer,
  ): ResourceRequest {
    const { group, version, rest } = route;
    let namespace: string | undefined;
    let parts = rest;
    if (rest[0] === 'namespaces' && rest.length >= 3 && registry.byPlural(group, version, rest[2]!)) {
      namespace = rest[1];
      parts = rest.slice(2);
    }
    const type: ResourceType | undefined = registry.byPlural(group, version, parts[0]!);
    if (!type || parts.length > 3) throw pathNotFound();
    const subresource = parts[2];
    if (subresource && !type.subresources.includes(subresource as 'status' | 'scale')) throw pathNotFound();
    if (!type.namespaced && namespace) throw pathNotFound();
    return {
      method,
      path: parsed.pathname,
      type,
      version,
      ...(namespace !== undefined ? { namespace } : {}),
      ...(parts[1] !== undefined ? { name: parts[1] } : {}),
      ...(subresource !== undefined ? { subresource } : {}),
      query: parsed.searchParams,
      contentType,
      body,
      userAgent: req.headers['user-agent'] ?? '',
    };
  }

  /** Discovery and health endpoints; true when the path was one of them. */
  function serveNonResource(path: string, res: ServerResponse): boolean {
    if (path === '/version') sendJson(res, 200, SERVER_VERSION);
    else if (path === '/api') sendJson(res, 200, apiVersions(url.replace(/^https:\/\//, '')));
    else if (path === '/apis') sendJson(res, 200, apiGroupList(registry));
    else if (/^\/(healthz|livez|readyz)$/.test(path)) {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
    } else if (path === '/openapi/v3') sendJson(res, 200, openApiIndex(registry));
    else if (path.startsWith('/openapi/v3/')) {
      const doc = openApiGroupVersion(registry, path.slice('/openapi/v3/'.length));
      if (!doc) return false;
      sendJson(res, 200, doc);
    } else if (/^\/apis\/[^/]+$/.test(path)) {
      const doc = apiGroupDocument(registry, path.split('/')[2]!);
      if (!doc) return false;
      sendJson(res, 200, doc);
    } else return false;
    return true;
  }

  // node:http2's compatibility API gives HTTP/2 requests the shape of node:http's (and serves HTTP/1.1
  // through node:http itself), so one handler answers both.
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent) {
        res.end();
        return;
      }
      if (e instanceof ApiError && e.plainText !== undefined) {
        res.writeHead(e.status.code, {
          'Content-Type': 'text/plain; charset=utf-8',
          'X-Content-Type-Options': 'nosniff',
        });
        res.end(e.plainText);
      } else if (e instanceof ApiError) sendJson(res, e.status.code, e.status, e.headers);
      else
        sendJson(
          res,
          500,
          failure(500, 'InternalError', `Internal error occurred: ${(e as Error).message}`).status,
        );
    });
  };
  const tlsOptions = { cert: tls.certPem, key: tls.keyPem };
  const server: HttpsServer | Http2SecureServer = options.http1Only
    ? createHttpsServer(tlsOptions, onRequest)
    : createSecureServer(
        { ...tlsOptions, allowHTTP1: true, settings: HTTP2_SETTINGS },
        onRequest as unknown as (req: Http2ServerRequest, res: Http2ServerResponse) => void,
      );
  if (!options.http1Only) {
    server.on('session', (session: ServerHttp2Session) => session.setLocalWindowSize(CONNECTION_WINDOW));
  }
  // node:http serves the HTTP/1.1 connections and reads its idle timeout from the server.
  (server as unknown as { keepAliveTimeout: number }).keepAliveTimeout = 30_000;
  // node:http2 has no closeAllConnections(): close() ends the connections the server knows of.
  const connections = new Set<Socket>();
  server.on('secureConnection', (socket: Socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const dir = mkdtempSync(join(tmpdir(), 'kube-apiserver-'));
  const tokenOf = (user: string) => {
    const found = Object.entries(users).find(([, u]) => u === user);
    if (!found) throw new Error(`no token for user "${user}": add it to startApiServer({ users })`);
    return found[0];
  };
  const kubeconfigYaml = (user = 'admin') => kubeconfigFor(url, tls.caPem, user, tokenOf(user));
  const kubeconfigPath = join(dir, 'kubeconfig');
  writeFileSync(kubeconfigPath, kubeconfigYaml(Object.values(users)[0]), { mode: 0o600 });

  const typeOf = (apiVersion: string, kind: string) => {
    const t = registry.byKind(apiVersion, kind);
    if (!t) throw new Error(`the stand-in does not serve ${kind} in ${apiVersion}`);
    return t;
  };
  const version = (apiVersion: string) => ResourceRegistry.splitApiVersion(apiVersion).version;
  const testStore: TestStore = {
    get(apiVersion, kind, namespace, name) {
      const t = typeOf(apiVersion, kind);
      const obj = store.get(t, namespace, name);
      return obj ? toWireFor(t, apiVersion, obj) : undefined;
    },
    list(apiVersion, kind, namespace) {
      const t = typeOf(apiVersion, kind);
      return store.list(t, namespace).map((o) => toWireFor(t, apiVersion, o));
    },
    put(obj) {
      const o = clone(obj) as KubeObject;
      const t = typeOf(o.apiVersion ?? '', o.kind ?? '');
      o.metadata = o.metadata ?? {};
      if (t.namespaced && !o.metadata.namespace) o.metadata.namespace = 'default';
      return toWireFor(t, o.apiVersion!, store.write(t, o, { owned: true })); // o: a copy of its own
    },
    delete(apiVersion, kind, namespace, name) {
      store.remove(typeOf(apiVersion, kind), namespace, name);
    },
    compact() {
      store.compact();
    },
  };
  function toWireFor(t: ResourceType, apiVersion: string, obj: KubeObject): object {
    const out = clone(obj); // what structuredClone gives, faster on a large object (store.ts)
    return { ...out, apiVersion: ResourceRegistry.groupVersion(t.group, version(apiVersion)), kind: t.kind };
  }

  return {
    url,
    kubeconfigPath,
    kubeconfigYaml,
    kubeConfig(user) {
      const kc = new KubeConfig();
      kc.loadFromString(kubeconfigYaml(user));
      return kc;
    },
    store: testStore,
    requests,
    faults,
    workloads,
    istiod,
    setRules(next) {
      rules = next;
    },
    async close() {
      workloads.close();
      istiod.close();
      faults.cutWatches(0);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of connections) socket.destroy();
      });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
