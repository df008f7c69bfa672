import type { Climate, Location } from '../model/schema.ts';
import type { TimeGrid } from '../model/time.ts';
import {
  DEFAULT_MONTHLY_LINKE_TURBIDITY,
  extraterrestrialNormalWPerM2,
  ineichenPerez,
  type ClearSkyIrradiance,
} from './clearsky.ts';
import { erbs, type Decomposition } from './decomposition.ts';
import { createRandom, hashSeed, normalCdf, normalQuantile } from './random.ts';
import { solarPositionAt } from './spa.ts';
import type { WeatherSeries } from './types.ts';

// Seeded synthetic weather, calibrated to a site's climate normals.
//
// Cloudiness is a clear-sky index k (GHI / clear-sky GHI). Each day draws a daily index from a latent
// Gaussian AR(1) process (day-to-day persistence, stronger in the monsoon months) mapped through the normal
// CDF onto [K_DAY_MIN, K_DAY_MAX]; within the day a faster AR(1) process adds cloud passages whose
// amplitude is largest on broken-cloud days. The latent mean follows a monthly profile derived from the
// configured annual GHI and monsoon months, and each calendar month is shifted so that its expected GHI
// equals its share of the configured annual normal: a synthetic year is a "typical year" (like a TMY)
// whose days vary but whose monthly totals do not, not a draw of inter-annual variability. Temperature is a first-harmonic seasonal cycle fitted to the annual, January
// and August normals, plus a daily AR(1) anomaly (each calendar month's mean anomaly removed, again so
// that monthly means equal the normals) and a diurnal cycle whose range follows cloudiness.
//
// Reproducibility: everything is generated per local solar day from counter-based seeds (seed, stream,
// day), and per calendar year for the daily processes, so any sub-range of a run is identical to the same
// range cut from a longer run with the same seed, whatever grid is asked for.

const MS_PER_MINUTE = 60_000;
const MS_PER_DAY = 86_400_000;
/** Resolution at which the generator works; grid values are means of these steps. */
const BASE_STEP_MINUTES = 5;
const BASE_STEP_MS = BASE_STEP_MINUTES * MS_PER_MINUTE;
const STEPS_PER_DAY = MS_PER_DAY / BASE_STEP_MS;
/** Sampling of the clear-sky day totals used for the yearly calibration. */
const CALIBRATION_STEP_MINUTES = 15;
const DAYS_PER_YEAR = 365.2425;
const MONTH_START_DOY_COMMON = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365];

/** Daily clear-sky index range: the darkest rainy days pass ~5 % of clear-sky GHI, the clearest ~100 %. */
const K_DAY_MIN = 0.05;
const K_DAY_MAX = 1.0;
/**
 * Highest monthly mean clear-sky index the generator will calibrate to; beyond it every day would have to be
 * clear, and a configured annual GHI that needs more is more than the clear-sky model can deliver here.
 */
const K_MONTH_MEAN_MAX = 0.9;
/**
 * Lag-1 autocorrelation of the latent daily cloudiness: daily clearness indices show 0.3–0.5 at mid-latitude
 * stations (Aguiar, Collares-Pereira & Conde 1988, Solar Energy 40(3)); monsoon rain spells persist longer.
 */
const DAILY_PERSISTENCE = 0.45;
const DAILY_PERSISTENCE_MONSOON = 0.75;
/**
 * Mean clear-sky index of a monsoon month relative to the other months. Southern Korea's June–July index
 * is about 0.8 of the rest of the year's (KMA monthly irradiation normals against clear-sky totals);
 * taken as the generic figure for any configured monsoon.
 */
const MONSOON_CLEARNESS_FACTOR = 0.8;
/**
 * The month after the monsoon keeps part of its humidity, haze and (in East Asia) typhoon cloud: halfway
 * between the monsoon and the rest. Without it late summer, with its high sun, would be the sunniest season,
 * which no monsoon climate shows.
 */
