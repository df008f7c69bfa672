import { DateTime } from 'luxon';
import type { Scenario } from '../model/schema.ts';
import { MS_PER_DAY, MS_PER_HOUR, intervalMs } from '../model/time.ts';
import { createRandom } from '../weather/index.ts';
import { mixSeed, prepareDistrict, type District } from '../sim/district.ts';
import { requiredDepartureSoc, type BusBlock } from '../sim/assets/bus.ts';
import type { EvSession } from '../sim/assets/ev.ts';
import type { TrainingJob } from '../sim/assets/datacenter.ts';

// The digital twin's own truth: the district as it "really" happens, drawn on a random stream the
// planner never sees. Weather, loads, EV sessions and training jobs come from the district
// preparation with a world seed mixed into every scenario seed, so they differ from what
// `prepareDistrict` without a seed (the planner's district) says. The bus timetable is the
// exception: the depot publishes it, so the world drives the same blocks the planner knows, but the
// energy a bus really uses on a block carries a surprise the timetable does not tell.
//
// The world is prepared in chunks of local days as its clock advances, a little ahead of the time
// asked for, and forgets days well behind it, so it can run for any number of days in bounded memory.

/**
 * World seed used when none is given. Any fixed value reproduces runs; it is not 0 so that the twin's
 * world is not the district of `bitgrid simulate --seed 0` either.
 */
export const DEFAULT_WORLD_SEED = 0x7717_2026;
/** Local days prepared at a time (one day: a day's draws do not depend on where the world started). */
export const WORLD_CHUNK_DAYS = 1;
/**
 * How far ahead of the time asked for the world is prepared. A depot plug window is settled only once
 * the world has run past it (PLUG_LIMIT_MS), so this must exceed that limit.
 */
export const WORLD_LOOKAHEAD_MS = 2 * MS_PER_DAY;
/** How long the world keeps a day after it ended (meters integrate over their last reading). */
export const WORLD_KEEP_PAST_MS = MS_PER_DAY;
/**
 * Surprise on a bus block's energy: uniform ±10 % of the timetable's km × kWh/km. City e-bus energy
 * per trip moves with traffic, passengers, driver and heating or cooling by this order and more
 * (Gallet, Massier & Hamacher 2018, Applied Energy 230, "Estimation of the energy demand of electric
 * buses based on real-world data"); the figure is a chosen spread, not a fit to the depot.
 */
export const BUS_BLOCK_ENERGY_SURPRISE_FRACTION = 0.1;
/**
 * The depot's plug rota: a bus plugged in longer than the time a charger needs to take an empty
 * battery (soc_min) to soc_max at full power is unplugged by the staff when another bus is waiting.
 * Nobody stays on a charger longer than PLUG_LIMIT_MS (a full bus is moved off after a day).
 */
export const PLUG_LIMIT_MS = MS_PER_DAY;
/** A bus that would get less than this on a charger before it leaves is not plugged in. */
export const MIN_PLUG_MS = 30 * 60_000;

const SURPRISE_STREAM = 'bus-block-energy';

export interface TwinWorldOptions {
  scenario: Scenario;
  /** Folder the scenario's relative paths resolve against. */
  baseDir: string;
  /** First local day, YYYY-MM-DD; the scenario's default_start when omitted. */
  start?: string;
  /** Mixed into every scenario seed except the bus timetable's; DEFAULT_WORLD_SEED when omitted. */
  worldSeed?: number;
}

/** A campus EV's stay at one charger slot (chargerIndex into chargerSlots of the asset). */
export type WorldEvSession = EvSession;

/** A training job the data center's team submits at `submitMs`. */
export interface WorldTrainingJob extends TrainingJob {
  datacenterId: string;
}

/** A bus at its depot between two blocks, with the rota's plug window when it got a charger. */
export interface WorldBusStay {
  id: string;
  depotId: string;
  busIndex: number;
  /** Back from the block it just drove. */
  arrivalMs: number;
  /** Pull-out for its next block (Infinity while that block is beyond the prepared days). */
  departureMs: number;
  /** Energy the block it came back from really took, kWh (the timetable's figure plus surprise). */
  drivenKwh: number;
  /** The charger the rota gave it, from 0, with the window it is plugged in; absent when none was free. */
  plug?: { chargerIndex: number; plugMs: number; unplugMs: number };
}

