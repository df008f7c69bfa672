import { applyBand, learnBand, type BandOptions, type PointFn } from './band.ts';
import type { QuantileTable } from './quantiles.ts';
import { clearSkyCurve, totalCapacityKw, type PvSiteSpec } from './pv-physics.ts';
import { indexOf, knownCount, stepMs } from './series.ts';
import type { Forecaster, PredictRequest, QuantileForecast, SiteSeries } from './types.ts';

// Reference forecasts every learned model has to beat, behind the same interface: persistence,
// seasonal naive (same time on the latest known day, or a week earlier) and, for PV, smart persistence
// (the clear-sky index of the last daylight carried onto the next clear-sky curve). Their P10/P90 are
// their own replayed errors (band.ts), so pinball loss and coverage compare like for like.

const MS_PER_HOUR = 3_600_000;
/** Days of replayed issues the baselines learn their bands from. */
export const BASELINE_BAND_DAYS = 56;
/** Below this share of the clear-sky energy a day's clear-sky index is too noisy to use (issue before sunrise). */
const MIN_DAYLIGHT_SHARE = 0.2;

export interface BaselineOptions {
  /** Horizon the band is learned for, hours (the backtest's horizon). */
  horizonHours: number;
  /** PV site: errors scale with clear-sky power and forecasts are capped at the AC capacity. */
  pvSite?: PvSiteSpec;
}

class BandedForecaster implements Forecaster {
  private table: QuantileTable | null = null;
  constructor(
    readonly name: string,
    private readonly point: PointFn,
    private readonly band: BandOptions,
  ) {}
  fit(data: SiteSeries, untilMs: number): void {
    this.table = learnBand(data, untilMs, this.point, this.band);
  }
  predict(data: SiteSeries, req: PredictRequest): QuantileForecast {
    const p50 = this.point(data, req);
    if (!this.table) throw new Error(`${this.name}: predict before fit`);
    return applyBand(data, req, p50, this.table, this.band);
  }
}

function bandOptions(o: BaselineOptions): BandOptions {
  if (!o.pvSite) return { replayDays: BASELINE_BAND_DAYS, horizonHours: o.horizonHours, floor: 0 };
  const site = o.pvSite;
  return {
    replayDays: BASELINE_BAND_DAYS,
    horizonHours: o.horizonHours,
    floor: 0,
    cap: totalCapacityKw(site),
    scale: pvScale(site),
  };
}

/** Clear-sky power of the site on a slice of the grid: the scale of PV errors. */
export function pvScale(site: PvSiteSpec) {
  return (data: SiteSeries, start: number, count: number): Float64Array => {
    const curve = clearSkyCurve(
      site,
      data.startMs,
      data.intervalMinutes,
      Math.max(data.count, start + count),
    );
    return curve.powerKw.subarray(start, start + count);
  };
}

/** The last known value, held flat. */
export const persistencePoint: PointFn = (data, req) => {
  const known = knownCount(data, req.issueMs);
  let v = NaN;
  for (let i = known - 1; i >= 0; i--)
    if (Number.isFinite(data.targetKw[i])) {
      v = data.targetKw[i];
      break;
    }
  return new Float64Array(req.count).fill(v);
};

/** Same time `periodDays` earlier, or a whole multiple of that, whichever is the latest already known. */
export function seasonalNaivePoint(periodDays: number): PointFn {
  return (data, req) => {
    const step = stepMs(data);
    const period = Math.round((periodDays * 24 * MS_PER_HOUR) / step);
    const known = knownCount(data, req.issueMs);
    const start = indexOf(data, req.startMs);
    const out = new Float64Array(req.count);
    for (let j = 0; j < req.count; j++) {
      let i = start + j - period;
      while (i >= known) i -= period;
      // A missing value falls back one more period.
      while (i >= 0 && !Number.isFinite(data.targetKw[i])) i -= period;
      out[j] = i >= 0 ? data.targetKw[i] : NaN;
    }
    return out;
  };
}

/**
 * Clear-sky index of the latest local day with enough daylight known at `issueMs`: Σ measured / Σ
 * clear-sky over that day's known intervals. NaN when there is no such day.
 */
export function recentClearSkyIndex(data: SiteSeries, site: PvSiteSpec, issueMs: number): number {
  const step = stepMs(data);
  const perDay = Math.round((24 * MS_PER_HOUR) / step);
  const known = knownCount(data, issueMs);
  const curve = clearSkyCurve(site, data.startMs, data.intervalMinutes, Math.max(data.count, known + perDay));
  // Window of the last 24 h, then the 24 h before, until one has enough daylight.
  for (let end = known; end - perDay >= 0 && end > known - 7 * perDay; end -= perDay) {
    let sumY = 0;
    let sumCs = 0;
    let sumAll = 0;
    for (let i = end - perDay; i < end; i++) {
      const cs = curve.powerKw[i];
      sumAll += cs;
      if (!Number.isFinite(data.targetKw[i])) continue;
      sumY += Math.max(0, data.targetKw[i]);
      sumCs += cs;
    }
    if (sumAll > 0 && sumCs >= MIN_DAYLIGHT_SHARE * sumAll) return sumY / sumCs;
  }
  return NaN;
}

/** Smart persistence: recent clear-sky index × clear-sky curve. */
export function smartPersistencePoint(site: PvSiteSpec): PointFn {
  return (data, req) => {
    const k = recentClearSkyIndex(data, site, req.issueMs);
    const start = indexOf(data, req.startMs);
    const curve = clearSkyCurve(
      site,
      data.startMs,
      data.intervalMinutes,
      Math.max(data.count, start + req.count),
    );
    const out = new Float64Array(req.count);
    for (let j = 0; j < req.count; j++) out[j] = k * curve.powerKw[start + j];
    return out;
  };
}

export function persistenceForecaster(o: BaselineOptions): Forecaster {
  return new BandedForecaster('persistence', persistencePoint, bandOptions(o));
}
export function seasonalNaiveForecaster(periodDays: 1 | 7, o: BaselineOptions): Forecaster {
  return new BandedForecaster(
    periodDays === 1 ? 'seasonal-naive-day' : 'seasonal-naive-week',
    seasonalNaivePoint(periodDays),
    bandOptions(o),
  );
}
export function smartPersistenceForecaster(o: BaselineOptions & { pvSite: PvSiteSpec }): Forecaster {
  return new BandedForecaster('smart-persistence', smartPersistencePoint(o.pvSite), bandOptions(o));
}
