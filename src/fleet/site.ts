import { importLimitAt, type Dispatcher, type ProcessImage } from '../control/loop.ts';
import type { Guards } from '../control/guards.ts';
import type { LiveSnapshot, Override } from '../control/types.ts';
import { scheduleFromJson } from '../live/schedule-json.ts';
import { localTime } from '../model/time.ts';
import type { JsonValue, ScheduleRecord } from '../store/index.ts';
import type { DriverStatus, GridSignal, Measurement, Setpoint } from '../drivers/types.ts';
import { GRID_ASSET_ID } from '../model/schema.ts';
import {
  SCHEDULE_MAX_STEPS,
  type KpiMessage,
  type ScheduleMessage,
  type SiteReportMessage,
} from './messages.ts';

// The site's side of feeder coordination (docs/fleet.md):
// - FleetImportLimit hands the loop the share the coordinator sent, as an `import_limit_kw` grid
//   signal: the same path an OpenADR capacity limit takes, so the loop's import guard holds it (and
//   an optimal planner plans with it), always with the site's own connection limit and every other
//   grid signal (the loop keeps the tightest).
// - SiteReporter looks at what the dispatcher asks for each cycle and tells the coordinator the import
//   that asks for before any cap, and how much of it the loop could shed.

/** Source of the grid signals this module makes (the loop's health and the API show it). */
export const FLEET_SIGNAL_SOURCE = 'fleet';

/**
 * A coordinated share holds from when it arrived until the backend replaces or clears it. Its signal
 * window is open at both ends: a share must bind the cycle that is already under way (the loop's
 * image is a few clock seconds older than the share), and every step a planner looks at.
 */
const SHARE_WINDOW_START_MS = 0;
const UNTIL_REPLACED_MS = Number.MAX_SAFE_INTEGER;

export interface HeldShare {
  feederId: string;
  limitKw: number;
  issuedMs: number;
  /** When the site took it, on the site's clock, UTC ms. */
  sinceMs: number;
  /** The window it holds in, UTC ms (an OpenADR event's interval); open at both ends without. */
  startMs?: number;
  endMs?: number;
}

/** The shares in force at this site, one per feeder, as a signal source of the control loop. */
export class FleetImportLimit {
  readonly id = 'fleet-import-limit';
  readonly type = 'fleet';
  private readonly shares = new Map<string, HeldShare>();

  constructor(
    private readonly now: () => number,
    restored: readonly HeldShare[] = [],
  ) {
    for (const s of restored) this.shares.set(s.feederId, s);
  }

  /**
   * Takes a share; a share issued before the one held for the same feeder is ignored (undefined).
   * A share with a window (an OpenADR event's interval) holds only inside it; shares whose window has
   * ended are forgotten here.
   */
  set(
    feederId: string,
    limitKw: number,
    issuedMs: number,
    window: { startMs?: number; endMs?: number } = {},
  ): HeldShare | undefined {
    if (!Number.isFinite(limitKw) || limitKw < 0)
      throw new Error(`import limit share must be ≥ 0 kW, got ${limitKw}`);
    if (window.startMs !== undefined && window.endMs !== undefined && window.endMs <= window.startMs)
      throw new Error(
        `import limit share of ${feederId}: its window ends (${window.endMs}) before it starts`,
      );
    const nowMs = this.now();
    for (const [k, h] of this.shares) if (h.endMs !== undefined && h.endMs <= nowMs) this.shares.delete(k);
    const held = this.shares.get(feederId);
    if (held && held.issuedMs > issuedMs) return undefined;
    const s: HeldShare = { feederId, limitKw, issuedMs, sinceMs: nowMs };
    if (window.startMs !== undefined) s.startMs = window.startMs;
    if (window.endMs !== undefined) s.endMs = window.endMs;
    this.shares.set(feederId, s);
    return s;
  }

  clear(feederId: string, issuedMs: number): boolean {
    const held = this.shares.get(feederId);
    if (!held || held.issuedMs > issuedMs) return false;
    this.shares.delete(feederId);
    return true;
  }

  held(): HeldShare[] {
    return [...this.shares.values()];
  }

  // The Driver contract (src/drivers/types.ts): no device, only signals.
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  status(): DriverStatus {
    return { health: 'online' };
  }
  async read(): Promise<Measurement[]> {
    return [];
  }
  signals(): GridSignal[] {
    return [...this.shares.values()].map((s) => ({
      kind: 'import_limit_kw',
      startMs: s.startMs ?? SHARE_WINDOW_START_MS,
      endMs: s.endMs ?? UNTIL_REPLACED_MS,
      value: s.limitKw,
      source: FLEET_SIGNAL_SOURCE,
      eventId: `feeder:${s.feederId}`,
    }));
  }
}

/**
 * A report goes up when its figures moved by at least this fraction of the site's own import limit
 * since the last one sent: at 16 MW, 80 kW. Smaller moves wait for the heartbeat.
 */
