import type { Scenario } from '../model/schema.ts';
import type { ChargingSessionInfo, Driver, GridSignal, Measurement, Setpoint } from '../drivers/types.ts';
import {
  createTelemetryWriter,
  type Store,
  type TelemetryWriter,
  type NewEvent,
  type NewAuditEntry,
} from '../store/index.ts';
import { PlausibilityCheck } from './plausibility.ts';
import { checkOverrideTarget, type OverrideCharger } from './override-check.ts';
import { Guards, limitImport, type GuardedSetpoint } from './guards.ts';
import { DemandTracker } from './demand.ts';
import type { JobBook } from './jobs.ts';
import { GRID_ASSET_ID } from '../model/schema.ts';
import { localTime } from '../model/time.ts';
import {
  setpointMeasurement,
  streamKey,
  type MeasurementName,
  type StreamKey,
} from '../model/measurements.ts';
import { PPA_ASSET_ID } from '../ledger/index.ts';
import { TodayLedger, type TodaySample } from './today-ledger.ts';
import {
  GuardRejection,
  type Actor,
  type AssetLiveState,
  type AssetMode,
  type LiveHealth,
  type LivePlanner,
  type LiveSnapshot,
  type LiveSystem,
  type NewOverride,
  type Override,
} from './types.ts';

// The live control loop. Each cycle: read every driver into one frozen process image, store the
// telemetry, run the watchdog (stale assets go to safe mode), take the requested setpoints from
// the dispatcher (the schedule) and operator overrides, narrow them by the guards (device limits,
// SoC, safe mode, then the import limit), write them, and publish the new state.

/** Cycle durations kept for the health figures (p50, p99, max): the last few hours at one a minute. */
const CYCLE_HISTORY = 300;
/** Events and audit entries held while the store refuses them; beyond it the oldest are dropped. */
const MAX_PENDING_RECORDS = 10_000;

/** Setpoint changes smaller than this are not re-sent, kW. */
const WRITE_DEADBAND_KW = 0.5;
/**
 * How long a charging session's energy (`session_energy_kwh`, one channel per transaction) stays in
 * the live state after its last reading, clock ms. An hour lets the dashboard and the API show a
 * session that just ended; after that it lives in the store only, so the live state does not grow
 * by one key per session for as long as the system runs.
 */
export const SESSION_VALUE_RETENTION_MS = 3_600_000;

export { GRID_ASSET_ID };

/** One stream's latest reading in the process image. */
export interface ImageValue {
  value: number;
  timeMs: number;
  channel?: string;
  measurement: MeasurementName;
}

export interface ProcessImage {
  timeMs: number;
  /** Latest value per asset, per stream key (`power_kw`, or `power_kw@channel`). */
  values: Map<string, Map<StreamKey, ImageValue>>;
  /** Grid-side signals in force or announced (every driver's complete set, ended ones dropped). */
  signals: GridSignal[];
  /** Charging sessions in progress, as the chargers report them. */
  sessions: ChargingSessionInfo[];
  /** Month's 15-minute peak (demand-charge hours; any hour) and billing demand from the grid meter, kW. */
  monthPeakKw: number;
  monthMaxKw: number;
  billingDemandKw: number;
}

/** Where requested setpoints come from: a strategy on measured state, a test. */
export interface Dispatcher {
  readonly name: string;
  requested(image: ProcessImage): Setpoint[];
  /** Told of what should make a planner look again: an override, a safe-mode change. */
  notify?(reason: string): void;
}

/** The import limit in force at a time: the connection's, or a tighter grid-side signal's, kW. */
export function importLimitAt(configKw: number, signals: readonly GridSignal[], timeMs: number): number {
  let kw = configKw;
  for (const s of signals)
    if (s.kind === 'import_limit_kw' && s.startMs <= timeMs && timeMs < s.endMs) kw = Math.min(kw, s.value);
  return kw;
}

