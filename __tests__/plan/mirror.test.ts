// mirror-percent beside what users already mirror: the single `mirror` and the `mirrors` list.
import { CanaryError, InputError } from '../../src/errors.js';
import { planStage } from '../../src/plan/index.js';
import type { ClusterState } from '../../src/plan/index.js';
import { reviewsState, stageOptions } from './support.js';

/** reviews with a default route carrying `mirrorYaml`, subsets v1, v2, v3; `extraYaml` appended. */
function withMirror(mirrorYaml: string, extraYaml = ''): ClusterState {
  return reviewsState(
    `  - route: [{ destination: { host: reviews, subset: v1 } }]\n${mirrorYaml}`,
    'mirror.yaml',
    { subsets: ['v1', 'v2', 'v3'], extraYaml },
  );
}

const shadow = `    mirrors:
    - { destination: { host: reviews-shadow }, percentage: { value: 5 } }`;

describe('mirror-percent and the mirrors list', () => {
  it('joins an existing mirrors list instead of writing mirror beside it (Istio refuses both)', () => {
    const plan = planStage(
      stageOptions({ stage: 'shift', weight: 10, mirrorPercent: 20 }),
      withMirror(shadow),
    );
    const primary = plan.virtualService.spec.http?.[0];
    expect(primary?.mirror).toBeUndefined();
    expect(primary?.mirrorPercentage).toBeUndefined();
    expect(primary?.mirrors).toEqual([
      { destination: { host: 'reviews-shadow' }, percentage: { value: 5 } },
      { destination: { host: 'reviews', subset: 'v2' }, percentage: { value: 20 } },
    ]);
    // Planned again with another share: the same entry changes; promote removes it, the user's stays.
    const again = planStage(stageOptions({ stage: 'shift', weight: 10, mirrorPercent: 40 }), {
      ...withMirror(''),
      virtualServices: [plan.virtualService],
    });
    expect(again.virtualService.spec.http?.[0]?.mirrors?.[1]?.percentage).toEqual({ value: 40 });
    const promoted = planStage(stageOptions({ stage: 'promote' }), {
      ...withMirror(''),
      virtualServices: [plan.virtualService],
    });
    expect(promoted.virtualService.spec.http?.[0]?.mirrors).toEqual([
      { destination: { host: 'reviews-shadow' }, percentage: { value: 5 } },
    ]);
  });

  it('removes the mirrors field when our entry was its only one', () => {
    const ours = `    mirrors: [{ destination: { host: reviews, subset: v2 }, percentage: { value: 10 } }]`;
    const plan = planStage(stageOptions({ stage: 'rollback' }), withMirror(ours));
    expect(plan.virtualService.spec.http?.[0]).not.toHaveProperty('mirrors');
  });

  it('refuses to replace the user’s own mirror (to v3), saying how to keep both', () => {
    const own = `    mirror: { host: reviews, subset: v3 }
    mirrorPercentage: { value: 1 }`;
    expect(() =>
      planStage(stageOptions({ stage: 'shift', weight: 10, mirrorPercent: 20 }), withMirror(own)),
    ).toThrow(
      new InputError(
        'mirror-percent',
        'mirror-percent would replace the mirror to reviews/v3 of the default route in VirtualService default/reviews (a route has one mirror): write that mirror as an entry of mirrors (Istio 1.22 or later), which the canary mirror joins, or remove it',
      ),
    );
    // Without mirror-percent the user's mirror stays as it was.
    const kept = planStage(stageOptions({ stage: 'shift', weight: 10 }), withMirror(own)).virtualService;
    expect(kept.spec.http?.[0]).toMatchObject({
      mirror: { host: 'reviews', subset: 'v3' },
      mirrorPercentage: { value: 1 },
    });
  });
});

describe('checks see the mirrors list', () => {
  it('IST0101: a mirrors entry to a subset no DestinationRule defines', () => {
    const missing = `    mirrors: [{ destination: { host: reviews, subset: v9 } }]`;
    expect(() => planStage(stageOptions({ stage: 'shift', weight: 10 }), withMirror(missing))).toThrow(
      'Error [IST0101] (VirtualService default/reviews) Referenced host+subset in DestinationRule not found: "reviews+v9"',
    );
  });

  it('finalize keeps subset v1 while a mirrors entry of another VirtualService still names it', () => {
    const internal = `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews-internal, namespace: default }
spec:
  hosts: [reviews-internal]
  http:
  - route: [{ destination: { host: reviews-internal } }]
    mirrors: [{ destination: { host: reviews, subset: v1 }, percentage: { value: 50 } }]`;
    expect(() => planStage(stageOptions({ stage: 'finalize' }), withMirror('', internal))).toThrow(
      new CanaryError(
        'check-failed',
        'finalize refuses to drop subset v1 of reviews: VirtualService default/reviews-internal (route: default) still routes to it; move that route to v2 first',
      ),
    );
  });
});