export const REPORT_DEADBAND_FRACTION = 0.005;
/** A report goes up at least this often (site clock), so the backend can tell a live site, ms. */
export const REPORT_HEARTBEAT_MS = 5 * 60_000;
/**
 * A report carries the median of the last this many cycles' figures. The grid meter and the devices
 * are read at different moments, so in the cycle after a setpoint changes the meter may still show
 * the old battery power while the battery already reports the new one: that cycle's figures are off
 * by the change. One or two such cycles must not move the feeder's split (which would change the
 * setpoints again); the median of five drops them. (The highest of five instead, to cover the load's
 * ups and downs, let those glitches through: in the test the shares swung by 1.8 MW.)
 */
export const REPORT_MEDIAN_CYCLES = 5;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export interface SiteReporterOptions {
  /** The site's connection import limit (district file `grid.import_limit_kw`), kW. */
  connectionLimitKw: number;
  /** What a kWh of the site's flexible consumption is worth to it now, 원/kWh (> 0). */
  valueKrwPerKwh: (timeMs: number) => number;
  /** The loop's guards and overrides, to see the setpoints the loop would write. */
  guards: () => Guards;
  overrides: () => readonly Override[];
  /** Hands a report to the edge (its outbox). */
  publish: (r: SiteReportMessage) => void;
}

/** The setpoint kinds the loop's import guard can cut (src/control/guards.ts limitImport). */
function sheddableKw(sp: Setpoint): number {
  if (sp.kind === 'charging_limit_kw') return Math.max(0, sp.value);
  if (sp.kind === 'battery_power_kw') return Math.max(0, -sp.value);
  return 0;
}

/** How much a setpoint adds to the site's consumption, kW (as the loop counts it). */
function consumptionOf(sp: Setpoint): number {
  if (sp.kind === 'battery_power_kw') return -sp.value;
  if (sp.kind === 'charging_limit_kw') return sp.value;
  return 0;
}

/** What the site measures of a setpoint's target now, as consumption, kW (as the loop counts it). */
function currentConsumptionKw(image: ProcessImage, sp: Setpoint): number {
  const v = image.values.get(sp.assetId)?.get(sp.channel ? `power_kw@${sp.channel}` : 'power_kw')?.value ?? 0;
  return sp.kind === 'battery_power_kw' ? -v : sp.kind === 'pv_power_limit_kw' ? 0 : v;
}

export class SiteReporter {
  private lastSent?: SiteReportMessage;
  private readonly recent: SiteReportMessage[] = [];

  constructor(private readonly o: SiteReporterOptions) {
    if (!Number.isFinite(o.connectionLimitKw) || o.connectionLimitKw <= 0)
      throw new Error(`the site's import limit must be positive, got ${o.connectionLimitKw} kW`);
  }

  /** The dispatcher the loop runs, seen through: every cycle's request also makes a report. */
  wrap(inner: Dispatcher): Dispatcher {
    return {
      name: inner.name,
      notify: inner.notify ? (reason) => inner.notify!(reason) : undefined,
      requested: (image) => {
        const req = inner.requested(image);
        try {
          this.observe(req, image);
        } catch {
          // A report that cannot be made must never stop control; the next cycle tries again.
        }
        return req;
      },
    };
  }

  /** The report of one cycle: what the loop would write before the import guard, and what it could shed. */
  report(requested: readonly Setpoint[], image: ProcessImage): SiteReportMessage {
    const guards = this.o.guards();
    const wanted = new Map<string, Setpoint>();
    const key = (sp: Setpoint) => `${sp.assetId}|${sp.kind}|${sp.channel ?? ''}`;
    for (const sp of requested) wanted.set(key(sp), sp);
    // Operators' overrides take the place of what the plan asked for (as in the loop).
    for (const o of this.o.overrides()) {
      let matched = false;
      for (const [k, r] of wanted)
        if (r.assetId === o.assetId && r.kind === o.kind && (!o.channel || r.channel === o.channel)) {
          wanted.set(k, { ...r, value: o.value });
          matched = true;
        }
      if (!matched) {
        const sp: Setpoint = { assetId: o.assetId, kind: o.kind, value: o.value, channel: o.channel };
        wanted.set(key(sp), sp);
      }
    }
    const importNowKw = image.values.get(GRID_ASSET_ID)?.get('power_kw')?.value ?? 0;
    let changeKw = 0;
    let shedKw = 0;
    for (const sp of wanted.values()) {
      const soc = image.values.get(sp.assetId)?.get('soc_fraction')?.value;
      const g = guards.apply(sp, { socFraction: soc, safe: false });
      if (!g) continue;
      changeKw += consumptionOf(g.setpoint) - currentConsumptionKw(image, g.setpoint);
      shedKw += sheddableKw(g.setpoint);
    }
    const wantKw = Math.max(0, importNowKw + changeKw);
    const own = ownLimitKw(this.o.connectionLimitKw, image.signals, image.timeMs);
    return {
      timeMs: image.timeMs,
      wantKw,
      inflexibleKw: Math.min(wantKw, Math.max(0, wantKw - shedKw)),
      ownLimitKw: own,
      valueKrwPerKwh: this.o.valueKrwPerKwh(image.timeMs),
      importKw: importNowKw,
      limitKw: importLimitAt(this.o.connectionLimitKw, image.signals, image.timeMs),
    };
  }

