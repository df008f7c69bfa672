import type { AssetOf } from '../../model/schema.ts';
import { MS_PER_HOUR, type LocalTime, type TimeGrid, intervalMs, timeAt } from '../../model/time.ts';
import { dayKind, type HolidayCalendar } from '../../model/calendar.ts';
import { type Rng, uniform } from './rng.ts';
import type { Dispatch, EvSessionState } from '../strategy-interface.ts';
import { readSessionLog } from '../inputs/index.ts';
import { clamp as clampSetpoint, finite, type PrepareContext, type RunContext } from './context.ts';

export type EvChargersConfig = AssetOf<'ev_chargers'>;

/** One car's stay at one charger: plugged from arrival to departure, wanting `energyKwh`. */
export interface EvSession {
  id: string;
  assetId: string;
  /** Index into the flattened charger list of the asset. */
  chargerIndex: number;
  arrivalMs: number;
  departureMs: number;
  energyKwh: number;
  /** Charging limit of charger and car together. */
  maxPowerKw: number;
  /** Discharge limit when both car and charger allow V2G, else 0. */
  maxDischargeKw: number;
}

export interface ChargerSlot {
  kind: 'ac' | 'dc';
  maxPowerKw: number;
  v2g: boolean;
  protocol: 'ocpp16j' | 'ocpp201';
}

export function chargerSlots(cfg: EvChargersConfig): ChargerSlot[] {
  const slots: ChargerSlot[] = [];
  for (const c of cfg.chargers)
    for (let i = 0; i < c.count; i++)
      slots.push({ kind: c.kind, maxPowerKw: c.max_power_kw, v2g: c.v2g, protocol: c.protocol });
  return slots;
}

export interface EvGeneration {
  sessions: EvSession[];
  /** Cars that found no free charger of their kind before they had to leave. */
  turnedAway: number;
}

/**
 * Seeded sessions for every local day the grid touches. A car that finds every charger of its kind
 * busy waits for the first to free up; if that leaves it too little time it goes uncharged and is
 * counted as turned away, so the generator never plugs more cars than there are chargers.
 */
export function generateEvSessions(
  cfg: EvChargersConfig,
  grid: TimeGrid,
  local: readonly LocalTime[],
  calendar: HolidayCalendar,
  rng: Rng,
): EvGeneration {
  const s = cfg.sessions;
  const slots = chargerSlots(cfg);
  const freeAtMs = new Array<number>(slots.length).fill(-Infinity);
  const candidates: Omit<EvSession, 'chargerIndex' | 'maxPowerKw' | 'maxDischargeKw' | 'id'>[] = [];
  const wantsDc: boolean[] = [];
  const wantsV2g: boolean[] = [];
  const endMs = timeAt(grid, grid.count);
  for (let i = 0; i < grid.count; i++) {
    const lt = local[i];
    if (i > 0 && local[i - 1].date === lt.date) continue;
    const midnightMs = timeAt(grid, i) - lt.hour * MS_PER_HOUR;
    const kind = dayKind(lt.date, lt.weekday, calendar);
    const count = Math.round(kind === 'weekday' ? s.weekday_sessions : s.weekend_sessions);
    for (let k = 0; k < count; k++) {
      let arrivalH: number;
      let departureH: number;
      if (rng.next() < s.short_stay_fraction) {
        arrivalH = uniform(rng, s.short_stay_arrival_hours[0], s.short_stay_arrival_hours[1]);
        departureH = arrivalH + uniform(rng, s.short_stay_hours_min, s.short_stay_hours_max);
      } else {
        arrivalH = s.arrival_hour_mean + s.arrival_hour_sd * rng.normal();
        departureH = s.departure_hour_mean + s.departure_hour_sd * rng.normal();
      }
      arrivalH = clamp(arrivalH, 0, 23.5);
      departureH = clamp(departureH, arrivalH + 0.5, 24);
      const arrivalMs = midnightMs + arrivalH * MS_PER_HOUR;
      if (arrivalMs < grid.startMs || arrivalMs >= endMs) continue;
      candidates.push({
        assetId: cfg.id,
        arrivalMs,
        departureMs: Math.min(endMs, midnightMs + departureH * MS_PER_HOUR),
        energyKwh: uniform(rng, s.energy_kwh_min, s.energy_kwh_max),
      });
      wantsDc.push(rng.next() < s.dc_fraction);
      wantsV2g.push(rng.next() < s.v2g_fraction);
    }
  }
  const order = candidates.map((_, i) => i).sort((a, b) => candidates[a].arrivalMs - candidates[b].arrivalMs);
  const sessions: EvSession[] = [];
  let turnedAway = 0;
  for (const ci of order) {
    const c = candidates[ci];
    const kind = wantsDc[ci] ? 'dc' : 'ac';
    let best = -1;
    for (let j = 0; j < slots.length; j++) {
      if (slots[j].kind !== kind) continue;
      if (best < 0 || freeAtMs[j] < freeAtMs[best]) best = j;
    }
    if (best < 0) {
      turnedAway++;
      continue;
    }
    // Plug-in and departure land on interval boundaries: a car is either there for a whole interval or not.
    const plugMs = alignUp(Math.max(c.arrivalMs, freeAtMs[best]), grid);
    const departureMs = alignDown(c.departureMs, grid);
    // A car needs at least an hour on the plug to be worth plugging in.
    if (departureMs - plugMs < MS_PER_HOUR) {
      turnedAway++;
      continue;
    }
    freeAtMs[best] = departureMs;
    const slot = slots[best];
    // Nobody can be promised more than the charger could deliver while the car is there.
    const deliverableKwh = (slot.maxPowerKw * (departureMs - plugMs)) / MS_PER_HOUR;
    sessions.push({
      ...c,
      energyKwh: Math.min(c.energyKwh, deliverableKwh),
      id: `${cfg.id}#${sessions.length}`,
      arrivalMs: plugMs,
      departureMs,
      chargerIndex: best,
      maxPowerKw: slot.maxPowerKw,
      maxDischargeKw: slot.v2g && wantsV2g[ci] ? slot.maxPowerKw : 0,
    });
  }
  return { sessions, turnedAway };
}

