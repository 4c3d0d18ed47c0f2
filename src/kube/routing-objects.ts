// The Istio kinds we read and write, by known plural (no discovery round trip per call), and the rule that
// decides which API version an object "has": the version its latest writer used.
import type { HTTPRoute } from '../plan/gateway-api/types.js';
import type { RoutingObject } from '../plan/types.js';
import { ISTIO_GROUP } from './errors.js';

/** The custom objects we read and write: Istio's, and Gateway API's HTTPRoute. */
export type CustomRoutingObject = RoutingObject | HTTPRoute;
export type RoutingKind = CustomRoutingObject['kind'];

export const PLURALS: Record<RoutingKind, string> = {
  VirtualService: 'virtualservices',
  DestinationRule: 'destinationrules',
  HTTPRoute: 'httproutes',
};

/** Versions we can read and write, preferred first (v1alpha3 is served by Istio but deprecated). */
export const READ_VERSIONS = ['v1', 'v1beta1'];

export const ANNOTATIONS = {
  updatedAt: 'istio-canary.io/updated-at',
  runUrl: 'istio-canary.io/run-url',
};

/** Metadata the server owns: never sent back when an object is re-created. */
const SERVER_OWNED = [
  'resourceVersion',
  'uid',
  'creationTimestamp',
  'generation',
  'managedFields',
  'selfLink',
];

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

interface ManagedFieldsEntry {
  apiVersion?: string;
  time?: string;
}

/**
 * The apiVersion of the latest managedFields entry (by time; the last listed wins a tie), when the cluster
 * still serves it; else the version we read with. One storage serves every version, so a list only tells
 * the version of the request — managedFields remember the version each writer used.
 */
export function versionOfObject(
  metadata: { managedFields?: unknown },
  servedVersions: string[],
  readVersion: string,
  group = ISTIO_GROUP,
): string {
  const entries = Array.isArray(metadata.managedFields)
    ? (metadata.managedFields as ManagedFieldsEntry[])
    : [];
  let latest: ManagedFieldsEntry | undefined;
  let latestTime = -Infinity;
  for (const entry of entries) {
    const time = Date.parse(entry.time ?? '') || -Infinity;
    if (latest && time < latestTime) continue;
    latest = entry;
    latestTime = time;
  }
  const written = splitApiVersion(latest?.apiVersion ?? '');
  const chosen =
    written.group === group && servedVersions.includes(written.version) ? written.version : readVersion;
  return apiVersionOf(group, chosen);
}

/**
 * `group/version`, one string per pair for the process: each object of every list read carries one, and a
 * hundred runs of one namespace read each other's objects.
 */
const apiVersions = new Map<string, string>();

function apiVersionOf(group: string, version: string): string {
  const joined = `${group}/${version}`;
  const known = apiVersions.get(joined);
  if (known !== undefined) return known;
  apiVersions.set(joined, joined);
  return joined;
}

/**
 * The object as callers see it: its own apiVersion, no managedFields (they would flood every diff). `raw`
 * is an answer read for this call, or shared with other runs and frozen (ClusterClient.sendShared): its top
 * level and metadata are copied, its spec is taken as it is (a deep copy of a thousand routes would cost
 * more than the rest of the read), and never changed.
 */
export function asRoutingObject<T extends CustomRoutingObject = RoutingObject>(
  raw: unknown,
  kind: RoutingKind,
  apiVersion: string,
): T {
  const object = raw as T;
  const { managedFields: _managedFields, ...metadata } = object.metadata;
  return { ...object, kind, apiVersion, metadata } as T;
}

/** A copy without what the server owns: for re-creating an object that was deleted meanwhile. */
export function withoutServerFields<T extends { metadata: object; status?: unknown }>(object: T): T {
  const copy = structuredClone(object);
  const metadata = copy.metadata as Record<string, unknown>;
  for (const field of SERVER_OWNED) delete metadata[field];
  delete copy.status;
  return copy;
}