export interface WorldDayInfo {
  /** Local date, YYYY-MM-DD. */
  date: string;
  startMs: number;
  endMs: number;
  intervalMinutes: number;
  /** The tariff's import price per interval, KRW/kWh (public: the planner has the same). */
  importPriceKrwPerKwh: Float64Array;
}

interface Chunk {
  date: string;
  startMs: number;
  endMs: number;
  district: District;
  /** Public timetable of each depot for these days (unseeded preparation). */
  timetable: Map<string, BusBlock[][]>;
  pv: Map<string, Float64Array>;
  loads: Map<string, Float64Array>;
  dcInferenceItKw: Map<string, Float64Array>;
  dcPue: Map<string, Float64Array>;
  evSessions: WorldEvSession[];
  jobs: WorldTrainingJob[];
}

interface BusState {
  /** The stay waiting for this bus's next block to be known. */
  openStay?: WorldBusStay;
  /** SoC at the depot, fraction (after its last charge). */
  socFraction?: number;
}

interface RotaSlot {
  stay: WorldBusStay;
  plugMs: number;
}

interface DepotState {
  id: string;
  buses: BusState[];
  batteryKwh: number;
  socMax: number;
  /** Staff unplug a bus after this long when another is waiting. */
  slotMs: number;
  chargers: (RotaSlot | undefined)[];
  arrivals: WorldBusStay[];
  waiting: WorldBusStay[];
  /** Stays whose plug window is settled (closed, or never opened for want of a charger). */
  settled: WorldBusStay[];
  cfg: District['depots'][number]['cfg'];
}

export class TwinWorld {
  readonly scenario: Scenario;
  readonly zone: string;
  readonly worldSeed: number;
  readonly startDate: string;
  /** Local midnight of the first day, UTC ms. */
  readonly startMs: number;
  readonly stepMs: number;
  private readonly baseDir: string;
  private readonly chunks: Chunk[] = [];
  private nextDate: string;
  /** Days prepared so far (dropped ones included). */
  private preparedDays = 0;
  private readonly depots = new Map<string, DepotState>();
  /** The rota has been run up to here (the end of the prepared days). */
  private rotaCursorMs: number;
  private readonly retired: WorldDayInfo[] = [];

  constructor(opts: TwinWorldOptions) {
    this.scenario = opts.scenario;
    this.zone = opts.scenario.timezone;
    this.baseDir = opts.baseDir;
    this.worldSeed = opts.worldSeed ?? DEFAULT_WORLD_SEED;
    this.startDate = opts.start ?? opts.scenario.default_start;
    const start = DateTime.fromISO(this.startDate, { zone: this.zone });
    if (!start.isValid) throw new RangeError(`invalid start date "${this.startDate}"`);
    this.startMs = start.toMillis();
    this.stepMs = intervalMs({ intervalMinutes: opts.scenario.interval_minutes });
    this.nextDate = this.startDate;
    this.rotaCursorMs = this.startMs;
    for (const site of opts.scenario.sites)
      for (const a of site.assets)
        if (a.type === 'bus_depot') {
          // A charger takes an empty battery (soc_min) to soc_max in this long at full power.
          const fullChargeMs =
            (((a.soc_max - a.soc_min) * a.battery_kwh) / a.charging_efficiency / a.charger_kw) * MS_PER_HOUR;
          this.depots.set(a.id, {
            id: a.id,
            cfg: a,
            buses: Array.from({ length: a.buses }, () => ({})),
            batteryKwh: a.battery_kwh,
            socMax: a.soc_max,
            slotMs: Math.ceil(fullChargeMs / this.stepMs) * this.stepMs,
            chargers: new Array<RotaSlot | undefined>(a.chargers).fill(undefined),
            arrivals: [],
            waiting: [],
            settled: [],
          });
        }
  }

  /** End of the prepared days, UTC ms. */
  get preparedEndMs(): number {
    return this.chunks.length ? this.chunks[this.chunks.length - 1].endMs : this.startMs;
  }

  /** Local dates the world holds now (bounded: past days are dropped). */
  get heldDates(): string[] {
    return this.chunks.map((c) => c.date);
  }

  /** Days prepared since the world began, dropped ones included. */
  get daysPrepared(): number {
    return this.preparedDays;
  }

  /** The days held now, with their prices (for the grid operator's price events). */
  days(): WorldDayInfo[] {
    return this.chunks.map((c) => ({
      date: c.date,
      startMs: c.startMs,
      endMs: c.endMs,
      intervalMinutes: c.district.grid.intervalMinutes,
      importPriceKrwPerKwh: c.district.prices.importPriceKrwPerKwh,
    }));
  }

