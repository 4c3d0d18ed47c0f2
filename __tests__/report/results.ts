// StageResults as runStage returns them for the tutorial's states, for the rendering tests.
import { CanaryError } from '../../src/errors.js';
import type { StageResult } from '../../src/types.js';

const VIRTUAL_SERVICE_50 = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
    - reviews
  http:
    - name: reviews-canary-header
      match:
        - headers:
            end-user:
              exact: test-user
      route:
        - destination:
            host: reviews
            subset: v2
    - name: reviews-primary
      route:
        - destination:
            host: reviews
            subset: v1
          weight: 50
        - destination:
            host: reviews
            subset: v2
          weight: 50
`;

const DESTINATION_RULE = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
  subsets:
    - name: v1
      labels:
        version: v1
    - name: v2
      labels:
        version: v2
`;

/** Tutorial step 5 → 6: test users on v2, everyone else split 50/50. */
export function shiftedTo50(overrides: Partial<StageResult> = {}): StageResult {
  return {
    stage: 'shift',
    service: 'reviews',
    namespace: 'default',
    stable: 'v1',
    canary: 'v2',
    dryRun: false,
    changed: true,
    healthy: true,
    rolledBack: false,
    previousWeight: 0,
    weight: 50,
    before: [
      {
        name: 'reviews-canary-header',
        match: 'end-user=test-user',
        destinations: [{ subset: 'v2', weight: 100 }],
      },
      { name: 'reviews-primary', match: 'default', destinations: [{ subset: 'v1', weight: 100 }] },
    ],
    after: [
      {
        name: 'reviews-canary-header',
        match: 'end-user=test-user',
        destinations: [{ subset: 'v2', weight: 100 }],
      },
      {
        name: 'reviews-primary',
        match: 'default',
        destinations: [
          { subset: 'v1', weight: 50 },
          { subset: 'v2', weight: 50 },
        ],
      },
    ],
    checks: [
      { name: 'rollout reviews-v2', ok: true, durationMs: 1234, detail: '1/1 replicas ready' },
      { name: 'probe http://reviews:9080/health', ok: true, durationMs: 420, detail: '3 consecutive 2xx' },
    ],
    virtualServiceYaml: VIRTUAL_SERVICE_50,
    destinationRuleYaml: DESTINATION_RULE,
    diff: '--- VirtualService default/reviews\n+++ VirtualService default/reviews\n-          weight: 100\n+          weight: 50\n',
    ...overrides,
  };
}

/** A shift whose probe failed: the objects were restored. */
export function rolledBackAfterProbe(): StageResult {
  const result = shiftedTo50();
  return {
    ...result,
    healthy: false,
    rolledBack: true,
    weight: 0,
    after: result.before,
    checks: [
      result.checks[0]!,
      {
        name: 'probe http://reviews:9080/health',
        ok: false,
        durationMs: 30000,
        detail: 'HTTP 503 on 3 of 3 requests',
      },
    ],
    error: new CanaryError(
      'unhealthy',
      'probe http://reviews:9080/health failed: HTTP 503 on 3 of 3 requests; fix the canary or raise timeout.',
    ),
  };
}
