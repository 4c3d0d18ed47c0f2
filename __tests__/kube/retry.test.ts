// The retry policy on its own: which failures are retried, how long it waits, when it gives up.
// The errors are client-node's own ApiException and undici-shaped connection errors; no client involved.
import { ApiException } from '../../src/kube/client-node.js';
import { CanaryError } from '../../src/errors.js';
import { backoffMs, retryAfterMs, retryReason, withRetry, type RetryInfo } from '../../src/kube/index.js';

function apiError(code: number, message = 'x', headers: Record<string, string> = {}): ApiException<string> {
  return new ApiException(
    code,
    'Unknown API Status Code!',
    JSON.stringify({ kind: 'Status', code, message }),
    headers,
  );
}

function connectionError(code: string): Error {
  return new TypeError('fetch failed', { cause: Object.assign(new Error(`connect ${code}`), { code }) });
}

/** An operation that fails with the given errors in turn, then answers 'ok'; counts its calls. */
function failing(...errors: unknown[]) {
  let calls = 0;
  const operation = async () => {
    calls++;
    if (calls <= errors.length) throw errors[calls - 1];
    return 'ok';
  };
  return { operation, calls: () => calls };
}

function recorder() {
  const waits: number[] = [];
  const retries: RetryInfo[] = [];
  return {
    waits,
    retries,
    options: {
      sleep: async (ms: number) => void waits.push(ms),
      onRetry: (info: RetryInfo) => void retries.push(info),
      random: () => 0.5,
    },
  };
}

describe('retryReason', () => {
  test.each([
    ['429', apiError(429)],
    ['500', apiError(500)],
    ['502', apiError(502)],
    ['503', apiError(503)],
    ['504', apiError(504)],
    ['ECONNRESET', connectionError('ECONNRESET')],
    ['ECONNREFUSED', connectionError('ECONNREFUSED')],
    ['ETIMEDOUT', connectionError('ETIMEDOUT')],
    ['ECONNRESET', new TypeError('fetch failed', { cause: new Error('socket hang up') })],
    [
      'UND_ERR_SOCKET',
      new TypeError('fetch failed', {
        cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }),
      }),
    ],
  ])('%s is retried', (reason, error) => {
    expect(retryReason(error)).toBe(reason);
  });

  test.each([400, 401, 403, 404, 409, 422])('%i fails at once', (code) => {
    expect(retryReason(apiError(code))).toBeUndefined();
  });

  test('a 500 from server-side apply naming a typed patch is a schema error, not retried', () => {
    const schemaError = apiError(
      500,
      'failed to create typed patch object (default/bad; networking.istio.io/v1, Kind=VirtualService): .spec.http[0].route[0].weight: expected numeric (int or float), got string',
    );
    expect(retryReason(schemaError)).toBeUndefined();
  });

  test('errors of our own and plain bugs are not retried', () => {
    expect(retryReason(new CanaryError('conflict', 'x'))).toBeUndefined();
    expect(retryReason(new Error('undefined is not a function'))).toBeUndefined();
  });
});

describe('withRetry', () => {
  test('503 twice, then success: three calls, two waits', async () => {
    const op = failing(apiError(503), apiError(503));
    const r = recorder();
    await expect(withRetry(op.operation, r.options)).resolves.toBe('ok');
    expect(op.calls()).toBe(3);
    expect(r.retries.map((x) => [x.attempt, x.reason])).toEqual([
      [1, '503'],
      [2, '503'],
    ]);
  });

  test('backoff is full jitter under an exponential ceiling, capped', async () => {
    const op = failing(...Array.from({ length: 6 }, () => apiError(503)));
    const r = recorder();
    await withRetry(op.operation, { ...r.options, attempts: 7, baseDelayMs: 100, maxDelayMs: 1000 });
    // random() = 0.5: half of 100, 200, 400, 800, 1000 (cap), 1000
    expect(r.waits).toEqual([50, 100, 200, 400, 500, 500]);
  });

  test('full jitter spans [0, ceiling)', () => {
    expect(backoffMs(3, 100, 10_000, () => 0)).toBe(0);
    expect(backoffMs(3, 100, 10_000, () => 0.999)).toBe(399);
  });

  test("429 waits the server's Retry-After instead of the backoff", async () => {
    const op = failing(apiError(429, 'too many', { 'retry-after': '3' }));
    const r = recorder();
    await withRetry(op.operation, r.options);
    expect(r.waits).toEqual([3000]);
  });

  test('Retry-After is bounded: a server asking for an hour gets maxRetryAfterMs', async () => {
    const op = failing(apiError(429, 'too many', { 'retry-after': '3600' }));
    const r = recorder();
    await withRetry(op.operation, { ...r.options, maxRetryAfterMs: 10_000 });
    expect(r.waits).toEqual([10_000]);
  });

  test('Retry-After as an HTTP date', () => {
    const now = Date.parse('2026-11-25T12:00:00Z');
    expect(retryAfterMs(apiError(503, 'x', { 'retry-after': 'Wed, 25 Nov 2026 12:00:07 GMT' }), now)).toBe(
      7000,
    );
    expect(retryAfterMs(apiError(503))).toBeUndefined();
  });

  test('gives up after the bound and throws the last error', async () => {
    const last = apiError(503, 'last');
    const op = failing(apiError(503), apiError(503), last, apiError(503));
    const r = recorder();
    await expect(withRetry(op.operation, { ...r.options, attempts: 3 })).rejects.toBe(last);
    expect(op.calls()).toBe(3);
  });

  test('403 fails at once', async () => {
    const forbidden = apiError(403);
    const op = failing(forbidden);
    const r = recorder();
    await expect(withRetry(op.operation, r.options)).rejects.toBe(forbidden);
    expect(op.calls()).toBe(1);
    expect(r.waits).toEqual([]);
  });

  test('connection errors are retried', async () => {
    const op = failing(connectionError('ECONNRESET'), connectionError('ECONNREFUSED'));
    await expect(withRetry(op.operation, recorder().options)).resolves.toBe('ok');
    expect(op.calls()).toBe(3);
  });

  test('cancellation during the wait stops at once with a cancelled error', async () => {
    const controller = new AbortController();
    const op = failing(apiError(503), apiError(503));
    const attempt = withRetry(op.operation, {
      signal: controller.signal,
      baseDelayMs: 60_000,
      random: () => 0.9,
    });
    setImmediate(() => controller.abort());
    await expect(attempt).rejects.toMatchObject({ code: 'cancelled' });
    expect(op.calls()).toBe(1);
  });

  test('a custom classifier decides what is retried', async () => {
    const op = failing(new CanaryError('conflict', 'x'));
    const retryOn = (e: unknown) =>
      e instanceof CanaryError && e.code === 'conflict' ? 'conflict' : undefined;
    await expect(withRetry(op.operation, { ...recorder().options, retryOn })).resolves.toBe('ok');
    expect(op.calls()).toBe(2);
  });
});
