// Gateway API objects from YAML text (files, `kubectl get -o yaml` output): HTTPRoutes and
// ReferenceGrants of `gateway.networking.k8s.io` (v1 or v1beta1) and core Services; other kinds ignored.
import { parseAllDocuments } from 'yaml';
import { InputError } from '../../errors.js';
import { isRecord, itemsOf } from '../load.js';
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
  for (const document of parseAllDocuments(text)) {
    if (document.errors.length > 0) {
      const reason = document.errors[0]?.message.split('\n')[0] ?? 'invalid YAML';
      throw new InputError(
        'from',
        `from must be YAML files of Kubernetes objects, got "${source}": ${reason}`,
      );
    }
    for (const object of itemsOf(document.toJS())) {
      if (!isRecord(object) || typeof object.apiVersion !== 'string') continue;
      if (!isRecord(object.metadata) || typeof object.metadata.name !== 'string') continue;
      const spec = isRecord(object.spec) ? object.spec : {};
      const gatewayApi = GATEWAY_API_VERSIONS.includes(object.apiVersion);
      if (gatewayApi && object.kind === 'HTTPRoute') {
        state.httpRoutes.push({ ...object, spec } as unknown as HTTPRoute);
      } else if (gatewayApi && object.kind === 'ReferenceGrant') {
        state.referenceGrants.push({ ...object, spec } as unknown as ReferenceGrant);
      } else if (object.apiVersion === 'v1' && object.kind === 'Service') {
        state.services.push({ ...object, spec } as unknown as Service);
      }
    }
  }
  return state;
}