const POST_MONSOON_CLEARNESS_FACTOR = 0.9;
/** Within-day cloud process: correlation time and the largest standard deviation (on half-cloudy days). */
const INTRADAY_CORRELATION_MINUTES = 30;
const INTRADAY_SD_MAX = 0.3;
/** Bounds of the 5-minute clear-sky index: cloud-edge enhancement reaches ~20 % above clear sky. */
const K_STEP_MIN = 0.03;
const K_STEP_MAX = 1.2;
/** Kasten & Czeplak (1980) cloud cover relation k = 1 − 0.75·C^3.4, inverted for the cloud cover. */
const KC_A = 0.75;
const KC_B = 3.4;
/** Day-to-day temperature anomaly: persistence and standard deviation in the coldest and warmest season. */
const TEMPERATURE_PERSISTENCE = 0.7;
const TEMPERATURE_ANOMALY_SD_WINTER_C = 3.0;
const TEMPERATURE_ANOMALY_SD_SUMMER_C = 1.8;
/** Daily temperature range: relative change per relative change of the daily clear-sky index, and floor. */
const RANGE_CLOUD_SENSITIVITY = 0.6;
const RANGE_MIN_FRACTION = 0.3;
/** Solar hour of the daily temperature maximum (minimum is at sunrise). */
const TEMPERATURE_MAX_SOLAR_HOUR = 14.5;

export interface SyntheticWeatherOptions {
  location: Location;
  climate: Climate;
  grid: TimeGrid;
  seed: number;
  /** Linke turbidity per month, January first. */
  monthlyLinkeTurbidity?: readonly number[];
}

/** The seasonal temperature cycle fitted to the normals: T(doy) = mean + amplitude·cos(2π(doy − peak)/year). */
export interface TemperatureCycle {
  meanC: number;
  amplitudeC: number;
  /** Day of year (0-based, fractional) of the warmest point of the cycle. */
  warmestDayOfYear: number;
}

/**
 * Fit the first harmonic to the annual mean and the January and August monthly means. Two monthly means
 * fix amplitude and phase in closed form (monthly means of a sinusoid are damped by sinc(π·31/365)).
 */
export function fitTemperatureCycle(climate: Climate): TemperatureCycle {
  const meanC = climate.annual_mean_temperature_c;
  const dJan = climate.january_mean_temperature_c - meanC;
  const dAug = climate.august_mean_temperature_c - meanC;
  const w = (2 * Math.PI) / DAYS_PER_YEAR;
  const damp = Math.sin((Math.PI * 31) / DAYS_PER_YEAR) / ((Math.PI * 31) / DAYS_PER_YEAR);
  const cJan = 15.5;
  const cAug = MONTH_START_DOY_COMMON[7] + 15.5;
  const v = w * (cAug - cJan);
  // r·cos u = dJan, r·cos(u + v) = dAug with u = w·(cJan − peak).
  const sinPart = (dJan * Math.cos(v) - dAug) / Math.sin(v);
  const r = Math.hypot(dJan, sinPart);
  const u = Math.atan2(sinPart, dJan);
  let peak = cJan - u / w;
  peak = ((peak % DAYS_PER_YEAR) + DAYS_PER_YEAR) % DAYS_PER_YEAR;
  return { meanC, amplitudeC: r / damp, warmestDayOfYear: peak };
}

function seasonalTemperatureC(c: TemperatureCycle, doyFrac: number): number {
  return c.meanC + c.amplitudeC * Math.cos(((2 * Math.PI) / DAYS_PER_YEAR) * (doyFrac - c.warmestDayOfYear));
}

/** Coldness in [0, 1]: 1 at the coldest point of the cycle, 0 at the warmest. */
function coldness(c: TemperatureCycle, doyFrac: number): number {
  return 0.5 * (1 - Math.cos(((2 * Math.PI) / DAYS_PER_YEAR) * (doyFrac - c.warmestDayOfYear)));
}

interface Site {
  latitudeDeg: number;
  longitudeDeg: number;
  altitudeM: number;
  /** Local mean solar time minus UTC, rounded to the base step. */
  solarOffsetMs: number;
}

