import { CanaryError } from '../../src/errors.js';
import { renderText } from '../../src/report/index.js';
import { rolledBackAfterProbe, shiftedTo50 } from './results.js';

describe('renderText', () => {
  test('prints the same facts as the summary, aligned for a terminal', () => {
    const text = renderText(shiftedTo50());
    expect(text).toContain(
      'istio-canary shift reviews (namespace default)\n' +
        '  stable v1, canary v2, canary weight 0 → 50, changed: yes, healthy: yes\n',
    );
    expect(text).toContain(
      'Routing (before → after)\n' +
        '  end-user=test-user  v2: 100  →  v2: 100\n' +
        '  default             v1: 100  →  v1: 50, v2: 50\n',
    );
    expect(text).toContain(
      'Split (default route)\n' + '  v1  ██████████░░░░░░░░░░  50%\n' + '  v2  ██████████░░░░░░░░░░  50%\n',
    );
    expect(text).toContain(
      'Health checks\n' +
        '  ✓  rollout reviews-v2                1.2 s   1/1 replicas ready\n' +
        '  ✓  probe http://reviews:9080/health  420 ms  3 consecutive 2xx\n',
    );
    expect(text).toContain('VirtualService (applied)\n  apiVersion: networking.istio.io/v1\n');
    expect(text).toContain('Diff\n  --- VirtualService default/reviews\n');
  });

  test('names the object of each route when several VirtualServices route to the service', () => {
    const mesh = [{ object: 'reviews', match: 'default', destinations: [{ subset: 'v1', weight: 100 }] }];
    const edge = { object: 'bookinfo-edge', match: 'uri prefix /reviews' };
    const text = renderText(
      shiftedTo50({
        before: [...mesh, { ...edge, destinations: [{ subset: 'v1', weight: 100 }] }],
        after: [
          {
            ...mesh[0]!,
            destinations: [
              { subset: 'v1', weight: 50 },
              { subset: 'v2', weight: 50 },
            ],
          },
          {
            ...edge,
            destinations: [
              { subset: 'v1', weight: 50 },
              { subset: 'v2', weight: 50 },
            ],
          },
        ],
        routes: [
          {
            resource: 'VirtualService default/shop',
            object: 'shop',
            namespace: 'default',
            door: 'gateway',
            match: 'uri prefix /shop',
            hosts: ['shop.example.com'],
            gateways: ['shop-gateway'],
            before: [{ subset: 'v1', weight: 100 }],
            after: [{ subset: 'v1', weight: 100 }],
            leftAlone: 'not in virtual-services',
          },
        ],
      }),
    );
    expect(text).toContain(
      'Routing (before → after)\n' +
        '  reviews default                    v1: 100  →  v1: 50, v2: 50\n' +
        '  bookinfo-edge uri prefix /reviews  v1: 100  →  v1: 50, v2: 50\n',
    );
    expect(text).toContain(
      'Warning: Left as they are, still sending to v1: VirtualService default/shop uri prefix /shop (not in virtual-services): v1 100.',
    );
  });

  test('says the run was rolled back and which check failed', () => {
    const text = renderText(rolledBackAfterProbe());
    expect(text).toContain(
      'Warning: Rolled back: probe http://reviews:9080/health failed: HTTP 503 on 3 of 3 requests; fix the ' +
        'canary or raise timeout. The VirtualService and DestinationRule were restored to what they were ' +
        'before this run.\n',
    );
    expect(text).toContain('  ✗  probe http://reviews:9080/health  30.0 s  HTTP 503 on 3 of 3 requests\n');
    expect(text).toContain('VirtualService (written, then rolled back)');
  });

  test('speaks of HTTPRoutes and version Services on Gateway API: the restore, and finalize', () => {
    expect(renderText({ ...rolledBackAfterProbe(), routingApi: 'gateway-api' })).toContain(
      'canary or raise timeout. The HTTPRoutes and version Services were restored to what they were before ' +
        'this run.\n',
    );
    const finalized = renderText(shiftedTo50({ stage: 'finalize', weight: 100, routingApi: 'gateway-api' }));
    expect(finalized).toContain(
      'Note: All traffic is on v2; no HTTPRoute rule this run moved sends to v1 any more.\n',
    );
    expect(finalized).not.toContain('subset was removed');
  });

  test('marks a dry run', () => {
    expect(renderText(shiftedTo50({ dryRun: true }))).toContain(
      'Note: Dry run: nothing was written; this is what would be applied.\n',
    );
  });

  test('a failure is one line: the error after `Error:`, not a second lead', () => {
    const error = new CanaryError('forbidden', 'RBAC forbids update on virtualservices');
    const text = renderText(shiftedTo50({ error, healthy: false }));
    expect(text.split('\n').filter((line) => line.includes('RBAC forbids'))).toEqual([
      'Error: RBAC forbids update on virtualservices',
    ]);
  });

  test('a route the run may not write is a row of the table marked not managed', () => {
    const row = {
      object: 'storefront/storefront',
      match: 'uri prefix /reviews',
      destinations: [{ subset: 'v1', weight: 100 }],
      leftAlone: 'in namespace storefront: never written',
    };
    const result = shiftedTo50();
    const text = renderText({ ...result, before: [...result.before, row], after: [...result.after, row] });
    expect(text).toContain(
      '  storefront/storefront uri prefix /reviews (not managed)  v1: 100  →  v1: 100\n',
    );
  });
});
