// The readings of Deployment, Pod and istiod status objects, on objects shaped as the API returns them.
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import {
  podNotStarting,
  podSelectorOf,
  progressDeadlineExceeded,
  propagationState,
  rolloutProgress,
} from '../../src/health/index.js';

function deployment(status: V1Deployment['status'], generation = 2, replicas = 3): V1Deployment {
  return {
    metadata: { name: 'reviews-v2', generation },
    spec: { replicas, selector: {}, template: {} },
    status,
  };
}

describe('rolloutProgress', () => {
  test('done only with the generation observed and every count at the desired number', () => {
    const full = {
      observedGeneration: 2,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
    };
    expect(rolloutProgress(deployment(full))).toEqual({ done: true, text: 'reviews-v2 3/3 ready' });
    expect(rolloutProgress(deployment({ ...full, observedGeneration: 1 }))).toEqual({
      done: false,
      text: 'reviews-v2 generation 2 not yet observed (observed 1)',
    });
    expect(rolloutProgress(deployment({ ...full, replicas: 4, availableReplicas: 3 }))).toEqual({
      done: false,
      text: 'reviews-v2 3/3 updated, 3/3 ready, 3/3 available, 1 old pending termination',
    });
    expect(rolloutProgress(deployment({ observedGeneration: 2, replicas: 3, updatedReplicas: 3 }))).toEqual({
      done: false,
      text: 'reviews-v2 3/3 updated, 0/3 ready, 0/3 available',
    });
  });
});

describe('progressDeadlineExceeded', () => {
  const stalled = {
    type: 'Progressing',
    status: 'False',
    reason: 'ProgressDeadlineExceeded',
    message: 'ReplicaSet "reviews-v2-5d8f" has timed out progressing.',
  };
  test('reads the condition of the current generation only', () => {
    expect(progressDeadlineExceeded(deployment({ observedGeneration: 2, conditions: [stalled] }))).toBe(
      'ReplicaSet "reviews-v2-5d8f" has timed out progressing.',
    );
    expect(
      progressDeadlineExceeded(deployment({ observedGeneration: 1, conditions: [stalled] })),
    ).toBeUndefined();
    const progressing = { ...stalled, status: 'True', reason: 'ReplicaSetUpdated' };
    expect(
      progressDeadlineExceeded(deployment({ observedGeneration: 2, conditions: [progressing] })),
    ).toBeUndefined();
  });
});

describe('podSelectorOf', () => {
  test('writes matchLabels and every matchExpressions operator as a label selector', () => {
    expect(
      podSelectorOf({
        matchLabels: { app: 'reviews', version: 'v2' },
        matchExpressions: [
          { key: 'track', operator: 'In', values: ['canary', 'blue'] },
          { key: 'tier', operator: 'NotIn', values: ['batch'] },
          { key: 'owner', operator: 'Exists' },
          { key: 'legacy', operator: 'DoesNotExist' },
        ],
      }),
    ).toBe('app=reviews,version=v2,track in (canary,blue),tier notin (batch),owner,!legacy');
  });
});

describe('podNotStarting', () => {
  function pod(statuses: Partial<V1Pod['status']>, deleting = false): V1Pod {
    return {
      metadata: {
        name: 'reviews-v2-7c9d-abcde',
        namespace: 'default',
        ...(deleting ? { deletionTimestamp: new Date() } : {}),
      },
      status: statuses,
    };
  }
  const waiting = (reason: string, message?: string) => ({
    name: 'reviews',
    image: 'reviews:2',
    imageID: '',
    ready: false,
    restartCount: 4,
    state: { waiting: { reason, ...(message ? { message } : {}) } },
  });

  test('names pod, container, reason and remedy', () => {
    expect(podNotStarting(pod({ containerStatuses: [waiting('CrashLoopBackOff')] }))).toBe(
      'canary pod reviews-v2-7c9d-abcde is not starting: container reviews is in CrashLoopBackOff (restarted 4 times): ' +
        'check its logs (kubectl logs -n default reviews-v2-7c9d-abcde -c reviews)',
    );
    expect(
      podNotStarting(
        pod({
          initContainerStatuses: [
            waiting('ErrImagePull', 'rpc error: code = NotFound\n desc = no such image'),
          ],
        }),
      ),
    ).toBe(
      'canary pod reviews-v2-7c9d-abcde is not starting: init container reviews is in ErrImagePull ' +
        '(rpc error: code = NotFound desc = no such image): check the image name, tag and pull secret ' +
        '(kubectl describe pod -n default reviews-v2-7c9d-abcde)',
    );
  });

  test('a pod still starting, or being deleted, is no failure', () => {
    expect(podNotStarting(pod({ containerStatuses: [waiting('ContainerCreating')] }))).toBeUndefined();
    expect(podNotStarting(pod({ containerStatuses: [waiting('CrashLoopBackOff')] }, true))).toBeUndefined();
    expect(podNotStarting(pod({}))).toBeUndefined();
  });
});

describe('propagationState', () => {
  const object = (status?: object) => ({
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    status,
  });
  test('reads Reconciled at the written generation, from status or from the condition', () => {
    const reconciled = { type: 'Reconciled', status: 'True' };
    expect(propagationState(object({ conditions: [reconciled], observedGeneration: 3 }), 3)).toEqual({
      kind: 'reconciled',
    });
    expect(propagationState(object({ conditions: [{ ...reconciled, observedGeneration: '4' }] }), 3)).toEqual(
      {
        kind: 'reconciled',
      },
    );
    expect(propagationState(object({ conditions: [reconciled], observedGeneration: 2 }), 3)).toEqual({
      kind: 'pending',
      text: 'Reconciled True, observed generation 2 of 3',
    });
  });

  test('no Reconciled condition is no status; no object is missing', () => {
    expect(propagationState(object(), 1)).toEqual({ kind: 'no-status' });
    expect(propagationState(object({ conditions: [{ type: 'PassedAnalysis', status: 'True' }] }), 1)).toEqual(
      {
        kind: 'no-status',
      },
    );
    expect(propagationState(undefined, 1)).toEqual({ kind: 'missing' });
  });
});
