import type { AssetOf } from '../../model/schema.ts';
import type { LocalTime } from '../../model/time.ts';
import { dayKind, type HolidayCalendar } from '../../model/calendar.ts';
import type { Rng } from './rng.ts';
import { measuredProfileKw, type PrepareContext } from './context.ts';

export type LoadConfig = AssetOf<'load'>;

// Shape of a working day between base and peak: factories run flat out through their shifts with a
// dip at the shift change and lunch; offices ramp in the morning, dip at lunch and tail off.
const RAMP_HOURS = 1;
const FACTORY_SHIFT_LEVEL = 0.92;
const FACTORY_BREAK_LEVEL = 0.7;
const OFFICE_LEVEL = 0.9;
const OFFICE_LUNCH_LEVEL = 0.75;
const LUNCH_START_H = 12;
const LUNCH_END_H = 13;
/** An office still runs part of its HVAC outside working hours. */
const OFFICE_OFF_HOURS_HVAC_SHARE = 0.3;

function workLevel(cfg: LoadConfig, hour: number, start: number, end: number): number {
  if (hour < start - RAMP_HOURS || hour >= end + RAMP_HOURS) return 0;
  if (hour < start) return ((hour - (start - RAMP_HOURS)) / RAMP_HOURS) * 0.5;
  if (hour >= end) return (1 - (hour - end) / RAMP_HOURS) * 0.5;
  const lunch = hour >= LUNCH_START_H && hour < LUNCH_END_H;
  if (cfg.profile === 'factory') {
    const shiftChange = Math.abs(hour - (start + end) / 2) < 0.25;
    return lunch || shiftChange ? FACTORY_BREAK_LEVEL : FACTORY_SHIFT_LEVEL;
  }
  if (hour < start + RAMP_HOURS) return 0.5 + ((OFFICE_LEVEL - 0.5) * (hour - start)) / RAMP_HOURS;
  return lunch ? OFFICE_LUNCH_LEVEL : OFFICE_LEVEL;
}

/** Uncontrolled load per interval, kW: working-hours shape, temperature response and seeded noise. */
export function loadSeriesKw(
  cfg: LoadConfig,
  local: readonly LocalTime[],
  temperatureC: ArrayLike<number>,
  calendar: HolidayCalendar,
  rng: Rng,
): Float64Array {
  const out = new Float64Array(local.length);
  let noise = 0;
  for (let i = 0; i < local.length; i++) {
    const lt = local[i];
    const kind = dayKind(lt.date, lt.weekday, calendar);
    const hours = kind === 'weekday' ? cfg.weekday_hours : kind === 'saturday' ? cfg.saturday_hours : null;
    const level = hours ? workLevel(cfg, lt.hour, hours[0], hours[1]) : 0;
    const t = temperatureC[i];
    const hvacShare = cfg.profile === 'office' && level === 0 ? OFFICE_OFF_HOURS_HVAC_SHARE : 1;
    const hvacKw =
      hvacShare *
      (cfg.cooling_kw_per_c * Math.max(0, t - cfg.cooling_threshold_c) +
        cfg.heating_kw_per_c * Math.max(0, cfg.heating_threshold_c - t));
    // AR(1) noise: loads wander rather than jump from one interval to the next.
    noise = 0.8 * noise + 0.6 * cfg.noise_fraction * rng.normal();
    const kw = (cfg.base_kw + (cfg.peak_kw - cfg.base_kw) * level + hvacKw) * (1 + noise);
    out[i] = Math.max(0, kw);
  }
  return out;
}

export interface LoadUnit {
  id: string;
  siteId: string;
  cfg: LoadConfig;
  kw: Float64Array;
}

/** The load over the run: its measured profile where the district file names one, else modelled. */
export function prepareLoad(cfg: LoadConfig, siteId: string, ctx: PrepareContext): LoadUnit {
  const kw = cfg.measured_csv
    ? measuredProfileKw(ctx, cfg.measured_csv)
    : loadSeriesKw(cfg, ctx.local, ctx.weather.temperatureC, ctx.calendar, ctx.seeded(cfg.seed));
  return { id: cfg.id, siteId, cfg, kw };
}

/** What the fixed loads draw together in interval `i`, kW (they follow no setpoint). */
export function fixedLoadKwAt(units: readonly LoadUnit[], i: number): number {
  let kw = 0;
  for (const l of units) kw += l.kw[i];
  return kw;
}
