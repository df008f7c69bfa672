import { DateTime } from 'luxon';
import { applyBand, BAND_BUCKETS, learnBand, type BandOptions } from './band.ts';
import { pvScale, recentClearSkyIndex } from './baselines.ts';
import { gridCalendar } from './calendar-features.ts';
import { cloudCoverFromSky } from './forecast-weather.ts';
import { fitGroupedRidge, NormalEquations, predictRidge, type BlockRow, type RidgeModel } from './ridge.ts';
import type { QuantileTable } from './quantiles.ts';
import { blendNowcast } from './nowcast.ts';
import { clearSkyCurve, totalCapacityKw, type PvSiteSpec } from './pv-physics.ts';
import { indexOf, stepMs, trainingWindow } from './series.ts';
import type { Forecaster, PredictRequest, QuantileForecast, SiteSeries } from './types.ts';

// PV forecaster: physics first, then learning. The clear-sky AC curve of the site's arrays (pv-physics)
// is multiplied by a ridge regression on weather-forecast features — cloud cover (or KMA SKY), POP,
// REH, forecast temperature — and on the clear-sky index of the last daylight (recent performance).
// Every feature is "clear-sky power × something", so the regression learns in kW what the physics
// misses: a per-hour factor absorbs shading and orientation errors, the constant soiling and rating
// errors, and the output is capped at the AC capacity (clipping). Where no issued forecast covers an
// interval (beyond the forecast horizon) a second regression without weather features is used.

const MS_PER_HOUR = 3_600_000;
/** Local hours that get their own clear-sky factor (PV is zero outside in Korea; others share the constant). */
const FIRST_HOUR = 5;
const LAST_HOUR = 20;
const N_HOURS = LAST_HOUR - FIRST_HOUR + 1;
/** Weather features: 1, c, c², c³, POP, REH, (T − 25 °C)/10, k, k·c, SKY 3, SKY 4. */
const N_WEATHER = 11;
const N_FULL = N_WEATHER + N_HOURS;
/** Fallback: 1, k, k², hours. */
const N_FALLBACK = 3 + N_HOURS;
const RIDGE_LAMBDA = 1e-4;
/**
 * Penalty groups of the full model's features. The sky-and-recent-index core (1, c, c², c³, k, k·c)
 * keeps RIDGE_LAMBDA: it is what the model is for. The per-hour factors and the secondary forecast
 * variables (POP, REH, temperature, SKY indicators) get penalties chosen per fit by blocked
 * cross-validation (ridge.ts fitGroupedRidge): a day-ahead forecast's error is mostly shared by the
 * whole day, so 60 days of history are about 60 independent samples, too few for 27 free
 * coefficients; how much the extras earn is left to the site's own data.
 */
const GROUP_CORE = 0;
const GROUP_SECONDARY = 1;
const GROUP_HOURS = 2;
/** Group of each feature, in the order of `features`: 1, c, c², c³, POP, REH, T, k, k·c, SKY 3, SKY 4, hours. */
const FEATURE_GROUP: number[] = [
  ...[GROUP_CORE, GROUP_CORE, GROUP_CORE, GROUP_CORE],
  ...[GROUP_SECONDARY, GROUP_SECONDARY, GROUP_SECONDARY],
  ...[GROUP_CORE, GROUP_CORE],
  ...[GROUP_SECONDARY, GROUP_SECONDARY],
  ...Array<number>(N_HOURS).fill(GROUP_HOURS),
];
/**
 * Penalty grid of the chosen groups, × mean(diag XᵀX): from as light as the core (1e-4) to strong
 * enough (1) that a group is all but switched off, a decade apart.
 */
const PENALTY_GRID = [1e-4, 1e-3, 1e-2, 1e-1, 1];
/** Days past a series' end its calendar and clear-sky curve are computed for, for the next fits. */
const GRID_HEADROOM_DAYS = 92;