export interface ControlLoopOptions {
  scenario: Scenario;
  drivers: Driver[];
  store: Store;
  dispatcher: Dispatcher;
  /** Clock of the loop, UTC ms: the wall clock live, the twin's clock in simulated real time. */
  now: () => number;
  /** An asset whose newest telemetry is older than this (clock ms) goes to safe mode. */
  staleAfterMs: number;
  /** Price of imported energy at a time, 원/kWh, for the running cost of the day (default: the tariff's). */
  importPriceKrwPerKwh?: (timeMs: number) => number;
  /** The data center's job book, when the live system takes jobs (the API's /api/jobs). */
  jobs?: JobBook;
  /** The planner behind the dispatcher, for the API (status, sessions). */
  planner?: LivePlanner;
  /** The chargers the OCPP devices declare, so an override can be checked against its connector. */
  chargers?: OverrideCharger[];
  /**
   * Also handed every accepted measurement and every event, after the store (a fleet edge sends them
   * up). Called synchronously; it must not throw or block, and control does not wait for it.
   */
  tap?: { telemetry(points: readonly Measurement[]): void; event(e: NewEvent): void };
  log?: {
    info(o: object, m?: string): void;
    warn(o: object, m?: string): void;
    error(o: object, m?: string): void;
  };
}

interface AssetRuntime {
  id: string;
  siteId: string;
  type: string;
  mode: AssetMode;
  reason?: string;
  setpoint?: Setpoint;
}

type Listener = (delta: Record<string, unknown>) => void;

export class ControlLoop implements LiveSystem {
  readonly guards: Guards;
  private readonly assets = new Map<string, AssetRuntime>();
  private readonly listeners = new Set<Listener>();
  private readonly activeOverrides = new Map<string, Override>();
  private image: ProcessImage = {
    timeMs: 0,
    values: new Map(),
    signals: [],
    sessions: [],
    monthPeakKw: 0,
    monthMaxKw: 0,
    billingDemandKw: 0,
  };
  readonly demand: DemandTracker;
  readonly jobs?: JobBook;
  readonly planner?: LivePlanner;
  private readonly signalsByDriver = new Map<string, GridSignal[]>();
  private lastFlat: Record<string, unknown> = {};
  private cycles = 0;
  private running = false;
  private timer?: NodeJS.Timeout;
  private dayKey = '';
  private today = { costKrw: 0, importKwh: 0, pvKwh: 0, consumptionKwh: 0, lastMs: 0 };
  /** Today's hourly RE100 matching by the ledger's definition (what GET /api/ledger says of today). */
  private readonly todayLedger: TodayLedger;
  private readonly lastWritten = new Map<string, { value: number; timeMs: number }>();
  private readonly writer: TelemetryWriter;
  private readonly plausibility: PlausibilityCheck;
  /** Events and audit entries not yet in the store (kept in order, retried every cycle). */
  private readonly pending: ({ kind: 'event'; rec: NewEvent } | { kind: 'audit'; rec: NewAuditEntry })[] = [];
  private flushingRecords = false;
  private storeLastError?: string;
  private storeErrorWallMs = -Infinity;
  private storeOkWallMs = -Infinity;
  private droppedPoints = 0;
  private droppedRecords = 0;
  private readonly durationsMs: number[] = [];
  private cyclesLate = 0;
  private cyclesFailed = 0;
  private periodWallMs = 0;
  private lastStartWallMs = NaN;
  private lastCycleEndWallMs?: number;
  private readonly log: NonNullable<ControlLoopOptions['log']>;

  constructor(private readonly opts: ControlLoopOptions) {
    this.guards = new Guards(opts.scenario);
    this.todayLedger = new TodayLedger(opts.scenario);
    this.demand = new DemandTracker(opts.scenario);
    this.plausibility = new PlausibilityCheck(opts.scenario);
    // Telemetry goes through the buffering writer: a store outage delays it, loses nothing up to the
    // writer's bound (counted beyond it) and never holds up a cycle.
    const store = opts.store;
    const observed = {
      appendTelemetry: (points: Parameters<Store['appendTelemetry']>[0]) =>
        store.appendTelemetry(points).then(() => {
          this.storeOkWallMs = Date.now();
        }),
    } as Store;
    this.writer = createTelemetryWriter(observed, {
      onError: (e, dropped) => {
        this.storeFailed(e);
        this.droppedPoints += dropped;
        if (dropped) {
          this.log.error({ dropped, err: e.message }, 'telemetry dropped: the store refused it too long');
          this.record({
            timeMs: this.opts.now(),
            severity: 'alarm',
            source: 'control',
            code: 'TELEMETRY_DROPPED',
            message: `${dropped} telemetry points dropped: the store refused writes longer than the buffer holds (${e.message})`,
          });
        }
      },
    });
    this.jobs = opts.jobs;
    this.planner = opts.planner;
    this.log = opts.log ?? { info() {}, warn() {}, error() {} };
    for (const site of opts.scenario.sites)
      for (const a of site.assets)
        this.assets.set(a.id, { id: a.id, siteId: site.id, type: a.type, mode: 'offline' });
  }

