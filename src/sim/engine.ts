import type { District } from './district.ts';
import { batteryLimits, stepBattery, type BatteryState } from './assets/battery.ts';
import { requiredDepartureSoc } from './assets/bus.ts';
import { throughputAtCap, trainingItKw } from './assets/datacenter.ts';
import { initialDeferrableState, stepDeferrable } from './assets/deferrable.ts';
import type {
  BusState,
  DatacenterState,
  Dispatch,
  EvSessionState,
  JobState,
  Strategy,
  StepView,
} from './strategy-interface.ts';
import { MS_PER_MINUTE, timeAt } from '../model/time.ts';
import { DEMAND_INTERVAL_MINUTES } from '../tariff/index.ts';
import { RatchetBook, monthIndexOf } from '../tariff/ratchet.ts';

// Steps the district's physics through the grid under one strategy. Every setpoint is clamped to
// what the asset can do before it is applied, and the bus balance
//   grid + pv + battery = load + ev + bus + datacenter
// holds exactly at every interval (grid is what is left over).

/** Per-interval results, kW unless named otherwise. */
export interface SimSeries {
  gridKw: Float64Array;
  importKw: Float64Array;
  exportKw: Float64Array;
  pvKw: Float64Array;
  pvAvailableKw: Float64Array;
  batteryKw: Float64Array;
  /** Stored energy of all batteries together, kWh. */
  batterySocKwh: Float64Array;
  loadKw: Float64Array;
  evKw: Float64Array;
  busKw: Float64Array;
  datacenterKw: Float64Array;
  /** On-site clean energy used on site this interval (PV direct and PV-charged battery), kW. */
  localCleanKw: Float64Array;
  /** Per asset id, its own sign convention (see docs/conventions.md). */
  byAsset: Map<string, Float64Array>;
}

export interface SimTotals {
  evUnmetKwh: number;
  busUnmetKwh: number;
  trainingDeadlineMisses: number;
  /** GPU-hours of training work finished after its deadline or not at all by a passed deadline. */
  trainingLateGpuHours: number;
  /**
   * GPU-hours of submitted training work not done when the run ends, whatever its deadline: work a
   * strategy leaves for later is not free, so every strategy's is counted the same way.
   */
  trainingUnfinishedGpuHours: number;
  /** kWh the unfinished training work still takes (GPU dynamic power at full cap × mean PUE). */
  trainingUnfinishedKwh: number;
  batteryThroughputKwh: number;
  importLimitExceededIntervals: number;
  curtailedKwh: number;
  evSessions: number;
  evTurnedAway: number;
  /** kWh deferrable loads still owed when their windows closed. */
  deferrableUnmetKwh: number;
  deferrableStarts: number;
}

export interface SimResult {
  strategy: string;
  series: SimSeries;
  totals: SimTotals;
  counters: Record<string, number>;
  runtimeMs: number;
}

export interface RunOptions {
  /** Called now and then with the intervals done; for progress bars. */
  onProgress?: (done: number, total: number) => void;
}