  /** Prepares the world through `t` + WORLD_LOOKAHEAD_MS and forgets what ended long before `t`. */
  advanceTo(t: number): void {
    this.ensure(t);
    this.forget(t);
  }

  private ensure(t: number): void {
    while (this.preparedEndMs < t + WORLD_LOOKAHEAD_MS) this.prepareNext();
  }

  /** Drops days, and bus stays, more than WORLD_KEEP_PAST_MS before `t`. */
  private forget(t: number): void {
    const horizon = t - WORLD_KEEP_PAST_MS;
    while (this.chunks.length > 1 && this.chunks[0].endMs < horizon) this.chunks.shift();
    for (const dep of this.depots.values())
      if (dep.settled.length && stayEventMs(dep.settled[0]) < horizon)
        dep.settled = dep.settled.filter((s) => stayEventMs(s) >= horizon);
  }

  /** PV power the array could produce at `t`, kW (before any curtailment). */
  pvAvailableKw(assetId: string, t: number): number {
    return this.valueAt(t, (c) => c.pv.get(assetId), assetId);
  }

  /** Power of a fixed load at `t`, kW. */
  loadKw(assetId: string, t: number): number {
    return this.valueAt(t, (c) => c.loads.get(assetId), assetId);
  }

  /** IT power of a data center's inference nodes at `t`, kW. */
  datacenterInferenceItKw(assetId: string, t: number): number {
    return this.valueAt(t, (c) => c.dcInferenceItKw.get(assetId), assetId);
  }

  /** The data center's PUE at `t` (from the world's outdoor temperature). */
  datacenterPue(assetId: string, t: number): number {
    return this.valueAt(t, (c) => c.dcPue.get(assetId), assetId);
  }

  /** Campus EV sessions arriving in [fromMs, toMs), in arrival order. */
  evSessions(fromMs: number, toMs: number): WorldEvSession[] {
    this.window(fromMs, toMs);
    return this.chunks
      .flatMap((c) => c.evSessions)
      .filter((s) => s.arrivalMs >= fromMs && s.arrivalMs < toMs)
      .sort((a, b) => a.arrivalMs - b.arrivalMs);
  }

  /** Training jobs submitted in [fromMs, toMs), in submission order. */
  trainingJobs(fromMs: number, toMs: number): WorldTrainingJob[] {
    this.window(fromMs, toMs);
    return this.chunks
      .flatMap((c) => c.jobs)
      .filter((j) => j.submitMs >= fromMs && j.submitMs < toMs)
      .sort((a, b) => a.submitMs - b.submitMs);
  }

  /** The depot's published timetable (blocks with the timetable's energy) for buses leaving in [fromMs, toMs). */
  busTimetable(depotId: string, fromMs: number, toMs: number): BusBlock[][] {
    this.window(fromMs, toMs);
    const dep = this.depot(depotId);
    const out: BusBlock[][] = Array.from({ length: dep.buses.length }, () => []);
    for (const c of this.chunks)
      c.timetable.get(depotId)?.forEach((blocks, b) => {
        for (const blk of blocks) if (blk.startMs >= fromMs && blk.startMs < toMs) out[b].push(blk);
      });
    return out;
  }

  /**
   * Bus stays whose event falls in [fromMs, toMs): the plug-in for a bus the rota put on a charger,
   * else its arrival. Every stay returned is settled (its plug window will not change).
   */
  busStays(fromMs: number, toMs: number): WorldBusStay[] {
    this.window(fromMs, toMs);
    const out: WorldBusStay[] = [];
    for (const dep of this.depots.values()) {
      for (const s of dep.settled) {
        const at = stayEventMs(s);
        if (at >= fromMs && at < toMs) out.push(s);
      }
    }
    return out.sort((a, b) => stayEventMs(a) - stayEventMs(b));
  }

  /**
   * A bus arrives at its depot: its SoC drops by what the block really took. Returns the SoC it
   * comes back with, fraction of its battery (never below 0: a bus that ran flat came back on fumes).
   */
  busArrives(stay: WorldBusStay): number {
    const dep = this.depot(stay.depotId);
    const bus = dep.buses[stay.busIndex];
    const soc = Math.max(0, (bus.socFraction ?? dep.socMax) - stay.drivenKwh / dep.batteryKwh);
    bus.socFraction = soc;
    return soc;
  }

