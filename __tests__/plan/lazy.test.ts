// Renderings a plan or a result carries (YAML, diffs, routing rows) are computed on first read, once, and
// read like plain properties.
import { describe, expect, test } from '@jest/globals';
import { lazyProperties } from '../../src/plan/lazy.js';
import { planStage } from '../../src/plan/plan-stage.js';
import { seedState, stageOptions } from './support.js';

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

describe('a plan', () => {
  test('makes its diff, routes and routing rows when they are read, in their places among its fields', () => {
    const plan = planStage(stageOptions({ stage: 'shift', weight: 30 }), seedState());
    const rendered = ['routes', 'before', 'after', 'diff'] as const;
    for (const key of rendered) expect(Object.getOwnPropertyDescriptor(plan, key)?.get).toBeDefined();
    expect(Object.keys(plan)).toEqual([
      'options',
      'virtualService',
      'destinationRule',
      'objects',
      'routes',
      'writes',
      'findings',
      'previousWeight',
      'weight',
      'before',
      'after',
      'changed',
      'diff',
    ]);
    expect(plan.after.find((row) => row.name === 'reviews-primary')?.destinations).toEqual([
      { subset: 'v1', weight: 70 },
      { subset: 'v2', weight: 30 },
    ]);
    expect(plan.routes[0]?.after).toEqual([
      { subset: 'v1', weight: 70 },
      { subset: 'v2', weight: 30 },
    ]);
    for (const key of rendered) {
      const value = plan[key]; // read: from now on a plain value
      expect(Object.getOwnPropertyDescriptor(plan, key)).toMatchObject({ value });
    }
  });
});
