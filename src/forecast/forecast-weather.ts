import { DateTime } from 'luxon';
import {
  cloudCoverFromClearSkyIndex,
  createRandom,
  hashSeed,
  normalCdf,
  normalQuantile,
  type WeatherSeries,
} from '../weather/index.ts';
import { emptyForecastWeather } from './series.ts';
import type { ForecastWeather } from './types.ts';

// Issued weather forecasts for simulations: what a forecast made at an issue time would have said,
// derived from the true weather with errors that grow with lead time, so forecasters and the optimizer
// never see the truth. Seeded: the same (seed, issue time) gives the same forecast.
//
// Cloudiness errors live in a latent space: the clear-sky index k implied by the cloud cover (Kasten &
// Czeplak) is mapped through the normal quantile, smoothed over a few hours (a weather model does not
// place individual cloud passages) and perturbed by a component shared by the whole target day
// (synoptic error: the front arrives early or late) plus an hourly AR(1) component. The error sizes are
// this project's assumption, chosen so a day-ahead cloud forecast explains roughly two thirds of the
// day-to-day variance of the clear-sky index, in the range reported for day-ahead NWP irradiance
// (correlations 0.8–0.9 of daily GHI; Perez et al. 2013, Solar Energy 94, 305–326). Temperature error
// follows the 1–2 °C RMSE of day-ahead 2 m temperature forecasts.

const MS_PER_HOUR = 3_600_000;
/** Latent cloud error SD at lead 0 and its growth per day of lead. */
const CLOUD_ERROR_SD_AT_ISSUE = 0.45;
const CLOUD_ERROR_SD_PER_DAY = 0.25;
/** Share of the latent cloud error variance common to a whole target day. */
const CLOUD_DAILY_SHARE = 0.8;
/** Half-width of the window over which the forecast smooths the true cloudiness, hours. */
const CLOUD_SMOOTHING_HALF_WIDTH_H = 2;
/** Temperature error SD at lead 0 and its growth per day of lead, °C. */
const TEMPERATURE_ERROR_SD_AT_ISSUE_C = 1.0;
const TEMPERATURE_ERROR_SD_PER_DAY_C = 0.5;
const TEMPERATURE_DAILY_SHARE = 0.64;
/** Hour-to-hour persistence of the hourly error components. */
const HOURLY_ERROR_PERSISTENCE = 0.9;
/** Clear-sky index bounds of the latent mapping (those of the synthetic generator). */
const K_MIN = 0.05;
const K_MAX = 1.0;
/** Kasten & Czeplak (1980) k = 1 − 0.75·C^3.4, as in src/weather/synthetic.ts. */
const KC_A = 0.75;
const KC_B = 3.4;
/**
 * KMA SKY categories by total cloud amount in tenths (기상청 단기예보 하늘상태): 맑음 0–5, 구름많음 6–8,
 * 흐림 9–10.
 */
export const SKY_CLEAR = 1;
export const SKY_MOSTLY_CLOUDY = 3;
export const SKY_OVERCAST = 4;
const SKY_CLEAR_MAX_COVER = 0.55;
const SKY_MOSTLY_CLOUDY_MAX_COVER = 0.85;
/** POP: probability rises as the forecast clear-sky index falls through this midpoint (width), KMA's 10 % steps. */
const POP_MIDPOINT_K = 0.3;
const POP_WIDTH_K = 0.12;
/** REH: humid under cloud, drier on warm afternoons; a rough climatological relation, ±8 % noise. */
const REH_CLEAR_PERCENT = 55;
const REH_OVERCAST_PERCENT = 88;
const REH_PER_C = -1.2;
const REH_REFERENCE_C = 15;
const REH_NOISE_PERCENT = 8;
/**
 * PTY: a precipitation type is forecast where POP reaches this (this project's assumption: where rain
 * is more likely than not, with a margin, as a forecaster would call it); snow at or below 0 °C, rain and
 * snow up to 2 °C, rain above.
 */
const PTY_MIN_POP_PERCENT = 60;
const PTY_SNOW_MAX_C = 0;
const PTY_SLEET_MAX_C = 2;
/** KMA PTY codes. */
export const PTY_NONE = 0;
export const PTY_RAIN = 1;
export const PTY_RAIN_SNOW = 2;
export const PTY_SNOW = 3;

