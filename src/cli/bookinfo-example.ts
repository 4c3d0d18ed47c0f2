// The Bookinfo example the `plan` command uses when given no --from: the seed tutorial's routing for every
// service on v1 (03) and its DestinationRules (04), embedded so the bundled CLI works anywhere. These are
// the files in examples/bookinfo/; a test keeps them identical.

export const BOOKINFO_EXAMPLE: readonly { file: string; yaml: string }[] = [
  {
    file: '03-virtual-services-v1.yaml',
    yaml: '# Seed step 3: every service routed to v1 (the `reviews` rule is the one the stages rewrite).\napiVersion: networking.istio.io/v1beta1\nkind: Gateway\nmetadata:\n  name: bookinfo-gateway\nspec:\n  selector:\n    istio: ingress\n  servers:\n  - port:\n      number: 80\n      name: http\n      protocol: HTTP\n    hosts:\n    - "*"\n---\napiVersion: networking.istio.io/v1beta1\nkind: VirtualService\nmetadata:\n  name: bookinfo\nspec:\n  hosts:\n  - "*"\n  gateways:\n  - bookinfo-gateway\n  http:\n  - match:\n    - uri:\n        exact: /productpage\n    - uri:\n        prefix: /static\n    - uri:\n        exact: /login\n    - uri:\n        exact: /logout\n    - uri:\n        prefix: /api/v1/products\n    route:\n    - destination:\n        host: productpage\n        port:\n          number: 9080\n---\napiVersion: networking.istio.io/v1beta1\nkind: VirtualService\nmetadata:\n  name: productpage\nspec:\n  hosts:\n  - productpage\n  http:\n  - route:\n    - destination:\n        host: productpage\n        subset: v1\n---\napiVersion: networking.istio.io/v1beta1\nkind: VirtualService\nmetadata:\n  name: reviews\nspec:\n  hosts:\n  - reviews\n  http:\n  - route:\n    - destination:\n        host: reviews\n        subset: v1\n---\napiVersion: networking.istio.io/v1beta1\nkind: VirtualService\nmetadata:\n  name: ratings\nspec:\n  hosts:\n  - ratings\n  http:\n  - route:\n    - destination:\n        host: ratings\n        subset: v1\n---\napiVersion: networking.istio.io/v1beta1\nkind: VirtualService\nmetadata:\n  name: details\nspec:\n  hosts:\n  - details\n  http:\n  - route:\n    - destination:\n        host: details\n        subset: v1\n',
  },
  {
    file: '04-destination-rules.yaml',
    yaml: '# Seed step 4: subsets by the `version` label.\napiVersion: networking.istio.io/v1beta1\nkind: DestinationRule\nmetadata:\n  name: productpage\nspec:\n  host: productpage\n  subsets:\n  - name: v1\n    labels:\n      version: v1\n---\napiVersion: networking.istio.io/v1beta1\nkind: DestinationRule\nmetadata:\n  name: reviews\nspec:\n  host: reviews\n  subsets:\n  - name: v1\n    labels:\n      version: v1\n  - name: v2\n    labels:\n      version: v2\n  - name: v3\n    labels:\n      version: v3\n---\napiVersion: networking.istio.io/v1beta1\nkind: DestinationRule\nmetadata:\n  name: ratings\nspec:\n  host: ratings\n  subsets:\n  - name: v1\n    labels:\n      version: v1\n  - name: v2\n    labels:\n      version: v2\n  - name: v2-mysql\n    labels:\n      version: v2-mysql\n  - name: v2-mysql-vm\n    labels:\n      version: v2-mysql-vm\n---\napiVersion: networking.istio.io/v1beta1\nkind: DestinationRule\nmetadata:\n  name: details\nspec:\n  host: details\n  subsets:\n  - name: v1\n    labels:\n      version: v1\n  - name: v2\n    labels:\n      version: v2\n',
  },
];

// The Gateway API form (routing-api gateway-api without --from): the per-version Services (01) and the
// all-v1 HTTPRoute (03) of examples/bookinfo-gateway-api; a test keeps them identical too.
export const BOOKINFO_GATEWAY_API_EXAMPLE: readonly { file: string; yaml: string }[] = [
  {
    file: '01-bookinfo-versions.yaml',
    yaml: "# Per-version Services, as Istio's Bookinfo sample defines them for Gateway API routing\n# (samples/bookinfo/platform/kube/bookinfo-versions.yaml): one Service per version of reviews,\n# selecting app=reviews plus the version label. Apply after ../bookinfo-reviews/02-bookinfo.yaml.\napiVersion: v1\nkind: Service\nmetadata:\n  name: reviews-v1\nspec:\n  ports:\n    - port: 9080\n      name: http\n  selector:\n    app: reviews\n    version: v1\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: reviews-v2\nspec:\n  ports:\n    - port: 9080\n      name: http\n  selector:\n    app: reviews\n    version: v2\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: reviews-v3\nspec:\n  ports:\n    - port: 9080\n      name: http\n  selector:\n    app: reviews\n    version: v3\n",
  },
  {
    file: '03-route-reviews-v1.yaml',
    yaml: '# Start state: every request to the reviews Service goes to reviews-v1 (Istio\'s Bookinfo\n# samples/bookinfo/gateway-api/route-all-v1.yaml, the reviews part). The route attaches to the Service\n# itself (parentRef kind Service): in Istio ambient mode the waypoint applies it to mesh traffic.\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: reviews\nspec:\n  parentRefs:\n    - group: ""\n      kind: Service\n      name: reviews\n      port: 9080\n  rules:\n    - backendRefs:\n        - name: reviews-v1\n          port: 9080\n',
  },
];