function siteOf(loc: Location): Site {
  return {
    latitudeDeg: loc.latitude_deg,
    longitudeDeg: loc.longitude_deg,
    altitudeM: loc.altitude_m ?? 0,
    solarOffsetMs: Math.round(((loc.longitude_deg / 15) * 3_600_000) / BASE_STEP_MS) * BASE_STEP_MS,
  };
}

/** Local solar day index (days since 1970-01-01 in local mean solar time) of an instant. */
function solarDayOf(site: Site, tMs: number): number {
  return Math.floor((tMs + site.solarOffsetMs) / MS_PER_DAY);
}

function dayStartMs(site: Site, day: number): number {
  return day * MS_PER_DAY - site.solarOffsetMs;
}

interface CalendarDay {
  year: number;
  /** 0–11 */
  month: number;
  /** 0-based day of year. */
  doy: number;
}

function calendarOf(day: number): CalendarDay {
  const d = new Date(day * MS_PER_DAY);
  const year = d.getUTCFullYear();
  return { year, month: d.getUTCMonth(), doy: day - Math.floor(Date.UTC(year, 0, 1) / MS_PER_DAY) };
}

/** The daily quantities of one calendar year (local solar days). */
interface YearModel {
  year: number;
  firstDay: number;
  days: number;
  /** Daily mean clear-sky index. */
  kDay: Float64Array;
  /** Daily temperature anomaly, °C (calendar-month means removed). */
  temperatureAnomalyC: Float64Array;
  /** Daily temperature range (max − min), °C. */
  temperatureRangeC: Float64Array;
  /** Clear-sky daily irradiation, Wh/m², as used for the calibration. */
  clearSkyDayWhPerM2: Float64Array;
  /** Calibrated monthly mean clear-sky index targets, January first. */
  monthlyClearSkyIndex: number[];
}

interface ModelContext {
  site: Site;
  climate: Climate;
  seed: number;
  turbidity: readonly number[];
  cycle: TemperatureCycle;
}

const yearCache = new Map<string, YearModel>();
const YEAR_CACHE_SIZE = 24;

function contextKey(ctx: ModelContext): string {
  return JSON.stringify([
    ctx.seed,
    ctx.site.latitudeDeg,
    ctx.site.longitudeDeg,
    ctx.site.altitudeM,
    ctx.climate,
    ctx.turbidity,
  ]);
}

function yearModel(ctx: ModelContext, year: number): YearModel {
  const key = `${contextKey(ctx)}|${year}`;
  const hit = yearCache.get(key);
  if (hit) {
    yearCache.delete(key);
    yearCache.set(key, hit); // most recently used last
    return hit;
  }
  const model = buildYearModel(ctx, year);
  yearCache.set(key, model);
  if (yearCache.size > YEAR_CACHE_SIZE) yearCache.delete(yearCache.keys().next().value as string);
  return model;
}

function isMonsoon(climate: Climate, month0: number): boolean {
  return climate.monsoon_months.includes(month0 + 1);
}

const referenceCache = new Map<string, Float64Array>();
/** A leap year whose clear-sky day totals stand for every year (they differ between years by < 0.1 %). */
const CLEAR_SKY_REFERENCE_YEAR = 2000;

/**
 * Clear-sky daily irradiation (Wh/m²) for each day of a leap reference year, local solar days, sampled at
 * {@link CALIBRATION_STEP_MINUTES} midpoints. Cached per site and turbidity.
 */
