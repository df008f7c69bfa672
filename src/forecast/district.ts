import { DateTime } from 'luxon';
import { prepareDistrict, type District } from '../sim/district.ts';
import { LoadForecaster } from './load-model.ts';
import { PvForecaster } from './pv-model.ts';
import { dayAheadForecastWeather, issueWeatherForecast } from './forecast-weather.ts';
import { pvSiteFromScenario } from './site.ts';
import { shouldRetrain } from './retrain.ts';
import { knownAt } from './series.ts';
import type { ForecastWeather, QuantileForecast, RetrainPolicy, SiteSeries } from './types.ts';
import type { WeatherSeries } from '../weather/index.ts';

// Forecasts for a simulated district, as the optimizer sees them: at an issue time, P10/P50/P90 of every
// PV array's available power and every fixed load over a horizon, from models trained on the district's
// own history before the issue and driven by an issued weather forecast (never the true weather).
// History before the run is simulated with the same scenario and seeds (the synthetic weather is
// reproducible by sub-range), so the models have weeks to learn from on the first simulated day.

/** Days of simulated history before the run the models learn from. */
export const DEFAULT_HISTORY_DAYS = 56;
/** Seed of the issued-forecast errors when none is given. */
export const DEFAULT_DISTRICT_FORECAST_SEED = 9173;
/**
 * Retrain weekly on the last `historyDays` days (the simulated plant keeps producing history). On all
 * history and daily, a year of `optimal` spent about 17 minutes refitting: a fit took 0.5 s on 57 days
 * and 4.4 s on 356 (the reference district, one process). The backtests found a weekly refit scores
 * about as well as a daily one (docs/forecasting.md); predictions still use every measurement up to
 * the issue time.
 */
const DISTRICT_RETRAIN: RetrainPolicy = { everyHours: 7 * 24 };
const MS_PER_HOUR = 3_600_000;

export interface UnitForecast extends QuantileForecast {
  id: string;
  siteId: string;
}

export interface DistrictForecast {
  issueMs: number;
  /** First interval start of the forecast (the first interval starting at or after the issue), UTC ms. */
  startMs: number;
  intervalMinutes: number;
  count: number;
  /** One per PV array, in district.pv order: available AC power, kW. */
  pv: UnitForecast[];
  /** One per fixed load, in district.loads order, kW. */
  loads: UnitForecast[];
  /** The issued weather forecast the models used (for the optimizer's own temperature-dependent models). */
  weather: { temperatureC: Float64Array; cloudCover: Float64Array };
}

export interface DistrictForecasterOptions {
  /**
   * Folder relative paths of the scenario resolve against (weather and measured series); the
   * district's own when absent, else '.'.
   */
  baseDir?: string;
  historyDays?: number;
  seed?: number;
  /** Longest horizon that will be asked for, hours (the error bands are learned for it). */
  maxHorizonHours?: number;
}

export interface DistrictForecaster {
  /** Forecast from `issueMs` (UTC ms, inside the run) for `horizonHours`, cut at the end of the run. */
  forecast(issueMs: number, horizonHours: number): DistrictForecast;
}

function concat(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const out = new Float64Array(a.length + b.length);
  out.set(Array.from(a));
  out.set(Array.from(b), a.length);
  return out;
}

