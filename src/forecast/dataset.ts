import { loadScenarioFile, REFERENCE_SCENARIO_FILE } from '../model/load.ts';
import { prepareDistrict } from '../sim/district.ts';
import type { WeatherSeries } from '../weather/index.ts';
import { dayAheadForecastWeather } from './forecast-weather.ts';
import type { SiteSeries, Target } from './types.ts';

// The synthetic Gwangju year for backtests: the reference district's PV potential (all arrays) or
// fixed loads (all `load` assets) for one calendar year, averaged to hourly, with measured weather and
// the day-ahead forecast weather (issued 17:00 the day before, with realistic errors).

/** Seed of the forecast-weather errors unless given: any fixed number, so datasets reproduce. */
export const DEFAULT_FORECAST_SEED = 4242;
const DATASET_INTERVAL_MINUTES = 60;

export interface DatasetOptions {
  target: Target;
  year: number;
  /** District file; the reference district when absent. */
  scenarioFile?: string;
  /** Days from 1 January (the whole year when absent). */
  days?: number;
  seed?: number;
  issueHour?: number;
}

/** Means of consecutive blocks of `factor` values. */
function downsample(a: ArrayLike<number>, factor: number): Float64Array {
  const n = Math.floor(a.length / factor);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < factor; j++) s += a[i * factor + j];
    out[i] = s / factor;
  }
  return out;
}

export function syntheticDataset(o: DatasetOptions): SiteSeries {
  const loaded = loadScenarioFile(o.scenarioFile ?? REFERENCE_SCENARIO_FILE);
  const start = `${o.year}-01-01`;
  const days = o.days ?? Math.round((Date.UTC(o.year + 1, 0, 1) - Date.UTC(o.year, 0, 1)) / 86_400_000);
  const d = prepareDistrict(loaded.scenario, { start, days, baseDir: loaded.baseDir });
  const factor = DATASET_INTERVAL_MINUTES / d.grid.intervalMinutes;
  if (!Number.isInteger(factor) || factor < 1)
    throw new RangeError(`district interval ${d.grid.intervalMinutes} min does not divide an hour`);
  const sum = new Float64Array(d.grid.count);
  if (o.target === 'pv')
    for (const u of d.pv) for (let i = 0; i < sum.length; i++) sum[i] += u.availableKw[i];
  else for (const u of d.loads) for (let i = 0; i < sum.length; i++) sum[i] += u.kw[i];
  const w = d.weather;
  const hourly: WeatherSeries = {
    startMs: w.startMs,
    intervalMinutes: DATASET_INTERVAL_MINUTES,
    count: Math.floor(w.count / factor),
    ghiWPerM2: downsample(w.ghiWPerM2, factor),
    dniWPerM2: downsample(w.dniWPerM2, factor),
    dhiWPerM2: downsample(w.dhiWPerM2, factor),
    temperatureC: downsample(w.temperatureC, factor),
    cloudCover: downsample(w.cloudCover, factor),
  };
  return {
    startMs: hourly.startMs,
    intervalMinutes: DATASET_INTERVAL_MINUTES,
    count: hourly.count,
    zone: d.zone,
    targetKw: downsample(sum, factor),
    temperatureC: hourly.temperatureC,
    ghiWPerM2: hourly.ghiWPerM2,
    cloudCover: hourly.cloudCover,
    forecast: dayAheadForecastWeather(hourly, {
      seed: o.seed ?? DEFAULT_FORECAST_SEED,
      zone: d.zone,
      issueHour: o.issueHour ?? 17,
    }),
  };
}
