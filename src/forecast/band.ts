import { gridCalendar } from './calendar-features.ts';
import { buildQuantileTable, type QuantileTable } from './quantiles.ts';
import { indexOf, knownCount, stepMs } from './series.ts';
import type { PredictRequest, QuantileForecast, SiteSeries } from './types.ts';

// Turning a point forecast into P10/P50/P90: replay the point forecaster at past issue times (same
// local issue hour, same horizon), collect its errors, and take their 10 % and 90 % quantiles per
// bucket of (local hour, lead day). For PV the errors are divided by the clear-sky power first, so a
// band learned at noon in June scales down for a December morning.

const MS_PER_HOUR = 3_600_000;
/** Buckets: 24 local hours × 2 lead days (first 24 h after issue, and beyond). */
export const BAND_BUCKETS = 48;

export type PointFn = (data: SiteSeries, req: PredictRequest) => Float64Array;

export interface BandOptions {
  /** Days of replayed issues used to learn the band. */
  replayDays: number;
  /** Horizon replayed at each issue, hours. */
  horizonHours: number;
  /** For PV: clear-sky power per interval of the series grid (errors are scaled by it); absent for load. */
  scale?: (data: SiteSeries, startIndex: number, count: number) => Float64Array;
  /** Smallest value the target can take (0 for PV and load). */
  floor?: number;
  /** Largest value (the AC capacity for PV). */
  cap?: number;
  /** Custom bucket of interval i at a lead, in 0…BAND_BUCKETS−1 (local hour × lead day when absent). */
  bucket?: (data: SiteSeries, i: number, leadMs: number, issueMs: number) => number;
}

export function bucketOf(hour: number, leadMs: number): number {
  return hour + (leadMs >= 24 * MS_PER_HOUR ? 24 : 0);
}

/** Collects replayed errors of `point` on the last `replayDays` days before `untilMs`. */
export function learnBand(
  data: SiteSeries,
  untilMs: number,
  point: PointFn,
  opts: BandOptions,
  firstIssueMs = -Infinity,
): QuantileTable {
  const step = stepMs(data);
  const perDay = Math.round((24 * MS_PER_HOUR) / step);
  const n = Math.ceil((opts.horizonHours * MS_PER_HOUR) / step);
  const cal = gridCalendar(data.startMs, data.intervalMinutes, data.count, data.zone);
  const res: number[] = [];
  const buckets: number[] = [];
  const known = knownCount(data, untilMs);
  for (let d = opts.replayDays; d >= 1; d--) {
    const issueMs = untilMs - d * perDay * step;
    if (issueMs < firstIssueMs || issueMs <= data.startMs) continue;
    const start = Math.ceil((issueMs - data.startMs) / step);
    const count = Math.min(n, known - start);
    if (count <= 0) continue;
    const req = { issueMs, startMs: data.startMs + start * step, count };
    const p = point(data, req);
    const s = opts.scale?.(data, start, count);
    for (let j = 0; j < count; j++) {
      const y = data.targetKw[start + j];
      if (!Number.isFinite(y) || !Number.isFinite(p[j])) continue;
      let r = y - p[j];
      if (s) {
        if (!(s[j] > 0)) continue;
        r /= s[j];
      }
      res.push(r);
      const lead = req.startMs + j * step - issueMs;
      buckets.push(
        opts.bucket ? opts.bucket(data, start + j, lead, issueMs) : bucketOf(cal.hour[start + j], lead),
      );
    }
  }
  return buildQuantileTable(res, buckets, BAND_BUCKETS);
}

/** Applies a learned band around a point forecast. */
export function applyBand(
  data: SiteSeries,
  req: PredictRequest,
  p50: Float64Array,
  table: QuantileTable,
  opts: Pick<BandOptions, 'scale' | 'floor' | 'cap' | 'bucket'>,
): QuantileForecast {
  const step = stepMs(data);
  const start = indexOf(data, req.startMs);
  const cal = gridCalendar(
    data.startMs,
    data.intervalMinutes,
    Math.max(data.count, start + req.count),
    data.zone,
  );
  const s = opts.scale?.(data, start, req.count);
  const lo = opts.floor ?? -Infinity;
  const hi = opts.cap ?? Infinity;
  const out: QuantileForecast = {
    startMs: req.startMs,
    intervalMinutes: data.intervalMinutes,
    p10: new Float64Array(req.count),
    p50: new Float64Array(req.count),
    p90: new Float64Array(req.count),
  };
  for (let j = 0; j < req.count; j++) {
    const lead = req.startMs + j * step - req.issueMs;
    const b = opts.bucket
      ? opts.bucket(data, start + j, lead, req.issueMs)
      : bucketOf(cal.hour[start + j], lead);
    const k = s ? s[j] : 1;
    const m = clamp(p50[j], lo, hi);
    out.p50[j] = m;
    out.p10[j] = clamp(Math.min(m, m + table.lo[b] * k), lo, hi);
    out.p90[j] = clamp(Math.max(m, m + table.hi[b] * k), lo, hi);
  }
  return out;
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
