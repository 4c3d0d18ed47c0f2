import {
  analyzeRouting,
  CheckFailedError,
  formatFinding,
  planStage,
  readRoutingYaml,
} from '../../src/plan/index.js';
import type { ClusterState, Finding, VirtualService } from '../../src/plan/index.js';
import { seedState, stageOptions } from './support.js';

const testUser = [{ name: 'end-user', kind: 'exact' as const, value: 'test-user' }];

/** The seed with the reviews VirtualService replaced by `httpYaml` (its http list) plus extra documents. */
function seedWith(httpYaml: string, extraYaml = ''): ClusterState {
  const state = seedState();
  const text = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews, namespace: default }
spec:
  hosts: [reviews]
  http:
${httpYaml}
${extraYaml ? `---\n${extraYaml}` : ''}`;
  const added = readRoutingYaml(text, 'test.yaml');
  return {
    virtualServices: [
      ...state.virtualServices.filter((vs) => vs.metadata.name !== 'reviews'),
      ...added.virtualServices,
    ],
    destinationRules: [...state.destinationRules, ...added.destinationRules],
  };
}

function findingsOfFailure(
  state: ClusterState,
  options = stageOptions({ stage: 'route', headerMatch: testUser }),
): string[] {
  try {
    planStage(options, state);
  } catch (error) {
    if (error instanceof CheckFailedError) {
      expect(error.code).toBe('check-failed');
      expect(error.message).toBe(
        `routing check failed, nothing written: ${error.findings
          .filter((finding) => finding.severity === 'error')
          .map(formatFinding)
          .join('; ')}; fix the objects named and run again`,
      );
      return error.findings.map(formatFinding);
    }
    throw error;
  }
  throw new Error('expected the checks to fail');
}

describe('pre-write checks', () => {
  it('IST0101: a route of the planned VirtualService to a subset no DestinationRule defines', () => {
    const state = seedWith(`
  - match: [{ uri: { prefix: /next } }]
    route: [{ destination: { host: reviews, subset: v9 } }]
  - route: [{ destination: { host: reviews, subset: v1 } }]`);
    expect(findingsOfFailure(state)).toEqual([
      'Error [IST0101] (VirtualService default/reviews) Referenced host+subset in DestinationRule not found: "reviews+v9"',
    ]);
  });

  it('IST0101 in an object the plan does not touch is a warning and the plan goes on', () => {
    const state = seedState();
    const productpage = state.virtualServices.find((vs) => vs.metadata.name === 'productpage');
    const firstRoute = productpage?.spec.http?.[0]?.route?.[0];
    if (firstRoute) firstRoute.destination.subset = 'v7';
    const plan = planStage(stageOptions({ stage: 'route', headerMatch: testUser }), state);
    expect(plan.findings.map(formatFinding)).toEqual([
      'Warning [IST0101] (VirtualService default/productpage) Referenced host+subset in DestinationRule not found: "productpage+v7"',
    ]);
  });

  it('IST0130: a second catch-all route, left after the one adopted', () => {
    const state = seedWith(`
  - name: everything-else
    match: [{ uri: { prefix: / } }]
    route: [{ destination: { host: reviews, subset: v3 } }]
  - route: [{ destination: { host: reviews, subset: v1 } }]`);
    expect(findingsOfFailure(state)).toEqual([
      'Error [IST0130] (VirtualService default/reviews) VirtualService rule #2 not used (only the last rule can have no matches): rule #1 matches every request',
    ]);
  });

  it('IST0131: a header route that repeats an existing match', () => {
    const state = seedWith(`
  - name: testers
    match: [{ headers: { end-user: { exact: test-user } } }]
    route: [{ destination: { host: reviews, subset: v3 } }]
  - route: [{ destination: { host: reviews, subset: v1 } }]`);
    expect(findingsOfFailure(state)).toEqual([
      'Error [IST0131] (VirtualService default/reviews) VirtualService rule #1 match #0 is not used (duplicate/overlapping match in rule #0 match #0)',
    ]);
  });

  it('IST0109: another VirtualService for the same host on the mesh', () => {
    const state = seedWith(
      `
  - route: [{ destination: { host: reviews, subset: v1 } }]`,
      `
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: { name: reviews-extra, namespace: default }
spec:
  hosts: [reviews.default.svc.cluster.local]
  http:
  - route: [{ destination: { host: reviews, subset: v1 } }]`,
    );
    expect(findingsOfFailure(state)).toEqual([
      'Error [IST0109] (VirtualService default/reviews) The VirtualServices default/reviews,default/reviews-extra define the same host reviews on the same gateway, which can lead to undefined behavior; merge them into a single resource',
    ]);
  });

  it('IST0109 does not apply to a VirtualService bound to another gateway', () => {
    const state = seedWith(
      `
  - route: [{ destination: { host: reviews, subset: v1 } }]`,
      `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews-public, namespace: default }