/** Folds of the blocked cross-validation: five runs of about 9–12 days in a 45–60 day window. */
const CV_FOLDS = 5;
/** Cloud-cover bins of the error band: KMA 맑음 / 구름많음 / 흐림 limits (forecast-weather.ts). */
const BAND_CLOUD_LIMITS = [0.55, 0.85];
/** Reference cell temperature of the physics curve, °C. */
const REFERENCE_TEMPERATURE_C = 25;
/** Clear-sky index assumed when no recent daylight is known (the regression weight on it is then moot). */
const DEFAULT_CLEAR_SKY_INDEX = 0.6;

export interface PvModelOptions {
  site: PvSiteSpec;
  horizonHours: number;
  trainDays?: number;
}

export interface PvModelState {
  kind: 'pv-ridge';
  version: 1;
  site: PvSiteSpec;
  full: number[];
  fallback: number[];
  band: QuantileTable;
  horizonHours: number;
  trainDays?: number;
  fittedUntilMs: number;
}

/**
 * Forecast cloud cover of interval i: the issued cover, else the cover implied by the SKY code; NaN when
 * the forecast was issued after `limitMs` (it did not exist yet).
 */
export function forecastCloud(data: SiteSeries, i: number, limitMs: number): number {
  const f = data.forecast;
  if (!f || i >= f.cloudCover.length || !(f.issueMs[i] <= limitMs)) return NaN;
  if (Number.isFinite(f.cloudCover[i])) return f.cloudCover[i];
  return cloudCoverFromSky(f.sky[i]);
}

/** The clear-sky index of the last daylight known at `issueMs`, or a default when none is. */
export function clearSkyIndexAt(data: SiteSeries, site: PvSiteSpec, issueMs: number): number {
  const k = recentClearSkyIndex(data, site, issueMs);
  return Number.isFinite(k) ? k : DEFAULT_CLEAR_SKY_INDEX;
}

/**
 * The clear-sky index each interval would have been forecast with: that known at its day-ahead issue
 * (the day before, at `issueHour`); computed once per local day.
 */
export function dayAheadClearSkyIndex(
  data: SiteSeries,
  site: PvSiteSpec,
  localDay: ArrayLike<number>,
  issueHour: number,
): (i: number) => number {
  const byDay = new Map<number, number>();
  return (i) => {
    let k = byDay.get(localDay[i]);
    if (k === undefined) {
      const issueMs = DateTime.fromMillis(data.startMs + i * stepMs(data), { zone: data.zone })
        .startOf('day')
        .minus({ days: 1 })
        .plus({ hours: issueHour })
        .toMillis();
      k = clearSkyIndexAt(data, site, issueMs);
      byDay.set(localDay[i], k);
    }
    return k;
  };
}

/** The error band of a PV forecaster of `opts` whose output is capped at `capKw`. */
export function pvBandOptions(opts: PvModelOptions, capKw: number, replayDays: number): BandOptions {
  return {
    replayDays,
    horizonHours: opts.horizonHours,
    floor: 0,
    cap: capKw,
    scale: pvScale(opts.site),
    bucket: pvBandBucket,
  };
}

/**
 * PV band bucket: forecast sky state (clear, mostly cloudy, overcast, no forecast) × lead day. Errors are
 * already per clear-sky kW, so the hour needs no bucket of its own; few buckets keep each one's 10 %
 * and 90 % quantiles well estimated.
 */
export function pvBandBucket(data: SiteSeries, i: number, leadMs: number, issueMs: number): number {
  const c = forecastCloud(data, i, issueMs);
  const cloudBin = !Number.isFinite(c)
    ? 3
    : c <= BAND_CLOUD_LIMITS[0]
      ? 0
      : c <= BAND_CLOUD_LIMITS[1]
        ? 1
        : 2;
  return Math.min(BAND_BUCKETS - 1, cloudBin * 2 + (leadMs >= 24 * MS_PER_HOUR ? 1 : 0));
}

