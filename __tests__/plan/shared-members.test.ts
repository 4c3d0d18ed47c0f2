// The planner shares the members of JSON data it reads instead of copying them (ownCopy, isJsonData),
// since a copy of JSON data is equal to it. These tests hold that sharing to what copying gave: the same
// plans, inputs never changed (even frozen ones), and a copy wherever the input is not plain JSON data.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { planStage } from '../../src/plan/index.js';
import type { ClusterState, StageOptions, VirtualService } from '../../src/plan/index.js';
import { copy, isJsonData, ownCopy } from '../../src/plan/objects.js';
import { applyPlan, jsonLike, seedState, stageOptions } from './support.js';

const testUser = [{ name: 'end-user', kind: 'exact' as const, value: 'test-user' }];

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const member of Object.values(value)) deepFreeze(member);
    Object.freeze(value);
  }
  return value;
}

/** The seed with user routes to the stable subset (moved by every stage) and one to another host. */
function crowdedSeed(): ClusterState {
  const state = seedState();
  const reviews = state.virtualServices.find((vs) => vs.metadata.name === 'reviews') as VirtualService;
  reviews.spec.http = [
    {
      name: 'ratings-api',
      match: [{ uri: { prefix: '/api' } }],
      route: [{ destination: { host: 'ratings' } }],
    },
    ...Array.from({ length: 5 }, (_, i) => ({
      name: `team-${i}`,
      match: [{ uri: { prefix: `/team-${i}/` } }, { headers: { team: { exact: `${i}` } } }],
      timeout: '5s',
      retries: { attempts: 2, perTryTimeout: '1s' },
      route: [{ destination: { host: 'reviews', subset: 'v1', port: { number: 9080 } } }],
    })),
    ...(reviews.spec.http ?? []),
  ];
  return state;
}

const STAGES: Partial<StageOptions>[] = [
  { stage: 'route', headerMatch: testUser },
  { stage: 'shift', weight: 25, headerMatch: testUser, stickyCookie: 'canary', mirrorPercent: 10 },
  { stage: 'shift', weight: 60 },
  { stage: 'promote' },
  { stage: 'finalize' },
];

describe('sharing the members of what the planner reads', () => {
  test('every stage plans the same from frozen inputs and leaves them unchanged', () => {
    let state = crowdedSeed();
    for (const step of STAGES) {
      const frozen = deepFreeze(structuredClone(state));
      const asRead = JSON.stringify(frozen);
      const plan = planStage(stageOptions(step), frozen);
      const fresh = planStage(stageOptions(step), structuredClone(state));
      expect(JSON.stringify(frozen)).toBe(asRead);
      expect(JSON.stringify(plan.objects)).toBe(JSON.stringify(fresh.objects));
      expect(plan.writes.map((write) => write.action)).toEqual(fresh.writes.map((write) => write.action));
      expect(plan.writes.some((write) => write.action === 'update')).toBe(true);
      expect(plan.diff).toBe(fresh.diff);
      state = applyPlan(state, fresh);
    }
  });

  test('a second run of a stage finds every object unchanged', () => {
    const options = stageOptions({ stage: 'shift', weight: 30, headerMatch: testUser });
    const once = applyPlan(crowdedSeed(), planStage(options, crowdedSeed()));
    const again = planStage(options, deepFreeze(once));
    expect(again.writes.map((write) => write.action)).toEqual(['unchanged', 'unchanged']);
  });

  test('input that is not JSON data is copied: the objects written hold no undefined members', () => {
    const state = crowdedSeed();
    const reviews = state.virtualServices.find((vs) => vs.metadata.name === 'reviews') as VirtualService;
    Object.assign(reviews.metadata, { labels: undefined });
    const kept = reviews.spec.http![0]!;
    const plan = planStage(stageOptions({ stage: 'shift', weight: 40 }), state);
    expect(Object.keys(plan.virtualService.metadata)).not.toContain('labels');
    const after = plan.virtualService.spec.http!.find((route) => route.name === 'ratings-api');
    expect(after).toEqual(kept);
    expect(after).not.toBe(kept);
    expect(plan.writes.find((write) => write.kind === 'VirtualService')?.action).toBe('update');
  });
});

const value = jsonLike(['host', 'subset', 'spec', 'http'], [fc.constant(Number.NaN), fc.constant(-0)]);

describe('isJsonData and ownCopy', () => {
  test('JSON data is what a copy leaves as it is; ownCopy writes what copy writes', () => {
    fc.assert(
      fc.property(value, value, (spec, other) => {
        const object = { apiVersion: 'v1', kind: 'VirtualService', metadata: { name: 'x' }, spec, other };
        if (isJsonData(spec)) expect(JSON.stringify(copy(spec))).toBe(JSON.stringify(spec));
        const json = JSON.parse(JSON.stringify(spec ?? null)) as unknown;
        expect(isJsonData(json)).toBe(true);
        expect(JSON.stringify(ownCopy(object))).toBe(JSON.stringify(copy(object)));
      }),
      { numRuns: 2000 },
    );
  });

  test('undefined members, holes, non-finite numbers and class instances are not JSON data', () => {
    expect(isJsonData({ a: [1, 'x', null, { b: true }] })).toBe(true);
    expect(isJsonData({ a: undefined })).toBe(false);
    expect(isJsonData([1, , 2])).toBe(false); // eslint-disable-line no-sparse-arrays
    expect(isJsonData({ weight: Number.POSITIVE_INFINITY })).toBe(false);
    expect(isJsonData({ at: new Date(0) })).toBe(false);
    expect(isJsonData({ f: () => 1 })).toBe(false);
    expect(isJsonData(JSON.parse('{"__proto__": {"a": 1}}'))).toBe(false);
  });

  test('ownCopy makes the object, its metadata and spec new, and shares the spec members of JSON data', () => {
    const object = {
      apiVersion: 'v1',
      kind: 'VirtualService',
      metadata: { name: 'x', annotations: { a: 'b' } },
      spec: { hosts: ['x'], http: [{ route: [] }] },
    };
    const own = ownCopy(object);
    expect(own).toEqual(object);
    expect(own).not.toBe(object);
    expect(own.metadata).not.toBe(object.metadata);
    expect(own.spec).not.toBe(object.spec);
    expect(own.spec.http).toBe(object.spec.http);
    const notData = { ...object, spec: { ...object.spec, http: [{ route: [], fault: undefined }] } };
    expect(ownCopy(notData).spec.http).not.toBe(notData.spec.http);
  });
});
