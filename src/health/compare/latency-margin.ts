// Latency as two proportions: the share of requests slower than a bound taken from the stable's own
// histogram before the write. Pure.
//
// Istio's duration buckets are coarse (…, 50, 100, 250, 500 ms), too coarse to compare quantiles within
// 20 %. The test therefore compares what the buckets count exactly: the share of requests above one
// bucket bound. The bound and the allowance are fixed from the stable's histogram *before the write*
// (data the test never sees again, so choosing from it costs no validity):
//   bound    = the stable's p90 bucket: the smallest bound with ≥ 90 % of its requests at or below it;
//   allowed  = the stable's share above bound / (1 + increase), read from that histogram by linear
//              interpolation inside the bucket, as histogram_quantile interpolates: the share a canary
//              whose every latency is the stable's × (1 + increase) would have above the bound;
//   offset   = allowed − the stable's share above bound.
// After the write the test asks "canary share above bound ≤ stable share above bound + offset", both
// shares counted over the same time: a scale increase of the allowed percent sits on the line; the
// interpolation makes the line an approximation of "latency × (1 + increase)", not of the test's validity.

/** A cumulative histogram bucket: requests at or below `le` ms (`le` = Infinity for +Inf). */
export interface Bucket {
  le: number;
  count: number;
}

export interface LatencyMargin {
  /** The bucket bound (ms) whose exceedances are counted. */
  boundMs: number;
  /** The stable's share above the bound before the write. */
  stableShareAbove: number;
  /** The share above the bound a canary at the allowed increase would have. */
  allowedShareAbove: number;
  /** allowed − stable: the points the canary's share may exceed the stable's. */
  offset: number;
}

export const REFERENCE_QUANTILE = 0.9;

function sorted(buckets: readonly Bucket[]): Bucket[] {
  return [...buckets].sort((a, b) => a.le - b.le);
}

/** Share of requests at or below `ms`, linear between bucket bounds (the first bucket starts at 0). */
export function cumulativeShare(buckets: readonly Bucket[], ms: number): number {
  const all = sorted(buckets);
  const total = all[all.length - 1]?.count ?? 0;
  if (total <= 0) return 0;
  let lowerLe = 0;
  let lowerCount = 0;
  for (const { le, count } of all) {
    if (ms <= le) {
      if (!Number.isFinite(le)) return lowerCount / total;
      const within = le === lowerLe ? 1 : (ms - lowerLe) / (le - lowerLe);
      return (lowerCount + within * (count - lowerCount)) / total;
    }
    lowerLe = le;
    lowerCount = count;
  }
  return 1;
}

/**
 * The bound and allowance from the stable's histogram before the write; undefined when that histogram
 * holds no requests or puts more than 10 % of them above its highest finite bound.
 */
export function latencyMargin(
  stableBefore: readonly Bucket[],
  increasePercent: number,
): LatencyMargin | undefined {
  const all = sorted(stableBefore);
  const total = all[all.length - 1]?.count ?? 0;
  if (total <= 0) return undefined;
  const bound = all.find((b) => Number.isFinite(b.le) && b.count / total >= REFERENCE_QUANTILE);
  if (!bound) return undefined;
  const stableShareAbove = 1 - bound.count / total;
  const allowedShareAbove = 1 - cumulativeShare(all, bound.le / (1 + increasePercent / 100));
  return {
    boundMs: bound.le,
    stableShareAbove,
    allowedShareAbove,
    offset: Math.max(0, allowedShareAbove - stableShareAbove),
  };
}

/** Requests and those slower than `boundMs`, from a version's cumulative buckets; undefined without that bound. */
export function exceedances(buckets: readonly Bucket[], boundMs: number) {
  const all = sorted(buckets);
  const at = all.find((b) => b.le === boundMs);
  const total = all[all.length - 1];
  if (!at || !total || Number.isFinite(total.le)) return undefined;
  return { requests: total.count, events: Math.max(0, total.count - at.count) };
}
