// routing-api auto: the API the namespace already uses for the service.
import { InputError } from '../../../src/errors.js';
import { chooseRoutingApi } from '../../../src/plan/routing-api.js';
import type { HTTPRoute } from '../../../src/plan/gateway-api/index.js';
import type { VirtualService } from '../../../src/plan/index.js';
import { gatewayOptions, gatewaySeed } from './support.js';
import { seedState } from '../support.js';

const seedRoutes = () => gatewaySeed().httpRoutes;
const seedVirtualServices = () => seedState().virtualServices;

function gatewayRoute(name: string, backend: string): HTTPRoute {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1beta1',
    kind: 'HTTPRoute',
    metadata: { name, namespace: 'default' },
    spec: {
      parentRefs: [{ name: 'bookinfo-gateway' }],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/reviews' } }],
          backendRefs: [{ name: backend, port: 9080 }],
        },
      ],
    },
  };
}

describe('chooseRoutingApi', () => {
  const options = gatewayOptions();

  it('takes istio and gateway-api as given', () => {
    expect(chooseRoutingApi('istio', options, { virtualServices: [], httpRoutes: seedRoutes() })).toBe(
      'istio',
    );
    expect(
      chooseRoutingApi('gateway-api', options, { virtualServices: seedVirtualServices(), httpRoutes: [] }),
    ).toBe('gateway-api');
  });

  it('auto: gateway-api when an HTTPRoute attached to the Service routes it', () => {
    expect(chooseRoutingApi('auto', options, { virtualServices: [], httpRoutes: seedRoutes() })).toBe(
      'gateway-api',
    );
  });

  it('auto: gateway-api when a Gateway route sends to a version Service of it', () => {
    expect(
      chooseRoutingApi('auto', options, {
        virtualServices: [],
        httpRoutes: [gatewayRoute('edge', 'reviews-v1')],
      }),
    ).toBe('gateway-api');
  });

  it('auto: istio when a VirtualService routes it, or when nothing does', () => {
    const others = [gatewayRoute('ratings', 'ratings')];
    expect(
      chooseRoutingApi('auto', options, { virtualServices: seedVirtualServices(), httpRoutes: others }),
    ).toBe('istio');
    expect(chooseRoutingApi('auto', options, { virtualServices: [], httpRoutes: others })).toBe('istio');
  });

  it('auto: both at once is an error naming every object', () => {
    const reviews = seedVirtualServices().filter((vs: VirtualService) => vs.metadata.name === 'reviews');
    const run = () =>
      chooseRoutingApi('auto', options, {
        virtualServices: reviews,
        httpRoutes: [...seedRoutes(), gatewayRoute('edge', 'reviews')],
      });
    expect(run).toThrow(InputError);
    expect(run).toThrow(
      'routing-api auto cannot choose: VirtualService default/reviews, HTTPRoute default/reviews, HTTPRoute default/edge all route reviews (Istio leaves a workload routed by both APIs undefined); remove the ones not in use, or set routing-api to istio or gateway-api',
    );
  });

  it('auto: a route of another namespace counts when it names the service in its namespace', () => {
    const route = gatewayRoute('edge', 'reviews');
    const toOurs = { ...route, metadata: { name: 'edge', namespace: 'ingress' } };
    toOurs.spec = {
      ...route.spec,
      rules: [{ backendRefs: [{ name: 'reviews', namespace: 'default', port: 9080 }] }],
    };
    const toTheirs = { ...route, metadata: { name: 'edge', namespace: 'shop' } };
    expect(chooseRoutingApi('auto', options, { virtualServices: [], httpRoutes: [toOurs] })).toBe(
      'gateway-api',
    );
    expect(chooseRoutingApi('auto', options, { virtualServices: [], httpRoutes: [toTheirs] })).toBe('istio');
  });
});