export function createDistrictForecaster(
  district: District,
  opts: DistrictForecasterOptions = {},
): DistrictForecaster {
  const zone = district.zone;
  const historyDays = opts.historyDays ?? DEFAULT_HISTORY_DAYS;
  const seed = opts.seed ?? DEFAULT_DISTRICT_FORECAST_SEED;
  const maxHorizonHours = opts.maxHorizonHours ?? 48;
  const runStart = DateTime.fromMillis(district.grid.startMs, { zone });
  const hist = prepareDistrict(district.scenario, {
    start: runStart.minus({ days: historyDays }).toISODate()!,
    days: historyDays,
    baseDir: opts.baseDir ?? district.baseDir ?? '.',
  });
  if (hist.grid.startMs + hist.grid.count * hist.grid.intervalMinutes * 60_000 !== district.grid.startMs)
    throw new RangeError('history does not join the run (interval or zone mismatch)');
  const w = (a: WeatherSeries, b: WeatherSeries): WeatherSeries => ({
    startMs: a.startMs,
    intervalMinutes: a.intervalMinutes,
    count: a.count + b.count,
    ghiWPerM2: concat(a.ghiWPerM2, b.ghiWPerM2),
    dniWPerM2: concat(a.dniWPerM2, b.dniWPerM2),
    dhiWPerM2: concat(a.dhiWPerM2, b.dhiWPerM2),
    temperatureC: concat(a.temperatureC, b.temperatureC),
    cloudCover: concat(a.cloudCover, b.cloudCover),
  });
  const truth = w(hist.weather, district.weather);
  // The archive of past day-ahead forecasts the models train with.
  const archive = dayAheadForecastWeather(truth, { seed, zone });
  const base = (targetKw: Float64Array): SiteSeries => ({
    startMs: truth.startMs,
    intervalMinutes: truth.intervalMinutes,
    count: truth.count,
    zone,
    targetKw,
    temperatureC: truth.temperatureC,
    forecast: archive,
  });
  const pvUnits = district.pv.map((u, k) => {
    const site = pvSiteFromScenario(district.scenario, [u.id]);
    return {
      unit: u,
      data: base(concat(hist.pv[k].availableKw, u.availableKw)),
      model: new PvForecaster({ site, horizonHours: maxHorizonHours, trainDays: historyDays }),
      lastFitMs: NaN,
    };
  });
  const loadUnits = district.loads.map((u, k) => ({
    unit: u,
    data: base(concat(hist.loads[k].kw, u.kw)),
    model: new LoadForecaster({ horizonHours: maxHorizonHours, trainDays: historyDays }),
    lastFitMs: NaN,
  }));
  const stepMs = truth.intervalMinutes * 60_000;
  const runEndMs = district.grid.startMs + district.grid.count * stepMs;

  return {
    forecast(issueMs: number, horizonHours: number): DistrictForecast {
      if (!(issueMs >= district.grid.startMs && issueMs < runEndMs))
        throw new RangeError('issue time outside the run');
      const first = Math.ceil((issueMs - truth.startMs) / stepMs);
      const count = Math.max(
        0,
        Math.min(truth.count - first, Math.ceil((horizonHours * MS_PER_HOUR) / stepMs)),
      );
      const issued = issueWeatherForecast(truth, issueMs, horizonHours, { seed, zone });
      const withIssued = (d: SiteSeries): SiteSeries => {
        const v = knownAt(d, issueMs, truth.startMs + (first + count) * stepMs);
        const f = v.forecast as ForecastWeather;
        for (let j = 0; j < count; j++) {
          const i = first + j;
          f.issueMs[i] = issueMs;
          f.temperatureC[i] = issued.temperatureC[j];
          f.cloudCover[i] = issued.cloudCover[j];
          f.sky[i] = issued.sky[j];
          f.popPercent[i] = issued.popPercent[j];
          f.rehPercent[i] = issued.rehPercent[j];
        }
        return v;
      };
      const req = { issueMs, startMs: truth.startMs + first * stepMs, count };
      const run = (u: {
        unit: { id: string; siteId: string };
        data: SiteSeries;
        model: PvForecaster | LoadForecaster;
        lastFitMs: number;
      }): UnitForecast => {
        if (shouldRetrain(u.lastFitMs, issueMs, DISTRICT_RETRAIN, zone)) {
          u.model.fit(knownAt(u.data, issueMs), issueMs);
          u.lastFitMs = issueMs;
        }
        return { id: u.unit.id, siteId: u.unit.siteId, ...u.model.predict(withIssued(u.data), req) };
      };
      return {
        issueMs,
        startMs: req.startMs,
        intervalMinutes: truth.intervalMinutes,
        count,
        pv: pvUnits.map(run),
        loads: loadUnits.map(run),
        weather: {
          temperatureC: issued.temperatureC.slice(0, count),
          cloudCover: issued.cloudCover.slice(0, count),
        },
      };
    },
  };
}
