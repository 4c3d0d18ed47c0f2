// The sticky canary, as Flagger's Istio router does it: responses of the canary destination of the weighted
// default route set a cookie, and a route placed before that default route sends requests carrying the
// cookie to the canary. The route choice is per request, so only such a route (not a load-balancer hash
// inside one subset) keeps a user who saw the canary on it.
// The cookie's value is the canary subset (no randomness in planning): a cookie issued for an earlier
// canary does not match the route of a later one.
import { RE2JS } from 're2js';
import type { HTTPMatchRequest, HTTPRouteDestination } from './types.js';

export interface StickyCookie {
  name: string;
  /** Max-Age in seconds; 0 makes it a session cookie. */
  ttlSeconds: number;
}

const SET_COOKIE = 'set-cookie';
// What setCookieValue writes, read back to find (and remove) our own header among a user's.
const OUR_SET_COOKIE = /^([A-Za-z0-9!#$%&'*+.^_`|~-]+)=([^;]*); Path=\/(?:; Max-Age=([1-9][0-9]*))?$/;

/** `Path=/` so the cookie comes back on every path the sticky route covers, not only the first one. */
export function setCookieValue(cookie: StickyCookie, canary: string): string {
  const maxAge = cookie.ttlSeconds > 0 ? `; Max-Age=${cookie.ttlSeconds}` : '';
  return `${cookie.name}=${canary}; Path=/${maxAge}`;
}

/**
 * Matches a Cookie header holding `<name>=<canary>` among other cookies. Envoy matches header regexes
 * against the whole value (RE2), so the pattern spans it; the name is quoted, as a cookie name may hold
 * `.`, `*`, `|`, `^` or `$`.
 */
export function stickyMatch(cookie: StickyCookie, canary: string): HTTPMatchRequest {
  const pair = `${RE2JS.quote(cookie.name)}=${RE2JS.quote(canary)}`;
  return { headers: { cookie: { regex: `(.*;\\s*)?${pair}(\\s*;.*)?` } } };
}

function addedResponseHeaders(destination: HTTPRouteDestination): Record<string, string> | undefined {
  return destination.headers?.response?.add;
}

/** The sticky cookie this destination issues, when it carries one we wrote for its own subset. */
export function issuedCookie(destination: HTTPRouteDestination): StickyCookie | undefined {
  const header = addedResponseHeaders(destination)?.[SET_COOKIE];
  if (header === undefined) return undefined; // most destinations: no pattern to run
  const found = OUR_SET_COOKIE.exec(header);
  if (!found || found[2] !== destination.destination.subset) return undefined;
  return { name: found[1] ?? '', ttlSeconds: Number(found[3] ?? 0) };
}

/** The destination without our Set-Cookie; header blocks it leaves empty go too, others stay. */
export function withoutIssuedCookie(destination: HTTPRouteDestination): HTTPRouteDestination {
  if (issuedCookie(destination) === undefined) return destination;
  const { headers, ...rest } = destination;
  const { response, ...otherHeaders } = headers ?? {};
  const { add, ...otherResponse } = response ?? {};
  const { [SET_COOKIE]: _ours, ...otherAdded } = add ?? {};
  const keptResponse = {
    ...otherResponse,
    ...(Object.keys(otherAdded).length > 0 ? { add: otherAdded } : {}),
  };
  const keptHeaders = {
    ...otherHeaders,
    ...(Object.keys(keptResponse).length > 0 ? { response: keptResponse } : {}),
  };
  return Object.keys(keptHeaders).length > 0 ? { ...rest, headers: keptHeaders } : rest;
}

/** The destination issuing the sticky cookie for its subset (the other headers it adds stay). */
export function withIssuedCookie(
  destination: HTTPRouteDestination,
  cookie: StickyCookie,
): HTTPRouteDestination {
  const subset = destination.destination.subset ?? '';
  const headers = destination.headers ?? {};
  const response = headers.response ?? {};
  return {
    ...destination,
    headers: {
      ...headers,
      response: { ...response, add: { ...response.add, [SET_COOKIE]: setCookieValue(cookie, subset) } },
    },
  };
}
