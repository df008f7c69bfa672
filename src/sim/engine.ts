import type { District } from './district.ts';
import { BatteryStepper } from './assets/battery.ts';
import { BusStepper } from './assets/bus.ts';
import type { RunContext } from './assets/context.ts';
import { DatacenterStepper } from './assets/datacenter.ts';
import { DeferrableStepper } from './assets/deferrable.ts';
import { EvStepper } from './assets/ev.ts';
import { fixedLoadKwAt } from './assets/load.ts';
import { PvStepper } from './assets/pv.ts';
import { DemandTracker } from './demand.ts';
import { emptySeries, emptyTotals, type SimResult, type SimSeries, type SimTotals } from './results.ts';
import type { Dispatch, Strategy, StepView } from './strategy-interface.ts';
import { MS_PER_MINUTE, timeAt } from '../model/time.ts';

export type { SimResult, SimSeries, SimTotals };

// Steps the district's physics through the grid under one strategy. Every setpoint is clamped to
// what the asset can do before it is applied, and the bus balance
//   grid + pv + battery = load + ev + bus + datacenter
// holds exactly at every interval (grid is what is left over). What each asset kind does in an
// interval is its stepper's, in assets/<kind>.ts; here they are put together.

export interface RunOptions {
  /** Called now and then with the intervals done; for progress bars. */
  onProgress?: (done: number, total: number) => void;
}

/** Every asset kind's stepper for one run. */
interface Steppers {
  pv: PvStepper;
  batteries: BatteryStepper;
  ev: EvStepper;
  buses: BusStepper;
  datacenters: DatacenterStepper;
  deferrables: DeferrableStepper;
}

/** One interval: where it is in the run and in time. */
interface Interval {
  i: number;
  timeMs: number;
  endMs: number;
}

export function runSimulation(d: District, strategy: Strategy, opts: RunOptions = {}): SimResult {
  const t0 = performance.now();
  const n = d.grid.count;
  const series = emptySeries(n);
  const totals = emptyTotals();
  const run: RunContext = {
    intervalHours: d.intervalHours,
    totals,
    assetKw: (id) => {
      let a = series.byAsset.get(id);
      if (!a) series.byAsset.set(id, (a = new Float64Array(n)));
      return a;
    },
  };
  const assets: Steppers = {
    pv: new PvStepper(d.pv, run),
    batteries: new BatteryStepper(d.batteries, run),
    ev: new EvStepper(d.ev, run),
    buses: new BusStepper(d.depots, run),
    datacenters: new DatacenterStepper(d.datacenters, run),
    deferrables: new DeferrableStepper(d.deferrables ?? [], run),
  };
  const demand = new DemandTracker(d);
  const progressEvery = Math.max(1, Math.floor(n / 200));

  for (let i = 0; i < n; i++) {
    const timeMs = timeAt(d.grid, i);
    const at: Interval = { i, timeMs, endMs: timeMs + d.grid.intervalMinutes * MS_PER_MINUTE };
    demand.startInterval(d.local[i]);
    const view = observe(d, assets, demand, at);
    const dispatch = strategy.decide(view);
    checkDispatchShape(dispatch, d, assets.buses.buses.length, strategy.name);
    applyDispatch(d, assets, dispatch, at, view.fixedLoadKw, series, totals);
    assets.ev.depart(at.endMs);
    demand.record(series.importKw[i], d.prices.countsForDemand[i] !== 0);
    if (opts.onProgress && (i % progressEvery === 0 || i === n - 1)) opts.onProgress(i + 1, n);
  }
  // Sessions still plugged in and jobs still running when the run ends are judged by their own
  // departure and deadline only if those fell inside the run.
  assets.datacenters.finish(timeAt(d.grid, n), n);

  return {
    strategy: strategy.name,
    series,
    totals,
    trainingJobs: assets.datacenters.outcomes(),
    counters: strategy.counters?.() ?? {},
    runtimeMs: performance.now() - t0,
  };
}

