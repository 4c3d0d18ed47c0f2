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
  const kept = after.map((row) => {
    const previous =
      take(unpaired.find((candidate) => row.name !== undefined && candidate.name === row.name)) ??
      take(unpaired.find((candidate) => candidate.match === row.match));
    return {
      match: row.match,
      before: previous && formatDestinations(previous),
      after: formatDestinations(row),
    };
  });
  const removed = unpaired.map((row) => ({
    match: row.match,
    before: formatDestinations(row),
    after: undefined,
  }));
  return [...kept, ...removed];
}

/** How the default (catch-all) route divides traffic: the picture of the split. */
export function defaultSplit(rows: RouteRow[]): SplitSlice[] {
  const catchAll = rows.find((row) => row.match === DEFAULT_MATCH) ?? rows[rows.length - 1];
  if (!catchAll) return [];
  return catchAll.destinations
    .filter(({ weight }) => weight > 0)
    .map(({ subset, weight }) => ({ subset, weight }));
}
