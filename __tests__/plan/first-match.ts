// Istio's first-match rule, for tests: a request goes to the first http route with a match block (of
// several, OR-ed) whose conditions (AND-ed) it meets; a route without match takes every request.
import { RE2JS } from 're2js';
import type { HTTPMatchRequest, HTTPRoute, VirtualService } from '../../src/plan/index.js';

export interface TestRequest {
  path: string;
  method?: string;
  /** Lower-case header names. */
  headers?: Record<string, string>;
}

type StringMatch = { exact?: string; prefix?: string; regex?: string };

function meets(value: string | undefined, match: StringMatch, ignoreCase = false): boolean {
  if (value === undefined) return false;
  const fold = (text: string) => (ignoreCase ? text.toLowerCase() : text);
  if (match.exact !== undefined) return fold(value) === fold(match.exact);
  if (match.prefix !== undefined) return fold(value).startsWith(fold(match.prefix));
  // Envoy matches a regex against the whole value (RE2).
  if (match.regex !== undefined) return RE2JS.compile(match.regex).matches(value);
  return true; // `{}`: the header must be present
}

function blockAccepts(block: HTTPMatchRequest, request: TestRequest): boolean {
  const headers = request.headers ?? {};
  for (const [field, condition] of Object.entries(block)) {
    if (field === 'name' || field === 'ignoreUriCase' || field === 'statPrefix') continue;
    if (field === 'uri') {
      if (!meets(request.path, condition as StringMatch, block.ignoreUriCase === true)) return false;
    } else if (field === 'method') {
      if (!meets(request.method ?? 'GET', condition as StringMatch)) return false;
    } else if (field === 'headers') {
      for (const [name, match] of Object.entries(condition as Record<string, StringMatch>)) {
        if (!meets(headers[name], match)) return false;
      }
    } else if (field === 'withoutHeaders') {
      for (const [name, match] of Object.entries(condition as Record<string, StringMatch>)) {
        if (meets(headers[name], match)) return false;
      }
    } else {
      // Ports, source labels, gateways, query parameters …: test requests carry none of these.
      return false;
    }
  }
  return true;
}

/** The index of the route a request takes, or -1 (Istio answers 404). */
export function firstMatch(http: HTTPRoute[], request: TestRequest): number {
  return http.findIndex(
    (route) =>
      !route.match || route.match.length === 0 || route.match.some((block) => blockAccepts(block, request)),
  );
}

/** Where a request goes: `subset: weight` of the route it takes (the subset, or the host when none). */
export function routedSplit(vs: VirtualService, request: TestRequest): Record<string, number> | undefined {
  const http = vs.spec.http ?? [];
  const route = http[firstMatch(http, request)];
  if (!route) return undefined;
  const destinations = route.route ?? [];
  const split: Record<string, number> = {};
  for (const destination of destinations) {
    const weight = destinations.length === 1 ? 100 : (destination.weight ?? 0);
    if (weight === 0) continue;
    const key = destination.destination.subset ?? destination.destination.host;
    split[key] = (split[key] ?? 0) + weight;
  }
  return split;
}
