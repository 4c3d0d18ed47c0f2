// Per-version Services (`reviews-v1`, `reviews-v2`, as Istio's Bookinfo samples define them): what a
// backendRef names to reach one version, as a subset does in a DestinationRule. The canary's is created
// from the main Service before any route names it; finalize deletes the stable's only if this tool made it
// and no route names it any more.
import { InputError } from '../../errors.js';
import type { StageOptions } from '../types.js';
import type { GatewayApiStageOptions, Service } from './types.js';

export const DEFAULT_VERSION_SERVICE = '{service}-{version}';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'istio-canary';

const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
export const DNS1035_LABEL_RULE =
  "a DNS-1035 label (lowercase letters, digits and '-', starting with a letter and ending with a letter or digit, at most 63 characters)";

/** Stage options as the Gateway API planner takes them: `version-service` given or its default. */
export function gatewayApiOptions(options: StageOptions): GatewayApiStageOptions {
  return { ...options, versionService: options.versionService ?? DEFAULT_VERSION_SERVICE };
}

export function versionServiceName(template: string, service: string, version: string): string {
  return template.replaceAll('{service}', service).replaceAll('{version}', version);
}

/**
 * The template must give every version a Service name of its own that Kubernetes accepts (Service names
 * are DNS-1035 labels: `1-reviews` is not one).
 */
export function checkVersionService(template: string, service: string, versions: string[]): string {
  const names = versions.map((version) => versionServiceName(template, service, version));
  versions.forEach((version, index) => {
    const name = names[index] ?? '';
    if (name.length > 63 || !DNS1035_LABEL.test(name)) {
      throw new InputError(
        'version-service',
        `version-service must give each version's Service ${DNS1035_LABEL_RULE}, got "${template}", which names the Service of ${version} "${name}"`,
      );
    }
  });
  if (new Set(names).size < names.length) {
    throw new InputError(
      'version-service',
      `version-service must give each version a Service of its own (put {version} in it), got "${template}", which names every version's Service "${names[0] ?? ''}"`,
    );
  }
  return template;
}

export function createdByUs(service: Service): boolean {
  return service.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY;
}

/**
 * The Service of one version, made from the main one: its ports (without node ports, which belong to the
 * main Service) and its selector narrowed to the version's pods.
 */
export function versionService(
  main: Service,
  name: string,
  versionLabel: string,
  version: string,
  namespace: string,
): Service {
  const ports = (main.spec.ports ?? []).map(({ nodePort: _nodePort, ...port }) => ({ ...port }));
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY } },
    spec: { ports, selector: { ...main.spec.selector, [versionLabel]: version } },
  };
}
