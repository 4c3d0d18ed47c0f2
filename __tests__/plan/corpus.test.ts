// Every input of the corpus (VirtualServices and DestinationRules as people write them by hand, by Helm and
// by kubectl: __tests__/plan/corpus) through every stage. Each plan must be valid against Istio's CRD
// schemas, read the same by YAML 1.1 (kubectl) and 1.2, keep everything we do not own, route as the stage
// says under Istio's first-match rule, and change nothing when planned again from its own output.
// Inputs under corpus/refused must be refused by every stage with one line.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { CanaryError } from '../../src/errors.js';
import {
  cleanObject,
  ownedRouteNames,
  planStage,
  readRoutingYaml,
  toYamlDocuments,
} from '../../src/plan/index.js';
import type {
  ClusterState,
  DestinationRule,
  HTTPRoute,
  HTTPRouteDestination,
  Plan,
  StageOptions,
  VirtualService,
} from '../../src/plan/index.js';
import { withoutIssuedCookie } from '../../src/plan/sticky-cookie.js';
import { isStableBound, isTwinName, managedByUs } from '../../src/plan/stable-bound.js';
import { primaryRouteIndex } from '../../src/plan/virtual-service.js';
import { loadCrdSchemas, validateAndPrune } from '../../test/support/kube-apiserver/schema.js';
import { routedSplit } from './first-match.js';
import type { TestRequest } from './first-match.js';
import { applyPlan, repoRoot, stageOptions } from './support.js';

const CORPUS = path.join(repoRoot, '__tests__/plan/corpus');
const yamlFiles = (dir: string) => readdirSync(dir).filter((file) => file.endsWith('.yaml'));

const TESTER: TestRequest = { path: '/corpus/probe', headers: { 'end-user': 'corpus-tester' } };
const STICKY: TestRequest = { path: '/corpus/probe', headers: { cookie: 'theme=dark; reviews-canary=v2' } };
const ANYONE: TestRequest = { path: '/corpus/probe' };
const tester = [{ name: 'end-user', kind: 'exact' as const, value: 'corpus-tester' }];

interface Variant {
  options: Partial<StageOptions>;
  /** Where a request matching no user route goes. */
  split: Record<string, number>;
  /** Requests the stage sends to the canary whatever the split. */
  toCanary: TestRequest[];
}

const VARIANTS: Record<string, Variant> = {
  route: { options: { stage: 'route', headerMatch: tester }, split: { v1: 100 }, toCanary: [TESTER] },
  'shift 30': {
    options: { stage: 'shift', weight: 30, headerMatch: tester },
    split: { v1: 70, v2: 30 },
    toCanary: [TESTER],
  },
  'shift 30, sticky': {
    options: { stage: 'shift', weight: 30, stickyCookie: 'reviews-canary' },
    split: { v1: 70, v2: 30 },
    toCanary: [STICKY],
  },
  'shift 30, mirror 10': {
    options: { stage: 'shift', weight: 30, mirrorPercent: 10 },
    split: { v1: 70, v2: 30 },
    toCanary: [],
  },
  'progressive 10,50,100': {
    options: { stage: 'progressive', steps: [10, 50, 100] },
    split: { v1: 90, v2: 10 },
    toCanary: [],
  },
  promote: { options: { stage: 'promote' }, split: { v2: 100 }, toCanary: [] },
  rollback: { options: { stage: 'rollback' }, split: { v1: 100 }, toCanary: [] },
  finalize: { options: { stage: 'finalize' }, split: { v2: 100 }, toCanary: [] },
};

/** Stages an input refuses on purpose, with the start of the one-line reason. */
const REFUSES: Record<string, Record<string, string>> = {
  'mirror-single.yaml': {
    'shift 30, mirror 10': 'mirror-percent would replace the mirror to reviews-shadow',
  },
  // A route of the user's own splits v1 with v3 (not moved by a stage): finalize must not drop v1.
  'user-routes-and-policies.yaml': { finalize: 'finalize refuses to drop subset v1 of reviews' },
};

const OWNED = Object.values(ownedRouteNames('reviews'));
const MIRROR_FIELDS = ['mirror', 'mirrors', 'mirrorPercentage', 'mirrorPercent'];

