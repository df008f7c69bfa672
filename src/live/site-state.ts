import type { District } from '../sim/district.ts';
import type { ChargingSessionInfo } from '../drivers/types.ts';
import type { ProcessImage } from '../control/loop.ts';
import type { DemandState } from '../control/demand.ts';
import type {
  BusState,
  DatacenterState,
  EvSessionState,
  JobState,
  StepView,
} from '../sim/strategy-interface.ts';
import type { EvSession } from '../sim/assets/ev.ts';
import type { TrainingJob } from '../sim/assets/datacenter.ts';
import { batteryLimits } from '../sim/assets/battery.ts';
import { requiredDepartureSoc } from '../sim/assets/bus.ts';
import { localTime, MS_PER_HOUR } from '../model/time.ts';
import type { SessionDefaults } from './session-defaults.ts';
import type { StreamKey } from '../model/measurements.ts';

// The district's state at the start of a control interval, built from what was measured and what
// the API was told, in the shape every strategy reads (StepView): the same decision code runs in the
// simulator and live.

/** A job known to the planner (submitted through the API), with its work done so far. */
export interface KnownJob {
  id: string;
  datacenterId: string;
  gpus: number;
  gpuHours: number;
  doneGpuHours: number;
  earliestStartMs: number;
  deadlineMs: number;
  /** Higher runs first (the job book's priority; absent: 0). */
  priority?: number;
}

/** Departure and energy an operator gave for a session through the API (chargers that cannot). */
export interface SessionNeeds {
  departureMs?: number;
  energyKwh?: number;
}

export interface LiveBus extends BusState {
  /** The charging session that holds this bus, when it is plugged in. */
  session?: ChargingSessionInfo;
}

export interface LiveView {
  view: StepView;
  /** Per EV session id in view.ev: where its charging limit goes. */
  sessionChannels: Map<string, { assetId: string; channel: string; maxDischargeKw: number }>;
  buses: LiveBus[];
  /** Jobs known but not yet startable (earliest start after now), per data center. */
  futureJobs: JobState[][];
  /** Setpoint-relevant device ratings measured this cycle. */
  measuredAt: number;
}

const SOC = 'soc_fraction';

/** Prefix of the id token a depot charger sees for bus `i` of depot `d`: `BUS-<d>-<i>`. */
export function busIdToken(depotId: string, busIndex: number): string {
  return `BUS-${depotId}-${busIndex}`;
}

/**
 * Tracks each bus's state of charge between what the chargers report: the charger's SoC reading
 * when there is one, else the last known value, less each block's energy as the timetable runs it,
 * plus the energy its charger delivered.
 */
export class BusTracker {
  private readonly socKwh = new Map<string, number>();
  private readonly lastBlockEnd = new Map<string, number>();
  private readonly lastSessionEnergy = new Map<string, { tx: string; kwh: number }>();

  estimate(
    d: District,
    depotIndex: number,
    busIndex: number,
    nowMs: number,
    s?: ChargingSessionInfo,
  ): number {
    const dep = d.depots[depotIndex];
    const cfg = dep.cfg;
    const key = `${dep.id}/${busIndex}`;
    const blocks = dep.plan.blocksByBus[busIndex] ?? [];
    let soc = this.socKwh.get(key);
    if (soc === undefined) {
      // Unknown at start-up: as charged as its next pull-out needs (what a depot would have done).
      const next = blocks.find((b) => b.endMs > nowMs);
      soc = cfg.battery_kwh * (next ? requiredDepartureSoc(cfg, next) : cfg.pull_out_soc_min);
      this.lastBlockEnd.set(key, nowMs);
    }
    // Blocks that finished since the last look drained the battery.
    const since = this.lastBlockEnd.get(key) ?? nowMs;
    for (const b of blocks) if (b.endMs > since && b.endMs <= nowMs) soc -= b.energyKwh;
    this.lastBlockEnd.set(key, Math.max(since, nowMs));
    if (s) {
      if (s.socFraction !== undefined && Number.isFinite(s.socFraction))
        soc = s.socFraction * cfg.battery_kwh;
      else {
        const prev = this.lastSessionEnergy.get(key);
        const deltaKwh = prev && prev.tx === s.transactionId ? s.energyKwh - prev.kwh : s.energyKwh;
        soc += deltaKwh >= 0 ? deltaKwh * cfg.charging_efficiency : deltaKwh / cfg.charging_efficiency;
      }
      this.lastSessionEnergy.set(key, { tx: s.transactionId, kwh: s.energyKwh });
    }
    soc = Math.max(0, Math.min(cfg.battery_kwh, soc));
    this.socKwh.set(key, soc);
    return soc;
  }
}

export interface BuildInputs {
  district: District;
  index: number;
  nowMs: number;
  image: ProcessImage;
  sessions: readonly ChargingSessionInfo[];
  demand: Pick<DemandState, 'monthPeakKw' | 'monthMaxKw' | 'billingDemandKw'>;
  jobs: readonly KnownJob[];
  needs: ReadonlyMap<string, SessionNeeds>;
  defaults: SessionDefaults;
  buses: BusTracker;
}

/** Key of a session for API needs and planning: asset, channel and transaction. */
export function sessionKey(s: Pick<ChargingSessionInfo, 'assetId' | 'channel' | 'transactionId'>): string {
  return `${s.assetId}|${s.channel}|${s.transactionId}`;
}

