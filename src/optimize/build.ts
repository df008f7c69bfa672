import { LpModel, StepTerms } from './lp.ts';
import type { HorizonProblem } from './problem.ts';
import type { BuildContext } from './assets/context.ts';
import { addGrid, type GridHandles } from './assets/grid.ts';
import { addPv, type PvHandles } from './assets/pv.ts';
import { addBatteries, simultaneousChargeDischarge, type BatteryHandles } from './assets/battery.ts';
import { addEv, type EvHandles } from './assets/ev.ts';
import { addEvFleet, disaggregateFleet, type FleetHandles } from './assets/ev-fleet.ts';
import {
  addBuses,
  noChargerRestrictions,
  busSocByStep,
  restrictV2g,
  v2gAssignment,
  type BusHandles,
  type ChargerRestrictions,
} from './assets/bus.ts';
import { addDatacenters, type DatacenterHandles } from './assets/datacenter.ts';
import { addDeferrables, extractDeferrables, type DeferrableHandles } from './assets/deferrable.ts';
import { solveSync, type SolveOptions, type SolveResult } from './highs.ts';
import { wholeJobStart } from './mip-start.ts';
import type { WarmBasis } from './warm-basis.ts';

// One MILP per horizon: every asset type adds its own variables, constraints and objective terms
// (src/optimize/assets/*), and the bus balance of each step ties them together:
//   import − export + pv + Σ battery(discharge − charge) + Σ bus V2G
//     = fixed load + ev + bus + datacenter + deferrable loads.

export interface BuiltModel {
  model: LpModel;
  grid: GridHandles;
  pv: PvHandles;
  battery: BatteryHandles;
  ev: EvHandles;
  fleet?: FleetHandles;
  bus: BusHandles;
  datacenter: DatacenterHandles;
  deferrable: DeferrableHandles;
  buildMs: number;
  /** Battery binaries (no simultaneous charge and discharge). */
  withBinaries: boolean;
  /** Bus-steps whose V2G the rounding took away (see assets/bus.ts). */
  busChargerRestrictions: number;
}

export function buildModel(
  p: HorizonProblem,
  withBinaries = p.batteryBinaries === 'always',
  chargerRestrictions: readonly ChargerRestrictions[] = noChargerRestrictions(p),
): BuiltModel {
  const t0 = performance.now();
  const m = new LpModel();
  const importCost = new Float64Array(p.steps);
  for (let k = 0; k < p.steps; k++)
    importCost[k] =
      p.weights.cost * p.importPriceKrwPerKwh[k] * p.taxFactor +
      p.weights.emissionsKrwPerKg * p.emissionFactorKgPerKwh[k];
  const ctx: BuildContext = {
    m,
    p,
    balance: new StepTerms(p.steps),
    fixedKw: Float64Array.from(p.fixedLoadKw),
    importCostKrwPerKwh: importCost,
  };
  const grid = addGrid(ctx);
  const pv = addPv(ctx);
  const battery = addBatteries(ctx, withBinaries);
  // Many sessions: those without V2G go into one fleet; the rest stay individual.
  let fleet: FleetHandles | undefined;
  let ev: EvHandles;
  if (p.ev.length > p.evFleetThreshold) {
    fleet = addEvFleet(
      ctx,
      p.ev.filter((s) => s.maxDischargeKw <= 0),
    );
    ev = addEv(
      ctx,
      p.ev.filter((s) => s.maxDischargeKw > 0),
    );
  } else ev = addEv(ctx);
  const bus = addBuses(ctx, chargerRestrictions);
  const datacenter = addDatacenters(ctx);
  const deferrable = addDeferrables(ctx);
  for (let k = 0; k < p.steps; k++)
    m.addRow(`bal_${k}`, ctx.balance.terms[k], ctx.fixedKw[k], ctx.fixedKw[k]);
  return {
    model: m,
    grid,
    pv,
    battery,
    ev,
    fleet,
    bus,
    datacenter,
    deferrable,
    buildMs: performance.now() - t0,
    withBinaries,
    busChargerRestrictions: chargerRestrictions.reduce((n, r) => n + r.noV2g.size, 0),
  };
}

