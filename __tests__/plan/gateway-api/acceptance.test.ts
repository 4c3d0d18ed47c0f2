// The seed's states on Gateway API: from 01 + 03 (and the cluster's main Service from 02), route ≡ 05,
// shift 50 (jason) ≡ 06, promote ≡ 07, equivalent once the API server's defaults are filled in.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { httpRouteRoutingEssence, planGatewayApiStage } from '../../../src/plan/gateway-api/index.js';
import type { GatewayApiState } from '../../../src/plan/gateway-api/index.js';
import { fixtureDir, sharedScenarioDir } from '../support.js';
import {
  applyGatewayPlan,
  GATEWAY_SCENARIO_FILES,
  gatewayFixtureDir,
  gatewayOptions,
  gatewaySeed,
  header,
  scenarioRoute,
  sharedGatewayDir,
  withShared,
} from './support.js';

function acceptance(dir: string, mainDir: string): void {
  const seed = () => gatewaySeed(dir, mainDir);
  const essence = (state: GatewayApiState) => state.httpRoutes.map(httpRouteRoutingEssence);
  const expected = (file: string) => [httpRouteRoutingEssence(scenarioRoute(dir, file))];

  it('route with end-user=test-user gives 05', () => {
    const plan = planGatewayApiStage(
      gatewayOptions({ stage: 'route', headerMatch: [header('end-user', 'test-user')] }),
      seed(),
    );
    expect(plan.httpRoutes.map(httpRouteRoutingEssence)).toEqual(expected('05-reviews-test-user.yaml'));
    expect(plan.httpRoutes[0]?.spec.parentRefs).toEqual(
      scenarioRoute(dir, '05-reviews-test-user.yaml').spec.parentRefs,
    );
    expect(plan.findings).toEqual([]);
    // The version Services of 01 exist: only the route is written.
    expect(plan.writes.map((write) => `${write.action} ${write.kind}`)).toEqual(['update HTTPRoute']);
    expect([plan.previousWeight, plan.weight]).toEqual([0, 0]);
  });

  it('shift 50 with end-user=jason gives 06', () => {
    const plan = planGatewayApiStage(
      gatewayOptions({ stage: 'shift', weight: 50, headerMatch: [header('end-user', 'jason')] }),
      seed(),
    );
    expect(plan.httpRoutes.map(httpRouteRoutingEssence)).toEqual(expected('06-reviews-50.yaml'));
    expect([plan.previousWeight, plan.weight]).toEqual([0, 50]);
  });

  it('promote gives 07', () => {
    const plan = planGatewayApiStage(gatewayOptions({ stage: 'promote' }), seed());
    expect(plan.httpRoutes.map(httpRouteRoutingEssence)).toEqual(expected('07-reviews-100-v2.yaml'));
    expect([plan.previousWeight, plan.weight]).toEqual([0, 100]);
  });

  it.each([false, true])(
    'route → shift 50 (jason) → promote walks 05, 06, 07 (server defaults applied: %s), each re-run a no-op',
    (serverDefaults) => {
      let state = seed();
      const steps = [
        {
          options: gatewayOptions({ stage: 'route', headerMatch: [header('end-user', 'test-user')] }),
          file: '05-reviews-test-user.yaml',
        },
        {
          options: gatewayOptions({ stage: 'shift', weight: 50, headerMatch: [header('end-user', 'jason')] }),
          file: '06-reviews-50.yaml',
        },
        { options: gatewayOptions({ stage: 'promote' }), file: '07-reviews-100-v2.yaml' },
      ];
      for (const { options, file } of steps) {
        const plan = planGatewayApiStage(options, state);
        expect(plan.changed).toBe(true);
        state = applyGatewayPlan(state, plan, serverDefaults);
        expect(essence(state)).toEqual(expected(file));
        const again = planGatewayApiStage(options, state);
        expect([again.changed, again.diff]).toEqual([false, '']);
      }
    },
  );
}

describe('Gateway API acceptance on the project fixtures (examples/bookinfo-gateway-api)', () => {
  acceptance(gatewayFixtureDir, fixtureDir);
});

withShared(
  'Gateway API acceptance on ../shared/scenarios/bookinfo-reviews-gateway-api',
  sharedGatewayDir,
  () => {
    acceptance(sharedGatewayDir, sharedScenarioDir);

    it.each(GATEWAY_SCENARIO_FILES)('the project fixture %s is the same as the shared one', (file) => {
      expect(readFileSync(path.join(gatewayFixtureDir, file), 'utf8')).toBe(
        readFileSync(path.join(sharedGatewayDir, file), 'utf8'),
      );
    });
  },
);
