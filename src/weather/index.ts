import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Location, Scenario } from '../model/schema.ts';
import type { TimeGrid } from '../model/time.ts';
import { parseKmaAsosCsv, KmaCsvError, type KmaImportReport } from './kma.ts';
import { solarPositionAt, spa, type SeriesOptions, type SolarPositionSeries } from './spa.ts';
import { syntheticWeather } from './synthetic.ts';
import type { SiteLocation, WeatherSeries } from './types.ts';

export type { WeatherSeries, SiteLocation } from './types.ts';
export {
  syntheticWeather,
  syntheticCalibration,
  fitTemperatureCycle,
  cloudCoverFromClearSkyIndex,
} from './synthetic.ts';
export type { SyntheticWeatherOptions, TemperatureCycle } from './synthetic.ts';
export { parseKmaAsosCsv, decodeKmaText, KmaCsvError, DEFAULT_MAX_GAP_HOURS } from './kma.ts';
export { readCsvRows, CsvSyntaxError, type CsvRow } from './csv.ts';
export type { KmaImportOptions, KmaImportReport, KmaImportResult, DroppedRow, FilledGap } from './kma.ts';
export { createRandom, hashSeed, normalCdf, normalQuantile } from './random.ts';
export type { Random } from './random.ts';
export {
  spa,
  solarPositionAt,
  geocentricSun,
  deltaTSeconds,
  incidenceAngleDeg,
  pressureAtAltitudeMbar,
} from './spa.ts';
export type { SpaInput, SpaResult, SolarPositionSeries, SeriesOptions } from './spa.ts';
export {
  ineichenPerez,
  haurwitzGhiWPerM2,
  extraterrestrialNormalWPerM2,
  extraterrestrialNormalByDayWPerM2,
  relativeAirMass,
  absoluteAirMass,
  DEFAULT_MONTHLY_LINKE_TURBIDITY,
  SOLAR_CONSTANT_W_PER_M2,
} from './clearsky.ts';
export { erbs, clearnessIndex } from './decomposition.ts';
export { poaIrradiance, darkPoa, DEFAULT_ALBEDO } from './poa.ts';
export type { PoaInput, PoaIrradiance, SkyDiffuseModel } from './poa.ts';

export interface SolarPositionOptions {
  pressureMbar?: number;
  temperatureC?: number;
  deltaTSeconds?: number;
  atmosphericRefractionDeg?: number;
  /** With a surface, the incidence angle on it is returned too. */
  surfaceTiltDeg?: number;
  /** Clockwise from north, 180 = south. */
  surfaceAzimuthDeg?: number;
}

/** Solar position (NREL SPA) for one instant. Azimuth clockwise from north; zenith refraction-corrected. */
export function solarPosition(
  timeMs: number,
  loc: SiteLocation,
  opts: SolarPositionOptions = {},
): { zenithDeg: number; azimuthDeg: number; elevationDeg: number; incidenceDeg?: number } {
  const r = spa({
    timeMs,
    latitudeDeg: loc.latitudeDeg,
    longitudeDeg: loc.longitudeDeg,
    elevationM: loc.altitudeM,
    ...opts,
  });
  const out: { zenithDeg: number; azimuthDeg: number; elevationDeg: number; incidenceDeg?: number } = {
    zenithDeg: r.zenithDeg,
    azimuthDeg: r.azimuthDeg,
    elevationDeg: r.elevationDeg,
  };
  if (r.incidenceDeg !== undefined) out.incidenceDeg = r.incidenceDeg;
  return out;
}

const positionCache = new Map<string, SolarPositionSeries>();
const POSITION_CACHE_SIZE = 16;

/**
 * Solar position at the midpoint of every interval of a grid, for one location. Cached (a handful of
 * entries), so several arrays at one site share one computation; treat the arrays as read-only.
 */
export function solarPositionSeries(
  grid: TimeGrid,
  loc: SiteLocation,
  opts: SeriesOptions = {},
): SolarPositionSeries {
  const key = JSON.stringify([
    grid.startMs,
    grid.intervalMinutes,
    grid.count,
    loc.latitudeDeg,
    loc.longitudeDeg,
    loc.altitudeM ?? 0,
    opts,
  ]);
  const hit = positionCache.get(key);
  if (hit) return hit;
  const stepMs = grid.intervalMinutes * 60_000;
  const times = new Float64Array(grid.count);
  for (let i = 0; i < grid.count; i++) times[i] = grid.startMs + (i + 0.5) * stepMs;
  const s = solarPositionAt(times, loc, { elevationM: loc.altitudeM ?? 0, ...opts });
  if (positionCache.size >= POSITION_CACHE_SIZE)
    positionCache.delete(positionCache.keys().next().value as string);
  positionCache.set(key, s);
  return s;
}

/** The scenario location in the form the solar and PV models take. */
export function siteLocationOf(loc: Location): Required<SiteLocation> {
  return { latitudeDeg: loc.latitude_deg, longitudeDeg: loc.longitude_deg, altitudeM: loc.altitude_m ?? 0 };
}

export interface LoadWeatherOptions {
  /** Receives the import report of a KMA file (what was dropped and filled). */
  onKmaReport?: (report: KmaImportReport, file: string) => void;
}

/**
 * The weather a scenario asks for on a grid: synthetic from its climate and seed, or a KMA ASOS hourly CSV
 * (path relative to `baseDir`, the scenario file's folder).
 */
export function loadScenarioWeather(
  scenario: Scenario,
  baseDir: string,
  grid: TimeGrid,
  opts: LoadWeatherOptions = {},
): WeatherSeries {
  const w = scenario.weather;
  if (w.source === 'synthetic') {
    return syntheticWeather({ location: scenario.location, climate: scenario.climate, grid, seed: w.seed });
  }
  const file = resolve(baseDir, w.path);
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (e) {
    throw new KmaCsvError(`cannot read weather file ${file}: ${(e as Error).message}`);
  }
  try {
    const { series, report } = parseKmaAsosCsv(data, {
      location: siteLocationOf(scenario.location),
      grid,
      station: scenario.location.kma_station,
    });
    opts.onKmaReport?.(report, file);
    return series;
  } catch (e) {
    if (e instanceof KmaCsvError) throw new KmaCsvError(`${file}: ${e.message}`);
    throw e;
  }
}