function clearSkyReferenceDays(ctx: ModelContext): Float64Array {
  const { site } = ctx;
  const key = JSON.stringify([site.latitudeDeg, site.longitudeDeg, site.altitudeM, ctx.turbidity]);
  const hit = referenceCache.get(key);
  if (hit) return hit;
  const firstDay = Math.round(Date.UTC(CLEAR_SKY_REFERENCE_YEAR, 0, 1) / MS_PER_DAY);
  const days = 366;
  const perDay = (24 * 60) / CALIBRATION_STEP_MINUTES;
  const stepMs = CALIBRATION_STEP_MINUTES * MS_PER_MINUTE;
  const times = new Float64Array(days * perDay);
  for (let i = 0; i < days; i++) {
    const t0 = dayStartMs(site, firstDay + i);
    for (let j = 0; j < perDay; j++) times[i * perDay + j] = t0 + (j + 0.5) * stepMs;
  }
  const pos = solarPositionAt(times, site, { elevationM: site.altitudeM });
  const out = new Float64Array(days);
  const cs: ClearSkyIrradiance = { ghiWPerM2: 0, dniWPerM2: 0, dhiWPerM2: 0 };
  for (let i = 0; i < days; i++) {
    let sum = 0;
    const tl = ctx.turbidity[calendarOf(firstDay + i).month];
    for (let j = 0; j < perDay; j++) {
      const n = i * perDay + j;
      if (pos.zenithDeg[n] >= 90) continue;
      ineichenPerez(
        pos.zenithDeg[n],
        site.altitudeM,
        tl,
        extraterrestrialNormalWPerM2(pos.earthSunDistanceAu[n]),
        cs,
      );
      sum += cs.ghiWPerM2;
    }
    out[i] = (sum * CALIBRATION_STEP_MINUTES) / 60;
  }
  if (referenceCache.size >= YEAR_CACHE_SIZE)
    referenceCache.delete(referenceCache.keys().next().value as string);
  referenceCache.set(key, out);
  return out;
}

