import type { AssetOf } from '../../model/schema.ts';
import { MS_PER_HOUR, type LocalTime, type TimeGrid, intervalMs, timeAt } from '../../model/time.ts';
import { dayKind, type HolidayCalendar } from '../../model/calendar.ts';
import type { Rng } from './rng.ts';
import { createRandom } from '../../weather/random.ts';
import { readBusBlocks } from '../inputs/index.ts';
import type { PrepareContext } from './context.ts';

export type BusDepotConfig = AssetOf<'bus_depot'>;

/** A stretch of service away from the depot: the bus leaves at `startMs` and is back at `endMs`. */
export interface BusBlock {
  busIndex: number;
  startMs: number;
  endMs: number;
  energyKwh: number;
  /** The first block of a service day must leave with at least the pull-out SoC. */
  isPullOut: boolean;
}

export interface BusPlan {
  depotId: string;
  buses: number;
  /** Blocks per bus, in time order. */
  blocksByBus: BusBlock[][];
}

/**
 * The depot's timetable: each bus in service does a morning and an afternoon block with a midday
 * layover between, pull-outs staggered over `pull_out_spread_hours`. On Saturdays, Sundays and
 * holidays only `weekend_service_fraction` of the fleet runs. Times land on interval boundaries.
 * A day's jitter depends only on the seed and the date, not on where the run starts: the timetable is
 * public, so every preparation of a day (a simulation, the live planner's calendar, the twin) agrees.
 */
export function planBusBlocks(
  cfg: BusDepotConfig,
  grid: TimeGrid,
  local: readonly LocalTime[],
  calendar: HolidayCalendar,
  rng: Rng,
): BusPlan {
  const t = cfg.timetable;
  const stepMs = intervalMs(grid);
  const align = (ms: number) => grid.startMs + Math.round((ms - grid.startMs) / stepMs) * stepMs;
  const blocksByBus: BusBlock[][] = Array.from({ length: cfg.buses }, () => []);
  const serviceHours = t.last_return_hour - t.first_pull_out_hour - t.pull_out_spread_hours;
  const drivingHours = serviceHours - t.midday_layover_hours;
  if (drivingHours <= 0) throw new RangeError(`bus depot ${cfg.id}: the timetable leaves no time to drive`);
  const morningHours = (drivingHours * t.morning_block_km) / (t.morning_block_km + t.afternoon_block_km);
  const endMs = timeAt(grid, grid.count);
  const timetableSeed = Math.floor(rng.next() * 2 ** 32);
  for (let i = 0; i < grid.count; i++) {
    const lt = local[i];
    if (i > 0 && local[i - 1].date === lt.date) continue;
    const midnightMs = timeAt(grid, i) - lt.hour * MS_PER_HOUR;
    const inService =
      dayKind(lt.date, lt.weekday, calendar) === 'weekday'
        ? cfg.buses
        : Math.round(cfg.buses * t.weekend_service_fraction);
    const dayRng = createRandom(`${timetableSeed}:${lt.date}`);
    for (let b = 0; b < inService; b++) {
      // Small daily jitter so pull-outs do not repeat to the minute; ± a quarter hour.
      const jitterH = (dayRng.next() - 0.5) * 0.5;
      const pullOutH =
        t.first_pull_out_hour + (t.pull_out_spread_hours * b) / Math.max(1, cfg.buses - 1) + jitterH;
      const morningEndH = pullOutH + morningHours;
      const afternoonStartH = morningEndH + t.midday_layover_hours;
      const returnH = pullOutH + serviceHours;
      const blocks: BusBlock[] = [
        {
          busIndex: b,
          startMs: align(midnightMs + pullOutH * MS_PER_HOUR),
          endMs: align(midnightMs + morningEndH * MS_PER_HOUR),
          energyKwh: t.morning_block_km * cfg.consumption_kwh_per_km,
          isPullOut: true,
        },
        {
          busIndex: b,
          startMs: align(midnightMs + afternoonStartH * MS_PER_HOUR),
          endMs: align(midnightMs + returnH * MS_PER_HOUR),
          energyKwh: t.afternoon_block_km * cfg.consumption_kwh_per_km,
          isPullOut: false,
        },
      ];
      for (const blk of blocks)
        if (blk.startMs >= grid.startMs && blk.endMs <= endMs && blk.endMs > blk.startMs)
          blocksByBus[b].push(blk);
    }
  }
  return { depotId: cfg.id, buses: cfg.buses, blocksByBus };
}

/** SoC fraction a bus needs when it leaves for a block. */
export function requiredDepartureSoc(cfg: BusDepotConfig, block: BusBlock): number {
  const needed = cfg.soc_min + block.energyKwh / cfg.battery_kwh;
  return Math.min(cfg.soc_max, block.isPullOut ? Math.max(cfg.pull_out_soc_min, needed) : needed);
}

export interface DepotUnit {
  id: string;
  siteId: string;
  cfg: BusDepotConfig;
  plan: BusPlan;
}

/** The depot's blocks over the run: from the blocks file where the district file names one, else planned. */
export function prepareDepot(cfg: BusDepotConfig, siteId: string, ctx: PrepareContext): DepotUnit {
  const plan = cfg.blocks_csv
    ? ctx.readInput(cfg.blocks_csv, (text, file) => readBusBlocks(text, file, cfg, ctx.grid, ctx.zone)).plan
    : planBusBlocks(cfg, ctx.grid, ctx.local, ctx.calendar, ctx.seeded(cfg.timetable.seed));
  return { id: cfg.id, siteId, cfg, plan };
}