/** The plan for every step of a horizon, in the simulator's signs (kW unless named). */
export interface Schedule {
  startMs: number;
  steps: number;
  stepHours: number;
  importKw: Float64Array;
  exportKw: Float64Array;
  /** The import limit in force in each step (the connection's, or a DR signal's when tighter). */
  importLimitKw: Float64Array;
  /** Planned import above that limit: what no asset could avoid (0 whenever the limit can be met). */
  importOverLimitKw: Float64Array;
  /** The DR import target of each step (Infinity where none). */
  importTargetKw: Float64Array;
  pvKw: Float64Array;
  pvAvailableKw: Float64Array;
  /** Per battery, discharge positive. */
  batteryKw: Float64Array[];
  batterySocKwh: Float64Array[];
  /** Per EV session id, per step (0 outside its stay). */
  evKw: Map<string, Float64Array>;
  /** Per bus (StepView.buses index), charging positive. */
  busKw: Map<number, Float64Array>;
  busSocKwh: Map<number, Float64Array>;
  /** Per data center: GPUs running per job id per step, and Σ caps per job per step. */
  jobGpus: Map<string, Float64Array>[];
  jobCapSum: Map<string, Float64Array>[];
  /**
   * Steps at the start planned as whole jobs (HorizonProblem.wholeJobSteps; 0 when the plan kept
   * GPUs continuous), and per data center the one power cap of each of those steps.
   */
  wholeJobSteps: number;
  dcPowerCap: Float64Array[];
  /** Per data center: work per job per step (GPU-hours per hour) and the remaining work when planned. */
  jobWork: Map<string, Float64Array>[];
  jobRemainingGpuHours: Map<string, number>[];
  datacenterKw: Float64Array;
  peakKw: number;
  /** Planned import above the contract demand in the worst 15-minute window, kW (0 without the term). */
  contractExcessKw: number;
  objectiveKrw: number;
  evUnmetKwh: number;
  busUnmetKwh: number;
  /**
   * Per step, kWh the buses together hold below their floors (soc_min × battery) at the step's end:
   * 0 unless a bus was measured below it or cannot get its departure energy in time.
   */
  busBelowFloorKwh: Float64Array;
  /** kWh of block drain the buses could not cover even from empty (planned stored energy stays ≥ 0). */
  busDrainShortKwh: number;
  lateGpuHours: number;
  /** Per deferrable load (HorizonProblem.deferrables order), kW per step. */
  deferrableKw: Float64Array[];
  /** kWh the deferrable loads' windows are left short inside the horizon, and the runs planned. */
  deferrableUnmetKwh: number;
  deferrableStarts: number;
}

export function extractSchedule(
  p: HorizonProblem,
  b: BuiltModel,
  x: ArrayLike<number>,
  objective: number,
): Schedule {
  const n = p.steps;
  const col = (c: number) => (c >= 0 ? x[c] : 0);
  const s: Schedule = {
    startMs: p.startMs,
    steps: n,
    stepHours: p.stepHours,
    importKw: Float64Array.from(b.grid.importCol, (c, k) => col(c) + col(b.grid.overloadCol[k])),
    exportKw: Float64Array.from(b.grid.exportCol, col),
    importLimitKw: Float64Array.from(p.importLimitKw),
    importOverLimitKw: Float64Array.from(b.grid.overloadCol, col),
    importTargetKw: Float64Array.from(p.importTargetKw),
    pvKw: b.pv.outputCol.length ? Float64Array.from(b.pv.outputCol, col) : new Float64Array(n),
    pvAvailableKw: b.pv.availableKw,
    batteryKw: b.battery.chargeCol.map((ch, bi) =>
      Float64Array.from(ch, (c, k) => col(b.battery.dischargeCol[bi][k]) - col(c)),
    ),
    batterySocKwh: b.battery.socCol.map((sc) => Float64Array.from(sc, col)),
    evKw: new Map(),
    busKw: new Map(),
    busSocKwh: new Map(),
    jobGpus: [],
    jobCapSum: [],
    jobWork: [],
    jobRemainingGpuHours: [],
    wholeJobSteps: b.datacenter.capCol.some((c) => c.some((v) => v >= 0)) ? p.wholeJobSteps : 0,
    dcPowerCap: b.datacenter.capCol.map((caps) => Float64Array.from(caps, (c) => (c >= 0 ? x[c] : NaN))),
    datacenterKw: new Float64Array(n),
    peakKw: col(b.grid.peakCol),
    contractExcessKw: col(b.grid.excessCol),
    objectiveKrw: objective,
    evUnmetKwh: 0,
    busUnmetKwh: 0,
    busBelowFloorKwh: new Float64Array(n),
    busDrainShortKwh: 0,
    lateGpuHours: 0,
    deferrableKw: [],
    deferrableUnmetKwh: 0,
    deferrableStarts: 0,
  };
  const deferrables = extractDeferrables(p, b.deferrable, x);
  s.deferrableKw = deferrables.kw;
  s.deferrableUnmetKwh = deferrables.unmetKwh;
  s.deferrableStarts = deferrables.starts;
  b.ev.sessions.forEach((ev, si) => {
    const a = new Float64Array(n);
    b.ev.powerCol[si].forEach((c, j) => (a[ev.startStep + j] = col(c)));
    s.evKw.set(ev.id, a);
    s.evUnmetKwh += col(b.ev.unmetCol[si]);
  });
  if (b.fleet) {
    const fleetKw = Float64Array.from(b.fleet.powerCol, col);
    for (const [id, a] of disaggregateFleet(b.fleet.sessions, fleetKw, n, p.stepHours)) s.evKw.set(id, a);
    s.evUnmetKwh += b.fleet.impossibleKwh;
  }
  p.depots.forEach((dep, di) => {
    dep.buses.forEach((bus, bi) => {
      const ch = b.bus.chargeCol[di][bi];
      const dis = b.bus.dischargeCol[di][bi];
      s.busKw.set(
        bus.index,
        Float64Array.from(ch, (c, k) => col(c) - col(dis[k])),
      );
      s.busSocKwh.set(bus.index, busSocByStep(p, b.bus, di, bi, x));
      for (const u of b.bus.unmetCol[di][bi]) s.busUnmetKwh += col(u);
      b.bus.belowFloorCol[di][bi].forEach((u, k) => (s.busBelowFloorKwh[k] += col(u)));
      for (const u of b.bus.drainShortCol[di][bi]) s.busDrainShortKwh += col(u);
    });
  });
  p.datacenters.forEach((dc, di) => {
    const gpus = new Map<string, Float64Array>();
    const caps = new Map<string, Float64Array>();
    const work = new Map<string, Float64Array>();
    const remaining = new Map<string, number>();
    for (let k = 0; k < n; k++)
      s.datacenterKw[k] += dc.pue[k] * (dc.inferenceItKw[k] + dc.layout.trainingNodes * dc.cfg.node_idle_kw);
    dc.jobs.forEach((job, ji) => {
      const g = new Float64Array(n);
      const c = new Float64Array(n);
      // Whole-job steps hold the binary: GPUs = gpus × y.
      b.datacenter.runningCol[di][ji].forEach((col2, j) => {
        const k = job.startStep + j;
        g[k] = col(col2) * (k < p.wholeJobSteps ? job.gpus : 1);
      });
      b.datacenter.capSumCol[di][ji].forEach((col2, j) => {
        const k = job.startStep + j;
        c[k] = col(col2);
        s.datacenterKw[k] += dc.pue[k] * dc.layout.gpuDynamicKw * c[k];
      });
      const w = new Float64Array(n);
      b.datacenter.workCol[di][ji].forEach((col2, j) => (w[job.startStep + j] = col(col2)));
      gpus.set(job.id, g);
      caps.set(job.id, c);
      work.set(job.id, w);
      remaining.set(job.id, job.remainingGpuHours);
      s.lateGpuHours += col(b.datacenter.lateCol[di][ji]);
    });
    s.jobGpus.push(gpus);
    s.jobCapSum.push(caps);
    s.jobWork.push(work);
    s.jobRemainingGpuHours.push(remaining);
  });
  return s;
}

