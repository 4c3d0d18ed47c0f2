// Gateway API objects from YAML text (files, `kubectl get -o yaml` output): HTTPRoutes and
// ReferenceGrants of `gateway.networking.k8s.io` (v1 or v1beta1) and core Services; other kinds ignored.
import { kubeObjectsIn } from '../load.js';
import { GATEWAY_API_GROUP } from './types.js';
import type { GatewayApiState, HTTPRoute, ReferenceGrant, Service } from './types.js';

const GATEWAY_API_VERSIONS = [`${GATEWAY_API_GROUP}/v1`, `${GATEWAY_API_GROUP}/v1beta1`];

export function emptyGatewayApiState(): GatewayApiState {
  return { httpRoutes: [], services: [], referenceGrants: [] };
}

/** Adds the objects found in `text` to `state`; `source` names the text in error messages. */
export function readGatewayApiYaml(
  text: string,
  source: string,
  state: GatewayApiState = emptyGatewayApiState(),
): GatewayApiState {
  for (const object of kubeObjectsIn(text, source)) {
    const gatewayApi = GATEWAY_API_VERSIONS.includes(object.apiVersion);
    if (gatewayApi && object.kind === 'HTTPRoute') {
      state.httpRoutes.push(object as unknown as HTTPRoute);
    } else if (gatewayApi && object.kind === 'ReferenceGrant') {
      state.referenceGrants.push(object as unknown as ReferenceGrant);
    } else if (object.apiVersion === 'v1' && object.kind === 'Service') {
      state.services.push(object as unknown as Service);
    }
  }
  return state;
}
