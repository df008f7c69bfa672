import type { AssetOf } from '../../model/schema.ts';
import { MS_PER_HOUR, type LocalTime, type TimeGrid, intervalMs, timeAt } from '../../model/time.ts';
import { dayKind, type HolidayCalendar } from '../../model/calendar.ts';
import type { Rng } from './rng.ts';
import { createRandom } from '../../weather/random.ts';
import type { BusState, Dispatch } from '../strategy-interface.ts';
import { readBusBlocks } from '../inputs/index.ts';
import { clamp, finite, type PrepareContext, type RunContext } from './context.ts';

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

type DepotBus = BusState & { blockCursor: number; drainKwhPerInterval: number };

/** Every depot's buses through a run, flattened over depots in district order. */
export class BusStepper {
  /** What the strategy sees; `Dispatch.busKw` follows this order. */
  readonly buses: DepotBus[] = [];

  constructor(
    private readonly depots: DepotUnit[],
    private readonly run: RunContext,
  ) {
    depots.forEach((dep, di) => {
      for (let b = 0; b < dep.cfg.buses; b++) {
        // A bus starts the run charged for its first pull-out, as a depot would have it.
        const first = dep.plan.blocksByBus[b][0];
        const socKwh =
          dep.cfg.battery_kwh * (first ? requiredDepartureSoc(dep.cfg, first) : dep.cfg.pull_out_soc_min);
        this.buses.push({
          depotIndex: di,
          busIndex: b,
          atDepot: true,
          socKwh,
          requiredSocKwh: 0,
          blockCursor: 0,
          drainKwhPerInterval: 0,
        });
      }
    });
  }

  /**
   * Sends buses out on blocks that start now (what they lack then counts unmet) and brings back
   * those whose block ended; each bus then knows its next block and the SoC it needs for it.
   */
  move(timeMs: number, endMs: number): void {
    for (const bus of this.buses) {
      const dep = this.depots[bus.depotIndex];
      const blocks = dep.plan.blocksByBus[bus.busIndex];
      const blk = blocks[bus.blockCursor];
      if (bus.atDepot && blk && blk.startMs <= timeMs) {
        const required = requiredDepartureSoc(dep.cfg, blk) * dep.cfg.battery_kwh;
        this.run.totals.busUnmetKwh += Math.max(0, required - bus.socKwh);
        bus.atDepot = false;
        bus.drainKwhPerInterval =
          blk.energyKwh / Math.max(1, Math.round((blk.endMs - blk.startMs) / (endMs - timeMs)));
      }
      if (!bus.atDepot && blk && blk.endMs <= timeMs) {
        bus.atDepot = true;
        bus.blockCursor++;
      }
      bus.nextBlock = blocks[bus.blockCursor];
      bus.requiredSocKwh = bus.nextBlock
        ? requiredDepartureSoc(dep.cfg, bus.nextBlock) * dep.cfg.battery_kwh
        : 0;
    }
  }

  /** Charges or discharges each bus at its depot as the dispatch asks, within its limits; kW. */
  apply(dispatch: Dispatch, i: number): number {
    const dt = this.run.intervalHours;
    const chargers = this.depots.map(() => ({ charging: 0, discharging: 0 }));
    let busKw = 0;
    for (let b = 0; b < this.buses.length; b++) {
      const bus = this.buses[b];
      const dep = this.depots[bus.depotIndex];
      const cfg = dep.cfg;
      if (!bus.atDepot) {
        bus.socKwh = Math.max(0, bus.socKwh - bus.drainKwhPerInterval);
        continue;
      }
      const eta = cfg.charging_efficiency;
      const roomKwh = cfg.soc_max * cfg.battery_kwh - bus.socKwh;
      const spareKwh = bus.socKwh - cfg.soc_min * cfg.battery_kwh;
      const wantKw = clamp(
        finite(dispatch.busKw[b]),
        -Math.min(cfg.charger_kw, (Math.max(0, spareKwh) * eta) / dt),
        Math.min(cfg.charger_kw, Math.max(0, roomKwh) / eta / dt),
      );
      const p = takeCharger(cfg, chargers[bus.depotIndex], wantKw);
      bus.socKwh += p >= 0 ? p * dt * eta : (p * dt) / eta;
      busKw += p;
      this.run.assetKw(dep.id)[i] += p;
    }
    return busKw;
  }
}

/**
 * Chargers are shared: the first buses to ask get them (the strategy orders its requests), and only
 * the V2G ones discharge. Returns the power the bus gets, 0 when no charger is left for it.
 */
function takeCharger(
  cfg: BusDepotConfig,
  taken: { charging: number; discharging: number },
  kw: number,
): number {
  if (kw > 0) {
    if (taken.charging + taken.discharging >= cfg.chargers) return 0;
    taken.charging++;
  } else if (kw < 0) {
    if (taken.discharging >= cfg.v2g_chargers || taken.charging + taken.discharging >= cfg.chargers) return 0;
    taken.discharging++;
  }
  return kw;
}