export interface HorizonSolve {
  built: BuiltModel;
  result: SolveResult;
  schedule?: Schedule;
  /** Solves run (more than 1 when binaries had to be added). */
  solves: number;
}

/**
 * Solves at most this many times per horizon: the first, and rounds that take chargers away where a
 * solution used more than the depot has (or add battery binaries). If the last still breaks a charger
 * count, its plan is used: the dispatch keeps the simulator's limits, and the next re-plan starts from
 * what was applied.
 */
export const MAX_SOLVES_PER_HORIZON = 8;

/**
 * Builds and solves one horizon. The LP relaxation goes first. With `batteryBinaries: 'auto'`,
 * battery binaries are added only when its solution charges and discharges a battery at once; where
 * it uses more bus chargers or V2G chargers than a depot has, the least-used buses there lose the
 * charger and the model is solved again (assets/bus.ts), until the counts hold. `previous`, the plan
 * in force, gives the MIP a start (mip-start.ts).
 */
export function solveHorizon(
  p: HorizonProblem,
  options: SolveOptions = {},
  previous?: Schedule,
  warm?: WarmBasis,
): HorizonSolve {
  let batteryBinaries = p.batteryBinaries === 'always';
  const chargers = v2gAssignment(p);
  // The previous plan, when given, starts the MIP (mip-start.ts); the previous re-plan's basis, when
  // kept, the LP (warm-basis.ts).
  const solve = (b: BuiltModel): SolveResult => {
    const data = b.model.toModelData();
    const start = options.start ?? wholeJobStart(p, b, previous);
    const basis = warm?.basisFor(p, b, data);
    const r = solveSync(data, { ...options, ...(start ? { start } : {}), ...(basis ? { basis } : {}) });
    if (r.rootBasis) warm?.remember(p, b, r.rootBasis);
    return r;
  };
  let built = buildModel(p, batteryBinaries, chargers);
  let result = solve(built);
  let solves = 1;
  while (result.ok && solves < MAX_SOLVES_PER_HORIZON) {
    let again = restrictV2g(p, built.bus, result.x, chargers);
    if (
      p.batteryBinaries === 'auto' &&
      !batteryBinaries &&
      simultaneousChargeDischarge(built.battery, result.x)
    ) {
      batteryBinaries = true;
      again = true;
    }
    if (!again) break;
    const next = buildModel(p, batteryBinaries, chargers);
    const nextResult = solve(next);
    solves++;
    // A MIP that finds no incumbent in time leaves the previous plan, which is still a plan.
    if (!nextResult.ok) break;
    built = next;
    result = nextResult;
  }
  return {
    built,
    result,
    solves,
    schedule: result.ok ? extractSchedule(p, built, result.x, result.objective) : undefined,
  };
}
