// Renderings a plan or a result carries (YAML, diffs) are computed on first read, once, and read like
// plain properties.
import { describe, expect, test } from '@jest/globals';
import { lazyProperties } from '../../src/plan/lazy.js';

interface Rendered {
  name: string;
  yaml: string;
}

describe('lazyProperties', () => {
  test('computes on the first read only, then keeps the value', () => {
    let renders = 0;
    const object = lazyProperties<Rendered, 'yaml'>(
      { name: 'reviews' },
      { yaml: () => `name: reviews #${++renders}` },
    );
    expect(renders).toBe(0);
    expect(object.yaml).toBe('name: reviews #1');
    expect(object.yaml).toBe('name: reviews #1');
    expect(renders).toBe(1);
  });

  test('is seen by spread, JSON, structuredClone and equality as a plain property', () => {
    const object = lazyProperties<Rendered, 'yaml'>({ name: 'reviews' }, { yaml: () => 'name: reviews' });
    expect(Object.keys(object)).toEqual(['name', 'yaml']);
    expect({ ...object }).toEqual({ name: 'reviews', yaml: 'name: reviews' });
    expect(JSON.parse(JSON.stringify(object))).toEqual({ name: 'reviews', yaml: 'name: reviews' });
    expect(structuredClone(object)).toEqual({ name: 'reviews', yaml: 'name: reviews' });
  });

  test('an assignment before the first read replaces the rendering without computing it', () => {
    let renders = 0;
    const object = lazyProperties<Rendered, 'yaml'>({ name: 'reviews' }, { yaml: () => `#${++renders}` });
    object.yaml = 'given';
    expect(object.yaml).toBe('given');
    expect(renders).toBe(0);
  });
});
