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
    ptyCode: nan(),
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
      g.ptyCode[i] = f.ptyCode[i];
    }
    out.forecast = g;
  }
  return out;
}

/** Value at index i or NaN outside the series. */
export function at(a: ArrayLike<number> | undefined, i: number): number {
  return a && i >= 0 && i < a.length ? a[i] : NaN;
}

/** Share of the training window held out to learn the error band, and its bounds in days. */
const HOLDOUT_SHARE = 0.25;
const HOLDOUT_MIN_DAYS = 7;
const HOLDOUT_MAX_DAYS = 60;

export interface TrainingWindow {
  /** Intervals per day. */
  perDay: number;
  /** First interval trained on. */
  first: number;
  /** First interval of the holdout (the band is learned on [split, known)). */
  split: number;
  /** Intervals known at the issue time. */
  known: number;
  holdoutDays: number;
}

/**
 * The rows a learned model may train on at `untilMs` (the last `trainDays`, or all history), with
 * the most recent part held out to learn its error band. Throws when there is too little history.
 */
export function trainingWindow(
  data: SiteSeries,
  untilMs: number,
  trainDays: number | undefined,
  model: string,
): TrainingWindow {
  const perDay = Math.round((24 * 3_600_000) / stepMs(data));
  const known = knownCount(data, untilMs);
  const first = trainDays ? Math.max(0, known - trainDays * perDay) : 0;
  const windowDays = (known - first) / perDay;
  const holdoutDays = Math.min(
    HOLDOUT_MAX_DAYS,
    Math.max(HOLDOUT_MIN_DAYS, Math.round(windowDays * HOLDOUT_SHARE)),
  );
  const split = known - holdoutDays * perDay;
  if (split - first < HOLDOUT_MIN_DAYS * perDay)
    throw new RangeError(`${model} needs at least ${2 * HOLDOUT_MIN_DAYS} days of history`);
  return { perDay, first, split, known, holdoutDays };
}
