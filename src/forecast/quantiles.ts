// Empirical residual quantiles conditioned on a bucket (hour of day, sky state …): the spread of a
// point forecast's out-of-sample errors, so P10/P90 come from how wrong the model has actually been
// in similar situations rather than from an assumed distribution.

export interface QuantileTable {
  /** Lower and upper residual quantile per bucket (in the residual's units, e.g. kW or kW per clear-sky kW). */
  lo: number[];
  hi: number[];
  /** Levels, e.g. 0.1 and 0.9. */
  levels: [number, number];
}

/** Quantile of sorted values by linear interpolation (type 7). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * q;
  const i = Math.floor(h);
  const f = h - i;
  return i + 1 < n ? sorted[i] + f * (sorted[i + 1] - sorted[i]) : sorted[i];
}

/**
 * Conformal quantile of n sorted calibration residuals: the value at rank (n + 1)·q, interpolated
 * between neighbours and clamped to the sample (Hyndman–Fan type 6). The k-th smallest of n
 * exchangeable errors lies below a new error with probability k/(n + 1), so this is the rank whose
 * expected coverage of a new outcome is q — where the plain empirical quantile (type 7, rank
 * 1 + (n − 1)·q) of the 20 or so errors of a band bucket is too narrow.
 */
export function conformalQuantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = Math.min(n, Math.max(1, (n + 1) * q));
  const i = Math.floor(h);
  const f = h - i;
  return i < n ? sorted[i - 1] + f * (sorted[i] - sorted[i - 1]) : sorted[n - 1];
}

/**
 * Build a table from residuals and their buckets. Buckets with fewer than `minCount` residuals borrow
 * the pooled quantiles so a rare bucket does not get a band from a handful of points.
 */
export function buildQuantileTable(
  residuals: ArrayLike<number>,
  buckets: ArrayLike<number>,
  nBuckets: number,
  levels: [number, number] = [0.1, 0.9],
  minCount = 20,
  quantile: (sorted: ArrayLike<number>, q: number) => number = conformalQuantileSorted,
): QuantileTable {
  const per: number[][] = Array.from({ length: nBuckets }, () => []);
  const all: number[] = [];
  for (let i = 0; i < residuals.length; i++) {
    const r = residuals[i];
    const b = buckets[i];
    if (!Number.isFinite(r) || !(b >= 0 && b < nBuckets)) continue;
    per[b].push(r);
    all.push(r);
  }
  all.sort((a, b) => a - b);
  const gLo = all.length ? quantile(all, levels[0]) : 0;
  const gHi = all.length ? quantile(all, levels[1]) : 0;
  const lo: number[] = [];
  const hi: number[] = [];
  for (const v of per) {
    if (v.length < minCount) {
      // Shrink towards the pooled band in proportion to how little the bucket has seen.
      const w = v.length / minCount;
      v.sort((a, b) => a - b);
      lo.push(v.length ? w * quantile(v, levels[0]) + (1 - w) * gLo : gLo);
      hi.push(v.length ? w * quantile(v, levels[1]) + (1 - w) * gHi : gHi);
    } else {
      v.sort((a, b) => a - b);
      lo.push(quantile(v, levels[0]));
      hi.push(quantile(v, levels[1]));
    }
  }
  return { lo, hi, levels };
}