function omit<T extends object>(value: T | undefined, keys: string[]): Partial<T> {
  return Object.fromEntries(Object.entries(value ?? {}).filter(([key]) => !keys.includes(key))) as Partial<T>;
}

function read(file: string): ClusterState {
  return readRoutingYaml(readFileSync(file, 'utf8'), path.basename(file));
}

function reviewsOf<T extends VirtualService | DestinationRule>(objects: T[], picked: T): T | undefined {
  return objects.find((object) => object.metadata.name === picked.metadata.name);
}

function expectCrdValid(object: VirtualService | DestinationRule): void {
  const [group, version] = object.apiVersion.split('/');
  const schema = loadCrdSchemas().get(`${group}/${object.kind}/${version}`);
  expect(schema).toBeDefined();
  const result = validateAndPrune(structuredClone(object.spec), schema?.properties?.spec ?? {}, 'spec');
  expect(result).toEqual({ errors: [], unknownFields: [] });
  if (object.kind === 'VirtualService') {
    // istiod's validation: "HTTP route cannot contain both mirror and mirrors".
    for (const route of object.spec.http ?? []) expect(route.mirror && route.mirrors).toBeFalsy();
  }
}

function expectYaml11Safe(plan: Plan): void {
  const text = toYamlDocuments([plan.virtualService, plan.destinationRule]);
  const as11 = parseAllDocuments(text, { version: '1.1' }).map((document) => document.toJS());
  const as12 = parseAllDocuments(text).map((document) => document.toJS());
  expect(as11).toEqual([plan.virtualService, plan.destinationRule]);
  expect(as12).toEqual(as11);
}

const withoutOurCookie = (destinations: HTTPRouteDestination[] | undefined) =>
  (destinations ?? []).map((destination) => omit(withoutIssuedCookie(destination), ['weight']));

/** The route after a stage keeps every field of the route before but its split (and the canary mirror). */
function expectRouteKept(was: HTTPRoute, now: HTTPRoute | undefined, options: StageOptions): void {
  const ignored = ['name', 'route', ...(options.mirrorPercent !== undefined ? MIRROR_FIELDS : [])];
  expect(omit(now, ignored)).toEqual(omit(was, ignored));
  // A destination of a version that stays keeps every field but its weight.
  const kept = withoutOurCookie(was.route).filter((destination) =>
    (now?.route ?? []).some((next) => next.destination.subset === destination.destination?.subset),
  );
  expect(
    withoutOurCookie(now?.route).filter((destination) =>
      kept.some((old) => old.destination?.subset === destination.destination?.subset),
    ),
  ).toEqual(kept);
}

function expectNothingLost(before: VirtualService, after: VirtualService, options: StageOptions): void {
  const input = cleanObject(before);
  const ours = ['istio-canary.io/stage', 'istio-canary.io/weights'];
  expect(omit(after.metadata, ['annotations'])).toEqual(omit(input.metadata, ['annotations']));
  expect(omit(after.metadata.annotations, ours)).toEqual(omit(input.metadata.annotations, ours));
  expect(omit(after.spec, ['http'])).toEqual(omit(input.spec, ['http']));
  const http = input.spec.http ?? [];
  const adopted = primaryRouteIndex(http, options, options.namespace);
  // Ours: the default, header and sticky routes, and the test-user twins of the routes a stage moves.
  const notOurs = (route: HTTPRoute) => !OWNED.includes(route.name ?? '') && !isTwinName(route.name ?? '');
  const others = http.filter((route, index) => index !== adopted && notOurs(route));
  const othersAfter = (after.spec.http ?? []).filter(notOurs);
  expect(othersAfter).toHaveLength(others.length);
  const managed = managedByUs(input);
  others.forEach((route, index) => {
    // A route bound to the stable version moves with the stage (its split); any other stays as it was.
    if (isStableBound(route, options.namespace, options, managed)) {
      expectRouteKept(route, othersAfter[index], options);
    } else expect(othersAfter[index]).toEqual(route);
  });
  const was = http[adopted];
  if (!was) return;
  const primary = (after.spec.http ?? []).find((route) => route.name === ownedRouteNames('reviews').primary);
  expectRouteKept(was, primary, options);
}