spec:
  hosts: [reviews]
  gateways: [bookinfo-gateway]
  http:
  - route: [{ destination: { host: reviews, subset: v1 } }]`,
    );
    expect(planStage(stageOptions({ stage: 'route', headerMatch: testUser }), state).findings).toEqual([]);
  });

  it('IST0106: weights of a kept route outside 0–100 or not summing to 100', () => {
    const state = seedWith(`
  - match: [{ uri: { prefix: /a } }]
    route:
    - { destination: { host: reviews, subset: v1 }, weight: 60 }
    - { destination: { host: reviews, subset: v3 }, weight: 30 }
  - match: [{ uri: { prefix: /b } }]
    route:
    - { destination: { host: reviews, subset: v1 }, weight: 150 }
    - { destination: { host: reviews, subset: v3 }, weight: -50 }
  - match: [{ uri: { prefix: /c } }]
    route:
    - { destination: { host: reviews, subset: v3 }, weight: 40 }
  - route: [{ destination: { host: reviews, subset: v1 } }]`);
    expect(findingsOfFailure(state)).toEqual([
      'Error [IST0106] (VirtualService default/reviews) Schema validation error: weights of http rule #0 sum to 90, not 100',
      'Error [IST0106] (VirtualService default/reviews) Schema validation error: weight 150 of http rule #1 destination #0 is not an integer 0–100',
      'Error [IST0106] (VirtualService default/reviews) Schema validation error: weight -50 of http rule #1 destination #1 is not an integer 0–100',
    ]);
  });

  it('IST0106 leaves a lone destination alone, whatever its weight: Istio sends it all traffic', () => {
    const state = seedWith(`
  - match: [{ uri: { prefix: /c } }]
    route:
    - { destination: { host: reviews, subset: v3 }, weight: 40 }
  - route:
    - { destination: { host: reviews, subset: v1 }, weight: 90 }`);
    const plan = planStage(stageOptions({ stage: 'shift', weight: 30, headerMatch: testUser }), state);
    expect(plan.findings).toEqual([]);
    expect(plan.before.map((row) => row.destinations)).toEqual([
      [{ subset: 'v3', weight: 100 }],
      [{ subset: 'v1', weight: 100 }],
    ]);
    expect(plan.virtualService.spec.http?.[0]).toEqual(
      state.virtualServices.find((vs) => vs.metadata.name === 'reviews')?.spec.http?.[0],
    );
    expect([plan.previousWeight, plan.weight]).toEqual([0, 30]);
  });

  it('analyzeRouting reports on any world, blaming only the focus and what it breaks', () => {
    const state = seedWith(`
  - route: [{ destination: { host: reviews, subset: v1 } }]
  - match: [{ uri: { prefix: /x } }]
    route: [{ destination: { host: reviews, subset: v1 } }]`);
    const reviews = state.virtualServices.find((vs) => vs.metadata.name === 'reviews');
    if (!reviews) throw new Error('no reviews VirtualService');
    const world = { namespace: 'default', ...state };
    const focus = state.virtualServices.find((vs) => vs.metadata.name === 'ratings');
    if (!focus) throw new Error('no ratings VirtualService');
    const asWarning: Finding[] = analyzeRouting(world, { virtualService: focus, removedSubsets: [] });
    expect(asWarning.map(formatFinding)).toEqual([
      'Warning [IST0130] (VirtualService default/reviews) VirtualService rule #1 not used (only the last rule can have no matches): rule #0 matches every request',
    ]);
    const removedV1 = analyzeRouting(
      { ...world, destinationRules: [] },
      {
        virtualService: focus,
        removedSubsets: [{ host: 'reviews.default.svc.cluster.local', subset: 'v1' }],
      },
    );
    expect(removedV1.filter((finding) => finding.severity === 'error').map(formatFinding)).toEqual([
      'Error [IST0101] (VirtualService default/ratings) Referenced host+subset in DestinationRule not found: "ratings+v1"',
      'Error [IST0101] (VirtualService default/reviews) Referenced host+subset in DestinationRule not found: "reviews+v1"',
    ]);
  });

  it('IST0131 among a thousand routes: blocks equal in any key order and name, each against its first', () => {
    const routes = Array.from({ length: 1000 }, (_, index) => ({
      name: `team-${index}`,
      match: [{ uri: { prefix: `/team-${index % 700}/` }, ignoreUriCase: index % 700 === 3 }],
      route: [{ destination: { host: 'reviews', subset: 'v1' } }],
    }));
    // Rule 701 repeats rule 1's block with its keys the other way round and a name of its own.
    routes[701]!.match = [{ ignoreUriCase: false, uri: { prefix: '/team-1/' }, name: 'again' } as never];
    const vs: VirtualService = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'teams', namespace: 'default' },
      spec: { hosts: ['teams'], http: routes },
    };
    const world = { namespace: 'default', virtualServices: [vs], destinationRules: [] };
    const duplicates = (world: Parameters<typeof analyzeRouting>[0]) =>
      analyzeRouting(world, { virtualService: vs, removedSubsets: [] })
        .filter((finding) => finding.code === 'IST0131')
        .map((finding) => finding.message.replace('VirtualService ', ''));
    const expected = Array.from({ length: 300 }, (_, index) => {
      const rule = 700 + index;
      return `rule #${rule} match #0 is not used (duplicate/overlapping match in rule #${index} match #0)`;
    });
    expect(duplicates(world)).toEqual(expected);
    // A block that is not plain data (a library caller's class instance) is compared by its JSON alike.
    class UriMatch {
      constructor(readonly prefix: string) {}
    }
    routes[5]!.match = [{ uri: new UriMatch('/team-5/') as never, ignoreUriCase: false }];
    expect(duplicates(world)).toEqual(expected);
  });
});