function buildYearModel(ctx: ModelContext, year: number): YearModel {
  const { site, climate, seed } = ctx;
  const firstDay = Math.round(Date.UTC(year, 0, 1) / MS_PER_DAY);
  const days = Math.round(Date.UTC(year + 1, 0, 1) / MS_PER_DAY) - firstDay;
  const months = new Int8Array(days);
  for (let i = 0; i < days; i++) months[i] = new Date((firstDay + i) * MS_PER_DAY).getUTCMonth();

  const clearSkyDayWhPerM2 = new Float64Array(days);
  const reference = clearSkyReferenceDays(ctx);
  const leap = days === 366;
  for (let i = 0; i < days; i++) clearSkyDayWhPerM2[i] = reference[!leap && i >= 59 ? i + 1 : i];

  // Monthly targets: flat outside the monsoon, lower in it, scaled to the annual normal.
  const targetWhPerM2 = climate.annual_ghi_kwh_per_m2 * 1000 * (days / DAYS_PER_YEAR);
  const monthClear = new Array<number>(12).fill(0);
  for (let i = 0; i < days; i++) monthClear[months[i]] += clearSkyDayWhPerM2[i];
  const factor = (m: number) =>
    isMonsoon(climate, m)
      ? MONSOON_CLEARNESS_FACTOR
      : isMonsoon(climate, (m + 11) % 12)
        ? POST_MONSOON_CLEARNESS_FACTOR
        : 1;
  let weighted = 0;
  for (let m = 0; m < 12; m++) weighted += factor(m) * monthClear[m];
  const scale = targetWhPerM2 / weighted;
  const monthlyClearSkyIndex = monthClear.map((_, m) => scale * factor(m));
  const worst = Math.max(...monthlyClearSkyIndex);
  if (worst > K_MONTH_MEAN_MAX) {
    const clearKwh = monthClear.reduce((a, b) => a + b, 0) / 1000;
    throw new RangeError(
      `climate.annual_ghi_kwh_per_m2 = ${climate.annual_ghi_kwh_per_m2} needs a mean clear-sky index of ` +
        `${worst.toFixed(2)} in some month at latitude ${site.latitudeDeg}° (clear-sky GHI there is about ` +
        `${Math.round(clearKwh)} kWh/m² a year); the generator supports at most ${K_MONTH_MEAN_MAX}`,
    );
  }
  // Latent mean per month so that E[k] = target: E[Φ(μ + X)] = Φ(μ/√2) for X ~ N(0, 1).
  const muMonth = monthlyClearSkyIndex.map(
    (k) => Math.SQRT2 * normalQuantile((k - K_DAY_MIN) / (K_DAY_MAX - K_DAY_MIN)),
  );
  const muDay = new Float64Array(days);
  const monthStart = (m: number) => Math.round(Date.UTC(year, m, 1) / MS_PER_DAY) - firstDay;
  const mids = Array.from({ length: 12 }, (_, m) => (monthStart(m) + monthStart(m + 1)) / 2);
  // Piecewise-linear between mid-months, wrapping December → January.
  const knots = [mids[11] - days, ...mids, mids[0] + days];
  const values = [muMonth[11], ...muMonth, muMonth[0]];
  for (let i = 0, j = 0; i < days; i++) {
    const x = i + 0.5;
    while (knots[j + 1] <= x) j++;
    muDay[i] = values[j] + ((x - knots[j]) / (knots[j + 1] - knots[j])) * (values[j + 1] - values[j]);
  }

  // Latent daily cloudiness.
  const latent = new Float64Array(days);
  let x = createRandom(hashSeed(seed, 'cloud-start', year)).normal();
  for (let i = 0; i < days; i++) {
    const phi = isMonsoon(climate, months[i]) ? DAILY_PERSISTENCE_MONSOON : DAILY_PERSISTENCE;
    if (i > 0)
      x = phi * x + Math.sqrt(1 - phi * phi) * createRandom(hashSeed(seed, 'cloud', firstDay + i)).normal();
    latent[i] = muDay[i] + x;
  }
  // Shift each calendar month so its expected GHI is its target (monotone in the shift: bisection).
  const kOf = (z: number) => K_DAY_MIN + (K_DAY_MAX - K_DAY_MIN) * normalCdf(z);
  const kDay = new Float64Array(days);
  for (let m = 0; m < 12; m++) {
    const d0 = monthStart(m);
    const d1 = monthStart(m + 1);
    const target = monthlyClearSkyIndex[m] * monthClear[m];
    const monthGhi = (s: number) => {
      let sum = 0;
      for (let i = d0; i < d1; i++) sum += clearSkyDayWhPerM2[i] * kOf(latent[i] + s);
      return sum;
    };
    let lo = -8;
    let hi = 8;
    for (let it = 0; it < 50; it++) {
      const mid = (lo + hi) / 2;
      if (monthGhi(mid) < target) lo = mid;
      else hi = mid;
    }
    const shift = (lo + hi) / 2;
    for (let i = d0; i < d1; i++) kDay[i] = kOf(latent[i] + shift);
  }
  let kMean = 0;
  for (let i = 0; i < days; i++) kMean += kDay[i] / days;

  // Temperature anomaly, then each calendar month's mean removed.
  const temperatureAnomalyC = new Float64Array(days);
  let a = createRandom(hashSeed(seed, 'temperature-start', year)).normal();
  for (let i = 0; i < days; i++) {
    if (i > 0) {
      const e = createRandom(hashSeed(seed, 'temperature', firstDay + i)).normal();
      a = TEMPERATURE_PERSISTENCE * a + Math.sqrt(1 - TEMPERATURE_PERSISTENCE ** 2) * e;
    }
    const c = coldness(ctx.cycle, i + 0.5);
    const sd =
      TEMPERATURE_ANOMALY_SD_SUMMER_C +
      c * (TEMPERATURE_ANOMALY_SD_WINTER_C - TEMPERATURE_ANOMALY_SD_SUMMER_C);
    temperatureAnomalyC[i] = sd * a;
  }
  const sums = new Array<number>(12).fill(0);
  const counts = new Array<number>(12).fill(0);
  for (let i = 0; i < days; i++) {
    sums[months[i]] += temperatureAnomalyC[i];
    counts[months[i]]++;
  }
  for (let i = 0; i < days; i++) temperatureAnomalyC[i] -= sums[months[i]] / counts[months[i]];

  // Daily range: wider on clear days, narrower under cloud, mean = configured range.
  const temperatureRangeC = new Float64Array(days);
  let rangeMean = 0;
  for (let i = 0; i < days; i++) {
    const rel = Math.max(RANGE_MIN_FRACTION, 1 + RANGE_CLOUD_SENSITIVITY * ((kDay[i] - kMean) / kMean));
    temperatureRangeC[i] = rel;
    rangeMean += rel / days;
  }
  for (let i = 0; i < days; i++) temperatureRangeC[i] *= climate.daily_temperature_range_c / rangeMean;

  return {
    year,
    firstDay,
    days,
    kDay,
    temperatureAnomalyC,
    temperatureRangeC,
    clearSkyDayWhPerM2,
    monthlyClearSkyIndex,
  };
}

