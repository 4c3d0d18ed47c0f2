// The PromQL of the comparison: canary and stable in one query per figure, counted from the write to the
// tick with increase() (which, as everywhere in Prometheus, reads a counter reset as a restart from zero),
// evaluated at the tick with the `@` modifier, so a window never reaches back before the write. Pure.
import { rangeAt, seriesSelector, versionLabelOf, type SeriesScope } from '../istio-metrics.js';

/** How far back the stable's latency histogram is read before the write, for the bound and allowance. */
export const REFERENCE_SECONDS = 600;

export function comparisonQueries(
  scope: SeriesScope,
  versions: readonly string[],
  fromMs: number,
  toMs: number,
) {
  const selector = seriesSelector(scope, versions);
  const by = versionLabelOf(scope);
  const range = rangeAt(fromMs, toMs);
  return {
    requests: `sum by (${by}) (increase(istio_requests_total{${selector}}${range}))`,
    errors: `sum by (${by}) (increase(istio_requests_total{${selector},response_code=~"5.."}${range}))`,
    buckets: `sum by (${by}, le) (increase(istio_request_duration_milliseconds_bucket{${selector}}${range}))`,
  };
}

/** The stable's latency histogram over the REFERENCE_SECONDS before the write. */
export function referenceQuery(scope: SeriesScope, stable: string, writtenAtMs: number): string {
  const range = rangeAt(writtenAtMs - REFERENCE_SECONDS * 1000, writtenAtMs);
  return `sum by (le) (increase(istio_request_duration_milliseconds_bucket{${seriesSelector(scope, [stable])}}${range}))`;
}
