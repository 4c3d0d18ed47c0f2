// sameJson answers what comparing canonicalJson strings answers (key order and undefined members do not
// count), for any JSON-like value, without building the strings. copy and canonicalJson, written without a
// JSON round trip or a replacer, give what JSON itself gives.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { canonicalHash, canonicalJson, copy, sameJson } from '../../src/plan/objects.js';
import { jsonLike } from './support.js';

const value = jsonLike(['host', 'subset', 'weight', 'route']);

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

describe('canonicalHash', () => {
  test('values with the same canonicalJson have the same hash; different ones (almost always) differ', () => {
    let differing = 0;
    let collisions = 0;
    fc.assert(
      fc.property(value, value, (a, b) => {
        const same = canonicalJson(a) === canonicalJson(b);
        expect(canonicalHash(structuredClone(a))).toBe(canonicalHash(a));
        if (same) expect(canonicalHash(a)).toBe(canonicalHash(b));
        else {
          differing++;
          if (canonicalHash(a) === canonicalHash(b)) collisions++;
        }
      }),
      { numRuns: 2000 },
    );
    expect(differing).toBeGreaterThan(1000);
    expect(collisions).toBeLessThan(5);
  });

  test('key order, undefined members and the left-out field do not count; values and nesting do', () => {
    const block = { name: 'a', uri: { prefix: '/x' }, headers: { u: { exact: 'v' } } };
    const reordered = { headers: { u: { exact: 'v' } }, uri: { prefix: '/x' }, name: 'b', port: undefined };
    expect(canonicalHash(block, 'name')).toBe(canonicalHash(reordered, 'name'));
    expect(canonicalHash(block)).not.toBe(canonicalHash(reordered));
    expect(canonicalHash({ uri: { prefix: '/x' } })).not.toBe(canonicalHash({ uri: { exact: '/x' } }));
    expect(canonicalHash({ a: { b: 1 } })).not.toBe(canonicalHash({ a: 1, b: {} }));
    expect(canonicalHash([1, 2])).not.toBe(canonicalHash([2, 1]));
    expect(canonicalHash({ n: -0 })).toBe(canonicalHash({ n: 0 }));
    expect(canonicalHash([undefined])).toBe(canonicalHash([null]));
  });

  test('is undefined for what only canonicalJson compares exactly', () => {
    expect(canonicalHash({ at: new Date(0) })).toBeUndefined();
    expect(canonicalHash({ value: { toJSON: () => 'x' } })).toBeUndefined();
    expect(canonicalHash({ f: () => 1 })).toBe(canonicalHash({})); // JSON leaves a function member out
    expect(canonicalHash([() => 1])).toBe(canonicalHash([null])); // … and writes a function item as null
  });
});

/** Any value a caller could hand the planner: JSON-like, with what JSON writes its own way. */
const anything = fc.anything({
  withBoxedValues: true,
  withDate: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withMap: true,
  withSet: true,
  withTypedArray: true,
  withUnicodeString: true,
  maxDepth: 4,
});

/** The outcome of a call: its value, or the error it throws. */
function outcome<T>(call: () => T): { value: T } | { thrown: string } {
  try {
    return { value: call() };
  } catch (error) {
    return { thrown: String(error) };
  }
}

describe('copy', () => {
  test('gives what a JSON round trip gives: members, their order, null for what JSON cannot write', () => {
    fc.assert(
      fc.property(anything, (value) => {
        const expected = outcome(() => JSON.parse(JSON.stringify(value)) as unknown);
        const copied = outcome(() => copy(value));
        expect(copied).toStrictEqual(expected);
        if ('value' in copied && 'value' in expected) {
          expect(JSON.stringify(copied.value)).toBe(JSON.stringify(expected.value));
        }
      }),
      { numRuns: 3000 },
    );
  });

  test('writes undefined, NaN and -0 as JSON does; shares nothing with the original', () => {
    const original = {
      a: undefined,
      b: [undefined, NaN, -0, Infinity],
      c: { when: new Date(0) },
      ['__proto__']: { x: 1 },
    };
    const copied = copy(original);
    expect(copied).toStrictEqual(JSON.parse(JSON.stringify(original)));
    expect(Object.is(copied.b[2], 0)).toBe(true);
    expect(Object.getPrototypeOf(copied)).toBe(Object.prototype); // `__proto__` stays a field
    expect(Object.keys(copied)).toEqual(['b', 'c', '__proto__']);
    expect(copied.c).not.toBe(original.c);
  });
});

describe('canonicalJson', () => {
  /** JSON.stringify with keys sorted by a replacer: what canonicalJson writes, the slow way. */
  const sortedByReplacer = (value: unknown) =>
    JSON.stringify(value, (_key, member: unknown) =>
      member === null || typeof member !== 'object' || Array.isArray(member)
        ? member
        : Object.fromEntries(
            Object.entries(member)
              .filter(([, field]) => field !== undefined)
              .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
          ),
    );

  test('writes what JSON.stringify with sorted keys writes, for any value', () => {
    fc.assert(
      fc.property(anything, (value) => {
        expect(outcome(() => canonicalJson(value))).toStrictEqual(outcome(() => sortedByReplacer(value)));
      }),
      { numRuns: 3000 },
    );
  });

  test('orders keys by code units, index-like keys included, as the sorted object is written', () => {
    for (const value of [
      { b: 1, a: [{ d: undefined, c: 2 }] },
      { 10: 'x', 9: 'y', a: 1 },
      { é: 1, e: 2, Z: 3 },
    ]) {
      expect(canonicalJson(value)).toBe(sortedByReplacer(value));
    }
    expect(canonicalJson({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
  });
});