  /** A bus leaves its charger with this SoC (read from the charger). */
  busCharged(depotId: string, busIndex: number, socFraction: number): void {
    const bus = this.depot(depotId).buses[busIndex];
    bus.socFraction = Math.max(0, Math.min(1, socFraction));
  }

  /** The SoC a bus has at its depot now, fraction. */
  busSocFraction(depotId: string, busIndex: number): number | undefined {
    return this.depot(depotId).buses[busIndex]?.socFraction;
  }

  // -----------------------------------------------------------------------------------------------

  /** A question about [fromMs, toMs): the world is prepared through its end and forgets before its start. */
  private window(fromMs: number, toMs: number): void {
    this.ensure(toMs);
    this.forget(fromMs);
  }

  private depot(id: string): DepotState {
    const d = this.depots.get(id);
    if (!d) throw new Error(`no bus depot "${id}" in the world`);
    return d;
  }

  private valueAt(t: number, pick: (c: Chunk) => Float64Array | undefined, assetId: string): number {
    // Before the world began nothing is known but its first interval.
    const at = Math.max(t, this.startMs);
    this.advanceTo(at);
    const c = this.chunks.find((x) => at >= x.startMs && at < x.endMs);
    if (!c) throw new RangeError(`the twin world no longer holds ${new Date(t).toISOString()}`);
    const series = pick(c);
    if (!series) throw new Error(`no asset "${assetId}" of that kind in the world`);
    return series[Math.min(series.length - 1, Math.floor((at - c.startMs) / this.stepMs))];
  }

  private prepareNext(): void {
    const date = this.nextDate;
    const day = DateTime.fromISO(date, { zone: this.zone });
    this.nextDate = day.plus({ days: WORLD_CHUNK_DAYS }).toISODate()!;
    // One stream per local day: a day's draws depend on the world seed and the date only.
    const dayNumber = Math.round(Date.UTC(day.year, day.month - 1, day.day) / MS_PER_DAY);
    const daySeed = mixSeed(this.worldSeed, dayNumber);
    const truth = prepareDistrict(worldScenario(this.scenario, this.worldSeed, daySeed), {
      start: date,
      days: WORLD_CHUNK_DAYS,
      baseDir: this.baseDir,
    });
    const published = prepareDistrict(this.scenario, {
      start: date,
      days: WORLD_CHUNK_DAYS,
      baseDir: this.baseDir,
    });
    const startMs = truth.grid.startMs;
    const endMs = startMs + truth.grid.count * this.stepMs;
    const chunk: Chunk = {
      date,
      startMs,
      endMs,
      district: truth,
      timetable: new Map(published.depots.map((d) => [d.id, d.plan.blocksByBus])),
      pv: new Map(truth.pv.map((u) => [u.id, u.availableKw])),
      loads: new Map(truth.loads.map((u) => [u.id, u.kw])),
      dcInferenceItKw: new Map(truth.datacenters.map((u) => [u.id, u.inferenceItKw])),
      dcPue: new Map(truth.datacenters.map((u) => [u.id, u.pue])),
      evSessions: truth.ev.flatMap((u) => u.sessions.map((s, k) => ({ ...s, id: `${u.id}/${date}#${k}` }))),
      jobs: truth.datacenters.flatMap((u) =>
        u.jobs.map((j, k) => ({ ...j, id: `${u.id}/${date}/job-${k}`, datacenterId: u.id })),
      ),
    };
    this.chunks.push(chunk);
    this.preparedDays += WORLD_CHUNK_DAYS;
    this.addBusBlocks(chunk, createRandom(mixSeed(daySeed, hashLabel(SURPRISE_STREAM))));
    this.runRota(endMs);
  }

  /** Turns the day's blocks into stays (the gap after each block until the bus's next one). */
  private addBusBlocks(chunk: Chunk, rng: { next(): number }): void {
    for (const dep of this.depots.values()) {
      const byBus = chunk.timetable.get(dep.id) ?? [];
      dep.buses.forEach((bus, b) => {
        for (const blk of byBus[b] ?? []) {
          // The bus left for its first block in the world with what the depot prepares it to have.
          bus.socFraction ??= requiredDepartureSoc(dep.cfg, blk);
          if (bus.openStay) {
            bus.openStay.departureMs = blk.startMs;
            bus.openStay = undefined;
          }
          const surprise = (2 * rng.next() - 1) * BUS_BLOCK_ENERGY_SURPRISE_FRACTION;
          const stay: WorldBusStay = {
            id: `${dep.id}/bus-${b}/${blk.endMs}`,
            depotId: dep.id,
            busIndex: b,
            arrivalMs: blk.endMs,
            departureMs: Infinity,
            drivenKwh: blk.energyKwh * (1 + surprise),
          };
          bus.openStay = stay;
          dep.arrivals.push(stay);
        }
      });
      dep.arrivals.sort((a, b) => a.arrivalMs - b.arrivalMs);
    }
  }