export function skyFromCloudCover(cover: number): number {
  if (!Number.isFinite(cover)) return NaN;
  return cover <= SKY_CLEAR_MAX_COVER
    ? SKY_CLEAR
    : cover <= SKY_MOSTLY_CLOUDY_MAX_COVER
      ? SKY_MOSTLY_CLOUDY
      : SKY_OVERCAST;
}

/** Representative cloud cover of a KMA SKY code (mid-range of its tenths). */
export function cloudCoverFromSky(sky: number): number {
  if (sky === SKY_CLEAR) return 0.25;
  if (sky === SKY_MOSTLY_CLOUDY || sky === 2) return 0.7;
  if (sky === SKY_OVERCAST) return 0.95;
  return NaN;
}

function latentOfCover(c: number): number {
  const k = 1 - KC_A * Math.pow(Math.min(1, Math.max(0, c)), KC_B);
  const u = Math.min(0.995, Math.max(0.005, (k - K_MIN) / (K_MAX - K_MIN)));
  return normalQuantile(u);
}

/** A forecast issued at one time, on the truth's grid from the first interval at or after the issue. */
export interface IssuedWeatherForecast extends Omit<ForecastWeather, 'issueMs'> {
  issueMs: number;
  startMs: number;
  intervalMinutes: number;
}

export interface ForecastWeatherOptions {
  seed: number;
  /** Zone of the local days that share a synoptic error; Asia/Seoul when absent. */
  zone?: string;
}

/** The forecast issued at `issueMs` for `horizonHours` (cut at the end of the truth). */
export function issueWeatherForecast(
  truth: WeatherSeries,
  issueMs: number,
  horizonHours: number,
  opts: ForecastWeatherOptions,
): IssuedWeatherForecast {
  const stepMs = truth.intervalMinutes * 60_000;
  const first = Math.max(0, Math.ceil((issueMs - truth.startMs) / stepMs));
  const n = Math.max(0, Math.min(truth.count - first, Math.ceil((horizonHours * MS_PER_HOUR) / stepMs)));
  const zone = opts.zone ?? 'Asia/Seoul';
  const rng = createRandom(hashSeed(opts.seed, 'forecast-weather', issueMs));
  const half = Math.max(0, Math.round((CLOUD_SMOOTHING_HALF_WIDTH_H * MS_PER_HOUR) / stepMs));
  const phi = Math.pow(HOURLY_ERROR_PERSISTENCE, truth.intervalMinutes / 60);
  const innov = Math.sqrt(1 - phi * phi);
  const out: IssuedWeatherForecast = {
    issueMs,
    startMs: truth.startMs + first * stepMs,
    intervalMinutes: truth.intervalMinutes,
    temperatureC: new Float64Array(n),
    cloudCover: new Float64Array(n),
    sky: new Float64Array(n),
    popPercent: new Float64Array(n),
    rehPercent: new Float64Array(n),
    ptyCode: new Float64Array(n),
  };
  const dayErr = new Map<number, { cloud: number; temp: number }>();
  let hc = rng.normal();
  let ht = rng.normal();
  let lastDay = NaN;
  // The local day of the step before, valid until the next local midnight: the zone's calendar is
  // consulted once per day, not once per step (it was a tenth of a re-plan's forecasting time).
  let dayEndMs = -Infinity;
  let day = NaN;
  for (let j = 0; j < n; j++) {
    const i = first + j;
    const tMs = truth.startMs + i * stepMs;
    const leadDays = Math.max(0, (tMs - issueMs) / (24 * MS_PER_HOUR));
    if (!(tMs < dayEndMs && tMs >= day * MS_PER_HOUR)) {
      const local = DateTime.fromMillis(tMs, { zone }).startOf('day');
      day = Math.floor(local.toMillis() / MS_PER_HOUR);
      dayEndMs = local.plus({ days: 1 }).toMillis();
    }
    if (day !== lastDay) {
      lastDay = day;
      if (!dayErr.has(day)) {
        const r = createRandom(hashSeed(opts.seed, 'forecast-weather-day', issueMs, day));
        dayErr.set(day, { cloud: r.normal(), temp: r.normal() });
      }
    }
    const de = dayErr.get(day)!;
    if (j > 0) {
      hc = phi * hc + innov * rng.normal();
      ht = phi * ht + innov * rng.normal();
    }
    // Cloud.
    let sum = 0;
    let cnt = 0;
    for (let m = Math.max(0, i - half); m <= Math.min(truth.count - 1, i + half); m++) {
      sum += latentOfCover(truth.cloudCover[m]);
      cnt++;
    }
    const sdC = CLOUD_ERROR_SD_AT_ISSUE + CLOUD_ERROR_SD_PER_DAY * leadDays;
    const v =
      sum / cnt + sdC * (Math.sqrt(CLOUD_DAILY_SHARE) * de.cloud + Math.sqrt(1 - CLOUD_DAILY_SHARE) * hc);
    const kF = K_MIN + (K_MAX - K_MIN) * normalCdf(v);
    const cover = cloudCoverFromClearSkyIndex(kF);
    out.cloudCover[j] = cover;
    out.sky[j] = skyFromCloudCover(cover);
    // Temperature.
    const sdT = TEMPERATURE_ERROR_SD_AT_ISSUE_C + TEMPERATURE_ERROR_SD_PER_DAY_C * leadDays;
    const t =
      truth.temperatureC[i] +
      sdT * (Math.sqrt(TEMPERATURE_DAILY_SHARE) * de.temp + Math.sqrt(1 - TEMPERATURE_DAILY_SHARE) * ht);
    out.temperatureC[j] = t;
    // Precipitation probability and humidity follow the forecast itself, not the truth.
    out.popPercent[j] = Math.round(10 * normalCdf((POP_MIDPOINT_K - kF) / POP_WIDTH_K)) * 10;
    const reh =
      REH_CLEAR_PERCENT +
      (REH_OVERCAST_PERCENT - REH_CLEAR_PERCENT) * cover +
      REH_PER_C * (t - REH_REFERENCE_C) +
      REH_NOISE_PERCENT * rng.normal();
    out.rehPercent[j] = Math.round(Math.min(100, Math.max(10, reh)) / 5) * 5;
    out.ptyCode[j] =
      out.popPercent[j] < PTY_MIN_POP_PERCENT
        ? PTY_NONE
        : t <= PTY_SNOW_MAX_C
          ? PTY_SNOW
          : t <= PTY_SLEET_MAX_C
            ? PTY_RAIN_SNOW
            : PTY_RAIN;
  }
  return out;
}

