import type { ForecastWeather, SiteSeries } from './types.ts';

const MS_PER_MINUTE = 60_000;

export function stepMs(s: Pick<SiteSeries, 'intervalMinutes'>): number {
  return s.intervalMinutes * MS_PER_MINUTE;
}

/** Index of the interval starting at `tMs` (may be outside 0…count−1; fractional times round down). */
export function indexOf(s: SiteSeries, tMs: number): number {
  return Math.floor((tMs - s.startMs) / stepMs(s));
}

/** Number of intervals whose end is at or before `tMs`: the measured values known at that instant. */
export function knownCount(s: SiteSeries, tMs: number): number {
  return Math.max(0, Math.min(s.count, Math.floor((tMs - s.startMs) / stepMs(s))));
}

export function emptyForecastWeather(count: number): ForecastWeather {
  const nan = () => new Float64Array(count).fill(NaN);
  return {
    issueMs: nan(),
    temperatureC: nan(),
    cloudCover: nan(),
    sky: nan(),
    popPercent: nan(),
    rehPercent: nan(),
  };
}

/**
 * The series as it was known at `issueMs`, cut to end at `endMs`: measurements of intervals that had
 * not ended by `issueMs` and forecasts issued after it become NaN. The copy shares nothing with the
 * input, so a forecaster handed it cannot see the future however it is written.
 */
export function knownAt(s: SiteSeries, issueMs: number, endMs: number = issueMs): SiteSeries {
  const n = Math.max(0, Math.min(s.count, Math.ceil((endMs - s.startMs) / stepMs(s))));
  const k = Math.min(n, knownCount(s, issueMs));
  const cut = (a: Float64Array | undefined) => {
    if (!a) return undefined;
    const out = new Float64Array(n).fill(NaN);
    out.set(a.subarray(0, k));
    return out;
  };
  const out: SiteSeries = {
    startMs: s.startMs,
    intervalMinutes: s.intervalMinutes,
    count: n,
    zone: s.zone,
    targetKw: cut(s.targetKw)!,
    temperatureC: cut(s.temperatureC),
    ghiWPerM2: cut(s.ghiWPerM2),
    cloudCover: cut(s.cloudCover),
  };
  if (s.forecast) {
    const f = s.forecast;
    const g = emptyForecastWeather(n);
    for (let i = 0; i < n; i++) {
      if (!(f.issueMs[i] <= issueMs)) continue;
      g.issueMs[i] = f.issueMs[i];
      g.temperatureC[i] = f.temperatureC[i];
      g.cloudCover[i] = f.cloudCover[i];
      g.sky[i] = f.sky[i];
      g.popPercent[i] = f.popPercent[i];
      g.rehPercent[i] = f.rehPercent[i];
    }
    out.forecast = g;
  }
  return out;
}

/** Value at index i or NaN outside the series. */
export function at(a: ArrayLike<number> | undefined, i: number): number {
  return a && i >= 0 && i < a.length ? a[i] : NaN;
}
