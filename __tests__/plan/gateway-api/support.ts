// Shared inputs of the Gateway API planner tests: the Bookinfo scenario in HTTPRoute form (the project's
// copy in examples/bookinfo-gateway-api, or ../shared) and stage options.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  DEFAULT_VERSION_SERVICE,
  emptyGatewayApiState,
  readGatewayApiYaml,
  withServerDefaults,
} from '../../../src/plan/gateway-api/index.js';
import type {
  GatewayApiPlan,
  GatewayApiStageOptions,
  GatewayApiState,
  HTTPRoute,
} from '../../../src/plan/gateway-api/index.js';
import { fixtureDir, repoRoot, stageOptions } from '../support.js';

export const gatewayFixtureDir = path.join(repoRoot, 'examples/bookinfo-gateway-api');
export const sharedGatewayDir = path.resolve(
  repoRoot,
  process.env.SHARED_GATEWAY_SCENARIO_DIR ?? '../shared/scenarios/bookinfo-reviews-gateway-api',
);
export const sharedCrdDir = path.resolve(repoRoot, '../shared/gateway-api-crds');

export const GATEWAY_SCENARIO_FILES = [
  '01-bookinfo-versions.yaml',
  '03-route-reviews-v1.yaml',
  '05-reviews-test-user.yaml',
  '06-reviews-50.yaml',
  '07-reviews-100-v2.yaml',
];

export function sharedGatewayAvailable(): boolean {
  return existsSync(sharedGatewayDir);
}

export function readGatewayFiles(state: GatewayApiState, dir: string, ...files: string[]): GatewayApiState {
  return files.reduce(
    (each, file) => readGatewayApiYaml(readFileSync(path.join(dir, file), 'utf8'), file, each),
    state,
  );
}

/**
 * The start state: the cluster's Services (the main `reviews` among them, from ../bookinfo-reviews/02 or
 * the project's copy), the per-version Services (01) and every request to reviews-v1 (03).
 */
export function gatewaySeed(dir = gatewayFixtureDir, mainDir = fixtureDir): GatewayApiState {
  const cluster = readGatewayFiles(emptyGatewayApiState(), mainDir, '02-bookinfo.yaml');
  return readGatewayFiles(cluster, dir, '01-bookinfo-versions.yaml', '03-route-reviews-v1.yaml');
}

export function scenarioRoute(dir: string, file: string): HTTPRoute {
  const [route] = readGatewayFiles(emptyGatewayApiState(), dir, file).httpRoutes;
  if (!route) throw new Error(`${file} has no HTTPRoute`);
  return route;
}

export function gatewayOptions(overrides: Partial<GatewayApiStageOptions> = {}): GatewayApiStageOptions {
  return { ...stageOptions(), versionService: DEFAULT_VERSION_SERVICE, ...overrides };
}

export const header = (name: string, value: string, kind: 'exact' | 'prefix' | 'regex' = 'exact') => ({
  name,
  kind,
  value,
});

/**
 * The cluster after a plan's writes: routes and Services replaced, created or deleted by name, and (with
 * `serverDefaults`) the routes as the API server stores them.
 */
export function applyGatewayPlan(
  state: GatewayApiState,
  plan: GatewayApiPlan,
  serverDefaults = false,
): GatewayApiState {
  let { httpRoutes, services } = state;
  const key = (object: { metadata: { name: string; namespace?: string } }) =>
    `${object.metadata.namespace ?? 'default'}/${object.metadata.name}`;
  for (const write of plan.writes) {
    const target = write.after ?? write.before;
    if (!target || write.action === 'unchanged') continue;
    if (target.kind === 'Service') {
      services = services.filter((service) => key(service) !== key(target));
      if (write.action !== 'delete' && write.after?.kind === 'Service') services = [...services, write.after];
    } else if (write.after?.kind === 'HTTPRoute') {
      const written = serverDefaults ? withServerDefaults(write.after) : write.after;
      httpRoutes = httpRoutes.some((route) => key(route) === key(written))
        ? httpRoutes.map((route) => (key(route) === key(written) ? written : route))
        : [...httpRoutes, written];
    }
  }
  return { ...state, httpRoutes, services };
}

/** Runs `check` unless ../shared is missing: then it fails under CI=true and skips otherwise. */
export function withShared(title: string, dir: string, body: () => void): void {
  if (existsSync(dir)) {
    describe(title, body);
  } else if (process.env.CI === 'true') {
    describe(title, () => {
      it('needs ../shared beside the project under CI', () => {
        throw new Error(
          `${dir} is missing: CI checks out the shared scenarios beside the project as ../shared`,
        );
      });
    });
  } else {
    console.log(`skipped "${title}": ${dir} is missing (the project fixtures still ran)`);
    describe.skip(`${title} (missing ../shared)`, () => {
      it('needs ../shared', () => undefined);
    });
  }
}