  /**
   * The depot staff's plug rota, stepped interval by interval up to `untilMs`: a bus back from a
   * block takes a free charger, or waits for one; when buses wait, the bus plugged in longest is
   * moved off once it has had a full charge's time; nobody stays plugged past its pull-out or
   * PLUG_LIMIT_MS. A bus that cannot get MIN_PLUG_MS before it leaves is not plugged in.
   */
  private runRota(untilMs: number): void {
    for (let t = this.rotaCursorMs; t < untilMs; t += this.stepMs) {
      for (const dep of this.depots.values()) {
        dep.chargers.forEach((slot, c) => {
          if (!slot) return;
          const endMs = Math.min(slot.stay.departureMs, slot.plugMs + PLUG_LIMIT_MS);
          if (endMs <= t) {
            slot.stay.plug = { chargerIndex: c, plugMs: slot.plugMs, unplugMs: endMs };
            dep.settled.push(slot.stay);
            dep.chargers[c] = undefined;
          }
        });
        while (dep.arrivals.length && dep.arrivals[0].arrivalMs <= t) dep.waiting.push(dep.arrivals.shift()!);
        dep.waiting = dep.waiting.filter((s) => {
          const hopeless = s.departureMs - t < MIN_PLUG_MS || t - s.arrivalMs >= PLUG_LIMIT_MS;
          if (hopeless) dep.settled.push(s);
          return !hopeless;
        });
        const plug = (c: number, s: WorldBusStay) => {
          dep.chargers[c] = { stay: s, plugMs: t };
        };
        for (let c = 0; c < dep.chargers.length && dep.waiting.length; c++)
          if (!dep.chargers[c]) plug(c, dep.waiting.shift()!);
        if (dep.waiting.length) {
          const done = dep.chargers
            .map((slot, c) => ({ slot, c }))
            .filter((x) => x.slot && t - x.slot.plugMs >= dep.slotMs)
            .sort((a, b) => a.slot!.plugMs - b.slot!.plugMs);
          for (const { slot, c } of done) {
            if (!dep.waiting.length) break;
            slot!.stay.plug = { chargerIndex: c, plugMs: slot!.plugMs, unplugMs: t };
            dep.settled.push(slot!.stay);
            plug(c, dep.waiting.shift()!);
          }
        }
      }
    }
    this.rotaCursorMs = Math.max(this.rotaCursorMs, untilMs);
  }
}

function stayEventMs(s: WorldBusStay): number {
  return s.plug?.plugMs ?? s.arrivalMs;
}

function hashLabel(label: string): number {
  let h = 0;
  for (let i = 0; i < label.length; i++) h = (Math.imul(h, 31) + label.charCodeAt(i)) >>> 0;
  return h;
}

/**
 * The scenario with the world's weather: synthetic weather is drawn per day from its seed, so one
 * seed keeps the world's days continuous and a preparation of many days meets the same weather.
 */
export function worldWeatherScenario(s: Scenario, worldSeed: number): Scenario {
  return s.weather.source === 'synthetic'
    ? { ...s, weather: { ...s.weather, seed: mixSeed(s.weather.seed, worldSeed) } }
    : s;
}

/** The scenario of one world day: the world's weather, and the day's seed in every other draw but the bus timetable's. */
function worldScenario(s: Scenario, worldSeed: number, daySeed: number): Scenario {
  return {
    ...worldWeatherScenario(s, worldSeed),
    sites: s.sites.map((site) => ({
      ...site,
      assets: site.assets.map((a) => {
        switch (a.type) {
          case 'load':
            return { ...a, seed: mixSeed(a.seed, daySeed) };
          case 'ev_chargers':
            return { ...a, sessions: { ...a.sessions, seed: mixSeed(a.sessions.seed, daySeed) } };
          case 'datacenter':
            return { ...a, training: { ...a.training, seed: mixSeed(a.training.seed, daySeed) } };
          default:
            return a;
        }
      }),
    })),
  };
}
