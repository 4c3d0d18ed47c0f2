// The stand-in istiod's verdict on a Gateway parent, listener by listener, as Istio's ReferenceAllowed and
// createRouteStatus decide it (pilot/pkg/config/kube/gateway).
import { gatewayAccepted, type Listener } from '../../test/support/kube-apiserver/istiod-parents.js';

const http: Listener = { name: 'http', port: 80 };
const gateway = (...listeners: Listener[]) => ({ namespace: 'istio-system', listeners });
const from = (namespace: string, hostnames: string[] = [], namespaceLabels: Record<string, string> = {}) => ({
  namespace,
  namespaceLabels,
  hostnames,
});

test('allowedRoutes: Same (the default) admits the Gateway namespace only; All and Selector as declared', () => {
  expect(gatewayAccepted(gateway(http), { name: 'gw' }, from('istio-system'))).toEqual({
    status: 'True',
    reason: 'Accepted',
    message: 'Route was valid',
  });
  expect(gatewayAccepted(gateway(http), { name: 'gw' }, from('default'))).toEqual({
    status: 'False',
    reason: 'NotAllowedByListeners',
    message: 'hostnames matched parent hostname "*", but namespace "default" is not allowed by the parent',
  });
  const all: Listener = { ...http, allowedRoutes: { namespaces: { from: 'All' } } };
  expect(gatewayAccepted(gateway(all), { name: 'gw' }, from('default')).status).toBe('True');
  const selected: Listener = {
    ...http,
    allowedRoutes: { namespaces: { from: 'Selector', selector: { matchLabels: { shared: 'yes' } } } },
  };
  expect(
    gatewayAccepted(gateway(selected), { name: 'gw' }, from('default', [], { shared: 'yes' })).status,
  ).toBe('True');
  expect(gatewayAccepted(gateway(selected), { name: 'gw' }, from('default')).reason).toBe(
    'NotAllowedByListeners',
  );
});

test('hostnames match both ways with wildcards; none matching is NoMatchingListenerHostname', () => {
  const wildcard: Listener = { ...http, hostname: '*.example.com' };
  expect(
    gatewayAccepted(gateway(wildcard), { name: 'gw' }, from('istio-system', ['reviews.example.com'])).status,
  ).toBe('True');
  expect(gatewayAccepted(gateway(http), { name: 'gw' }, from('istio-system', ['*.example.com'])).status).toBe(
    'True',
  );
  expect(
    gatewayAccepted(gateway(wildcard), { name: 'gw' }, from('istio-system', ['reviews.example.org'])),
  ).toEqual({
    status: 'False',
    reason: 'NoMatchingListenerHostname',
    message: 'no hostnames matched parent hostname "*.example.com"',
  });
});

test('port and sectionName select listeners; the best reason wins, its messages joined; several bound are counted', () => {
  const https: Listener = { name: 'https', port: 443, hostname: 'secure.example.com' };
  expect(gatewayAccepted(gateway(http, https), { name: 'gw', port: 8080 }, from('istio-system'))).toEqual({
    status: 'False',
    reason: 'NoMatchingParent',
    message: 'port 8080 not found; port 8080 not found',
  });
  expect(
    gatewayAccepted(gateway(http), { name: 'gw', sectionName: 'grpc' }, from('istio-system')).message,
  ).toBe('sectionName "grpc" not found');
  // The route's hostname matches neither listener's on port 443, and port 80 is not asked for.
  expect(
    gatewayAccepted(
      gateway(http, https),
      { name: 'gw', port: 443 },
      from('istio-system', ['reviews.example.com']),
    ),
  ).toEqual({
    status: 'False',
    reason: 'NoMatchingListenerHostname',
    message: 'no hostnames matched parent hostname "secure.example.com"',
  });
  expect(
    gatewayAccepted(
      gateway(http, { ...http, name: 'http-alt', port: 8080 }),
      { name: 'gw' },
      from('istio-system'),
    ),
  ).toEqual({ status: 'True', reason: 'Accepted', message: 'Route was valid, bound to 2 parents' });
});
