// Which http routes match every request. Istio takes the first route whose match accepts a request, so a
// route that accepts all of them ends the list: the default route, whatever form it is written in.
import type { HTTPMatchRequest, HTTPRoute } from './types.js';

// Fields of a match block that name or tune it without narrowing the requests it accepts.
const NON_NARROWING_FIELDS = new Set(['name', 'ignoreUriCase', 'statPrefix']);

// Paths always start with '/' and Envoy matches a uri regex against the whole path (RE2), so each of these
// accepts every path.
const EVERY_PATH_PATTERNS = new Set(['.*', '^.*$', '.+', '^.+$', '/.*', '^/.*$']);

function acceptsEveryPath(uri: unknown): boolean {
  if (typeof uri !== 'object' || uri === null) return false;
  let kind: string | undefined;
  for (const key in uri) {
    if (kind !== undefined) return false; // more than one kind
    kind = key;
  }
  if (kind === undefined) return false;
  const value = (uri as Record<string, unknown>)[kind];
  if (typeof value !== 'string') return false;
  if (kind === 'prefix') return value === '/';
  if (kind === 'regex') return EVERY_PATH_PATTERNS.has(value);
  return false;
}

/** A match block that accepts every request: empty, only a name, or a uri that every path meets. */
export function matchesEveryRequest(block: HTTPMatchRequest): boolean {
  // Asked of every route of a VirtualService: the fields by name (for-in), without a list per block.
  const fields = block as Record<string, unknown>;
  for (const field in fields) {
    const value = fields[field];
    const narrows =
      value !== undefined &&
      !NON_NARROWING_FIELDS.has(field) &&
      !(field === 'uri' && acceptsEveryPath(value));
    if (narrows) return false;
  }
  return true;
}

/** A route that accepts every request: no match, or a match block (of several, OR-ed) that accepts all. */
export function isCatchAll(route: HTTPRoute): boolean {
  return !route.match || route.match.length === 0 || route.match.some(matchesEveryRequest);
}
