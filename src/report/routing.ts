// The routing facts a report shows, derived once for the markdown and the text renderings.
import type { RouteRow } from '../plan/types.js';

export interface RouteChange {
  match: string;
  /** `v1: 50, v2: 50`; undefined when the route does not exist on that side. */
  before?: string;
  after?: string;
}

export interface SplitSlice {
  subset: string;
  weight: number;
}

export const DEFAULT_MATCH = 'default';

/** `v1: 100` or `v1: 50, v2: 50`; a lone destination without weight carries everything. */
export function formatDestinations(row: RouteRow): string {
  return row.destinations.map(({ subset, weight }) => `${subset}: ${weight}`).join(', ');
}

/**
 * Pairs each route after the run with the one it replaces: same name, else same match (an adopted catch-all
 * gets our name on the first run). Rows in the order they are after the run, then the routes removed.
 */
export function routeChanges(before: RouteRow[], after: RouteRow[]): RouteChange[] {
  const unpaired = [...before];
  const take = (found: RouteRow | undefined) => {
    if (found) unpaired.splice(unpaired.indexOf(found), 1);
    return found;
  };
  const label = routeLabel([...before, ...after]);
  const kept = after.map((row) => {
    const sameObject = unpaired.filter((candidate) => candidate.object === row.object);
    const previous =
      take(sameObject.find((candidate) => row.name !== undefined && candidate.name === row.name)) ??
      take(sameObject.find((candidate) => candidate.match === row.match));
    return {
      match: label(row),
      before: previous && formatDestinations(previous),
      after: formatDestinations(row),
    };
  });
  const removed = unpaired.map((row) => ({
    match: label(row),
    before: formatDestinations(row),
    after: undefined,
  }));
  return [...kept, ...removed];
}

/**
 * `bookinfo-edge uri prefix /reviews` when the rows come from several objects, else the match alone;
 * `frontend/shop default (not managed)` for a route left alone.
 */
export function routeLabel(rows: RouteRow[]): (row: RouteRow) => string {
  const several = new Set(rows.map((row) => row.object)).size > 1;
  return (row) => {
    const label = several && row.object !== undefined ? `${row.object} ${row.match}` : row.match;
    // A route the run may not write (another namespace, left out by virtual-services): the notice says why.
    return row.leftAlone !== undefined ? `${label} (not managed)` : label;
  };
}

/** How the default (catch-all) route divides traffic: the picture of the split. */
export function defaultSplit(rows: RouteRow[]): SplitSlice[] {
  // The first object's rows: the service's own VirtualService comes first.
  const own = rows.filter((row) => row.object === rows[0]?.object);
  const catchAll = own.find((row) => row.match === DEFAULT_MATCH) ?? own[own.length - 1];
  if (!catchAll) return [];
  return catchAll.destinations
    .filter(({ weight }) => weight > 0)
    .map(({ subset, weight }) => ({ subset, weight }));
}