interface DayValues {
  kDay: number;
  anomalyC: number;
  rangeC: number;
}

function dayValues(ctx: ModelContext, day: number, memo: Map<number, YearModel>): DayValues {
  const { year } = calendarOf(day);
  let m = memo.get(year);
  if (!m) {
    m = yearModel(ctx, year);
    memo.set(year, m);
  }
  const i = day - m.firstDay;
  return { kDay: m.kDay[i], anomalyC: m.temperatureAnomalyC[i], rangeC: m.temperatureRangeC[i] };
}

/** Solar hour of sunrise on a day of year (Cooper's declination; polar day/night clamped). */
function sunriseSolarHour(latitudeDeg: number, doy: number): number {
  const decl = 23.45 * Math.sin((2 * Math.PI * (284 + doy + 1)) / 365);
  const c = -Math.tan((latitudeDeg * Math.PI) / 180) * Math.tan((decl * Math.PI) / 180);
  const ws = Math.acos(Math.max(-1, Math.min(1, c))) * (180 / Math.PI);
  return 12 - ws / 15;
}

/** Diurnal shape in [−1, 1]: −1 at sunrise, +1 at the afternoon maximum, half-cosines in between. */
function diurnalShape(hour: number, minHour: number, maxHour: number): number {
  if (hour >= minHour && hour <= maxHour)
    return -Math.cos((Math.PI * (hour - minHour)) / (maxHour - minHour));
  const hh = hour < minHour ? hour + 24 : hour;
  return Math.cos((Math.PI * (hh - maxHour)) / (minHour + 24 - maxHour));
}

/** Cloud cover (0–1) from a clear-sky index, by the inverse of Kasten & Czeplak (1980). */
export function cloudCoverFromClearSkyIndex(k: number): number {
  if (k >= 1) return 0;
  const c = Math.pow(Math.max(0, 1 - k) / KC_A, 1 / KC_B);
  return c > 1 ? 1 : c;
}

/** Mean over each grid interval of a piecewise-constant series on a regular base grid. */
export function averageOntoGrid(
  baseStartMs: number,
  baseStepMs: number,
  base: readonly Float64Array[],
  grid: TimeGrid,
): Float64Array[] {
  const outs = base.map(() => new Float64Array(grid.count));
  const stepMs = grid.intervalMinutes * MS_PER_MINUTE;
  const nBase = base.length ? base[0].length : 0;
  for (let i = 0; i < grid.count; i++) {
    const t0 = grid.startMs + i * stepMs;
    const t1 = t0 + stepMs;
    const f0 = (t0 - baseStartMs) / baseStepMs;
    const f1 = (t1 - baseStartMs) / baseStepMs;
    const j0 = Math.floor(f0);
    const j1 = Math.ceil(f1) - 1;
    if (j0 < 0 || j1 >= nBase) throw new RangeError('grid interval outside the generated range');
    for (let s = 0; s < base.length; s++) {
      const src = base[s];
      let sum = 0;
      for (let j = j0; j <= j1; j++) {
        const w = Math.min(f1, j + 1) - Math.max(f0, j);
        if (w > 0) sum += src[j] * w;
      }
      outs[s][i] = sum / (f1 - f0);
    }
  }
  return outs;
}

