// Istio's standard metrics as the analyses select them: which proxy's reports count, which label tells
// the versions apart, and time ranges that start at the write. Pure: strings in, PromQL out.
import type { IstioReporter, VersionMetricLabel } from '../types.js';

export interface SeriesScope {
  namespace: string;
  service: string;
  /** 'destination' (the sidecar beside the workload; clients' sidecars report the same requests again
   * with reporter="source") or 'waypoint' (ambient mode's proxy). */
  reporter?: IstioReporter;
  /** 'destination_version' (the pods' version label) or 'destination_service_name' (per-version
   * Services named `<service>-<version>`, as Istio's Bookinfo samples define them for Gateway API). */
  versionLabel?: VersionMetricLabel;
}

export function labelValue(value: string): string {
  return JSON.stringify(value); // PromQL string literals use Go/JSON escaping.
}

export function versionLabelOf(scope: SeriesScope): VersionMetricLabel {
  return scope.versionLabel ?? 'destination_version';
}

/** The label value a version's series carry. */
export function versionValue(scope: SeriesScope, version: string): string {
  return versionLabelOf(scope) === 'destination_service_name' ? `${scope.service}-${version}` : version;
}

/** The series of the given versions of the service (one version: `=`, several: `=~`). */
export function seriesSelector(scope: SeriesScope, versions: readonly string[]): string {
  const label = versionLabelOf(scope);
  const values = versions.map((version) => versionValue(scope, version));
  const versionMatch =
    values.length === 1
      ? `${label}=${labelValue(values[0]!)}`
      : // Versions are DNS-1123 labels (checked with the options): nothing in them is special to RE2.
        `${label}=~${labelValue(values.join('|'))}`;
  return [
    `reporter=${labelValue(scope.reporter ?? 'destination')}`,
    `destination_workload_namespace=${labelValue(scope.namespace)}`,
    ...(label === 'destination_version' ? [`destination_service_name=${labelValue(scope.service)}`] : []),
    versionMatch,
  ].join(',');
}

/**
 * A range that ends at `toMs` and starts at `fromMs`, evaluated at a fixed instant with the `@` modifier:
 * `[12500ms] @ 1764473400.500`. Milliseconds, since PromQL durations are whole numbers of a unit.
 */
export function rangeAt(fromMs: number, toMs: number): string {
  return `[${Math.max(1, Math.round(toMs - fromMs))}ms] @ ${(toMs / 1000).toFixed(3)}`;
}

/** "12:00:05" (UTC), for the interval a figure covers. */
export function clockTime(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(11, 19);
}