export class PvForecaster implements Forecaster {
  readonly name = 'pv-ridge';
  private full: RidgeModel | null = null;
  private fallback: RidgeModel | null = null;
  private band: QuantileTable | null = null;
  private fittedUntilMs = NaN;
  private readonly capKw: number;
  constructor(private readonly opts: PvModelOptions) {
    this.capKw = totalCapacityKw(opts.site);
  }

  /** Feature rows of interval i; `k` is the recent clear-sky index known at its issue. Returns false without a forecast. */
  private features(
    data: SiteSeries,
    i: number,
    limitMs: number,
    hour: number,
    k: number,
    cs: number,
    xf: Float64Array,
    xb: Float64Array,
  ): boolean {
    xb.fill(0);
    xb[0] = cs;
    xb[1] = cs * k;
    xb[2] = cs * k * k;
    if (hour >= FIRST_HOUR && hour <= LAST_HOUR) xb[3 + hour - FIRST_HOUR] = cs;
    const c = forecastCloud(data, i, limitMs);
    if (!Number.isFinite(c)) return false;
    const f = data.forecast!;
    const pop = Number.isFinite(f.popPercent[i]) ? f.popPercent[i] / 100 : 0;
    const reh = Number.isFinite(f.rehPercent[i]) ? f.rehPercent[i] / 100 : 0;
    const t = Number.isFinite(f.temperatureC[i]) ? (f.temperatureC[i] - REFERENCE_TEMPERATURE_C) / 10 : 0;
    const sky = f.sky[i];
    xf.fill(0);
    xf[0] = cs;
    xf[1] = cs * c;
    xf[2] = cs * c * c;
    xf[3] = cs * c * c * c;
    xf[4] = cs * pop;
    xf[5] = cs * reh;
    xf[6] = cs * t;
    xf[7] = cs * k;
    xf[8] = cs * k * c;
    xf[9] = sky === 3 || sky === 2 ? cs : 0;
    xf[10] = sky === 4 ? cs : 0;
    if (hour >= FIRST_HOUR && hour <= LAST_HOUR) xf[N_WEATHER + hour - FIRST_HOUR] = cs;
    return true;
  }

  fit(data: SiteSeries, untilMs: number): void {
    const { first, split, known, holdoutDays } = trainingWindow(
      data,
      untilMs,
      this.opts.trainDays,
      'PV model',
    );
    const issueHour = DateTime.fromMillis(untilMs, { zone: data.zone }).hour;
    this.solve(data, first, split, issueHour, untilMs);
    const splitMs = data.startMs + split * stepMs(data);
    const band = pvBandOptions(this.opts, this.capKw, holdoutDays);
    this.band = learnBand(data, untilMs, (d, r) => this.point(d, r), band, splitMs);
    this.solve(data, first, known, issueHour, untilMs);
    this.fittedUntilMs = untilMs;
  }

  /**
   * The calendar and clear-sky curve of a series' grid, kept for the next fits: a forecaster refits on
   * the same grid, grown by what was measured since, and on a year's grid these two cost more than
   * the fit itself (1.2 of 1.4 s per fit at day 100 of a year). Computed GRID_HEADROOM_DAYS past the
   * series' end, so a growing series reuses them for that long; entries past the end are not read.
   */
  private grid?: {
    key: string;
    count: number;
    cal: ReturnType<typeof gridCalendar>;
    curve: ReturnType<typeof clearSkyCurve>;
  };
  private gridOf(data: SiteSeries) {
    const key = `${data.startMs}/${data.intervalMinutes}/${data.zone}`;
    if (this.grid?.key !== key || this.grid.count < data.count) {
      const count = data.count + Math.round((GRID_HEADROOM_DAYS * 24 * 60) / data.intervalMinutes);
      this.grid = {
        key,
        count,
        cal: gridCalendar(data.startMs, data.intervalMinutes, count, data.zone),
        curve: clearSkyCurve(this.opts.site, data.startMs, data.intervalMinutes, count),
      };
    }
    return this.grid;
  }