function contextOf(
  opts: Pick<SyntheticWeatherOptions, 'location' | 'climate' | 'seed' | 'monthlyLinkeTurbidity'>,
): ModelContext {
  if (!Number.isFinite(opts.seed)) throw new RangeError(`seed must be a finite number, got ${opts.seed}`);
  const turbidity = opts.monthlyLinkeTurbidity ?? DEFAULT_MONTHLY_LINKE_TURBIDITY;
  if (turbidity.length !== 12 || turbidity.some((t) => !(t >= 1 && t <= 10)))
    throw new RangeError('monthlyLinkeTurbidity must hold 12 values between 1 and 10');
  return {
    site: siteOf(opts.location),
    climate: opts.climate,
    seed: opts.seed,
    turbidity,
    cycle: fitTemperatureCycle(opts.climate),
  };
}

/** Calibration facts of the generator for one year: what it aims for, for reports and docs. */
export function syntheticCalibration(
  opts: Pick<SyntheticWeatherOptions, 'location' | 'climate' | 'seed' | 'monthlyLinkeTurbidity'>,
  year: number,
): { monthlyClearSkyIndex: number[]; clearSkyAnnualKwhPerM2: number; temperatureCycle: TemperatureCycle } {
  const ctx = contextOf(opts);
  const m = yearModel(ctx, year);
  return {
    monthlyClearSkyIndex: [...m.monthlyClearSkyIndex],
    clearSkyAnnualKwhPerM2: m.clearSkyDayWhPerM2.reduce((a, b) => a + b, 0) / 1000,
    temperatureCycle: ctx.cycle,
  };
}

