import type { LocalTime, TimeGrid } from '../../model/time.ts';
import type { HolidayCalendar } from '../../model/calendar.ts';
import type { SiteLocation, WeatherSeries } from '../../weather/types.ts';
import { readProfileCsv, type InputReport } from '../inputs/index.ts';
import type { SimTotals } from '../results.ts';
import type { Rng } from './rng.ts';

// What each asset kind's preparation (prepareDistrict) and stepper (runSimulation) are handed, so an
// asset file needs nothing from the district or the engine but this.

/** The run's grid and surroundings, for turning one asset of the district file into its unit. */
export interface PrepareContext {
  grid: TimeGrid;
  zone: string;
  local: LocalTime[];
  calendar: HolidayCalendar;
  weather: WeatherSeries;
  location: SiteLocation;
  /** A random stream for a seed of the district file (mixed with the run's seed when there is one). */
  seeded(seed: number): Rng;
  /**
   * Reads a measured input file the district file names (relative to it) and parses it; the
   * parser's report is kept for the run's report of what each input became.
   */
  readInput<T extends { report: InputReport }>(path: string, parse: (text: string, file: string) => T): T;
}

/** A measured power profile the district file names (a load's or an array's), on the run's grid, kW. */
export function measuredProfileKw(ctx: PrepareContext, path: string): Float64Array {
  return ctx.readInput(path, (text, file) => readProfileCsv(text, file, ctx.grid, { zone: ctx.zone })).kw;
}

/** Shared by every stepper of one run. */
export interface RunContext {
  intervalHours: number;
  totals: SimTotals;
  /** The asset's own series in `SimSeries.byAsset`, created on first use. */
  assetKw(id: string): Float64Array;
}

export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** A strategy's NaN or infinity becomes the safe default rather than poisoning the run. */
export function finite(x: number | undefined, fallback = 0): number {
  return x !== undefined && Number.isFinite(x) ? x : fallback;
}
