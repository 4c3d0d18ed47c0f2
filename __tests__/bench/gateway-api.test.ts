// Section 8 of the bench on tiny sizes: the HTTPRoute path measured per stage, each row paired with its
// VirtualService counterpart, the writes where the plan puts them. No timing is asserted.
import { describe, expect, test } from '@jest/globals';
import { benchGatewayApi, gatewayApiReport, gatewayApiTargets } from '../../bench/gateway-api.js';
import type { RoutesFigures } from '../../bench/routes.js';

describe('Gateway API section on tiny sizes', () => {
  test('every stage measured at each K, version Services created and deleted where the plan says', async () => {
    const figures = await benchGatewayApi([1, 2], 0, 1);
    expect(figures.map((f) => `${f.virtualServices} ${f.stage} ${f.expected}`)).toEqual([
      '1 shift 3',
      '1 route (version Service there) 4',
      '1 route (creates a version Service) 5',
      '1 finalize (deletes a version Service) 4',
      '2 shift 3',
      '2 route (version Service there) 4',
      '2 route (creates a version Service) 5',
      '2 finalize (deletes a version Service) 4',
    ]);
    for (const f of figures) {
      // Medians of the samples; the rounds are those of the last one.
      expect(f.sequential).toBeGreaterThanOrEqual(1);
      expect(f.requests).toBeGreaterThanOrEqual(f.sequential);
      expect(f.wallMs).toBeGreaterThan(0);
      const rounds = f.rounds.join('; ');
      // Every HTTPRoute of the service is written, the edge one too; status is waited for on them.
      expect(rounds).toContain('PUT httproutes/reviews');
      expect(rounds).toContain(f.virtualServices === 2 ? 'PUT httproutes/edge-1' : 'GET httproutes');
      expect(rounds).not.toContain('virtualservices/');
    }
    const [shift, existing, creates, finalize] = figures.slice(4).map((f) => f.rounds.join('; '));
    expect([shift, existing].map((rounds) => /(POST|DELETE) services/.test(rounds ?? ''))).toEqual([
      false,
      false,
    ]);
    // The canary's Service is created before the routes name it; the stable's deleted after they stop.
    expect(creates).toMatch(/POST services.*PUT httproutes\/reviews/);
    expect(finalize).toMatch(/PUT httproutes\/reviews.*DELETE services\/reviews-v[12]/);

    const virtualServices: RoutesFigures[] = [
      { virtualServices: 1, stage: 'shift', expected: 3, wallMs: 90, requests: 8, sequential: 3, rounds: [] },
    ];
    const report = gatewayApiReport(figures, virtualServices, 0, 1);
    expect(report).toContain('## 8. Gateway API (HTTPRoute) beside the VirtualService path');
    expect(report).toMatch(/\| 1 \| shift \| [\d.]+ ms \| \d+ \| shift: 90\.0 ms, 3 \| 3 \|/);
    expect(report).toMatch(/\| 2 \| shift \| [\d.]+ ms \| \d+ \| — \| 3 \|/);
    const [target] = gatewayApiTargets(figures);
    expect(target!.met).toBe(figures.every((f) => f.sequential <= f.expected));
  }, 240_000);
});
