// A VirtualService as large ones are in real meshes: `reviews` with many http routes of its own (a route per
// tenant path, pinned to the QA version v3, with headers and retries), then the catch-all to v1.
export function largeReviewsVirtualService(routes: number, namespace = 'default'): Record<string, unknown> {
  const http = Array.from({ length: routes }, (_, index) => ({
    name: `tenant-${String(index).padStart(5, '0')}-reviews-pinned-to-qa`,
    match: [
      {
        uri: { prefix: `/tenants/tenant-${index}/reviews/` },
        headers: { 'x-tenant-id': { exact: `tenant-${index}` } },
      },
    ],
    route: [{ destination: { host: 'reviews', subset: 'v3' } }],
    retries: { attempts: 3, perTryTimeout: '2s', retryOn: 'gateway-error,connect-failure,refused-stream' },
    timeout: '10s',
  }));
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'reviews', namespace },
    spec: {
      hosts: ['reviews'],
      http: [...http, { route: [{ destination: { host: 'reviews', subset: 'v1' } }] }],
    },
  };
}