/** UTC ms of the day-ahead issue that covers local day containing `tMs`: `issueHour` local on the day before. */
export function dayAheadIssueMs(tMs: number, zone: string, issueHour: number): number {
  return DateTime.fromMillis(tMs, { zone })
    .startOf('day')
    .minus({ days: 1 })
    .plus({ hours: issueHour })
    .toMillis();
}

/**
 * Forecast weather aligned to the truth's grid, each interval carrying the day-ahead forecast for its
 * local day (issued at `issueHour` the day before), as a forecast archive would be kept. Intervals whose
 * issue lies before the truth starts get NaN.
 */
export function dayAheadForecastWeather(
  truth: WeatherSeries,
  opts: ForecastWeatherOptions & { issueHour?: number },
): ForecastWeather {
  const zone = opts.zone ?? 'Asia/Seoul';
  const issueHour = opts.issueHour ?? 17;
  const out = emptyForecastWeather(truth.count);
  const stepMs = truth.intervalMinutes * 60_000;
  let i = 0;
  while (i < truth.count) {
    const tMs = truth.startMs + i * stepMs;
    const issueMs = dayAheadIssueMs(tMs, zone, issueHour);
    const dayEndMs = DateTime.fromMillis(tMs, { zone }).startOf('day').plus({ days: 1 }).toMillis();
    const nDay = Math.ceil((dayEndMs - tMs) / stepMs);
    if (issueMs < truth.startMs) {
      i += nDay;
      continue;
    }
    const f = issueWeatherForecast(truth, issueMs, (dayEndMs - issueMs) / MS_PER_HOUR, opts);
    const off = Math.round((tMs - f.startMs) / stepMs);
    for (let j = 0; j < nDay && i + j < truth.count; j++) {
      out.issueMs[i + j] = issueMs;
      out.temperatureC[i + j] = f.temperatureC[off + j];
      out.cloudCover[i + j] = f.cloudCover[off + j];
      out.sky[i + j] = f.sky[off + j];
      out.popPercent[i + j] = f.popPercent[off + j];
      out.rehPercent[i + j] = f.rehPercent[off + j];
      out.ptyCode[i + j] = f.ptyCode[off + j];
    }
    i += nDay;
  }
  return out;
}
