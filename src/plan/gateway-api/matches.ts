// The header route as HTTPRoute matches: the stage's canary match AND-ed with the match of the rule it
// shadows, so a route that only serves `/reviews` sends only `/reviews` requests of test users to the
// canary. Some pairs cannot be AND-ed in one match (two regular expressions on one header) or can never
// both hold (two methods): those are named, never written half-way.
import { RE2JS } from 're2js';
import type { CanaryMatch } from '../intent.js';
import type { HeaderMatch } from '../types.js';
import { DEFAULT_PATH } from './normalize.js';
import type { HTTPHeaderMatch, HTTPRouteMatch } from './types.js';

/**
 * `header-match` in Gateway API terms: exact → `Exact`; regex → `RegularExpression` (RE2, matched against
 * the whole value by Istio); prefix → `RegularExpression` `^<value, escaped>.*` (Gateway API has no prefix
 * match for headers).
 */
export function headerMatchOf(header: HeaderMatch): HTTPHeaderMatch {
  switch (header.kind) {
    case 'exact':
      return { name: header.name, type: 'Exact', value: header.value };
    case 'regex':
      return { name: header.name, type: 'RegularExpression', value: header.value };
    case 'prefix':
      return { name: header.name, type: 'RegularExpression', value: `^${RE2JS.quote(header.value)}.*` };
  }
}

function fullMatch(pattern: string, value: string): boolean {
  return RE2JS.matches(pattern, value);
}

/** Both header conditions in one, or why there is none. */
function bothHeaders(existing: HTTPHeaderMatch, wanted: HTTPHeaderMatch): HTTPHeaderMatch | string {
  const existingType = existing.type ?? 'Exact';
  const wantedType = wanted.type ?? 'Exact';
  if (existingType === wantedType && existing.value === wanted.value) return existing;
  if (existingType === 'Exact' && wantedType === 'RegularExpression') {
    return fullMatch(wanted.value, existing.value)
      ? existing
      : `header ${existing.name} is matched as "${existing.value}" there, which ${wanted.value} does not match`;
  }
  if (existingType === 'RegularExpression' && wantedType === 'Exact') {
    return fullMatch(existing.value, wanted.value)
      ? wanted
      : `header ${existing.name} is matched by ${existing.value} there, which "${wanted.value}" does not match`;
  }
  if (existingType === 'Exact') return `header ${existing.name} is matched as "${existing.value}" there`;
  return `header ${existing.name} is matched by ${existing.value} there, and one match cannot hold two regular expressions for one header`;
}

/** Gateway API path prefixes match whole path elements: `/api` covers `/api/v1`, not `/apiv1`. */
export function prefixCovers(prefix: string, path: string): boolean {
  const trim = (value: string) => (value.length > 1 ? value.replace(/\/+$/, '') : value);
  const [outer, inner] = [trim(prefix), trim(path)];
  return outer === '/' || inner === outer || inner.startsWith(`${outer}/`);
}

function bothPaths(path: HTTPRouteMatch['path'], uriPrefix: string): HTTPRouteMatch['path'] | string {
  const current = { ...DEFAULT_PATH, ...path };
  if (current.type === 'PathPrefix') {
    if (prefixCovers(current.value, uriPrefix)) return { type: 'PathPrefix', value: uriPrefix };
    if (prefixCovers(uriPrefix, current.value)) return path;
    return `its paths (prefix ${current.value}) and uri-prefix ${uriPrefix} have none in common`;
  }
  if (current.type === 'Exact') {
    return prefixCovers(uriPrefix, current.value)
      ? path
      : `its path ${current.value} is not under uri-prefix ${uriPrefix}`;
  }
  return `its path is a regular expression, which one match cannot combine with uri-prefix ${uriPrefix}`;
}

type HTTPMethod = NonNullable<HTTPRouteMatch['method']>;
const HTTP_ROUTE_METHODS: readonly HTTPMethod[] = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
];

function httpMethod(method: string): HTTPMethod | undefined {
  return HTTP_ROUTE_METHODS.find((known) => known === method);
}

/** `match` AND the canary match, as one HTTPRoute match; a string says why no request can meet both. */
export function andMatch(match: HTTPRouteMatch, canary: CanaryMatch): HTTPRouteMatch | string {
  const result: HTTPRouteMatch = structuredClone(match);
  const headers = [...(result.headers ?? [])];
  for (const wanted of canary.headers.map(headerMatchOf)) {
    const index = headers.findIndex((header) => header.name.toLowerCase() === wanted.name.toLowerCase());
    const existing = headers[index];
    if (existing === undefined) {
      headers.push(wanted);
      continue;
    }
    const both = bothHeaders(existing, wanted);
    if (typeof both === 'string') return both;
    headers[index] = both;
  }
  if (headers.length > 0) result.headers = headers;
  if (canary.uriPrefix !== undefined) {
    const path = bothPaths(match.path, canary.uriPrefix);
    if (typeof path === 'string') return path;
    if (path !== undefined) result.path = path;
  }
  if (canary.method !== undefined) {
    const method = httpMethod(canary.method);
    if (method === undefined) return `method ${canary.method} is not one an HTTPRoute can match`;
    if (match.method !== undefined && match.method !== method) {
      return `it matches method ${match.method} only, the header route ${method} only`;
    }
    result.method = method;
  }
  return result;
}
