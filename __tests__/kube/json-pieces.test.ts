// A request body's JSON in pieces (src/kube/json-pieces.ts): the very bytes JSON.stringify gives, never a
// piece near the 128 KiB past which a string or buffer is paid for in fresh pages; and a large object
// written through the client arrives whole.
import fc from 'fast-check';
import { jsonBody, jsonPieces } from '../../src/kube/json-pieces.js';
import { writeRoutingObject } from '../../src/kube/index.js';
import type { VirtualService } from '../../src/plan/types.js';
import { jsonLike } from '../plan/support.js';
import { reviewsVirtualService, startReviewsCluster } from './cluster.js';

/** A VirtualService of `count` routes of other teams before its own (about 190 bytes a route). */
function crowded(count: number): VirtualService {
  const vs = reviewsVirtualService();
  vs.spec.http = [
    ...Array.from({ length: count }, (_, index) => ({
      name: `team-${index}`,
      match: [{ uri: { prefix: `/team-${index}/ünïcode` } }],
      route: [
        { destination: { host: 'reviews', subset: 'v1' }, weight: 60 },
        { destination: { host: 'reviews', subset: 'v2' }, weight: 40 },
      ],
    })),
    ...(vs.spec.http ?? []),
  ];
  return vs;
}

const bytesOf = (body: ReturnType<typeof jsonBody>) =>
  typeof body === 'string' ? Buffer.from(body) : Buffer.concat(body.pieces);

test('the pieces are the bytes of JSON.stringify, for any JSON-like value', () => {
  const value = jsonLike(['spec', 'http', 'route', 'metadata'], [fc.date({ noInvalidDate: true })]);
  const long = fc.array(value, { minLength: 60, maxLength: 300 });
  fc.assert(
    fc.property(fc.oneof(value, fc.record({ spec: fc.record({ http: long }) }), long), (v) => {
      fc.pre(v !== undefined); // a body is never undefined
      expect(jsonPieces(v).join('')).toBe(JSON.stringify(v));
      expect(bytesOf(jsonBody(v)).equals(Buffer.from(JSON.stringify(v)))).toBe(true);
    }),
    { numRuns: 500 },
  );
});

test('a large object comes in pieces well under 128 KiB with their total length; a short one in one string', () => {
  const large = crowded(2000);
  const body = jsonBody(large);
  if (typeof body === 'string') throw new Error('expected pieces');
  expect(body.pieces.length).toBeGreaterThan(8);
  expect(Math.max(...body.pieces.map((piece) => piece.length))).toBeLessThan(64 * 1024);
  expect(body.length).toBe(Buffer.byteLength(JSON.stringify(large)));
  expect(Buffer.concat(body.pieces).equals(Buffer.from(JSON.stringify(large)))).toBe(true);
  expect(jsonBody(reviewsVirtualService())).toBe(JSON.stringify(reviewsVirtualService()));
});

test('a write of 2,000 routes sent in pieces is stored as written', async () => {
  const cluster = await startReviewsCluster();
  try {
    const client = cluster.client();
    const stored = () =>
      cluster.server.store.get(
        'networking.istio.io/v1',
        'VirtualService',
        'default',
        'reviews',
      ) as VirtualService;
    const current = stored();
    const wanted = { ...crowded(2000), metadata: current.metadata };
    await writeRoutingObject(client, wanted, { dryRun: false });
    expect(stored().spec).toEqual(wanted.spec);
    expect(stored().metadata.resourceVersion).not.toBe(current.metadata.resourceVersion);
    await client.close();
  } finally {
    await cluster.server.close();
  }
});
