// The bookkeeping of a list + watch, event by event: what changes the set, where the next watch starts,
// and the pause before a stream that ended cleanly is opened again.
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  ADDED,
  BOOKMARK,
  DELETED,
  ERROR,
  MODIFIED,
  WatchedObjects,
} from '../../src/health/watched-objects.js';

function obj(name: string, resourceVersion: string, namespace = 'ns'): KubernetesObject {
  return { metadata: { name, namespace, resourceVersion } };
}

function keys(set: WatchedObjects<KubernetesObject>): string[] {
  return set.list().map((o) => `${o.metadata?.namespace}/${o.metadata?.name}@${o.metadata?.resourceVersion}`);
}

function listed(resourceVersion: string, ...items: KubernetesObject[]) {
  return { items, metadata: { resourceVersion } };
}

describe('WatchedObjects', () => {
  test('a list fills the set in its order and sets where the watch starts', () => {
    const set = new WatchedObjects();
    expect(set.resourceVersion).toBe('');
    expect(set.replace(listed('10', obj('b', '3'), obj('a', '4')))).toBe(true);
    expect(keys(set)).toEqual(['ns/b@3', 'ns/a@4']);
    expect(set.resourceVersion).toBe('10');
  });

  test('an empty first list changes nothing but still gives the resourceVersion', () => {
    const set = new WatchedObjects();
    expect(set.replace(listed('7'))).toBe(false);
    expect(set.resourceVersion).toBe('7');
  });

  test('events: an update keeps its place, a new object goes last, a delete removes it', () => {
    const set = new WatchedObjects();
    set.replace(listed('10', obj('a', '3'), obj('b', '4')));
    expect(set.apply(MODIFIED, obj('a', '11'))).toBe(true);
    expect(set.apply(ADDED, obj('c', '12'))).toBe(true);
    expect(set.apply(DELETED, obj('b', '13'))).toBe(true);
    expect(keys(set)).toEqual(['ns/a@11', 'ns/c@12']);
    expect(set.resourceVersion).toBe('13');
  });

  test('an event that repeats the stored resourceVersion, or deletes an unknown object, changes nothing', () => {
    const set = new WatchedObjects();
    set.replace(listed('10', obj('a', '9')));
    expect(set.apply(MODIFIED, obj('a', '9'))).toBe(false);
    expect(set.apply(DELETED, obj('x', '11'))).toBe(false);
    expect(keys(set)).toEqual(['ns/a@9']);
    expect(set.resourceVersion).toBe('11');
  });

  test('objects are told apart by namespace and name', () => {
    const set = new WatchedObjects();
    set.apply(ADDED, obj('a', '1', 'one'));
    set.apply(ADDED, obj('a', '2', 'two'));
    set.apply(DELETED, obj('a', '3', 'one'));
    expect(keys(set)).toEqual(['two/a@2']);
  });

  test('a BOOKMARK only moves the resourceVersion', () => {
    const set = new WatchedObjects();
    set.replace(listed('10', obj('a', '9')));
    expect(set.apply(BOOKMARK, { kind: 'ConfigMap', metadata: { resourceVersion: '42' } })).toBe(false);
    expect(keys(set)).toEqual(['ns/a@9']);
    expect(set.resourceVersion).toBe('42');
  });

  test('ERROR 410 Expired empties the resourceVersion (list again); another ERROR leaves it', () => {
    const set = new WatchedObjects();
    set.replace(listed('10', obj('a', '9')));
    expect(set.apply(ERROR, { kind: 'Status', code: 500, reason: 'InternalError' })).toBe(false);
    expect(set.resourceVersion).toBe('10');
    expect(set.apply(ERROR, { kind: 'Status', code: 410, reason: 'Expired' })).toBe(false);
    expect(set.resourceVersion).toBe('');
    expect(keys(set)).toEqual(['ns/a@9']);
  });

  test('a relist removes what it no longer holds, updates the rest in place and appends the new', () => {
    const set = new WatchedObjects();
    set.replace(listed('10', obj('a', '1'), obj('b', '2'), obj('c', '3', 'other')));
    expect(set.replace(listed('20', obj('d', '15'), obj('b', '2'), obj('a', '14')))).toBe(true);
    expect(keys(set)).toEqual(['ns/a@14', 'ns/b@2', 'ns/d@15']);
    expect(set.resourceVersion).toBe('20');
    expect(set.replace(listed('21', obj('a', '14'), obj('b', '2'), obj('d', '15')))).toBe(false);
  });

  test('resuming after clean ends: at once, then 1 s doubling to 30 s; an event or a failure starts over', () => {
    const set = new WatchedObjects();
    const delays = () => Array.from({ length: 8 }, () => set.nextResumeDelay());
    expect(delays()).toEqual([0, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    set.apply(BOOKMARK, { metadata: { resourceVersion: '5' } });
    expect(set.nextResumeDelay()).toBe(0);
    expect(set.nextResumeDelay()).toBe(1000);
    set.resetResumeDelay();
    expect(set.nextResumeDelay()).toBe(0);
  });

  test('expire forgets the resourceVersion and keeps the objects', () => {
    const set = new WatchedObjects();
    set.replace(listed('10', obj('a', '9')));
    set.expire();
    expect(set.resourceVersion).toBe('');
    expect(keys(set)).toEqual(['ns/a@9']);
  });
});
