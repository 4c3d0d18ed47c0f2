// Which API version an object "has", and the shapes handed to callers.
import { readVersionOf, versionOfObject } from '../../src/kube/index.js';

const served = ['v1', 'v1beta1', 'v1alpha3'];
const entry = (apiVersion: string, time?: string) => ({
  manager: 'm',
  operation: 'Update',
  apiVersion,
  ...(time ? { time } : {}),
});

describe('versionOfObject', () => {
  test('the latest managedFields entry by time decides', () => {
    const managedFields = [
      entry('networking.istio.io/v1beta1', '2026-11-25T12:00:05Z'),
      entry('networking.istio.io/v1', '2026-11-25T12:00:01Z'),
    ];
    expect(versionOfObject({ managedFields }, served, 'v1')).toBe('networking.istio.io/v1beta1');
  });

  test('a tie goes to the entry listed last', () => {
    const managedFields = [
      entry('networking.istio.io/v1', '2026-11-25T12:00:00Z'),
      entry('networking.istio.io/v1beta1', '2026-11-25T12:00:00Z'),
    ];
    expect(versionOfObject({ managedFields }, served, 'v1')).toBe('networking.istio.io/v1beta1');
  });

  test('entries without a time count as oldest', () => {
    const managedFields = [
      entry('networking.istio.io/v1beta1', '2026-11-25T12:00:00Z'),
      entry('networking.istio.io/v1'),
    ];
    expect(versionOfObject({ managedFields }, served, 'v1')).toBe('networking.istio.io/v1beta1');
  });

  test('no managedFields, or a version no longer served: the version read with', () => {
    expect(versionOfObject({}, served, 'v1')).toBe('networking.istio.io/v1');
    expect(versionOfObject({}, ['v1beta1'], 'v1beta1')).toBe('networking.istio.io/v1beta1');
    const managedFields = [entry('networking.istio.io/v1alpha3', '2026-11-25T12:00:00Z')];
    expect(versionOfObject({ managedFields }, ['v1', 'v1beta1'], 'v1')).toBe('networking.istio.io/v1');
  });
});

test('readVersionOf: v1 when served, else v1beta1', () => {
  expect(readVersionOf(served)).toBe('v1');
  expect(readVersionOf(['v1beta1', 'v1alpha3'])).toBe('v1beta1');
});