  private observe(requested: readonly Setpoint[], image: ProcessImage): void {
    if (!image.values.get(GRID_ASSET_ID)?.has('power_kw')) return; // nothing measured yet
    const now = this.report(requested, image);
    this.recent.push(now);
    if (this.recent.length > REPORT_MEDIAN_CYCLES) this.recent.shift();
    const wantKw = median(this.recent.map((x) => x.wantKw));
    const r: SiteReportMessage = {
      ...now,
      wantKw,
      inflexibleKw: Math.min(wantKw, median(this.recent.map((x) => x.inflexibleKw))),
    };
    const last = this.lastSent;
    const band = REPORT_DEADBAND_FRACTION * r.ownLimitKw;
    const moved =
      !last ||
      Math.abs(r.wantKw - last.wantKw) >= band ||
      Math.abs(r.inflexibleKw - last.inflexibleKw) >= band ||
      Math.abs(r.ownLimitKw - last.ownLimitKw) >= band ||
      r.valueKrwPerKwh !== last.valueKrwPerKwh ||
      r.timeMs - last.timeMs >= REPORT_HEARTBEAT_MS;
    if (!moved) return;
    this.lastSent = r;
    this.o.publish(r);
  }
}

/** The site's own import limit at a time: its connection's and its grid operator's, not the fleet's. */
export function ownLimitKw(configKw: number, signals: readonly GridSignal[], timeMs: number): number {
  return importLimitAt(
    configKw,
    signals.filter((s) => s.source !== FLEET_SIGNAL_SOURCE),
    timeMs,
  );
}

/** The KPI summary goes up this often, site clock ms: one a quarter hour, the billing interval. */
export const KPI_EVERY_MS = 15 * 60_000;

export interface SiteUpstreamOptions {
  timezone: string;
  snapshot: () => LiveSnapshot;
  /** The plan in force: its schedule id (when the strategy makes plans). */
  plannerStatus: () => { scheduleId?: number } | undefined;
  /** The stored schedule record of an id. */
  schedule: (id: number) => Promise<ScheduleRecord | undefined>;
  publishKpi: (k: KpiMessage) => void;
  publishSchedule: (s: ScheduleMessage) => void;
  log?: { warn(o: object, m: string): void };
}

/** What a stored schedule record sends up: its grid side per step (undefined if it holds no plan). */
export function scheduleMessage(rec: ScheduleRecord, timeMs: number): ScheduleMessage | undefined {
  const plan = scheduleFromJson((rec.payload as { plan?: JsonValue } | null)?.plan);
  if (!plan) return undefined;
  const steps = Math.min(plan.steps, SCHEDULE_MAX_STEPS);
  return {
    timeMs,
    scheduleId: rec.id,
    strategy: rec.strategy,
    madeMs: rec.createdMs,
    startMs: plan.startMs,
    stepMinutes: plan.stepHours * 60,
    importKw: Array.from(plan.importKw.subarray(0, steps), (v) => Math.max(0, v)),
    exportKw: Array.from(plan.exportKw.subarray(0, steps), (v) => Math.max(0, v)),
  };
}

/** Sends the site's KPIs up every KPI_EVERY_MS, and its plan whenever a new one is in force. */
export class SiteUpstream {
  private lastKpiMs = -Infinity;
  private sentScheduleId?: number;
  private fetching = false;

  constructor(private readonly o: SiteUpstreamOptions) {}

  /** Called after each control cycle. */
  tick(): void {
    const snap = this.o.snapshot();
    const nowMs = snap.timeMs;
    if (nowMs - this.lastKpiMs >= KPI_EVERY_MS) {
      this.lastKpiMs = nowMs;
      const t = snap.today;
      const unit = (x: number) => Math.min(1, Math.max(0, Number.isFinite(x) ? x : 0));
      this.o.publishKpi({
        timeMs: nowMs,
        day: localTime(nowMs, this.o.timezone).date,
        importKwh: Math.max(0, t.importKwh),
        consumptionKwh: Math.max(0, t.consumptionKwh),
        pvKwh: Math.max(0, t.pvKwh),
        costKrw: t.costKrw,
        selfSufficiency: unit(t.selfSufficiency),
        re100HourlyMatching: unit(t.re100HourlyMatching),
        monthPeakKw: Math.max(0, snap.grid.monthPeakKw),
        billingDemandKw: Math.max(0, snap.grid.billingDemandKw),
      });
    }
    const id = this.o.plannerStatus()?.scheduleId;
    if (id !== undefined && id !== this.sentScheduleId && !this.fetching) {
      this.fetching = true;
      void this.o
        .schedule(id)
        .then((rec) => {
          const m = rec && scheduleMessage(rec, nowMs);
          if (m) this.o.publishSchedule(m);
          this.sentScheduleId = id;
        })
        .catch((e: Error) => this.o.log?.warn({ scheduleId: id, err: e.message }, 'fleet: schedule not sent'))
        .finally(() => (this.fetching = false));
    }
  }
}