/** Moves every asset to the start of the interval and shows the strategy where things stand. */
function observe(d: District, a: Steppers, demand: DemandTracker, at: Interval): StepView {
  const { i, timeMs } = at;
  a.pv.observe(i);
  const fixedLoadKw = fixedLoadKwAt(d.loads, i);
  a.batteries.observe();
  a.ev.arrive(timeMs);
  a.buses.move(timeMs, at.endMs);
  const datacenters = a.datacenters.submit(i, timeMs);
  return {
    district: d,
    index: i,
    timeMs,
    local: d.local[i],
    intervalHours: d.intervalHours,
    pvAvailableKw: a.pv.availableKw,
    fixedLoadKw,
    batterySocKwh: a.batteries.socKwh(),
    batteryLimits: a.batteries.limits,
    ev: a.ev.active,
    buses: a.buses.buses,
    datacenters,
    deferrables: a.deferrables.states,
    monthPeakImportKw: demand.monthPeakKw,
    billingDemandKw: demand.billingDemandKw,
    monthMaxImportKw: demand.monthMaxKw,
  };
}

/**
 * Applies the dispatch: the loads that follow setpoints first, then PV and batteries (held back to
 * the export limit, PV first), and the grid as the balance.
 */
function applyDispatch(
  d: District,
  a: Steppers,
  dispatch: Dispatch,
  at: Interval,
  fixedLoadKw: number,
  s: SimSeries,
  totals: SimTotals,
): void {
  const { i } = at;
  const dt = d.intervalHours;
  const evKw = a.ev.apply(dispatch, i);
  const busKw = a.buses.apply(dispatch, i);
  const dcKw = a.datacenters.apply(dispatch, i, at.endMs);
  // Deferrable loads count as load in the series (their own in byAsset).
  const loadKw = fixedLoadKw + a.deferrables.apply(dispatch, i);
  const consumptionKw = loadKw + evKw + busKw + dcKw;

  a.pv.apply(dispatch);
  const battRequestKw = a.batteries.request(dispatch);
  const excessKw = a.pv.totalKw + battRequestKw - consumptionKw - d.scenario.grid.export_limit_kw;
  if (excessKw > 0) a.batteries.holdBackDischarge(a.pv.curtail(excessKw));
  const pvKw = a.pv.totalKw;
  const pvSurplusKw = Math.max(0, pvKw - consumptionKw);
  const batt = a.batteries.apply(i, pvSurplusKw);
  a.pv.record(i);

  const gridKw = consumptionKw - pvKw - batt.kw;
  s.gridKw[i] = gridKw;
  s.importKw[i] = Math.max(0, gridKw);
  s.exportKw[i] = Math.max(0, -gridKw);
  s.pvKw[i] = pvKw;
  s.pvAvailableKw[i] = a.pv.availableTotalKw;
  s.batteryKw[i] = batt.kw;
  s.batterySocKwh[i] = batt.socKwh;
  s.loadKw[i] = loadKw;
  s.evKw[i] = evKw;
  s.busKw[i] = busKw;
  s.datacenterKw[i] = dcKw;
  // PV used on site directly (what is not exported nor charged), plus clean battery discharge.
  const pvToBatteryKw = Math.min(batt.chargeKw, pvSurplusKw);
  s.localCleanKw[i] = Math.max(0, pvKw - s.exportKw[i] - pvToBatteryKw) + batt.dischargeCleanKw;
  totals.curtailedKwh += (a.pv.availableTotalKw - pvKw) * dt;
  if (gridKw > d.scenario.grid.import_limit_kw + 1e-6) totals.importLimitExceededIntervals++;
}

function checkDispatchShape(dp: Dispatch, d: District, buses: number, name: string): void {
  if (
    dp.batteryKw.length !== d.batteries.length ||
    dp.busKw.length !== buses ||
    dp.datacenters.length !== d.datacenters.length
  )
    throw new Error(`strategy "${name}" returned a dispatch of the wrong shape`);
}
