// The store's copies give what structuredClone gives: plain data copied member by member, the rest by
// structuredClone itself.
import fc from 'fast-check';
import { clone } from '../../test/support/kube-apiserver/store.js';

describe("the store's copies", () => {
  test('equal what structuredClone makes, for plain data and for what only structuredClone copies', () => {
    // Dates left to the test below: fast-check makes invalid ones, which Jest never finds equal.
    const value = fc.anything({
      withBoxedValues: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
      withObjectString: true,
      withSparseArray: true,
      withTypedArray: true,
      maxDepth: 4,
    });
    fc.assert(
      fc.property(value, (original) => {
        const copied = clone(original);
        expect(copied).toStrictEqual(structuredClone(original));
        if (typeof original === 'object' && original !== null) expect(copied).not.toBe(original);
      }),
      { numRuns: 3000 },
    );
  });

  test('keep undefined members, holes and a `__proto__` field; refuse functions as structuredClone does', () => {
    const holed = [1, 2, 3];
    delete holed[1]; // a hole, as a sparse array literal has
    const original: Record<string, unknown> = { a: undefined, b: holed, c: { d: -0, at: new Date(0) } };
    Object.defineProperty(original, '__proto__', { value: { x: 1 }, enumerable: true });
    const copied = clone(original);
    expect(Object.keys(copied)).toEqual(['a', 'b', 'c', '__proto__']);
    expect(1 in (copied.b as unknown[])).toBe(false);
    expect(Object.is((copied.c as { d: number }).d, -0)).toBe(true);
    expect(copied.c).toStrictEqual({ d: -0, at: new Date(0) });
    expect((copied.c as { at: Date }).at).not.toBe((original.c as { at: Date }).at);
    // `__proto__` stays a field: the prototype is a plain object's (structuredClone's own, under Jest's realms).
    expect(Object.getPrototypeOf(copied)).toBe(Object.getPrototypeOf(structuredClone({})));
    expect(() => clone({ f: () => 1 })).toThrow(DOMException);
  });
});
