// Shared by the stand-in's tests: a VirtualService to write and the Status body of a failed call.
import { existsSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { ApiException, Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';

export const VS = {
  group: 'networking.istio.io',
  version: 'v1',
  namespace: 'default',
  plural: 'virtualservices',
};

export function virtualService(name: string, weight: unknown = 100): KubernetesObject & { spec: object } {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name, namespace: 'default', labels: { app: name } },
    spec: { hosts: [name], http: [{ route: [{ destination: { host: name, subset: 'v1' }, weight }] }] },
  };
}

/** A Status body, or `{ text }` for a plain-text answer such as `404 page not found`. */
function parsed(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { text };
  }
}

/** The Status body of a failed call, parsed from the ApiException. */
export async function failureOf(
  call: Promise<unknown>,
): Promise<{ code: number; body: Record<string, unknown> }> {
  try {
    await call;
  } catch (e) {
    if (e instanceof ApiException) {
      const body = typeof e.body === 'string' ? parsed(e.body) : (e.body as Record<string, unknown>);
      return { code: e.code, body };
    }
    throw e;
  }
  throw new Error('expected the call to fail');
}

/** Resolves with the first object on a watch of `path` that satisfies `ready` (existing objects count). */
export async function watchUntil<T extends KubernetesObject>(
  kc: KubeConfig,
  path: string,
  query: Record<string, string>,
  ready: (obj: T) => boolean,
): Promise<T> {
  let abort: AbortController | undefined;
  let settle: ((obj: T) => void) | undefined;
  let fail: ((e: unknown) => void) | undefined;
  const found = new Promise<T>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  abort = await new Watch(kc).watch(
    path,
    query,
    (_type: string, obj: T) => {
      if (ready(obj)) settle!(obj);
    },
    (err: unknown) => {
      if (err) fail!(err);
    },
  );
  try {
    return await found;
  } finally {
    abort.abort();
    abort = undefined;
  }
}

/** A plain HTTPS request to the stand-in, trusting the CA of its kubeconfig (for what client-node hides). */
export function rawRequest(
  kc: KubeConfig,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const cluster = kc.getCurrentCluster()!;
  const url = new URL(path, cluster.server);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method, headers, ca: Buffer.from(cluster.caData!, 'base64') }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Tests that need ../shared beside the project: run when it is there; under CI (CI=true) its absence is a
 * failure, elsewhere (a user's fresh clone) a skip.
 */
export function describeWithShared(dir: string, name: string, body: (path: string) => void): void {
  const path = join(process.cwd(), '../shared', dir);
  if (existsSync(path)) describe(name, () => body(path));
  else if (process.env.CI === 'true') {
    describe(name, () => {
      test('needs ../shared beside the project under CI', () => {
        throw new Error(
          `${path} is missing: CI checks out the shared material beside the project as ../shared`,
        );
      });
    });
  } else
    describe.skip(`${name} (../shared/${dir} is missing)`, () => test('needs ../shared', () => undefined));
}
