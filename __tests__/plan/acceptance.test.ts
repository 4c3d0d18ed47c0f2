// The seed tutorial's states: from 03 + 04, route ≡ 05, shift 50 ≡ 06, promote ≡ 07.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { planStage, routingEssence } from '../../src/plan/index.js';
import {
  applyPlan,
  fixtureDir,
  SCENARIO_FILES,
  scenarioVirtualService,
  seedState,
  sharedAvailable,
  sharedScenarioDir,
  stageOptions,
} from './support.js';

function acceptance(dir: string): void {
  const seed = () => seedState(dir);

  it('route with end-user=test-user gives 05', () => {
    const plan = planStage(
      stageOptions({
        stage: 'route',
        headerMatch: [{ name: 'end-user', kind: 'exact', value: 'test-user' }],
      }),
      seed(),
    );
    const expected = scenarioVirtualService(dir, '05-reviews-test-user.yaml');
    expect(routingEssence(plan.virtualService)).toEqual(routingEssence(expected));
    expect(plan.virtualService.spec.hosts).toEqual(expected.spec.hosts);
    expect(plan.virtualService.apiVersion).toBe(expected.apiVersion);
    expect(plan.destinationRule.spec.subsets?.map((subset) => subset.name)).toEqual(['v1', 'v2', 'v3']);
    expect(plan.findings).toEqual([]);
    expect([plan.previousWeight, plan.weight]).toEqual([0, 0]);
  });

  it('shift 50 with end-user=jason gives 06', () => {
    const plan = planStage(
      stageOptions({
        stage: 'shift',
        weight: 50,
        headerMatch: [{ name: 'end-user', kind: 'exact', value: 'jason' }],
      }),
      seed(),
    );
    expect(routingEssence(plan.virtualService)).toEqual(
      routingEssence(scenarioVirtualService(dir, '06-reviews-50.yaml')),
    );
    expect([plan.previousWeight, plan.weight]).toEqual([0, 50]);
  });

  it('promote gives 07', () => {
    const plan = planStage(stageOptions({ stage: 'promote' }), seed());
    expect(routingEssence(plan.virtualService)).toEqual(
      routingEssence(scenarioVirtualService(dir, '07-reviews-100-v2.yaml')),
    );
    expect([plan.previousWeight, plan.weight]).toEqual([0, 100]);
  });

  it('route → shift 50 (jason) → promote walks 05, 06, 07 in turn', () => {
    const header = (value: string) => [{ name: 'end-user', kind: 'exact' as const, value }];
    const routed = planStage(stageOptions({ stage: 'route', headerMatch: header('test-user') }), seed());
    const shifted = planStage(
      stageOptions({ stage: 'shift', weight: 50, headerMatch: header('jason') }),
      applyPlan(seed(), routed),
    );
    const promoted = planStage(
      stageOptions({ stage: 'promote' }),
      applyPlan(applyPlan(seed(), routed), shifted),
    );
    expect(routingEssence(shifted.virtualService)).toEqual(
      routingEssence(scenarioVirtualService(dir, '06-reviews-50.yaml')),
    );
    expect(routingEssence(promoted.virtualService)).toEqual(
      routingEssence(scenarioVirtualService(dir, '07-reviews-100-v2.yaml')),
    );
    expect([shifted.previousWeight, promoted.previousWeight, promoted.weight]).toEqual([0, 50, 100]);
  });
}

describe('Bookinfo acceptance on the project fixtures (examples/bookinfo)', () => {
  acceptance(fixtureDir);
});

if (sharedAvailable()) {
  describe('Bookinfo acceptance on ../shared/scenarios/bookinfo-reviews', () => {
    acceptance(sharedScenarioDir);

    it.each(SCENARIO_FILES)('the project fixture %s is the same as the shared one', (file) => {
      expect(readFileSync(path.join(fixtureDir, file), 'utf8')).toBe(
        readFileSync(path.join(sharedScenarioDir, file), 'utf8'),
      );
    });
  });
} else if (process.env.CI === 'true') {
  describe('Bookinfo acceptance on ../shared/scenarios/bookinfo-reviews', () => {
    it('needs ../shared beside the project under CI', () => {
      throw new Error(
        `${sharedScenarioDir} is missing: CI checks out the shared scenarios beside the project as ../shared`,
      );
    });
  });
} else {
  console.log(
    `skipped the ../shared acceptance run: ${sharedScenarioDir} is missing (the project fixtures still ran)`,
  );
  describe.skip('Bookinfo acceptance on ../shared/scenarios/bookinfo-reviews (missing)', () => {
    it('needs ../shared', () => undefined);
  });
}