export function runSimulation(d: District, strategy: Strategy, opts: RunOptions = {}): SimResult {
  const t0 = performance.now();
  const n = d.grid.count;
  const dt = d.intervalHours;
  const s: SimSeries = {
    gridKw: new Float64Array(n),
    importKw: new Float64Array(n),
    exportKw: new Float64Array(n),
    pvKw: new Float64Array(n),
    pvAvailableKw: new Float64Array(n),
    batteryKw: new Float64Array(n),
    batterySocKwh: new Float64Array(n),
    loadKw: new Float64Array(n),
    evKw: new Float64Array(n),
    busKw: new Float64Array(n),
    datacenterKw: new Float64Array(n),
    localCleanKw: new Float64Array(n),
    byAsset: new Map(),
  };
  const assetSeries = (id: string) => {
    let a = s.byAsset.get(id);
    if (!a) s.byAsset.set(id, (a = new Float64Array(n)));
    return a;
  };
  const totals: SimTotals = {
    evUnmetKwh: 0,
    busUnmetKwh: 0,
    trainingDeadlineMisses: 0,
    trainingLateGpuHours: 0,
    trainingUnfinishedGpuHours: 0,
    trainingUnfinishedKwh: 0,
    batteryThroughputKwh: 0,
    importLimitExceededIntervals: 0,
    curtailedKwh: 0,
    evSessions: 0,
    evTurnedAway: d.ev.reduce((x, u) => x + u.turnedAway, 0),
    deferrableUnmetKwh: 0,
    deferrableStarts: 0,
  };
  const deferrables = d.deferrables ?? [];
  const deferrableStates = deferrables.map(initialDeferrableState);

  // Batteries, with the share of their energy that came from on-site PV (for hourly RE100 matching).
  const batt: BatteryState[] = d.batteries.map((b) => ({ socKwh: b.cfg.soc_initial * b.cfg.capacity_kwh }));
  const battCleanShare = d.batteries.map(() => 0);

  // EV sessions, all assets together, sorted by arrival; `active` holds the plugged-in ones.
  const sessions = d.ev.flatMap((u) => u.sessions).sort((a, b) => a.arrivalMs - b.arrivalMs);
  totals.evSessions = sessions.length;
  let nextSession = 0;
  let active: EvSessionState[] = [];

  // Buses, flattened over depots.
  const buses: (BusState & { blockCursor: number; drainKwhPerInterval: number })[] = [];
  d.depots.forEach((dep, di) => {
    for (let b = 0; b < dep.cfg.buses; b++) {
      // A bus starts the run charged for its first pull-out, as a depot would have it.
      const first = dep.plan.blocksByBus[b][0];
      const socKwh =
        dep.cfg.battery_kwh * (first ? requiredDepartureSoc(dep.cfg, first) : dep.cfg.pull_out_soc_min);
      buses.push({
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

  // Training jobs.
  const dcs = d.datacenters.map((u) => ({
    unit: u,
    queue: u.jobs.slice(),
    next: 0,
    pending: [] as JobState[],
  }));

  // Peak tracking in 15-minute windows, within demand-charge hours, per local month.
  const windowIntervals = Math.max(1, Math.round(DEMAND_INTERVAL_MINUTES / d.grid.intervalMinutes));
  let windowSumKw = 0;
  let windowCount = 0;
  let monthIndex = -1;
  let monthPeakKw = 0;
  const ratchet = new RatchetBook(
    d.scenario.grid.contract_demand_kw,
    d.scenario.grid.tariff.ratchet_history_peak_kw,
  );
  let billingDemandKw = ratchet.carriedKw(0);

  const pvAvail = new Float64Array(d.pv.length);
  const battLimits = d.batteries.map(() => ({ maxChargeKw: 0, maxDischargeKw: 0 }));
  const progressEvery = Math.max(1, Math.floor(n / 200));

  for (let i = 0; i < n; i++) {
    const timeMs = timeAt(d.grid, i);
    const endMs = timeMs + d.grid.intervalMinutes * MS_PER_MINUTE;
    const lt = d.local[i];
    // A new month: its billing demand starts from what the ratchet months before it carry.
    if (monthIndexOf(lt.year, lt.month) !== monthIndex) {
      ratchet.record(monthIndex, monthPeakKw);
      monthIndex = monthIndexOf(lt.year, lt.month);
      monthPeakKw = 0;
      billingDemandKw = ratchet.billingDemandKw(monthIndex, monthPeakKw);
    }

    // --- state visible to the strategy at the start of the interval
    for (let k = 0; k < d.pv.length; k++) pvAvail[k] = d.pv[k].availableKw[i];
    let fixedLoadKw = 0;
    for (const l of d.loads) fixedLoadKw += l.kw[i];
    for (let k = 0; k < batt.length; k++) battLimits[k] = batteryLimits(d.batteries[k].cfg, batt[k], dt);

    while (nextSession < sessions.length && sessions[nextSession].arrivalMs <= timeMs) {
      const ses = sessions[nextSession++];
      if (ses.departureMs > timeMs)
        active.push({ session: ses, deliveredKwh: 0, remainingKwh: ses.energyKwh });
    }

    for (const bus of buses) {
      const dep = d.depots[bus.depotIndex];
      const blocks = dep.plan.blocksByBus[bus.busIndex];
      // Leave for a block that starts now; come back from one that ended.
      let blk = blocks[bus.blockCursor];
      if (bus.atDepot && blk && blk.startMs <= timeMs) {
        const required = requiredDepartureSoc(dep.cfg, blk) * dep.cfg.battery_kwh;
        totals.busUnmetKwh += Math.max(0, required - bus.socKwh);
        bus.atDepot = false;
        bus.drainKwhPerInterval =
          blk.energyKwh / Math.max(1, Math.round((blk.endMs - blk.startMs) / (endMs - timeMs)));
      }
      if (!bus.atDepot && blk && blk.endMs <= timeMs) {
        bus.atDepot = true;
        bus.blockCursor++;
        blk = blocks[bus.blockCursor];
      }
      bus.nextBlock = blocks[bus.blockCursor];
      bus.requiredSocKwh = bus.nextBlock
        ? requiredDepartureSoc(dep.cfg, bus.nextBlock) * dep.cfg.battery_kwh
        : 0;
    }

    const dcStates: DatacenterState[] = dcs.map((dc) => {
      while (dc.next < dc.queue.length && dc.queue[dc.next].submitMs <= timeMs) {
        const job = dc.queue[dc.next++];
        dc.pending.push({ job, remainingGpuHours: job.gpuHours });
      }
      return {
        pending: dc.pending,
        trainingGpus: dc.unit.layout.trainingGpus,
        inferenceItKw: dc.unit.inferenceItKw[i],
        pue: dc.unit.pue[i],
      };
    });

    const view: StepView = {
      district: d,
      index: i,
      timeMs,
      local: lt,
      intervalHours: dt,
      pvAvailableKw: pvAvail,
      fixedLoadKw,
      batterySocKwh: Float64Array.from(batt, (b) => b.socKwh),
      batteryLimits: battLimits,
      ev: active,
      buses,
      datacenters: dcStates,
      deferrables: deferrableStates,
      monthPeakImportKw: monthPeakKw,
      billingDemandKw,
    };
    const dispatch = strategy.decide(view);
    checkDispatchShape(dispatch, d, buses.length, strategy.name);

    // --- apply: loads that follow setpoints
    let evKw = 0;
    for (const st of active) {
      const ses = st.session;
      const req = dispatch.evKw.get(ses.id) ?? 0;
      const maxChargeKw = Math.min(ses.maxPowerKw, st.remainingKwh / dt);
      // V2G may give back at most what the car asked for, which it must then take again.
      const maxDischargeKw = Math.min(ses.maxDischargeKw, Math.max(0, st.deliveredKwh + ses.energyKwh) / dt);
      const p = clamp(finite(req), -maxDischargeKw, Math.max(0, maxChargeKw));
      st.deliveredKwh += p * dt;
      st.remainingKwh = ses.energyKwh - st.deliveredKwh;
      evKw += p;
      const a = assetSeries(ses.assetId);
      a[i] += p;
    }

    let busKw = 0;
    const chargingByDepot = d.depots.map(() => 0);
    const dischargingByDepot = d.depots.map(() => 0);
    for (let b = 0; b < buses.length; b++) {
      const bus = buses[b];
      const dep = d.depots[bus.depotIndex];
      const cfg = dep.cfg;
      if (!bus.atDepot) {
        bus.socKwh = Math.max(0, bus.socKwh - bus.drainKwhPerInterval);
        continue;
      }
      let p = finite(dispatch.busKw[b]);
      const eta = cfg.charging_efficiency;
      const roomKwh = cfg.soc_max * cfg.battery_kwh - bus.socKwh;
      const spareKwh = bus.socKwh - cfg.soc_min * cfg.battery_kwh;
      p = clamp(
        p,
        -Math.min(cfg.charger_kw, (Math.max(0, spareKwh) * eta) / dt),
        Math.min(cfg.charger_kw, Math.max(0, roomKwh) / eta / dt),
      );
      // Chargers are shared: the first buses to ask get them (the strategy orders its requests).
      if (p > 0) {
        if (chargingByDepot[bus.depotIndex] + dischargingByDepot[bus.depotIndex] >= cfg.chargers) p = 0;
        else chargingByDepot[bus.depotIndex]++;
      } else if (p < 0) {
        if (
          dischargingByDepot[bus.depotIndex] >= cfg.v2g_chargers ||
          chargingByDepot[bus.depotIndex] + dischargingByDepot[bus.depotIndex] >= cfg.chargers
        )
          p = 0;
        else dischargingByDepot[bus.depotIndex]++;
      }
      bus.socKwh += p >= 0 ? p * dt * eta : (p * dt) / eta;
      busKw += p;
      assetSeries(dep.id)[i] += p;
    }

    let dcKw = 0;
    dcs.forEach((dc, k) => {
      const cfg = dc.unit.cfg;
      const cmd = dispatch.datacenters[k] ?? { runJobIds: [], powerCap: 1 };
      const cap = clamp(finite(cmd.powerCap, 1), cfg.gpu_power_cap_min, 1);
      const speed = throughputAtCap(cfg, cap);
      const wanted = new Set(cmd.runJobIds);
      let freeGpus = dc.unit.layout.trainingGpus;
      let busyGpuCapSum = 0;
      for (const js of dc.pending) {
        if (!wanted.has(js.job.id) || js.job.gpus > freeGpus) continue;
        freeGpus -= js.job.gpus;
        const workGpuHours = Math.min(js.remainingGpuHours, js.job.gpus * speed * dt);
        // A job that finishes part-way through the interval draws power only for that part.
        busyGpuCapSum += (cap * workGpuHours) / (speed * dt);
        js.remainingGpuHours -= workGpuHours;
      }
      const still: JobState[] = [];
      for (const js of dc.pending) {
        if (js.remainingGpuHours <= 1e-9) {
          if (endMs > js.job.deadlineMs) {
            totals.trainingDeadlineMisses++;
            totals.trainingLateGpuHours += js.job.gpuHours;
          }
        } else still.push(js);
      }
      dc.pending = still;
      const kw =
        (dc.unit.inferenceItKw[i] + trainingItKw(cfg, dc.unit.layout, busyGpuCapSum)) * dc.unit.pue[i];
      dcKw += kw;
      assetSeries(dc.unit.id)[i] = kw;
    });

    // Deferrable loads count as load in the series (their own in byAsset).
    let deferrableKw = 0;
    deferrables.forEach((u, k) => {
      const r = stepDeferrable(u, deferrableStates[k], i, dispatch.deferrableKw?.[k], dt);
      deferrableKw += r.kw;
      totals.deferrableUnmetKwh += r.unmetKwh;
      if (r.started) totals.deferrableStarts++;
      assetSeries(u.id)[i] = r.kw;
    });
    fixedLoadKw += deferrableKw;

    // --- generation and storage, then the grid as the balance
    const consumptionKw = fixedLoadKw + evKw + busKw + dcKw;
    let pvKw = 0;
    let pvAvailKw = 0;
    const pvOut = new Float64Array(d.pv.length);
    for (let k = 0; k < d.pv.length; k++) {
      const lim = dispatch.pvLimitKw ? dispatch.pvLimitKw[k] : NaN;
      pvOut[k] = Number.isNaN(lim) ? pvAvail[k] : clamp(lim, 0, pvAvail[k]);
      pvKw += pvOut[k];
      pvAvailKw += pvAvail[k];
    }
    const battReq = Float64Array.from(dispatch.batteryKw, (x) => finite(x));
    let battKw = 0;
    for (let k = 0; k < batt.length; k++)
      battKw += clamp(battReq[k], -battLimits[k].maxChargeKw, battLimits[k].maxDischargeKw);
    // Export limit: curtail PV first, then hold back battery discharge.
    const exportLimitKw = d.scenario.grid.export_limit_kw;
    let excessKw = pvKw + battKw - consumptionKw - exportLimitKw;
    if (excessKw > 0) {
      for (let k = 0; k < d.pv.length && excessKw > 0; k++) {
        const cut = Math.min(pvOut[k], excessKw);
        pvOut[k] -= cut;
        pvKw -= cut;
        excessKw -= cut;
      }
      for (let k = 0; k < batt.length && excessKw > 0; k++) {
        if (battReq[k] > 0) {
          const cut = Math.min(battReq[k], excessKw);
          battReq[k] -= cut;
          excessKw -= cut;
        }
      }
    }
    battKw = 0;
    let battChargeKw = 0;
    let battDischargeCleanKw = 0;
    let socSum = 0;
    for (let k = 0; k < batt.length; k++) {
      const r = stepBattery(d.batteries[k].cfg, batt[k], battReq[k], dt);
      const before = batt[k].socKwh;
      batt[k] = { socKwh: r.socKwh };
      battKw += r.powerKw;
      totals.batteryThroughputKwh += r.throughputKwh;
      assetSeries(d.batteries[k].id)[i] = r.powerKw;
      if (r.powerKw < 0) battChargeKw += -r.powerKw;
      else battDischargeCleanKw += r.powerKw * battCleanShare[k];
      socSum += r.socKwh;
      // Track the PV-sourced share of stored energy (charging from PV surplus counts as clean).
      if (r.powerKw < 0 && r.socKwh > 0) {
        const surplusKw = Math.max(0, pvKw - consumptionKw);
        const cleanInKwh = (Math.min(-r.powerKw, surplusKw) * dt * (r.socKwh - before)) / (-r.powerKw * dt);
        battCleanShare[k] = clamp((battCleanShare[k] * before + cleanInKwh) / r.socKwh, 0, 1);
      }
    }
    for (let k = 0; k < d.pv.length; k++) assetSeries(d.pv[k].id)[i] = pvOut[k];

    const gridKw = consumptionKw - pvKw - battKw;
    s.gridKw[i] = gridKw;
    s.importKw[i] = Math.max(0, gridKw);
    s.exportKw[i] = Math.max(0, -gridKw);
    s.pvKw[i] = pvKw;
    s.pvAvailableKw[i] = pvAvailKw;
    s.batteryKw[i] = battKw;
    s.batterySocKwh[i] = socSum;
    s.loadKw[i] = fixedLoadKw;
    s.evKw[i] = evKw;
    s.busKw[i] = busKw;
    s.datacenterKw[i] = dcKw;
    // PV used on site directly (what is not exported nor charged), plus clean battery discharge.
    const pvToBatteryKw = Math.min(battChargeKw, Math.max(0, pvKw - consumptionKw));
    s.localCleanKw[i] = Math.max(0, pvKw - s.exportKw[i] - pvToBatteryKw) + battDischargeCleanKw;
    totals.curtailedKwh += (pvAvailKw - pvKw) * dt;
    if (gridKw > d.scenario.grid.import_limit_kw + 1e-6) totals.importLimitExceededIntervals++;

    // --- departures and demand tracking
    const still: EvSessionState[] = [];
    for (const st of active) {
      if (st.session.departureMs <= endMs) totals.evUnmetKwh += Math.max(0, st.remainingKwh);
      else still.push(st);
    }
    active = still;

    windowSumKw += s.importKw[i];
    windowCount++;
    if (windowCount === windowIntervals) {
      const avgKw = windowSumKw / windowCount;
      if (d.prices.countsForDemand[i]) {
        monthPeakKw = Math.max(monthPeakKw, avgKw);
        billingDemandKw = Math.max(billingDemandKw, monthPeakKw);
      }
      windowSumKw = 0;
      windowCount = 0;
    }
    if (opts.onProgress && (i % progressEvery === 0 || i === n - 1)) opts.onProgress(i + 1, n);
  }

  // Sessions still plugged in and jobs still running when the run ends are judged by their own
  // departure and deadline only if those fell inside the run.
  const runEndMs = timeAt(d.grid, n);
  for (const dc of dcs) {
    // Finishing the rest later takes the GPUs' dynamic power at full cap, at the run's mean PUE.
    let pueSum = 0;
    for (let i = 0; i < n; i++) pueSum += dc.unit.pue[i];
    const kwhPerGpuHour = dc.unit.layout.gpuDynamicKw * (n > 0 ? pueSum / n : 1);
    for (const js of dc.pending) {
      totals.trainingUnfinishedGpuHours += js.remainingGpuHours;
      totals.trainingUnfinishedKwh += js.remainingGpuHours * kwhPerGpuHour;
      if (js.job.deadlineMs <= runEndMs) {
        totals.trainingDeadlineMisses++;
        totals.trainingLateGpuHours += js.job.gpuHours;
      }
    }
  }

  return {
    strategy: strategy.name,
    series: s,
    totals,
    counters: strategy.counters?.() ?? {},
    runtimeMs: performance.now() - t0,
  };
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** A strategy's NaN or infinity becomes the safe default rather than poisoning the run. */
function finite(x: number | undefined, fallback = 0): number {
  return x !== undefined && Number.isFinite(x) ? x : fallback;
}

function checkDispatchShape(dp: Dispatch, d: District, buses: number, name: string): void {
  if (
    dp.batteryKw.length !== d.batteries.length ||
    dp.busKw.length !== buses ||
    dp.datacenters.length !== d.datacenters.length
  )
    throw new Error(`strategy "${name}" returned a dispatch of the wrong shape`);
}