/** Synthetic weather on a grid. Same inputs, same series; sub-ranges match longer runs exactly. */
export function syntheticWeather(opts: SyntheticWeatherOptions): WeatherSeries {
  const { grid } = opts;
  if (!(grid.intervalMinutes > 0) || !Number.isInteger(grid.count) || grid.count < 0)
    throw new RangeError(`invalid grid: ${JSON.stringify(grid)}`);
  const ctx = contextOf(opts);
  const { site } = ctx;
  const empty = () => new Float64Array(grid.count);
  if (grid.count === 0) {
    return {
      startMs: grid.startMs,
      intervalMinutes: grid.intervalMinutes,
      count: 0,
      ghiWPerM2: empty(),
      dniWPerM2: empty(),
      dhiWPerM2: empty(),
      temperatureC: empty(),
      cloudCover: empty(),
    };
  }
  const endMs = grid.startMs + grid.count * grid.intervalMinutes * MS_PER_MINUTE;
  const firstDay = solarDayOf(site, grid.startMs);
  const lastDay = solarDayOf(site, endMs - 1);
  const nDays = lastDay - firstDay + 1;
  const n = nDays * STEPS_PER_DAY;
  const baseStartMs = dayStartMs(site, firstDay);

  const times = new Float64Array(n);
  for (let j = 0; j < n; j++) times[j] = baseStartMs + (j + 0.5) * BASE_STEP_MS;
  const pos = solarPositionAt(times, site, { elevationM: site.altitudeM });

  const ghi = new Float64Array(n);
  const dni = new Float64Array(n);
  const dhi = new Float64Array(n);
  const temp = new Float64Array(n);
  const cloud = new Float64Array(n);
  const ghiCs = new Float64Array(STEPS_PER_DAY);
  const dniCs = new Float64Array(STEPS_PER_DAY);
  const kStep = new Float64Array(STEPS_PER_DAY);
  const cs: ClearSkyIrradiance = { ghiWPerM2: 0, dniWPerM2: 0, dhiWPerM2: 0 };
  const dec: Decomposition = { dniWPerM2: 0, dhiWPerM2: 0, clearnessIndex: 0 };
  const memo = new Map<number, YearModel>();
  const phiIntra = Math.exp(-BASE_STEP_MINUTES / INTRADAY_CORRELATION_MINUTES);
  const innovIntra = Math.sqrt(1 - phiIntra * phiIntra);

  let prev = dayValues(ctx, firstDay - 1, memo);
  let cur = dayValues(ctx, firstDay, memo);
  for (let di = 0; di < nDays; di++) {
    const day = firstDay + di;
    const next = dayValues(ctx, day + 1, memo);
    const cal = calendarOf(day);
    const tl = ctx.turbidity[cal.month];
    const off = di * STEPS_PER_DAY;

    // Clear sky at each 5-minute step.
    let sumCs = 0;
    for (let s = 0; s < STEPS_PER_DAY; s++) {
      const j = off + s;
      if (pos.zenithDeg[j] < 90) {
        ineichenPerez(
          pos.zenithDeg[j],
          site.altitudeM,
          tl,
          extraterrestrialNormalWPerM2(pos.earthSunDistanceAu[j]),
          cs,
        );
        ghiCs[s] = cs.ghiWPerM2;
        dniCs[s] = cs.dniWPerM2;
      } else {
        ghiCs[s] = 0;
        dniCs[s] = 0;
      }
      sumCs += ghiCs[s];
    }

    // Within-day cloud passages, renormalised so the day keeps its daily index exactly.
    const rng = createRandom(hashSeed(ctx.seed, 'intraday', day));
    const k = cur.kDay;
    const spread = (4 * (k - K_DAY_MIN) * (K_DAY_MAX - k)) / (K_DAY_MAX - K_DAY_MIN) ** 2;
    const sd = INTRADAY_SD_MAX * Math.max(0, spread);
    let y = rng.normal();
    let sumK = 0;
    for (let s = 0; s < STEPS_PER_DAY; s++) {
      if (s > 0) y = phiIntra * y + innovIntra * rng.normal();
      const v = Math.min(K_STEP_MAX, Math.max(K_STEP_MIN, k + sd * y));
      kStep[s] = v;
      sumK += ghiCs[s] * v;
    }
    const norm = sumK > 0 ? (k * sumCs) / sumK : 1;

    const sunrise = Math.min(8, Math.max(4, sunriseSolarHour(site.latitudeDeg, cal.doy)));
    for (let s = 0; s < STEPS_PER_DAY; s++) {
      const j = off + s;
      const kv = Math.min(K_STEP_MAX, kStep[s] * norm);
      const g = ghiCs[s] * kv;
      ghi[j] = g;
      if (g > 0) {
        erbs(g, pos.zenithDeg[j], extraterrestrialNormalWPerM2(pos.earthSunDistanceAu[j]), dniCs[s], dec);
        dni[j] = dec.dniWPerM2;
        dhi[j] = dec.dhiWPerM2;
      }
      // Daily quantities interpolated between solar noons so nothing jumps at midnight.
      const frac = (s + 0.5) / STEPS_PER_DAY;
      let kI: number, aI: number, rI: number;
      if (frac < 0.5) {
        const w = frac + 0.5;
        kI = prev.kDay + w * (cur.kDay - prev.kDay);
        aI = prev.anomalyC + w * (cur.anomalyC - prev.anomalyC);
        rI = prev.rangeC + w * (cur.rangeC - prev.rangeC);
      } else {
        const w = frac - 0.5;
        kI = cur.kDay + w * (next.kDay - cur.kDay);
        aI = cur.anomalyC + w * (next.anomalyC - cur.anomalyC);
        rI = cur.rangeC + w * (next.rangeC - cur.rangeC);
      }
      cloud[j] = cloudCoverFromClearSkyIndex(kI + (kv - k));
      const doyFrac = cal.doy + frac;
      temp[j] =
        seasonalTemperatureC(ctx.cycle, doyFrac) +
        aI +
        (rI / 2) * diurnalShape(frac * 24, sunrise, TEMPERATURE_MAX_SOLAR_HOUR);
    }
    prev = cur;
    cur = next;
  }

  const [g, b, d, t, c] = averageOntoGrid(baseStartMs, BASE_STEP_MS, [ghi, dni, dhi, temp, cloud], grid);
  return {
    startMs: grid.startMs,
    intervalMinutes: grid.intervalMinutes,
    count: grid.count,
    ghiWPerM2: g,
    dniWPerM2: b,
    dhiWPerM2: d,
    temperatureC: t,
    cloudCover: c,
  };
}