function alignUp(ms: number, grid: TimeGrid): number {
  const stepMs = intervalMs(grid);
  return grid.startMs + Math.ceil((ms - grid.startMs) / stepMs) * stepMs;
}

function alignDown(ms: number, grid: TimeGrid): number {
  const stepMs = intervalMs(grid);
  return grid.startMs + Math.floor((ms - grid.startMs) / stepMs) * stepMs;
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, x));
}

export interface EvUnit {
  id: string;
  siteId: string;
  cfg: EvChargersConfig;
  sessions: EvSession[];
  turnedAway: number;
}

/** The chargers' sessions over the run: from the session log where the district file names one, else drawn. */
export function prepareEv(cfg: EvChargersConfig, siteId: string, ctx: PrepareContext): EvUnit {
  const gen: EvGeneration = cfg.session_log
    ? ctx.readInput(cfg.session_log, (text, file) => readSessionLog(text, file, cfg, ctx.grid))
    : generateEvSessions(cfg, ctx.grid, ctx.local, ctx.calendar, ctx.seeded(cfg.sessions.seed));
  return { id: cfg.id, siteId, cfg, sessions: gen.sessions, turnedAway: gen.turnedAway };
}

/** Every charger asset's sessions through a run, in order of arrival. */
export class EvStepper {
  /** The sessions plugged in now (what the strategy sees). */
  active: EvSessionState[] = [];
  private readonly sessions: EvSession[];
  private next = 0;

  constructor(
    units: EvUnit[],
    private readonly run: RunContext,
  ) {
    this.sessions = units.flatMap((u) => u.sessions).sort((a, b) => a.arrivalMs - b.arrivalMs);
    run.totals.evSessions = this.sessions.length;
    run.totals.evTurnedAway = units.reduce((x, u) => x + u.turnedAway, 0);
  }

  /** Plugs in the cars that have arrived by `timeMs` and not already left. */
  arrive(timeMs: number): void {
    while (this.next < this.sessions.length && this.sessions[this.next].arrivalMs <= timeMs) {
      const ses = this.sessions[this.next++];
      if (ses.departureMs > timeMs)
        this.active.push({ session: ses, deliveredKwh: 0, remainingKwh: ses.energyKwh });
    }
  }

  /** Charges (or, V2G, discharges) each plugged-in car as the dispatch asks, within its limits; kW. */
  apply(dispatch: Dispatch, i: number): number {
    const dt = this.run.intervalHours;
    let evKw = 0;
    for (const st of this.active) {
      const ses = st.session;
      const req = dispatch.evKw.get(ses.id) ?? 0;
      const maxChargeKw = Math.min(ses.maxPowerKw, st.remainingKwh / dt);
      // V2G may give back at most what the car asked for, which it must then take again.
      const maxDischargeKw = Math.min(ses.maxDischargeKw, Math.max(0, st.deliveredKwh + ses.energyKwh) / dt);
      const p = clampSetpoint(finite(req), -maxDischargeKw, Math.max(0, maxChargeKw));
      st.deliveredKwh += p * dt;
      st.remainingKwh = ses.energyKwh - st.deliveredKwh;
      evKw += p;
      this.run.assetKw(ses.assetId)[i] += p;
    }
    return evKw;
  }

  /** Unplugs the cars leaving by `endMs`; what they still wanted counts unmet. */
  depart(endMs: number): void {
    const still: EvSessionState[] = [];
    for (const st of this.active) {
      if (st.session.departureMs <= endMs) this.run.totals.evUnmetKwh += Math.max(0, st.remainingKwh);
      else still.push(st);
    }
    this.active = still;
  }
}