  /** Loads the overrides still in force and the month's demand peaks from the store (after a restart). */
  async restore(): Promise<void> {
    const nowMs = this.opts.now();
    await this.demand.restore(this.opts.store, GRID_ASSET_ID, nowMs);
    for (const r of await this.opts.store.listOverrides({ activeAtMs: nowMs })) {
      this.activeOverrides.set(String(r.id), {
        id: String(r.id),
        assetId: r.assetId,
        kind: r.kind as Override['kind'],
        value: r.value,
        channel: r.channel,
        startMs: r.startMs,
        expiresMs: r.expiryMs,
        createdBy: r.createdBy,
        reason: r.reason,
      });
    }
  }

  /** Runs cycles every `cycleMs` of wall time until stop(). */
  start(cycleMs: number): void {
    if (this.timer) return;
    this.periodWallMs = cycleMs;
    const tick = async () => {
      const startWallMs = performance.now();
      // A tick more than half a period after the one before it is late (the event loop was busy).
      if (Number.isFinite(this.lastStartWallMs) && startWallMs - this.lastStartWallMs > cycleMs * 1.5)
        this.cyclesLate++;
      this.lastStartWallMs = startWallMs;
      if (this.running) return; // a slow cycle is not stacked on itself
      this.running = true;
      try {
        await this.cycle();
      } catch (e) {
        this.cyclesFailed++;
        this.log.error({ err: (e as Error).message }, 'control cycle failed');
      } finally {
        this.running = false;
      }
    };
    this.timer = setInterval(() => void tick(), cycleMs);
    void tick();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Stops the loop and writes what is buffered (telemetry, events, audit) before the store closes. */
  async close(): Promise<void> {
    this.stop();
    await this.writer.close().catch((e: Error) => this.storeFailed(e));
    await this.flushRecords();
  }

  /** One control cycle; exposed so tests can step the loop deterministically. */
  async cycle(): Promise<void> {
    const t0 = performance.now();
    try {
      await this.runCycle();
    } finally {
      this.durationsMs.push(performance.now() - t0);
      if (this.durationsMs.length > CYCLE_HISTORY) this.durationsMs.shift();
      this.lastCycleEndWallMs = Date.now();
    }
  }

  /**
   * One control cycle: read every device into the process image, put assets with stale telemetry in
   * their safe mode, let overrides that ran out go, take the dispatcher's setpoints (and the
   * operators'), hold them within the guards and the import limit, write them, publish the state.
   */
  private async runCycle(): Promise<void> {
    const nowMs = this.opts.now();
    await this.readDevices(nowMs);
    await this.watchdog(nowMs);
    await this.expireOverrides(nowMs);
    const limited = this.guardedSetpoints(nowMs);
    await this.writeSetpoints(limited.setpoints, nowMs);
    this.accumulateToday(nowMs);
    this.cycles++;
    this.publish();
  }

  /** Reads every driver at once into a new process image; a failing driver yields nothing. */
  private async readDevices(nowMs: number): Promise<void> {
    const reads = await Promise.allSettled(this.opts.drivers.map((d) => d.read()));
    const points: Measurement[] = [];
    const values = new Map(this.image.values);
    reads.forEach((r, k) => {
      if (r.status === 'rejected') {
        this.log.warn({ driver: this.opts.drivers[k].id, err: String(r.reason) }, 'driver read failed');
        return;
      }
      for (const raw of r.value) {
        const m = this.plausibility.check(raw, nowMs);
        if (typeof m === 'string') continue;
        points.push(m);
        const key = streamKey(m.measurement, m.channel);
        const per = new Map(values.get(m.assetId) ?? []);
        const prev = per.get(key);
        if (!prev || prev.timeMs <= m.timeMs)
          per.set(key, { value: m.value, timeMs: m.timeMs, channel: m.channel, measurement: m.measurement });
        values.set(m.assetId, per);
      }
    });
    pruneFinishedSessions(values, nowMs);
    for (const d of this.opts.drivers) {
      if (!d.ingest || points.length === 0) continue;
      try {
        d.ingest(points);
      } catch (e) {
        this.log.warn({ driver: d.id, err: (e as Error).message }, 'driver ingest failed');
      }
    }
    // Each driver answers with its complete set of signals; a driver that fails keeps its last one.
    for (const d of this.opts.drivers) {
      if (!d.signals) continue;
      try {
        this.signalsByDriver.set(d.id, d.signals());
      } catch (e) {
        this.log.warn({ driver: d.id, err: (e as Error).message }, 'driver signals failed');
      }
    }
    const sessions: ChargingSessionInfo[] = [];
    for (const d of this.opts.drivers) {
      if (!d.sessions) continue;
      try {
        sessions.push(...d.sessions());
      } catch (e) {
        this.log.warn({ driver: d.id, err: (e as Error).message }, 'driver sessions failed');
      }
    }
    const gridKw = values.get(GRID_ASSET_ID)?.get('power_kw');
    if (gridKw) this.demand.observe(Math.max(gridKw.timeMs, this.image.timeMs), gridKw.value);
    const demand = this.demand.state();
    this.image = {
      timeMs: nowMs,
      values,
      signals: [...this.signalsByDriver.values()].flat().filter((s) => s.endMs > nowMs),
      sessions,
      monthPeakKw: demand.monthPeakKw,
      monthMaxKw: demand.monthMaxKw,
      billingDemandKw: demand.billingDemandKw,
    };
    this.store(points);
  }

  /** Puts assets whose newest telemetry is older than the stale limit in safe mode, and back. */
  private async watchdog(nowMs: number): Promise<void> {
    const values = this.image.values;
    for (const a of this.assets.values()) {
      const per = values.get(a.id);
      let newestMs = -Infinity;
      if (per) for (const v of per.values()) newestMs = Math.max(newestMs, v.timeMs);
      const stale = nowMs - newestMs > this.opts.staleAfterMs;
      const prevMode = a.mode;
      if (!per) a.mode = 'offline';
      else if (stale) a.mode = 'safe';
      else a.mode = [...this.activeOverrides.values()].some((o) => o.assetId === a.id) ? 'override' : 'auto';
      a.reason =
        a.mode === 'safe'
          ? `telemetry ${Math.round((nowMs - newestMs) / 1000)} s old (limit ${Math.round(this.opts.staleAfterMs / 1000)} s)`
          : a.mode === 'offline'
            ? 'no telemetry yet'
            : undefined;
      // The first telemetry of an asset changes what a plan made without it assumed.
      if (prevMode === 'offline' && a.mode !== 'offline') this.opts.dispatcher.notify?.(`${a.id} reporting`);
      if (prevMode !== a.mode && (a.mode === 'safe' || prevMode === 'safe')) {
        const entering = a.mode === 'safe';
        this.opts.dispatcher.notify?.(`${a.id} ${entering ? 'entered' : 'left'} safe mode`);
        this.record({
          timeMs: nowMs,
          severity: entering ? 'alarm' : 'info',
          source: 'control',
          code: entering ? 'ASSET_SAFE_MODE' : 'ASSET_RECOVERED',
          message: entering
            ? `${a.id} in safe mode: ${a.reason}`
            : `${a.id} back to ${a.mode}: telemetry fresh again`,
          assetId: a.id,
        });
        await this.audit(
          { id: 'system', role: 'system' },
          entering ? 'safe_mode.enter' : 'safe_mode.leave',
          a.id,
          { reason: a.reason ?? null },
        );
      }
    }
  }

  /** Overrides that ran out return their asset to auto. */
  private async expireOverrides(nowMs: number): Promise<void> {
    for (const o of [...this.activeOverrides.values()]) {
      if (o.expiresMs <= nowMs) {
        this.activeOverrides.delete(o.id);
        await this.audit({ id: 'system', role: 'system' }, 'override.expire', o.assetId, {
          overrideId: o.id,
        });
      }
    }
  }

  /**
   * The dispatcher's setpoints with the operators' overrides in their place, each within its asset's
   * guards (safe values for assets in safe mode), then charging reduced to hold the import limit.
   */
  private guardedSetpoints(nowMs: number): ReturnType<typeof limitImport> {
    const requested = new Map<string, Setpoint>();
    for (const sp of this.opts.dispatcher.requested(this.image)) requested.set(spKey(sp), sp);
    for (const o of this.activeOverrides.values()) {
      const sp: Setpoint = { assetId: o.assetId, kind: o.kind, value: o.value, channel: o.channel };
      // An override on the whole asset replaces every channel's scheduled value.
      for (const [k, r] of requested)
        if (r.assetId === o.assetId && r.kind === o.kind && (!o.channel || r.channel === o.channel))
          requested.set(k, { ...r, value: o.value });
      // Otherwise the override stands on its own: asset-wide when nothing was scheduled for the
      // asset, and always for its own channel (a charger-wide limit, a connector the plan left idle).
      const scheduled = [...requested.values()].some(
        (r) => r.assetId === o.assetId && r.kind === o.kind && (!o.channel || r.channel === o.channel),
      );
      if (!scheduled) requested.set(spKey(sp), sp);
    }
    const guarded: GuardedSetpoint[] = [];
    for (const sp of requested.values()) {
      const a = this.assets.get(sp.assetId);
      if (!a || a.mode === 'offline') continue;
      const g = this.guards.apply(sp, {
        socFraction: this.value(sp.assetId, 'soc_fraction'),
        safe: a.mode === 'safe',
      });
      if (g) guarded.push(g);
    }
    // Safe-mode assets without a scheduled setpoint still get their safe value.
    for (const a of this.assets.values()) {
      if (a.mode !== 'safe') continue;
      for (const kind of this.guards.kindsOf(a.id)) {
        const safeValue = this.guards.safeSetpoint(a.id, kind);
        if (safeValue === undefined) continue;
        if (guarded.some((g) => g.setpoint.assetId === a.id && g.setpoint.kind === kind)) continue;
        guarded.push({
          setpoint: { assetId: a.id, kind, value: safeValue },
          requested: NaN,
          clampedBy: 'safe_mode',
        });
      }
    }
    const importNowKw = this.value(GRID_ASSET_ID, 'power_kw') ?? 0;
    let changeKw = 0;
    for (const g of guarded) changeKw += consumptionOf(g.setpoint) - this.currentConsumptionKw(g.setpoint);
    const limited = limitImport(
      guarded,
      importNowKw + changeKw,
      importLimitAt(this.opts.scenario.grid.import_limit_kw, this.image.signals, nowMs),
    );
    if (limited.reducedKw > 0)
      this.log.warn({ reducedKw: limited.reducedKw }, 'charging reduced to hold the import limit');

    return limited;
  }

  /**
   * Writes the setpoints: a value already written recently is not sent again (devices hold it), but
   * it is refreshed before the device's own fallback timers could expire.
   */
  private async writeSetpoints(setpoints: GuardedSetpoint[], nowMs: number): Promise<void> {
    await Promise.all(
      setpoints.map(async (g) => {
        // Every setpoint carries an expiry: if Bitgrid goes silent the device falls back by itself.
        const sp: Setpoint = { ...g.setpoint, validUntilMs: nowMs + this.opts.staleAfterMs };
        const key = spKey(sp);
        const a = this.assets.get(sp.assetId);
        if (a) a.setpoint = sp;
        const last = this.lastWritten.get(key);
        if (
          last &&
          Math.abs(last.value - sp.value) < WRITE_DEADBAND_KW &&
          nowMs - last.timeMs < this.opts.staleAfterMs / 2
        )
          return;
        const driver = this.opts.drivers.find((d) => d.accepts?.(sp) && d.write);
        if (!driver) return;
        try {
          await driver.write!(sp);
          this.lastWritten.set(key, { value: sp.value, timeMs: nowMs });
        } catch (e) {
          this.log.warn(
            { driver: driver.id, asset: sp.assetId, kind: sp.kind, err: (e as Error).message },
            'setpoint refused',
          );
        }
      }),
    );
    const setpointPoints: Measurement[] = setpoints.map((g) => ({
      assetId: g.setpoint.assetId,
      measurement: setpointMeasurement(g.setpoint.kind),
      value: g.setpoint.value,
      timeMs: nowMs,
      channel: g.setpoint.channel,
    }));
    this.store(setpointPoints);
    await this.flushRecords();
  }

  private value(assetId: string, measurement: StreamKey): number | undefined {
    return this.image.values.get(assetId)?.get(measurement)?.value;
  }

  /** Measured consumption a setpoint would replace (power_kw of that asset or channel). */
  private currentConsumptionKw(sp: Setpoint): number {
    const per = this.image.values.get(sp.assetId);
    const v = per?.get(streamKey('power_kw', sp.channel))?.value ?? 0;
    return sp.kind === 'battery_power_kw' ? -v : sp.kind === 'pv_power_limit_kw' ? 0 : v;
  }

  private accumulateToday(nowMs: number): void {
    // The district's own calendar day: "today" resets at local midnight, wherever the district is.
    this.todayLedger.observe(nowMs, this.ledgerSample());
    const dayKey = localTime(nowMs, this.opts.scenario.timezone).date;
    if (dayKey !== this.dayKey) {
      this.dayKey = dayKey;
      this.today = { costKrw: 0, importKwh: 0, pvKwh: 0, consumptionKwh: 0, lastMs: nowMs };
      return;
    }
    const hours = Math.max(0, (nowMs - this.today.lastMs) / 3600_000);
    this.today.lastMs = nowMs;
    const gridKw = this.value(GRID_ASSET_ID, 'power_kw') ?? 0;
    let pvKw = 0;
    for (const a of this.assets.values()) if (a.type === 'pv') pvKw += this.value(a.id, 'power_kw') ?? 0;
    let battKw = 0;
    for (const a of this.assets.values())
      if (a.type === 'battery') battKw += this.value(a.id, 'power_kw') ?? 0;
    const importKw = Math.max(0, gridKw);
    const consumptionKw = gridKw + pvKw + battKw;
    this.today.importKwh += importKw * hours;
    this.today.pvKwh += pvKw * hours;
    this.today.consumptionKwh += Math.max(0, consumptionKw) * hours;
    this.today.costKrw +=
      importKw *
      hours *
      (this.opts.importPriceKrwPerKwh ?? ((t: number) => this.demand.tariff.importPriceKrwPerKwh(t)))(nowMs);
  }
  /** What the ledger of today reads this cycle: the same meters GET /api/ledger reads from the store. */
  private ledgerSample(): TodaySample {
    const sum = (type: string, measurement: MeasurementName, clip: (v: number) => number = (v) => v) => {
      let total: number | undefined;
      for (const a of this.assets.values()) {
        if (a.type !== type) continue;
        const v = this.value(a.id, measurement);
        if (v !== undefined) total = (total ?? 0) + clip(v);
      }
      return total;
    };
    let socKwh: number | undefined;
    for (const a of this.opts.scenario.sites.flatMap((x) => x.assets))
      if (a.type === 'battery') {
        const f = this.value(a.id, 'soc_fraction');
        if (f !== undefined) socKwh = (socKwh ?? 0) + f * a.capacity_kwh;
      }
    return {
      gridKw: this.value(GRID_ASSET_ID, 'power_kw'),
      pvKw: sum('pv', 'power_kw', (v) => Math.max(0, v)),
      batteryKw: sum('battery', 'power_kw'),
      socKwh,
      ppaKw: this.value(PPA_ASSET_ID, 'power_kw'),
    };
  }

  snapshot(): LiveSnapshot {
    const s = this.opts.scenario;
    const assets: AssetLiveState[] = [...this.assets.values()].map((a) => {
      const measurements: AssetLiveState['measurements'] = {};
      for (const [k, v] of this.image.values.get(a.id) ?? [])
        measurements[k] = { value: v.value, timeMs: v.timeMs };
      return {
        id: a.id,
        siteId: a.siteId,
        type: a.type,
        mode: a.mode,
        measurements,
        setpoint: a.setpoint,
        reason: a.reason,
      };
    });
    const gridKw = this.value(GRID_ASSET_ID, 'power_kw') ?? 0;
    const t = this.today;
    return {
      timeMs: this.image.timeMs,
      districtName: s.name,
      sites: s.sites.map((x) => ({ id: x.id, name: x.name })),
      assets,
      grid: {
        importKw: Math.max(0, gridKw),
        exportKw: Math.max(0, -gridKw),
        monthPeakKw: this.image.monthPeakKw,
        billingDemandKw: this.image.billingDemandKw,
        importLimitKw: importLimitAt(s.grid.import_limit_kw, this.image.signals, this.image.timeMs),
      },
      today: {
        costKrw: t.costKrw,
        importKwh: t.importKwh,
        pvKwh: t.pvKwh,
        consumptionKwh: t.consumptionKwh,
        selfSufficiency: t.consumptionKwh > 0 ? Math.max(0, 1 - t.importKwh / t.consumptionKwh) : 0,
        re100HourlyMatching: this.todayLedger.matchingShare(),
      },
      strategy: this.opts.dispatcher.name,
      cycle: this.cycles,
    };
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private publish(): void {
    const flat = flatten(this.snapshot());
    const delta: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(flat)) if (this.lastFlat[k] !== v) delta[k] = v;
    for (const k of Object.keys(this.lastFlat)) if (!(k in flat)) delta[k] = null;
    this.lastFlat = flat;
    if (Object.keys(delta).length === 0) return;
    for (const l of this.listeners) {
      try {
        l(delta);
      } catch (e) {
        this.log.warn({ err: (e as Error).message }, 'stream listener failed');
      }
    }
  }

  async setOverride(o: NewOverride, actor: Actor): Promise<Override> {
    const a = this.assets.get(o.assetId);
    const deny = async (message: string, field: string): Promise<never> => {
      await this.audit(
        actor,
        'override.set',
        o.assetId,
        { kind: o.kind, value: o.value, refused: message },
        'denied',
      );
      throw new GuardRejection(message, field);
    };
    if (!a) return deny(`unknown asset "${o.assetId}"`, 'assetId');
    const env = this.guards.envelope(o.assetId, o.kind, {
      socFraction: this.value(o.assetId, 'soc_fraction') ?? 0.5,
    });
    if (!env) return deny(`asset "${o.assetId}" (${a.type}) takes no ${o.kind} setpoint`, 'kind');
    if (!Number.isFinite(o.value) || o.value < env.minKw || o.value > env.maxKw)
      return deny(
        `value ${o.value} kW is outside ${env.minKw}…${env.maxKw} kW (limits: ${env.minBy}, ${env.maxBy})`,
        'value',
      );
    if (!(o.durationMinutes > 0)) return deny('durationMinutes must be positive', 'durationMinutes');
    // The target must be able to take it: the connector exists, discharge only where V2G is declared.
    const target = checkOverrideTarget(
      { assetId: o.assetId, kind: o.kind, value: o.value, channel: o.channel },
      { scenario: this.opts.scenario, chargers: this.opts.chargers ?? [] },
    );
    if (!target.ok) return deny(target.message, target.field);
    const nowMs = this.opts.now();
    // Persisted first, so an override survives a restart of the loop.
    const rec = await this.opts.store.addOverride({
      assetId: o.assetId,
      kind: o.kind,
      value: o.value,
      startMs: nowMs,
      expiryMs: nowMs + o.durationMinutes * 60_000,
      createdBy: actor.id,
      reason: o.reason,
      createdMs: nowMs,
      ...(o.channel !== undefined ? { channel: o.channel } : {}),
    });
    const ov: Override = {
      id: String(rec.id),
      assetId: o.assetId,
      kind: o.kind,
      value: o.value,
      channel: o.channel,
      startMs: nowMs,
      expiresMs: rec.expiryMs,
      createdBy: actor.id,
      reason: o.reason,
    };
    this.activeOverrides.set(ov.id, ov);
    this.opts.dispatcher.notify?.(`override on ${o.assetId}`);
    await this.audit(actor, 'override.set', o.assetId, {
      overrideId: ov.id,
      kind: o.kind,
      value: o.value,
      channel: o.channel ?? null,
      expiresMs: ov.expiresMs,
      reason: o.reason,
    });
    return ov;
  }

  async clearOverride(id: string, actor: Actor): Promise<void> {
    const o = this.activeOverrides.get(id);
    if (!o) {
      await this.audit(actor, 'override.clear', id, { refused: 'no such override' }, 'denied');
      throw new GuardRejection(`no active override "${id}"`, 'id');
    }
    this.activeOverrides.delete(id);
    this.opts.dispatcher.notify?.(`override on ${o.assetId} cleared`);
    await this.opts.store.clearOverride(Number(id), actor.id, this.opts.now());
    await this.audit(actor, 'override.clear', o.assetId, { overrideId: id });
  }

  overrides(): Override[] {
    return [...this.activeOverrides.values()];
  }

  private async audit(
    actor: Actor,
    action: string,
    target: string,
    details: Record<string, string | number | null>,
    outcome: 'ok' | 'denied' = 'ok',
  ): Promise<void> {
    this.pending.push({
      kind: 'audit',
      rec: { timeMs: this.opts.now(), actor: actor.id, role: actor.role, action, target, details, outcome },
    });
    this.trimPending();
    await this.flushRecords();
  }

  /** Queues an event for the store; it is written now or, while the store refuses, later in order. */
  private record(event: NewEvent): void {
    this.pending.push({ kind: 'event', rec: event });
    this.trimPending();
    try {
      this.opts.tap?.event(event);
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'event tap failed');
    }
  }