export function buildLiveView(inp: BuildInputs): LiveView {
  const d = inp.district;
  const i = inp.index;
  const dt = d.intervalHours;
  const value = (asset: string, key: StreamKey) => inp.image.values.get(asset)?.get(key)?.value;

  const pvAvailableKw = Float64Array.from(d.pv, (u) => Math.max(0, value(u.id, 'power_kw') ?? 0));
  let fixedLoadKw = 0;
  for (const u of d.loads) fixedLoadKw += Math.max(0, value(u.id, 'power_kw') ?? 0);

  // Batteries: the device's SoC; limits the smaller of the district file's and the device's ratings.
  const batterySocKwh = new Float64Array(d.batteries.length);
  const batteryLimitsKw = d.batteries.map((b, k) => {
    const socFraction = value(b.id, SOC);
    const socKwh = (socFraction ?? b.cfg.soc_min) * b.cfg.capacity_kwh;
    batterySocKwh[k] = socKwh;
    const lim = batteryLimits(b.cfg, { socKwh }, dt);
    const devCharge = value(b.id, 'max_charge_kw');
    const devDischarge = value(b.id, 'max_discharge_kw');
    if (socFraction === undefined) return { maxChargeKw: 0, maxDischargeKw: 0 };
    return {
      maxChargeKw: Math.min(
        lim.maxChargeKw,
        devCharge !== undefined && devCharge >= 0 ? devCharge : Infinity,
      ),
      maxDischargeKw: Math.min(
        lim.maxDischargeKw,
        devDischarge !== undefined && devDischarge >= 0 ? devDischarge : Infinity,
      ),
    };
  });

  // Buses: the timetable says where each bus should be; a bus plugged in is at the depot.
  const byToken = new Map<string, ChargingSessionInfo>();
  for (const s of inp.sessions) if (s.idToken) byToken.set(s.idToken, s);
  const claimed = new Set<ChargingSessionInfo>();
  const buses: LiveBus[] = [];
  d.depots.forEach((dep, di) => {
    for (let b = 0; b < dep.cfg.buses; b++) {
      const s = byToken.get(busIdToken(dep.id, b));
      if (s && s.assetId === dep.id) claimed.add(s);
      const blocks = dep.plan.blocksByBus[b] ?? [];
      const next = blocks.find((blk) => blk.startMs > inp.nowMs);
      const socKwh = inp.buses.estimate(d, di, b, inp.nowMs, s && s.assetId === dep.id ? s : undefined);
      buses.push({
        depotIndex: di,
        busIndex: b,
        atDepot: Boolean(s && s.assetId === dep.id),
        socKwh,
        nextBlock: next,
        requiredSocKwh: next ? requiredDepartureSoc(dep.cfg, next) * dep.cfg.battery_kwh : 0,
        session: s && s.assetId === dep.id ? s : undefined,
      });
    }
  });

  // EV sessions: every charging session that is not a known bus.
  const ev: EvSessionState[] = [];
  const sessionChannels = new Map<string, { assetId: string; channel: string; maxDischargeKw: number }>();
  for (const s of inp.sessions) {
    if (claimed.has(s)) continue;
    const key = sessionKey(s);
    const told = inp.needs.get(key);
    const guess = inp.defaults.guess(s.assetId, s.startMs, s.energyKwh);
    let departureMs = told?.departureMs ?? s.departureMs ?? guess.departureMs;
    // A departure already past (a driver who stayed on) keeps the session open one more interval.
    if (departureMs <= inp.nowMs) departureMs = inp.nowMs + dt * MS_PER_HOUR;
    const energyKwh = Math.max(s.energyKwh, told?.energyKwh ?? s.energyRequestKwh ?? guess.energyKwh);
    const session: EvSession = {
      id: key,
      assetId: s.assetId,
      chargerIndex: -1,
      arrivalMs: Math.min(s.startMs, inp.nowMs),
      departureMs,
      energyKwh,
      maxPowerKw: s.maxPowerKw,
      maxDischargeKw: s.maxDischargeKw,
    };
    ev.push({ session, deliveredKwh: s.energyKwh, remainingKwh: energyKwh - s.energyKwh });
    sessionChannels.set(key, { assetId: s.assetId, channel: s.channel, maxDischargeKw: s.maxDischargeKw });
  }

  // Training jobs the API was told about: startable ones are pending; later ones the planner sees.
  const futureJobs: JobState[][] = d.datacenters.map(() => []);
  const datacenters: DatacenterState[] = d.datacenters.map((u, k) => {
    const pending: JobState[] = [];
    for (const j of inp.jobs) {
      if (j.datacenterId !== u.id) continue;
      const remaining = Math.max(0, j.gpuHours - j.doneGpuHours);
      if (remaining <= 1e-9) continue;
      const job: TrainingJob = {
        id: j.id,
        gpus: j.gpus,
        gpuHours: j.gpuHours,
        submitMs: j.earliestStartMs,
        deadlineMs: j.deadlineMs,
        ...(j.priority ? { priority: j.priority } : {}),
      };
      (j.earliestStartMs <= inp.nowMs ? pending : futureJobs[k]).push({ job, remainingGpuHours: remaining });
    }
    return {
      pending,
      trainingGpus: u.layout.trainingGpus,
      inferenceItKw: u.inferenceItKw[i],
      pue: u.pue[i],
    };
  });

  const view: StepView = {
    district: d,
    index: i,
    timeMs: d.grid.startMs + i * d.grid.intervalMinutes * 60_000,
    local: localTime(inp.nowMs, d.zone),
    intervalHours: dt,
    pvAvailableKw,
    fixedLoadKw,
    batterySocKwh,
    batteryLimits: batteryLimitsKw,
    ev,
    buses,
    datacenters,
    monthPeakImportKw: inp.demand.monthPeakKw,
    monthMaxImportKw: inp.demand.monthMaxKw,
    billingDemandKw: inp.demand.billingDemandKw,
  };
  return { view, sessionChannels, buses, futureJobs, measuredAt: inp.nowMs };
}
