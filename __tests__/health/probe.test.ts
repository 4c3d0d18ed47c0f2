import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { probeHttp } from '../../src/health/index.js';
import { failureOf } from './failure-of.js';

/** A loopback server whose answer to the n-th request (1-based) is `statusFor(n)`. */
async function serve(statusFor: (n: number) => number) {
  let requests = 0;
  const seenHeaders: string[] = [];
  const server: Server = createServer((request, response) => {
    requests++;
    seenHeaders.push(String(request.headers['end-user']));
    response.writeHead(statusFor(requests)).end('body');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/reviews/0`;
  return {
    url,
    requests: () => requests,
    seenHeaders,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('probeHttp', () => {
  test('a good canary passes after N consecutive 2xx, with the headers sent', async () => {
    const server = await serve(() => 200);
    try {
      const result = await probeHttp({
        url: server.url,
        headers: { 'end-user': 'test-user' },
        successes: 3,
        timeoutMs: 20_000,
        intervalMs: 10,
      });
      expect(result).toMatchObject({
        name: `probe ${server.url}`,
        ok: true,
        detail: '3 consecutive 2xx (3 requests: 3×200)',
      });
      expect(server.seenHeaders).toEqual(['test-user', 'test-user', 'test-user']);
    } finally {
      await server.close();
    }
  });

  test('a flaky canary restarts the count at each failure', async () => {
    // 200, 503, 200, 200, 503, 200, 200, 200: three in a row only from the 6th request on.
    const answers = [200, 503, 200, 200, 503, 200, 200, 200];
    const server = await serve((n) => answers[n - 1] ?? 200);
    try {
      const result = await probeHttp({ url: server.url, successes: 3, timeoutMs: 20_000, intervalMs: 10 });
      expect(result.detail).toBe('3 consecutive 2xx (8 requests: 6×200, 2×503)');
      expect(server.requests()).toBe(8);
    } finally {
      await server.close();
    }
  });

  test('with a failure threshold, a bad canary fails at once instead of at the timeout', async () => {
    const answers = [503, 200, 503, 503, 503];
    const server = await serve((n) => answers[n - 1] ?? 200);
    try {
      const failure = await failureOf(
        probeHttp({ url: server.url, successes: 2, failures: 3, timeoutMs: 60_000, intervalMs: 10 }),
      );
      expect(failure.code).toBe('unhealthy');
      expect(failure.message).toBe(
        `probe ${server.url} failed 3 times in a row (5 requests: 4×503, 1×200): the canary is not serving; check its logs`,
      );
      expect(server.requests()).toBe(5);
    } finally {
      await server.close();
    }
  });

  test('a bad canary fails when the time is up, saying what it answered', async () => {
    const server = await serve(() => 503);
    try {
      const failure = await failureOf(
        probeHttp({ url: server.url, successes: 2, timeoutMs: 2000, intervalMs: 50 }),
      );
      // A request still in flight when the time is up reached the server but has no answer to count.
      const n = Number(/\((\d+) requests?:/.exec(failure.message)?.[1]);
      expect([n, n + 1]).toContain(server.requests());
      const requests = `${n} request${n === 1 ? '' : 's'}`;
      expect(failure.code).toBe('unhealthy');
      expect(failure.message).toBe(
        `probe ${server.url} did not get 2 consecutive 2xx within 2s (${requests}: ${n}×503; last streak 0): ` +
          "check the canary's logs, or raise the probe timeout",
      );
      expect(failure.check).toMatchObject({
        name: `probe ${server.url}`,
        ok: false,
        detail: failure.message,
      });
    } finally {
      await server.close();
    }
  });

  test('a refused connection is named, and counts as a failed try', async () => {
    const server = await serve(() => 200);
    const url = server.url;
    await server.close(); // nothing listens on that port any more
    const failure = await failureOf(probeHttp({ url, successes: 1, timeoutMs: 800, intervalMs: 300 }));
    expect(failure.message).toMatch(
      new RegExp(
        `^probe ${url} did not get 1 consecutive 2xx within 0.8s \\((\\d+) requests?: \\1×ECONNREFUSED; last streak 0\\)`,
      ),
    );
  });

  test('stops at once when the run is cancelled', async () => {
    const server = await serve(() => 503);
    const controller = new AbortController();
    try {
      const started = performance.now();
      const work = probeHttp({
        url: server.url,
        successes: 1,
        timeoutMs: 60_000,
        intervalMs: 50,
        signal: controller.signal,
      });
      setTimeout(() => controller.abort(), 300);
      const failure = await failureOf(work);
      expect(failure.code).toBe('cancelled');
      expect(failure.message).toBe(
        `cancelled while waiting for probe ${server.url}: the run was stopped; run the stage again, or roll back`,
      );
      expect(performance.now() - started).toBeLessThan(30_000);
    } finally {
      await server.close();
    }
  });

  test('refuses a URL it cannot request and a count of zero, before any request', async () => {
    await expect(
      probeHttp({ url: 'reviews:9080/health', successes: 1, timeoutMs: 1000, intervalMs: 10 }),
    ).rejects.toThrow(
      'probe-url "reviews:9080/health" is not an http(s) URL: write e.g. http://reviews.default:9080/health',
    );
    const server = await serve(() => 200);
    try {
      await expect(
        probeHttp({ url: server.url, successes: 0, timeoutMs: 1000, intervalMs: 10 }),
      ).rejects.toThrow(
        'probe-successes 0 is not a whole number ≥ 1: set the consecutive 2xx answers needed, e.g. 3',
      );
      expect(server.requests()).toBe(0);
    } finally {
      await server.close();
    }
  });
});