  private trimPending(): void {
    if (this.pending.length <= MAX_PENDING_RECORDS) return;
    const n = this.pending.length - MAX_PENDING_RECORDS;
    this.pending.splice(0, n);
    this.droppedRecords += n;
    this.log.error({ dropped: n }, 'events or audit entries dropped: the store refused them too long');
  }

  /** Writes queued events and audit entries in order; stops at the first refusal and keeps the rest. */
  private async flushRecords(): Promise<void> {
    if (this.flushingRecords) return;
    this.flushingRecords = true;
    try {
      while (this.pending.length) {
        const next = this.pending[0];
        try {
          if (next.kind === 'event') await this.opts.store.addEvent(next.rec);
          else await this.opts.store.appendAudit(next.rec);
          this.pending.shift();
          this.storeOkWallMs = Date.now();
        } catch (e) {
          this.storeFailed(e as Error);
          // A record the store refuses as input (not an outage) would block the queue for ever.
          if ((e as { code?: string }).code === 'BITGRID_ERR_STORE_INPUT') {
            this.pending.shift();
            this.droppedRecords++;
            continue;
          }
          return;
        }
      }
    } finally {
      this.flushingRecords = false;
    }
  }

  /** Telemetry to the buffering writer; a point the writer refuses is logged, never thrown. */
  private store(points: Measurement[]): void {
    if (!points.length) return;
    try {
      this.writer.write(points);
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'telemetry refused by the store');
    }
    try {
      this.opts.tap?.telemetry(points);
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'telemetry tap failed');
    }
  }

  private storeFailed(e: Error): void {
    this.storeLastError = e.message;
    this.storeErrorWallMs = Date.now();
  }

  health(): LiveHealth {
    const sorted = [...this.durationsMs].sort((a, b) => a - b);
    const q = (p: number) =>
      sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] : 0;
    // Down from a refused write until a later write succeeds; queued records mean it is not caught up.
    const storeOk = this.storeOkWallMs >= this.storeErrorWallMs && this.pending.length === 0;
    return {
      cycles: this.cycles,
      lastCycleEndWallMs: this.lastCycleEndWallMs,
      cyclePeriodWallMs: this.periodWallMs,
      cycleDurationMs: {
        last: this.durationsMs.at(-1) ?? 0,
        p50: q(0.5),
        p99: q(0.99),
        max: sorted.at(-1) ?? 0,
      },
      cyclesLate: this.cyclesLate,
      cyclesFailed: this.cyclesFailed,
      store: {
        ok: storeOk,
        lastError: storeOk ? undefined : this.storeLastError,
        bufferedPoints: this.writer.buffered,
        droppedPoints: this.droppedPoints,
      },
      telemetry: { accepted: this.plausibility.accepted, rejected: { ...this.plausibility.rejected } },
      drivers: this.opts.drivers.map((d) => {
        const st = d.status();
        return { id: d.id, type: d.type, health: st.health, lastError: st.lastError };
      }),
    };
  }
}

