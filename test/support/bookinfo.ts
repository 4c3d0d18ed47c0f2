// The Bookinfo example (the project's copies of the scenario files) loaded into an API server stand-in,
// and the option set a test starts a stage from.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { withServerDefaults } from '../../src/plan/gateway-api/normalize.js';
import type { HTTPRoute } from '../../src/plan/gateway-api/types.js';
import type { StageOptions } from '../../src/plan/types.js';
import type { RunOptions } from '../../src/types.js';
import type { ApiServer } from './kube-apiserver/index.js';

const EXAMPLES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples');
export const BOOKINFO_DIR = join(EXAMPLES, 'bookinfo');
/** Bookinfo's reviews on Gateway API: per-version Services, the all-v1 HTTPRoute, the states 05–07. */
export const BOOKINFO_GATEWAY_API_DIR = join(EXAMPLES, 'bookinfo-gateway-api');

/** The objects of one Bookinfo file, in the namespace given (documents with no kind are skipped). */
export function bookinfoObjects(
  file: string,
  namespace = 'default',
  dir = BOOKINFO_DIR,
): Record<string, unknown>[] {
  return parseAllDocuments(readFileSync(join(dir, file), 'utf8'))
    .map((doc) => doc.toJS() as Record<string, unknown> | null)
    .filter((obj): obj is Record<string, unknown> => obj !== null && typeof obj.kind === 'string')
    .map((obj) => ({ ...obj, metadata: { ...(obj.metadata as object), namespace } }));
}

/** The cluster of seed steps 2–4: services, Deployments, everything routed to v1, the DestinationRules. */
export function loadBookinfo(server: ApiServer, namespace = 'default'): void {
  for (const file of ['02-bookinfo.yaml', '03-virtual-services-v1.yaml', '04-destination-rules.yaml']) {
    for (const object of bookinfoObjects(file, namespace)) server.store.put(object);
  }
}

/**
 * Bookinfo on Gateway API, all on v1: the Services and Deployments of seed step 2, the per-version Services
 * and the HTTPRoute `reviews` sending everything to reviews-v1 (no VirtualService, no DestinationRule).
 */
export function loadBookinfoGatewayApi(server: ApiServer, namespace = 'default'): void {
  const objects = [
    ...bookinfoObjects('02-bookinfo.yaml', namespace),
    ...bookinfoObjects('01-bookinfo-versions.yaml', namespace, BOOKINFO_GATEWAY_API_DIR),
  ];
  for (const object of objects) server.store.put(object);
  // As the API server stores a route it was given (kubectl apply): with the schema's defaults filled in.
  for (const route of bookinfoObjects('03-route-reviews-v1.yaml', namespace, BOOKINFO_GATEWAY_API_DIR)) {
    server.store.put(withServerDefaults(route as unknown as HTTPRoute));
  }
}

/** The planner's options for a stage on Bookinfo's `reviews`, v1 → v2. */
export function stageOptions(overrides: Partial<StageOptions> = {}): StageOptions {
  return {
    stage: 'route',
    service: 'reviews',
    namespace: 'default',
    host: 'reviews',
    stable: 'v1',
    canary: 'v2',
    headerMatch: [],
    versionLabel: 'version',
    gateways: [],
    ...overrides,
  };
}

/** Options for a stage on `reviews` v1 → v2, quick to run against the stand-in. */
export function reviewsOptions(overrides: Partial<RunOptions> = {}): RunOptions {
  return {
    ...stageOptions(),
    dryRun: false,
    timeoutSeconds: 20,
    settleSeconds: 0,
    intervalSeconds: 0,
    rollbackOnFailure: true,
    deleteStable: false,
    ...overrides,
  };
}

/** examples/several-virtual-services/storefront-other-namespace.yaml: a route to reviews from `storefront`. */
export const STOREFRONT = join(
  BOOKINFO_DIR,
  '..',
  'several-virtual-services',
  'storefront-other-namespace.yaml',
);

/** Puts the storefront team's VirtualService (namespace `storefront`, as written) into the stand-in. */
export function loadStorefront(server: ApiServer): void {
  for (const doc of parseAllDocuments(readFileSync(STOREFRONT, 'utf8'))) {
    server.store.put(doc.toJS() as Record<string, unknown>);
  }
}