  private solve(data: SiteSeries, from: number, to: number, issueHour: number, untilMs: number): void {
    const { cal, curve } = this.gridOf(data);
    const rows: BlockRow[] = [];
    const neB = new NormalEquations(N_FALLBACK);
    const xf = new Float64Array(N_FULL);
    const xb = new Float64Array(N_FALLBACK);
    const kOf = dayAheadClearSkyIndex(data, this.opts.site, cal.localDay, issueHour);
    for (let i = from; i < to; i++) {
      const y = data.targetKw[i];
      const cs = curve.powerKw[i];
      if (!Number.isFinite(y) || !(cs > 0)) continue;
      if (this.features(data, i, untilMs, cal.hour[i], kOf(i), cs, xf, xb))
        rows.push({ x: Float64Array.from(xf), y, block: cal.localDay[i] });
      neB.add(xb, y);
    }
    this.fallback = neB.solve(RIDGE_LAMBDA);
    this.full =
      rows.length >= N_FULL * 10
        ? fitGroupedRidge(rows, {
            group: FEATURE_GROUP,
            penalties: [RIDGE_LAMBDA, PENALTY_GRID, PENALTY_GRID],
            folds: CV_FOLDS,
            bounds: [0, this.capKw],
          }).model
        : null;
  }

  private point(data: SiteSeries, req: PredictRequest): Float64Array {
    const start = indexOf(data, req.startMs);
    const n = Math.max(data.count, start + req.count);
    const cal = gridCalendar(data.startMs, data.intervalMinutes, n, data.zone);
    const curve = clearSkyCurve(this.opts.site, data.startMs, data.intervalMinutes, n);
    const k = clearSkyIndexAt(data, this.opts.site, req.issueMs);
    const xf = new Float64Array(N_FULL);
    const xb = new Float64Array(N_FALLBACK);
    const out = new Float64Array(req.count);
    for (let j = 0; j < req.count; j++) {
      const i = start + j;
      const cs = curve.powerKw[i];
      if (!(cs > 0)) continue;
      const hasFc = this.features(data, i, req.issueMs, cal.hour[i], k, cs, xf, xb);
      const v = hasFc && this.full ? predictRidge(this.full, xf) : predictRidge(this.fallback!, xb);
      out[j] = Math.min(this.capKw, Math.max(0, v));
    }
    return blendNowcast(data, this.opts.site, this.capKw, req, out);
  }

  predict(data: SiteSeries, req: PredictRequest): QuantileForecast {
    if (!this.fallback || !this.band) throw new Error('pv-ridge: predict before fit');
    return applyBand(data, req, this.point(data, req), this.band, pvBandOptions(this.opts, this.capKw, 0));
  }

  save(): PvModelState {
    if (!this.fallback || !this.band) throw new Error('pv-ridge: save before fit');
    return {
      kind: 'pv-ridge',
      version: 1,
      site: this.opts.site,
      full: this.full?.weights ?? [],
      fallback: this.fallback.weights,
      band: this.band,
      horizonHours: this.opts.horizonHours,
      trainDays: this.opts.trainDays,
      fittedUntilMs: this.fittedUntilMs,
    };
  }

  static load(state: PvModelState): PvForecaster {
    if (state?.kind !== 'pv-ridge' || state.version !== 1)
      throw new RangeError('not a saved pv-ridge model (version 1)');
    if (state.fallback.length !== N_FALLBACK || (state.full.length !== 0 && state.full.length !== N_FULL))
      throw new RangeError('saved PV model has the wrong number of weights');
    const f = new PvForecaster({
      site: state.site,
      horizonHours: state.horizonHours,
      trainDays: state.trainDays,
    });
    f.full = state.full.length ? { weights: state.full } : null;
    f.fallback = { weights: state.fallback };
    f.band = state.band;
    f.fittedUntilMs = state.fittedUntilMs;
    return f;
  }
}