function spKey(sp: Setpoint): string {
  return `${sp.assetId}|${sp.kind}|${sp.channel ?? ''}`;
}

/** How much a setpoint adds to the district's consumption, kW. */
function consumptionOf(sp: Setpoint): number {
  if (sp.kind === 'battery_power_kw') return -sp.value;
  if (sp.kind === 'charging_limit_kw') return sp.value;
  return 0;
}

/** Flat key → value map of a snapshot, for delta streaming. */
export function flatten(
  obj: unknown,
  prefix = '',
  out: Record<string, unknown> = {},
): Record<string, unknown> {
  if (obj === null || typeof obj !== 'object') {
    out[prefix] = obj;
    return out;
  }
  if (Array.isArray(obj)) {
    // Arrays of things with ids are keyed by id so a delta names the asset, not its position.
    obj.forEach((v, i) => {
      const id = v && typeof v === 'object' && 'id' in v ? String((v as { id: unknown }).id) : String(i);
      flatten(v, prefix ? `${prefix}.${id}` : id, out);
    });
    return out;
  }
  for (const [k, v] of Object.entries(obj)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  return out;
}

/** Drops session energies last read more than SESSION_VALUE_RETENTION_MS ago (copy on write). */
function pruneFinishedSessions(
  values: Map<string, Map<StreamKey, { timeMs: number; measurement?: MeasurementName }>>,
  nowMs: number,
): void {
  for (const [assetId, per] of values) {
    let kept: typeof per | undefined;
    for (const [key, v] of per)
      if (v.measurement === 'session_energy_kwh' && nowMs - v.timeMs > SESSION_VALUE_RETENTION_MS) {
        kept ??= new Map(per);
        kept.delete(key);
      }
    if (kept) values.set(assetId, kept);
  }
}
