// Planning from what `kubectl get httproute,service -o yaml` prints: a List, v1beta1 routes, server
// defaults, status and managedFields, Services with clusterIP and defaults of their own.
import {
  emptyGatewayApiState,
  planGatewayApiStage,
  readGatewayApiYaml,
} from '../../../src/plan/gateway-api/index.js';
import { applyGatewayPlan, gatewayOptions, header } from './support.js';

const KUBECTL_OUTPUT = `apiVersion: v1
items:
- apiVersion: gateway.networking.k8s.io/v1beta1
  kind: HTTPRoute
  metadata:
    annotations:
      meta.helm.sh/release-name: bookinfo
    creationTimestamp: "2026-11-29T10:00:00Z"
    generation: 4
    labels:
      app.kubernetes.io/managed-by: Helm
    managedFields:
    - apiVersion: gateway.networking.k8s.io/v1beta1
      fieldsType: FieldsV1
      manager: helm
      operation: Update
    name: reviews
    namespace: default
    resourceVersion: "81234"
    uid: 0b5c2b3e-1111-4c1e-9d7a-6a1f3c2e0001
  spec:
    parentRefs:
    - group: ""
      kind: Service
      name: reviews
      port: 9080
    rules:
    - backendRefs:
      - group: ""
        kind: Service
        name: reviews-v1
        port: 9080
        weight: 1
      matches:
      - path:
          type: PathPrefix
          value: /
  status:
    parents:
    - conditions:
      - lastTransitionTime: "2026-11-29T10:00:01Z"
        message: Route was valid
        observedGeneration: 4
        reason: Accepted
        status: "True"
        type: Accepted
      controllerName: istio.io/gateway-controller
      parentRef:
        group: ""
        kind: Service
        name: reviews
        port: 9080
- apiVersion: v1
  kind: Service
  metadata:
    labels:
      app: reviews
    name: reviews
    namespace: default
    resourceVersion: "501"
  spec:
    clusterIP: 10.96.12.7
    clusterIPs:
    - 10.96.12.7
    ports:
    - name: http
      port: 9080
      protocol: TCP
      targetPort: 9080
    selector:
      app: reviews
    sessionAffinity: None
    type: ClusterIP
- apiVersion: v1
  kind: Service
  metadata:
    name: reviews-v1
    namespace: default
  spec:
    clusterIP: 10.96.12.8
    ports:
    - name: http
      port: 9080
      protocol: TCP
      targetPort: 9080
    selector:
      app: reviews
      version: v1
kind: List
metadata:
  resourceVersion: ""
`;

describe('kubectl get -o yaml as input', () => {
  const state = () => readGatewayApiYaml(KUBECTL_OUTPUT, 'kubectl.yaml', emptyGatewayApiState());

  it('reads the List and plans route: keeps v1beta1 and Helm metadata, creates the missing canary Service', () => {
    const plan = planGatewayApiStage(
      gatewayOptions({ stage: 'route', headerMatch: [header('end-user', 'test-user')] }),
      state(),
    );
    expect(plan.writes.map((write) => `${write.batch} ${write.action} ${write.kind}`)).toEqual([
      '0 create Service',
      '1 update HTTPRoute',
    ]);
    expect(plan.writes[0]?.after?.spec).toEqual({
      ports: [{ name: 'http', port: 9080, protocol: 'TCP', targetPort: 9080 }],
      selector: { app: 'reviews', version: 'v2' },
    });
    const route = plan.httpRoutes[0];
    expect(route?.apiVersion).toBe('gateway.networking.k8s.io/v1beta1');
    expect(route?.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'Helm' });
    expect(route?.metadata.annotations?.['meta.helm.sh/release-name']).toBe('bookinfo');
    // The adopted rule keeps the server's defaults as read: the diff removes nothing (its one `-` line
    // is the rule's first line, which now follows the twin and our name).
    const removed = plan.diff.split('\n').filter((line) => line.startsWith('-') && !line.startsWith('---'));
    expect(removed).toEqual(['-    - backendRefs:']);
    expect(plan.diff).toContain('+    - name: reviews-canary-header\n');
  });

  it('a second run after the write changes nothing', () => {
    const options = gatewayOptions({
      stage: 'shift',
      weight: 25,
      headerMatch: [header('end-user', 'jason')],
    });
    const written = applyGatewayPlan(state(), planGatewayApiStage(options, state()), true);
    const again = planGatewayApiStage(options, written);
    expect(again.writes.map((write) => write.action)).toEqual(['unchanged']);
    expect([again.changed, again.previousWeight, again.weight]).toEqual([false, 25, 25]);
  });
});
