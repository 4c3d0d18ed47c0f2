// Routing tables for people (match → subset: weight) and the canary share of the default route.
import { effectiveWeights, primaryRouteIndex } from './virtual-service.js';
import type { HTTPMatchRequest, HTTPRoute, RouteRow, StageOptions, VirtualService } from './types.js';

type StringMatch = { exact?: string; prefix?: string; regex?: string };

function describeStringMatch(name: string, match: StringMatch): string {
  if (match.exact !== undefined) return `${name}=${match.exact}`;
  if (match.prefix !== undefined) return `${name} prefix ${match.prefix}`;
  if (match.regex !== undefined) return `${name} ~ ${match.regex}`;
  return `${name} ${JSON.stringify(match)}`;
}

function describeMatchBlock(block: HTTPMatchRequest): string {
  const parts: string[] = [];
  for (const [field, value] of Object.entries(block)) {
    if (field === 'headers' || field === 'queryParams' || field === 'withoutHeaders') {
      const prefix = field === 'queryParams' ? 'query ' : field === 'withoutHeaders' ? 'without ' : '';
      for (const [name, match] of Object.entries(value as Record<string, StringMatch>)) {
        parts.push(prefix + describeStringMatch(name, match));
      }
    } else if (['uri', 'method', 'scheme', 'authority'].includes(field)) {
      parts.push(describeStringMatch(field, value as StringMatch));
    } else if (field !== 'name') {
      parts.push(`${field}=${JSON.stringify(value)}`);
    }
  }
  return parts.length > 0 ? parts.join(' and ') : 'default';
}

export function describeMatch(route: HTTPRoute): string {
  if (!route.match || route.match.length === 0) return 'default';
  return route.match.map(describeMatchBlock).join(' or ');
}

/** Where a route sends requests: subset (or host, without one) and effective weight. */
export function splitOf(route: HTTPRoute): RouteRow['destinations'] {
  const destinations = route.route ?? [];
  const weights = effectiveWeights(destinations);
  return destinations.map((destination, index) => ({
    subset: destination.destination.subset ?? destination.destination.host,
    weight: weights[index] ?? 0,
  }));
}

export function routeRows(virtualService: VirtualService | undefined): RouteRow[] {
  return (virtualService?.spec.http ?? []).map((route) => ({
    ...(route.name !== undefined ? { name: route.name } : {}),
    match: describeMatch(route),
    destinations: splitOf(route),
  }));
}

/** The canary share of the default route (ours, or the one a first run would adopt); 0 when none. */
export function canaryShare(virtualService: VirtualService | undefined, options: StageOptions): number {
  const http = virtualService?.spec.http ?? [];
  const route = http[primaryRouteIndex(http, options, options.namespace)];
  const destinations = route?.route ?? [];
  const weights = effectiveWeights(destinations);
  return destinations.reduce(
    (share, destination, index) =>
      share + (destination.destination.subset === options.canary ? (weights[index] ?? 0) : 0),
    0,
  );
}

/**
 * The routing a VirtualService's http routes express, without what does not change it: route names,
 * `weight: 100` on a lone destination, weight-0 destinations. Equal results route requests alike.
 */
export function routingEssence(virtualService: VirtualService): unknown[] {
  return (virtualService.spec.http ?? []).map((route) => {
    const { name: _name, route: destinations = [], ...rest } = route;
    const weights = effectiveWeights(destinations);
    const kept = destinations
      .map((destination, index) => ({ ...destination, weight: weights[index] ?? 0 }))
      .filter((destination) => destination.weight > 0);
    return { ...rest, route: kept };
  });
}
