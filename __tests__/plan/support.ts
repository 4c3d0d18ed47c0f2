// Shared test inputs: the Bookinfo scenario (project fixtures or ../shared) and stage options.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fc from 'fast-check';
import { readRoutingYaml } from '../../src/plan/index.js';
import type { ClusterState, Plan, RoutingObject, VirtualService } from '../../src/plan/index.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const fixtureDir = path.join(repoRoot, 'examples/bookinfo');
// ../shared beside the project (as CI checks it out); SHARED_SCENARIO_DIR points elsewhere when needed.
export const sharedScenarioDir = path.resolve(
  repoRoot,
  process.env.SHARED_SCENARIO_DIR ?? '../shared/scenarios/bookinfo-reviews',
);

export const SCENARIO_FILES = [
  '02-bookinfo.yaml',
  '03-virtual-services-v1.yaml',
  '04-destination-rules.yaml',
  '05-reviews-test-user.yaml',
  '06-reviews-50.yaml',
  '07-reviews-100-v2.yaml',
];

export function readScenario(dir: string, ...files: string[]): ClusterState {
  let state: ClusterState = { virtualServices: [], destinationRules: [] };
  for (const file of files) state = readRoutingYaml(readFileSync(path.join(dir, file), 'utf8'), file, state);
  return state;
}

/** The seed's starting point: every service on v1 (03) and the DestinationRules (04). */
export function seedState(dir = fixtureDir): ClusterState {
  return readScenario(dir, '03-virtual-services-v1.yaml', '04-destination-rules.yaml');
}

export function scenarioVirtualService(dir: string, file: string, name = 'reviews'): VirtualService {
  const found = readScenario(dir, file).virtualServices.find((vs) => vs.metadata.name === name);
  if (!found) throw new Error(`${file} has no VirtualService ${name}`);
  return found;
}

export { stageOptions } from '../../test/support/bookinfo.js';

/** The cluster after a plan's writes: each object it manages replaces the one of the same kind and name. */
export function applyPlan(state: ClusterState, plan: Plan): ClusterState {
  const replace = <T extends RoutingObject>(objects: T[], kind: T['kind']): T[] => {
    const next = plan.objects.map((object) => object.after).filter((o): o is T => o.kind === kind);
    const same = (a: T, b: T) => a.metadata.name === b.metadata.name;
    return [
      ...objects.map((object) => next.find((mine) => same(mine, object)) ?? object),
      ...next.filter((mine) => !objects.some((object) => same(mine, object))),
    ];
  };
  return {
    virtualServices: replace(state.virtualServices, 'VirtualService'),
    destinationRules: replace(state.destinationRules, 'DestinationRule'),
  };
}

export function sharedAvailable(): boolean {
  return existsSync(sharedScenarioDir);
}

/** The header match most tests route test users by. */
export const TEST_USER = [{ name: 'end-user', kind: 'exact' as const, value: 'test-user' }];

/**
 * `reviews` as people write it by hand: a VirtualService whose `http:` list is `httpYaml` (indented list
 * items) and a DestinationRule with `subsets`; `extraYaml` (further documents) is appended.
 */
export function reviewsState(
  httpYaml: string,
  source: string,
  { subsets = ['v1', 'v2'], extraYaml = '' }: { subsets?: string[]; extraYaml?: string } = {},
): ClusterState {
  const subsetLines = subsets.map((name) => `  - { name: ${name}, labels: { version: ${name} } }`);
  return readRoutingYaml(
    `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews, namespace: default }
spec:
  hosts: [reviews]
  http:
${httpYaml}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews, namespace: default }
spec:
  host: reviews
  subsets:
${subsetLines.join('\n')}
${extraYaml}`,
    source,
  );
}

/**
 * JSON-like values for property tests: null, undefined, booleans, small integers, short strings and the
 * `extra` leaves, in lists and in objects keyed by `keys`.
 */
export function jsonLike(keys: string[], extra: fc.Arbitrary<unknown>[] = []): fc.Arbitrary<unknown> {
  return fc.letrec((tie) => ({
    leaf: fc.oneof(
      fc.constant(null),
      fc.constant(undefined),
      fc.boolean(),
      fc.integer({ min: -3, max: 3 }),
      fc.constantFrom('a', 'b', ''),
      ...extra,
    ),
    array: fc.array(tie('node'), { maxLength: 3 }),
    object: fc.dictionary(fc.constantFrom(...keys), tie('node'), { maxKeys: 4 }),
    node: fc.oneof({ depthSize: 'small' }, tie('leaf'), tie('array'), tie('object')),
  })).node;
}
