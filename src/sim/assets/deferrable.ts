import { DateTime } from 'luxon';
import { deferrableEnergyKwh, HOURS_PER_DAY, type AssetOf } from '../../model/schema.ts';
import { intervalHours, intervalMs, MS_PER_DAY, timeAt, type TimeGrid } from '../../model/time.ts';
import type { Dispatch } from '../strategy-interface.ts';
import type { PrepareContext, RunContext } from './context.ts';

// A deferrable load (a washing line, a pump, a process batch, a water heater): it owes an amount of
// energy in each of its daily windows and may run only inside them, at its nominal power when
// semi-continuous (on or off) or anywhere up to it when continuous. Its device limits, which the
// simulator enforces whatever the dispatch asks: no running outside a window or beyond the window's
// energy, a run lasts its minimum on-time (unless the window closes or the energy is done first), a
// stop lasts its minimum off-time. A dispatch that says nothing about it (the `none` and `rules`
// strategies) runs it as early as allowed. Energy still owed when a window closes is counted unmet.

export type DeferrableConfig = AssetOf<'deferrable_load'>;

/** Below this, kWh, a window's energy counts as delivered (float dust of kW × h sums). */
export const DEFERRABLE_DONE_EPS_KWH = 1e-6;

/** One occurrence of a daily window on the run's grid. */
export interface DeferrableWindow {
  /** First interval and one past the last interval wholly inside the window (clipped to the run). */
  startIndex: number;
  endIndex: number;
  /** Energy owed in this occurrence, kWh (pro rata for the part inside the run when it began before). */
  energyKwh: number;
  /** The window closes inside the run, so what it still owes then is counted unmet. */
  endsInRun: boolean;
}

export interface DeferrableUnit {
  id: string;
  siteId: string;
  cfg: DeferrableConfig;
  windows: DeferrableWindow[];
}

export interface DeferrableState {
  /** Running in the interval just past. */
  on: boolean;
  /** Intervals it has been in that state (Infinity: since before the run). */
  stateIntervals: number;
  /** Index into the unit's windows of the window in force or next (windows.length: none left). */
  window: number;
  /** Energy delivered so far in that window, kWh. */
  deliveredKwh: number;
}

/** Whole intervals a duration in hours takes at least (a 20-minute minimum on 15-minute steps is 2). */
export function durationSteps(hours: number, stepHours: number): number {
  return Math.max(0, Math.ceil(hours / stepHours - 1e-9));
}

/** `hours` after local midnight of `date` (YYYY-MM-DD) in `zone`, UTC ms; hour 24 is next midnight. */
function localHourMs(date: string, hours: number, zone: string): number {
  const days = Math.floor(hours / HOURS_PER_DAY);
  const rest = hours - days * HOURS_PER_DAY;
  const minutes = Math.round(rest * 60);
  return DateTime.fromISO(date, { zone })
    .plus({ days })
    .set({ hour: Math.floor(minutes / 60), minute: minutes % 60 })
    .toMillis();
}

/**
 * The unit's windows on the grid, in time order: every daily window from the local day before the
 * run (a window crossing midnight into the first day) to its last day, reduced to the intervals
 * wholly inside it.
 */
export function deferrableWindows(cfg: DeferrableConfig, grid: TimeGrid, zone: string): DeferrableWindow[] {
  const stepMs = intervalMs(grid);
  const runEndMs = timeAt(grid, grid.count);
  const energyKwh = deferrableEnergyKwh(cfg);
  const first = DateTime.fromMillis(grid.startMs, { zone }).startOf('day').minus({ days: 1 });
  const days = Math.ceil((runEndMs - first.toMillis()) / MS_PER_DAY) + 1;
  const out: DeferrableWindow[] = [];
  for (let d = 0; d < days; d++) {
    const date = first.plus({ days: d }).toISODate()!;
    for (const w of cfg.windows) {
      const startMs = localHourMs(date, w[0], zone);
      const endMs = localHourMs(date, w[1] > w[0] ? w[1] : w[1] + HOURS_PER_DAY, zone);
      const fullStart = Math.ceil((startMs - grid.startMs) / stepMs);
      const fullEnd = Math.floor((endMs - grid.startMs) / stepMs);
      const startIndex = Math.max(0, fullStart);
      const endIndex = Math.min(grid.count, fullEnd);
      if (endIndex <= startIndex || fullEnd <= fullStart) continue;
      // A window the run starts inside owes only its share; the rest fell before the run.
      const share = (endIndex - Math.max(fullStart, startIndex)) / (fullEnd - fullStart);
      const owed = fullStart < 0 ? energyKwh * share : energyKwh;
      out.push({
        startIndex,
        endIndex,
        energyKwh: Math.min(owed, cfg.nominal_kw * (endIndex - startIndex) * intervalHours(grid)),
        endsInRun: endMs <= runEndMs,
      });
    }
  }
  return out.sort((a, b) => a.startIndex - b.startIndex);
}