function expectSubsetsKept(before: DestinationRule, after: DestinationRule, dropped: string[]): void {
  const input = cleanObject(before);
  expect(after.metadata).toEqual(input.metadata);
  expect(omit(after.spec, ['subsets'])).toEqual(omit(input.spec, ['subsets']));
  const names = (input.spec.subsets ?? []).map((subset) => subset.name);
  expect((after.spec.subsets ?? []).filter((subset) => names.includes(subset.name))).toEqual(
    (input.spec.subsets ?? []).filter((subset) => !dropped.includes(subset.name)),
  );
}

/**
 * Requests walked through the planned routes: one no route of the user's matches, and one to the path of
 * each route of the user's bound to the stable version (every door moves), each also as a tester.
 */
function expectRoutesAsSaid(
  vs: VirtualService,
  variant: Variant,
  before: VirtualService | undefined,
  options: StageOptions,
): void {
  const moved = (before?.spec.http ?? []).filter(
    (route) =>
      !OWNED.includes(route.name ?? '') &&
      isStableBound(route, options.namespace, options, managedByUs(before)),
  );
  const paths = moved.flatMap((route) => route.match?.[0]?.uri?.prefix ?? []);
  for (const path of [ANYONE.path, ...paths]) {
    expect(routedSplit(vs, { path })).toEqual(variant.split);
    for (const request of variant.toCanary)
      expect(routedSplit(vs, { ...request, path })).toEqual({ v2: 100 });
  }
}

const planned = yamlFiles(CORPUS).flatMap((file) =>
  Object.entries(VARIANTS)
    .filter(([name]) => REFUSES[file]?.[name] === undefined)
    .map(([name, variant]) => [file, name, variant] as const),
);

describe('the corpus through every stage', () => {
  it('holds the inputs it promises', () => {
    expect(yamlFiles(CORPUS).length).toBeGreaterThanOrEqual(20);
    expect(yamlFiles(path.join(CORPUS, 'refused')).length).toBeGreaterThanOrEqual(4);
  });

  it.each(planned)(
    '%s, %s: CRD-valid, YAML-1.1-safe, nothing lost, first-match routing, idempotent',
    (file, _, variant) => {
      const state = read(path.join(CORPUS, file));
      const options = stageOptions(variant.options);
      const plan = planStage(options, state);

      expectCrdValid(plan.virtualService);
      expectCrdValid(plan.destinationRule);
      expectYaml11Safe(plan);
      const vsBefore = reviewsOf(state.virtualServices, plan.virtualService);
      if (vsBefore) expectNothingLost(vsBefore, plan.virtualService, options);
      const drBefore = reviewsOf(state.destinationRules, plan.destinationRule);
      if (drBefore)
        expectSubsetsKept(drBefore, plan.destinationRule, options.stage === 'finalize' ? ['v1'] : []);
      expectRoutesAsSaid(plan.virtualService, variant, vsBefore, options);

      const again = planStage(options, applyPlan(state, plan));
      expect(again.changed).toBe(false);
      expect([again.virtualService, again.destinationRule]).toEqual([
        plan.virtualService,
        plan.destinationRule,
      ]);
    },
  );

  it.each(
    yamlFiles(CORPUS).flatMap((file) =>
      Object.entries(REFUSES[file] ?? {}).map(([name, reason]) => [file, name, reason]),
    ),
  )('%s, %s: refused in one line', (file, name, reason) => {
    const state = read(path.join(CORPUS, file));
    expect(() => planStage(stageOptions(VARIANTS[name]?.options), state)).toThrow(reason);
  });

  it.each(
    yamlFiles(path.join(CORPUS, 'refused')).flatMap((file) =>
      Object.keys(VARIANTS).map((name) => [file, name]),
    ),
  )('refused/%s, %s: refused with one line, nothing planned', (file, name) => {
    let error: unknown;
    try {
      planStage(stageOptions(VARIANTS[name]?.options), read(path.join(CORPUS, 'refused', file)));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CanaryError);
    expect((error as Error).message).not.toContain('\n');
  });
});
