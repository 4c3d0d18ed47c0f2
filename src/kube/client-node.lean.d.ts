// Types of src/kube/client-node.lean.js (built by scripts/lean-packages.mjs from @kubernetes/client-node):
// the package's own declarations for the parts that file holds.
export {
  ApiException,
  HttpMethod,
  KubeConfig,
  RequestContext,
  V1MicroTime,
  Watch,
} from '@kubernetes/client-node';
export { load as loadKubeconfigYaml } from 'js-yaml';

/** undici's request() (of the undici client-node sends with), with the options and answer used here. */
export declare function undiciRequest(
  url: string,
  options: {
    dispatcher?: unknown;
    method: string;
    headers: Record<string, string>;
    body?: string;
    signal?: AbortSignal;
  },
): Promise<{
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: { text(): Promise<string> };
}>;