export function initialDeferrableState(): DeferrableState {
  return { on: false, stateIntervals: Infinity, window: 0, deliveredKwh: 0 };
}

/** The window in force at interval `i` (or undefined), with the state moved past windows already closed. */
export function windowAt(u: DeferrableUnit, st: DeferrableState, i: number): DeferrableWindow | undefined {
  const w = u.windows[st.window];
  return w && w.startIndex <= i && i < w.endIndex ? w : undefined;
}

export interface DeferrableStep {
  /** Power drawn this interval, kW. */
  kw: number;
  /** A run began this interval. */
  started: boolean;
  /** kWh a window that closed at the end of this interval still owed (0 otherwise). */
  unmetKwh: number;
}

/**
 * One interval of a deferrable load under a setpoint (kW; undefined: as early as allowed), within
 * its limits; updates the state.
 */
export function stepDeferrable(
  u: DeferrableUnit,
  st: DeferrableState,
  i: number,
  requestKw: number | undefined,
  dtHours: number,
): DeferrableStep {
  const cfg = u.cfg;
  const w = windowAt(u, st, i);
  const remainingKwh = w ? Math.max(0, w.energyKwh - st.deliveredKwh) : 0;
  let kw = 0;
  if (w && remainingKwh > DEFERRABLE_DONE_EPS_KWH) {
    const minOn = durationSteps(cfg.min_on_hours, dtHours);
    const minOff = durationSteps(cfg.min_off_hours, dtHours);
    const wanted = requestKw === undefined || !Number.isFinite(requestKw) ? cfg.nominal_kw : requestKw;
    if (st.on && st.stateIntervals < minOn) kw = cfg.nominal_kw;
    else if (!st.on && st.stateIntervals < minOff) kw = 0;
    // Semi-continuous: on or off, whichever the request is nearer.
    else if (cfg.semi_continuous) kw = wanted >= cfg.nominal_kw / 2 ? cfg.nominal_kw : 0;
    else kw = Math.min(cfg.nominal_kw, Math.max(0, wanted));
    // The last interval of a run draws only what the window still owes.
    kw = Math.min(kw, remainingKwh / dtHours);
  }
  const on = kw > 0;
  const started = on && !st.on;
  st.stateIntervals = on === st.on ? st.stateIntervals + 1 : 1;
  st.on = on;
  st.deliveredKwh += kw * dtHours;
  let unmetKwh = 0;
  const cur = u.windows[st.window];
  if (cur && i + 1 >= cur.endIndex) {
    if (cur.endsInRun) unmetKwh = Math.max(0, cur.energyKwh - st.deliveredKwh);
    if (unmetKwh <= DEFERRABLE_DONE_EPS_KWH) unmetKwh = 0;
    st.window++;
    st.deliveredKwh = 0;
  }
  return { kw, started, unmetKwh };
}

export function prepareDeferrable(
  cfg: DeferrableConfig,
  siteId: string,
  ctx: PrepareContext,
): DeferrableUnit {
  return { id: cfg.id, siteId, cfg, windows: deferrableWindows(cfg, ctx.grid, ctx.zone) };
}

/** The district's deferrable loads through a run. */
export class DeferrableStepper {
  /** Per unit, in district order (what the strategy sees). */
  readonly states: DeferrableState[];

  constructor(
    private readonly units: DeferrableUnit[],
    private readonly run: RunContext,
  ) {
    this.states = units.map(initialDeferrableState);
  }

  /** Runs each load as the dispatch asks within its limits; returns their kW together. */
  apply(dispatch: Dispatch, i: number): number {
    const totals = this.run.totals;
    let kw = 0;
    this.units.forEach((u, k) => {
      const r = stepDeferrable(u, this.states[k], i, dispatch.deferrableKw?.[k], this.run.intervalHours);
      kw += r.kw;
      totals.deferrableUnmetKwh += r.unmetKwh;
      if (r.started) totals.deferrableStarts++;
      this.run.assetKw(u.id)[i] = r.kw;
    });
    return kw;
  }
}
