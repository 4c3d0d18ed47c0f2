// Malformed objects, as people mistype them, answer one line naming the field (Istio's CRD schema, as data).
import { readFileSync } from 'node:fs';
import { InputError } from '../../src/errors.js';
import { planStage, readRoutingYaml } from '../../src/plan/index.js';
import type { VirtualService } from '../../src/plan/index.js';
import { CRD_FILE, SCHEMA_MODULE, schemaModule } from '../../scripts/istio-schemas.js';
import { seedState, stageOptions } from './support.js';

const reviews = (http: string) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews, namespace: default }
spec:
  hosts: [reviews]
  http:
${http}`;

const remedy = ", which Istio's VirtualService schema does not allow: fix the object and run again";

describe('routing objects checked against Istio CRD schemas', () => {
  it('the embedded schemas are those of the CRDs (npx tsx scripts/istio-schemas.ts rewrites them)', () => {
    expect(readFileSync(SCHEMA_MODULE, 'utf8')).toBe(schemaModule(readFileSync(CRD_FILE, 'utf8')));
  });

  it.each([
    [
      'match as a map',
      reviews(`  - match: { uri: { prefix: /api } }\n    route: [{ destination: { host: reviews } }]`),
      'spec.http[0].match must be a list, got a map',
    ],
    [
      'a misspelt destination',
      reviews(`  - route: [{ destinaton: { host: reviews, subset: v1 } }]`),
      'spec.http[0].route[0].destinaton is not a field of the schema (misspelt?)',
    ],
    [
      'a misspelt field beside a good one',
      reviews(`  - route: [{ destination: { host: reviews }, wieght: 100 }]`),
      'spec.http[0].route[0].wieght is not a field of the schema (misspelt?)',
    ],
    [
      'hosts as a string',
      `apiVersion: networking.istio.io/v1beta1\nkind: VirtualService\nmetadata: { name: reviews }\nspec:\n  hosts: reviews\n`,
      'spec.hosts must be a list, got the string "reviews"',
    ],
    [
      'a dangling -',
      reviews(`  -\n  - route: [{ destination: { host: reviews } }]`),
      'spec.http[0] must be a map, got nothing (null: a dangling "-" or a key without value?)',
    ],
    [
      'an unquoted yes, which kubectl reads as a boolean',
      reviews(
        `  - match: [{ headers: { x-canary: { exact: yes } } }]\n    route: [{ destination: { host: reviews } }]`,
      ),
      'spec.http[0].match[0].headers.x-canary.exact must be a string, got the boolean true (YAML reads unquoted yes/no/on/off as booleans)',
    ],
    [
      'a route without destination',
      reviews(`  - route: [{ weight: 100 }]`),
      'spec.http[0].route[0].destination is required',
    ],
    [
      'a weight written as a string',
      reviews(`  - route: [{ destination: { host: reviews }, weight: "100%" }]`),
      'spec.http[0].route[0].weight must be an integer, got the string "100%"',
    ],
    [
      'a header match with two kinds',
      reviews(
        `  - match: [{ headers: { end-user: { exact: a, prefix: b } } }]\n    route: [{ destination: { host: reviews } }]`,
      ),
      'spec.http[0].match[0].headers.end-user may set only one of exact, prefix, regex',
    ],
  ])('refuses %s in one line', (_, yaml, violation) => {
    const source = 'reviews.yaml';
    const namespaced = yaml.includes('namespace: default') ? 'default/' : '';
    expect(() => readRoutingYaml(yaml, source)).toThrow(
      new InputError('from', `reviews.yaml: VirtualService ${namespaced}reviews: ${violation}${remedy}`),
    );
  });

  it('names the field deep in a long list of routes (the path is written for the message only)', () => {
    const routes = Array.from(
      { length: 300 },
      (_, i) =>
        `  - match: [{ uri: { prefix: /team-${i}/ } }]\n    route: [{ destination: { host: reviews } }]`,
    );
    routes[257] = `  - match: [{ uri: { prefix: /team-257/ } }]\n    route: [{ destination: { host: reviews }, weight: 100 }, { destinaton: { host: reviews } }]`;
    expect(() => readRoutingYaml(reviews(routes.join('\n')), 'reviews.yaml')).toThrow(
      new InputError(
        'from',
        `reviews.yaml: VirtualService default/reviews: spec.http[257].route[1].destinaton is not a field of the schema (misspelt?)${remedy}`,
      ),
    );
  });

  it('refuses subsets as a map in a DestinationRule', () => {
    const yaml = `apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: { name: reviews, namespace: default }
spec:
  host: reviews
  subsets: { v1: { labels: { version: v1 } } }
`;
    expect(() => readRoutingYaml(yaml, 'dr.yaml')).toThrow(
      new InputError(
        'from',
        "dr.yaml: DestinationRule default/reviews: spec.subsets must be a list, got a map, which Istio's DestinationRule schema does not allow: fix the object and run again",
      ),
    );
  });

  it('keeps a field of a newer Istio in an object from the cluster, which only its own CRDs declare', () => {
    const state = seedState();
    const vs = state.virtualServices.find((each) => each.metadata.name === 'reviews') as VirtualService;
    Object.assign(vs.spec.http?.[0] ?? {}, { retryBudget: { percent: 25 } });
    const plan = planStage(stageOptions({ stage: 'shift', weight: 10 }), state);
    expect(plan.virtualService.spec.http?.[0]).toHaveProperty('retryBudget', { percent: 25 });
  });

  it('checks objects a library caller passes too, not only files', () => {
    const state = seedState();
    const vs = state.virtualServices.find((each) => each.metadata.name === 'reviews') as VirtualService;
    (vs.spec as Record<string, unknown>).http = { route: [] };
    expect(() => planStage(stageOptions({ stage: 'shift', weight: 10 }), state)).toThrow(
      new InputError('from', `VirtualService reviews: spec.http must be a list, got a map${remedy}`),
    );
  });
});
