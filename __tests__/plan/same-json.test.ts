// sameJson answers what comparing canonicalJson strings answers (key order and undefined members do not
// count), for any JSON-like value, without building the strings.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { canonicalJson, sameJson } from '../../src/plan/objects.js';

const value = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.constant(null),
    fc.constant(undefined),
    fc.boolean(),
    fc.integer({ min: -3, max: 3 }),
    fc.constantFrom('a', 'b', ''),
  ),
  array: fc.array(tie('node'), { maxLength: 3 }),
  object: fc.dictionary(fc.constantFrom('host', 'subset', 'weight', 'route'), tie('node'), { maxKeys: 4 }),
  node: fc.oneof({ depthSize: 'small' }, tie('leaf'), tie('array'), tie('object')),
})).node;

describe('sameJson', () => {
  test('agrees with comparing canonicalJson strings', () => {
    fc.assert(
      fc.property(value, value, (a, b) => {
        expect(sameJson(a, b)).toBe(canonicalJson(a) === canonicalJson(b));
        expect(sameJson(a, structuredClone(a))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  test('key order and undefined members do not count; values, lengths and nesting do', () => {
    const route = { destination: { host: 'reviews', subset: 'v1' }, weight: 50 };
    expect(
      sameJson(route, { weight: 50, destination: { subset: 'v1', host: 'reviews' }, mirror: undefined }),
    ).toBe(true);
    expect(sameJson(route, { ...route, weight: 51 })).toBe(false);
    expect(sameJson([route], [route, route])).toBe(false);
    expect(sameJson({ a: [undefined] }, { a: [null] })).toBe(true);
    expect(sameJson({ a: {} }, { a: [] })).toBe(false);
    expect(sameJson({ a: 1 }, { b: 1 })).toBe(false);
  });
});
