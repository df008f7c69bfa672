import type { District } from '../sim/district.ts';
import type { StepView } from '../sim/strategy-interface.ts';
import { requiredDepartureSoc } from '../sim/assets/bus.ts';
import { MS_PER_HOUR } from '../model/time.ts';
import { DEMAND_INTERVAL_MINUTES, EXCESS_PENALTY_TIERS } from '../tariff/index.ts';
import type {
  ContractExcessInput,
  BusInput,
  DatacenterInput,
  DepotInput,
  EvInput,
  HorizonProblem,
  JobInput,
  Weights,
} from './problem.ts';
import type { Forecast } from '../forecast/planner-standin.ts';
import type { GridSignal } from '../drivers/types.ts';
import { applyGridSignals } from './signals.ts';
import { deferrableInputs } from './assets/deferrable.ts';
import { BLOCKABLE_ASSETS, moveBlockStarts, type BlockableAsset } from './blocks.ts';
import { finishesWithinStep } from './assets/datacenter.ts';
import { throughputAtCap } from '../sim/assets/datacenter.ts';

// From what a strategy sees (StepView) and a forecast to one horizon's HorizonProblem.

export interface PlanOptions {
  /** Horizon length, hours. */
  horizonHours: number;
  weights: Weights;
  /**
   * Months of basic charge one kW of new billing demand costs. Default: the tariff's figure — 12 in a
   * ratchet month (the peak stays in the 12-month window), 1 otherwise — charged once, on the part
   * above the billing demand already set, however long the horizon (see docs/optimizer.md).
   */
  peakCostMonths?: number;
  /** 원 per kWh of EV/bus energy missing at departure; must exceed any saving from withholding it. */
  unmetPenaltyKrwPerKwh: number;
  latePenaltyKrwPerGpuHour: number;
  /** 원 per GPU-hour of a late job's work per hour it waits (default `DEFAULT_LATE_DELAY_KRW_PER_GPU_HOUR_HOUR`). */
  lateDelayKrwPerGpuHourHour?: number;
  /** 원 per kWh a bus is below its floor at a step's end (default `DEFAULT_BUS_BELOW_FLOOR_PENALTY_KRW_PER_KWH`). */
  busBelowFloorPenaltyKrwPerKwh?: number;
  /** GPU-hours short a deadline miss is priced as, for a job with more left (default `DEFAULT_DEADLINE_MISS_GPU_HOURS`). */
  deadlineMissGpuHours?: number;
  /** 원 per GPU-hour short of what the slow pool needs done now (default `DEFAULT_POOL_SHORTFALL_KRW_PER_GPU_HOUR`). */
  poolShortfallKrwPerGpuHour?: number;
  /** 원 per GPU-hour of queued work per hour it waits before its deadline (default `DEFAULT_QUEUE_WAIT_KRW_PER_GPU_HOUR_HOUR`). */
  queueWaitKrwPerGpuHourHour?: number;
  overloadPenaltyKrwPerKw: number;
  /** 원 per kWh imported above a DR import target (default `DEFAULT_IMPORT_TARGET_PENALTY_KRW_PER_KWH`). */
  importTargetPenaltyKrwPerKwh?: number;
  batteryBinaries: 'auto' | 'always' | 'never';
  /** Sessions above which EVs without V2G are aggregated into a fleet. */
  evFleetThreshold: number;
  /**
   * Hours at the start of the horizon planned as the data center runs them: whole jobs at one cap
   * (the planner sets its re-plan cadence here; see HorizonProblem.wholeJobSteps).
   */
  wholeJobHours?: number;
  /**
   * Move blocking (blocks.ts): hours at the start planned step by step, and the length of the blocks
   * after them, hours (a whole number); `assets` names whose decisions are blocked (default: buses,
   * EVs and training jobs). Absent: every step is planned on its own.
   */
  moveBlocking?: MoveBlocking;
  /**
   * A simulation's run ends with its time grid, and work queued then counts as unfinished (the
   * KPIs' `trainingUnfinishedGpuHours`). Set, the training pool is planned to work until the run's
   * end and no longer: work due after the horizon that the pool could not fit between the horizon's
   * end and the run's (at the lowest cap's speed, beside the new work expected meanwhile) is wanted
   * inside the horizon at the pool-shortfall cost per GPU-hour short; a horizon that reaches the
   * run's end wants all of it. In the run's last RUN_END_DRAIN_HOURS queued work waits at a late
   * job's rate, and the planner (mpc.ts) plans a job submitted since its plan at once. Off, work due
   * after the horizon is planned as if the run went on. Simulations only: a live district's grid is
   * a window, not an end.
   */
  finishWorkByRunEnd?: boolean;
}

export interface MoveBlocking {
  fineHours: number;
  blockHours: number;
  assets?: readonly BlockableAsset[];
}

/**
 * Move blocking as `optimal` and the live planner use it: the first 2 hours step by step (the hour
 * carried out before the next re-plan and one more), then 3-hour blocks of the buses' charging, the
 * EVs' and the training jobs'. Against 4 h fine and 1-hour blocks, over the weeks of 2026-02-02,
 * 08-03 and 10-12 of `optimal`: the solve 0.64, 0.55 and 0.53 of the time, the comparable total
 * −0.03 %, +0.09 % and −0.03 %, no deadline missed and no energy unmet in either (docs/optimizer.md,
 * "Move blocking").
 */
export const DEFAULT_MOVE_BLOCKING: MoveBlocking = { fineHours: 2, blockHours: 3 };

/**
 * A DR import target ranks between service and money: above the ≈ 450,000 원/kWh at which a kWh
 * held back could buy a lower ratcheted peak (below), so the plan meets the target even at the
 * cost of a new billing demand, and below the 2,000,000 원/kWh service penalty, so a car, a bus or a
 * training deadline the district promised still comes first.
 */
export const DEFAULT_IMPORT_TARGET_PENALTY_KRW_PER_KWH = 1_000_000;

/**
 * A late job's work waiting an hour costs this per GPU-hour: about 5× the energy a GPU-hour takes at
 * the dearest KEPCO hour (≈ 0.7 kW × PUE 1.3 × ≈ 240 원/kWh ≈ 220 원), so a late job runs now rather
 * than in a cheaper hour later; and far below what a new peak costs (≈ 112,500 원/kW in a ratchet
 * month, ≈ 80,000 원 per GPU-hour-hour for one hour of a 512-GPU job's ≈ 470 kW), so it still waits
 * for a lower demand window rather than set one.
 */
export const DEFAULT_LATE_DELAY_KRW_PER_GPU_HOUR_HOUR = 1_000;

/**
 * Work left past which a job's deadline miss is priced as this many GPU-hours short
 * (`PlanOptions.deadlineMissGpuHours`). A plan cannot count misses without a binary per job, and
 * with one price per GPU-hour short it is indifferent to how a shortfall the pool cannot avoid is
 * spread: in a burst of submissions it spread it over every job due, and all finished late together
 * (the week of 2026-11-10: 34 misses against `rules'` 9, docs/optimizer.md). Pricing a job's
 * GPU-hours short at the late penalty × this ÷ its work left makes missing any job cost about the
 * same, so the plan finishes the nearly done jobs and leaves the shortfall to those with the most
 * work left, where one miss absorbs most of it. 500 GPU-hours is a 64-GPU job's 8 hours at the
 * reference sizes; the largest (512 GPUs × 20 h) is at the 1/20 floor. Measured on that week in
 * docs/optimizer.md.
 */
export const DEFAULT_DEADLINE_MISS_GPU_HOURS = 500;

/**
 * Work due after the horizon that the training pool could fit after it only at full speed, not at
 * the lowest cap's (the speed plans choose wherever nothing presses) beside the new work expected
 * meanwhile, is wanted inside the horizon at this cost per GPU-hour short
 * (`PlanOptions.poolShortfallKrwPerGpuHour`): about 45× a GPU-hour's energy in the dearest hour
 * (≈ 220 원), so the work gets done, and a tenth of what a new ratchet peak costs per GPU-hour, so it
 * still waits where it would raise the peak. On January 2026 the misses were 35 with it off, 18 at
 * 300 원 and 1 at 10,000 (docs/optimizer.md).
 */
export const DEFAULT_POOL_SHORTFALL_KRW_PER_GPU_HOUR = 10_000;

/**
 * Training work waiting in the queue costs this per GPU-hour and per hour it waits, before its
 * deadline too (`PlanOptions.queueWaitKrwPerGpuHourHour`): what a sooner result is worth. Without it
 * a plan is indifferent to when work not yet due runs, so it ran work as late as its deadline and the
 * pool allowed, and a burst of new jobs then found the pool full (February and March 2026: 7 and 10
 * deadline misses). 3 원 is below what moving a GPU-hour from the winter mid band to the light band
 * saves per hour moved (≈ 46 원/kWh × 0.91 kWh × 1.127 over 12 h ≈ 3.9 원), so the plan still moves
 * work from dear hours to cheap ones, and above what it saves between bands closer in price, so
 * work there runs sooner. Measured with it: February 0 misses and March 0 (docs/optimizer.md).
 */
export const DEFAULT_QUEUE_WAIT_KRW_PER_GPU_HOUR_HOUR = 3;

/**
 * Hours before a run's end in which queued work waits at a late job's rate (`finishWorkByRunEnd`).
 * On the reference year 24 left 15,219 GPU-hours queued at the end (`rules` 6,177): work put off
 * the day before the last met the last day's new jobs in a full pool. 48 left 3,700, at +0.05 % on
 * the bill (docs/optimizer.md, "Work left at the run's end").
 */
export const RUN_END_DRAIN_HOURS = 48;

/** Whether `view` lies in its run's last RUN_END_DRAIN_HOURS and `opts` finishes work by the run's end. */
export function inRunEndDrain(view: StepView, opts: Pick<PlanOptions, 'finishWorkByRunEnd'>): boolean {
  const d = view.district;
  const drainSteps = Math.round((RUN_END_DRAIN_HOURS * MS_PER_HOUR) / (d.grid.intervalMinutes * 60_000));
  return opts.finishWorkByRunEnd === true && view.index + drainSteps >= d.grid.count;
}

/**
 * A bus below its floor ranks with service: discharging 1 kWh below it for one 15-minute step could
 * lower a ratcheted peak by 4 kW, ≈ 450,000 원 (below), so the penalty per kWh and step must be well
 * above that for the floor to hold whenever it can. The same figure as a kWh missing at departure.
 */
export const DEFAULT_BUS_BELOW_FLOOR_PENALTY_KRW_PER_KWH = 2_000_000;

/**
 * Penalties: a kW of new peak in a ratchet month costs ≈ 12 × 8,320 × 1.127 ≈ 112,500 원; holding
 * back 1 kW for one 15-minute interval withholds 0.25 kWh, so anything below ≈ 450,000 원/kWh could be
 * traded for a lower peak. 2,000,000 원/kWh (and per GPU-hour) keeps service first by a wide margin.
 */
export const DEFAULT_PLAN_OPTIONS: PlanOptions = {
  horizonHours: 24,
  weights: { cost: 1, emissionsKrwPerKg: 0, re100KrwPerKwh: 0 },
  unmetPenaltyKrwPerKwh: 2_000_000,
  latePenaltyKrwPerGpuHour: 2_000_000,
  overloadPenaltyKrwPerKw: 10_000_000,
  importTargetPenaltyKrwPerKwh: DEFAULT_IMPORT_TARGET_PENALTY_KRW_PER_KWH,
  busBelowFloorPenaltyKrwPerKwh: DEFAULT_BUS_BELOW_FLOOR_PENALTY_KRW_PER_KWH,
  batteryBinaries: 'auto',
  // A district's few hundred sessions a day solve fast one by one; thousands are aggregated.
  evFleetThreshold: 2000,
};

/**
 * The contract-excess term, only where the connection lets import pass the contract demand: at or
 * below it the import limit already keeps every plan under the contract, and the rows would be dead
 * weight in every re-plan. Priced at the highest basic charge in the horizon.
 */
function contractExcessInput(view: StepView, steps: number): ContractExcessInput | undefined {
  const d = view.district;
  const g = d.scenario.grid;
  if (!(g.import_limit_kw > g.contract_demand_kw)) return undefined;
  let basicKrwPerKw = 0;
  for (let k = 0; k < steps; k++)
    basicKrwPerKw = Math.max(basicKrwPerKw, d.prices.basicChargeKrwPerKw[view.index + k]);
  return {
    contractKw: g.contract_demand_kw,
    monthMaxImportKw: view.monthMaxImportKw ?? 0,
    costKrwPerKw: basicKrwPerKw * EXCESS_PENALTY_TIERS[0][1],
  };
}

/**
 * One horizon's problem from the district's state and a forecast. `signals` (OpenADR events) are
 * applied step by step: see signals.ts and docs/optimizer.md.
 */
export function problemFromView(
  view: StepView,
  forecast: Forecast,
  opts: PlanOptions,
  batterySocKwh: ArrayLike<number> = view.batterySocKwh,
  signals: readonly GridSignal[] = [],
): HorizonProblem {
  const d: District = view.district;
  const n = d.grid.count;
  const dtMs = d.grid.intervalMinutes * 60_000;
  const dt = d.intervalHours;
  const i0 = view.index;
  const steps = Math.max(1, Math.min(Math.round((opts.horizonHours * MS_PER_HOUR) / dtMs), n - i0));
  const t0 = view.timeMs;
  const endMs = t0 + steps * dtMs;
  const stepOf = (ms: number) => Math.round((ms - t0) / dtMs);
  const pr = d.prices;
  const sl = <T extends Float64Array | Uint8Array | Int32Array>(a: T) => a.slice(i0, i0 + steps) as T;
  const g = d.scenario.grid;
  const tc = g.tariff;

  let peakCost = 0;
  let minPrice = Infinity;
  for (let k = 0; k < steps; k++) {
    const i = i0 + k;
    const cost =
      opts.peakCostMonths !== undefined
        ? pr.countsForDemand[i]
          ? opts.peakCostMonths * pr.basicChargeKrwPerKw[i]
          : 0
        : pr.peakCostKrwPerKw[i];
    peakCost = Math.max(peakCost, cost);
    minPrice = Math.min(minPrice, pr.importPriceKrwPerKwh[i]);
  }
  const taxFactor = 1 + tc.vat_fraction + tc.power_fund_fraction;
  const cert = d.scenario.contracts.certificates;
  const contractExcess = contractExcessInput(view, steps);

  const hourKey = new Int32Array(steps);
  for (let k = 0; k < steps; k++) hourKey[k] = Math.floor((t0 + k * dtMs) / MS_PER_HOUR);

  const ev: EvInput[] = [];
  for (const st of forecast.evSessions(view, endMs)) {
    const s = st.session;
    const startStep = Math.max(0, stepOf(s.arrivalMs));
    const endStep = Math.min(steps, stepOf(s.departureMs));
    if (endStep <= startStep || st.remainingKwh <= 1e-9) continue;
    const afterH = Math.max(0, (s.departureMs - endMs) / MS_PER_HOUR);
    ev.push({
      id: s.id,
      startStep,
      endStep,
      remainingKwh: st.remainingKwh,
      requiredKwh: Math.max(0, st.remainingKwh - s.maxPowerKw * afterH),
      dischargeRoomKwh: Math.max(0, st.deliveredKwh + s.energyKwh),
      maxPowerKw: s.maxPowerKw,
      maxDischargeKw: s.maxDischargeKw,
    });
  }

  const frame: HorizonFrame = { t0, endMs, steps, dtMs };
  const runEndMs = opts.finishWorkByRunEnd === true ? t0 + (n - i0) * dtMs : Infinity;
  const depots = depotInputs(view, frame);
  let meanPriceKrwPerKwh = 0;
  for (let k = 0; k < steps; k++) meanPriceKrwPerKwh += pr.importPriceKrwPerKwh[i0 + k] / steps;
  const consumptionCostKrwPerKwh = cert ? (cert.annual_share * cert.price_krw_per_mwh) / 1000 : 0;
  const datacenters = d.datacenters.map((u, k): DatacenterInput => {
    const pue = forecast.pue(view, k, steps);
    let meanPue = 0;
    for (let j = 0; j < steps; j++) meanPue += pue[j] / steps;
    // Work left at the end is done later at the cap that takes the least energy per GPU-hour (the
    // lowest: throughput is concave) and at the horizon's mean price, the price of an hour the
    // planner does not choose. A dearer hour in the horizon is then worth leaving work for later, a
    // cheaper one worth doing it in.
    const kwhPerGpuHour =
      (meanPue * u.layout.gpuDynamicKw * u.cfg.gpu_power_cap_min) /
      throughputAtCap(u.cfg, u.cfg.gpu_power_cap_min);
    return {
      id: u.id,
      cfg: u.cfg,
      layout: u.layout,
      inferenceItKw: sl(u.inferenceItKw),
      pue,
      ...jobInputs(view, forecast, k, frame, pue[0], runEndMs),
      workLeftKrwPerGpuHour: kwhPerGpuHour * (meanPriceKrwPerKwh * taxFactor + consumptionCostKrwPerKwh),
    };
  });

  const p: HorizonProblem = {
    startMs: t0,
    steps,
    stepHours: dt,
    importPriceKrwPerKwh: sl(pr.importPriceKrwPerKwh),
    exportPriceKrwPerKwh: sl(pr.exportPriceKrwPerKwh),
    countsForDemand: sl(pr.countsForDemand),
    demandWindowSteps: Math.max(1, Math.round(DEMAND_INTERVAL_MINUTES / d.grid.intervalMinutes)),
    hourKey,
    fixedLoadKw: forecast.fixedLoadKw(view, steps),
    pvAvailableKw: forecast.pvAvailableKw(view, steps),
    pvIds: d.pv.map((u) => u.id),
    ppaKw: forecast.ppaKw(view, steps),
    importLimitKw: new Float64Array(steps).fill(g.import_limit_kw),
    exportLimitKw: new Float64Array(steps).fill(g.export_limit_kw),
    importTargetKw: new Float64Array(steps).fill(Infinity),
    importTargetPenaltyKrwPerKwh:
      opts.importTargetPenaltyKrwPerKwh ?? DEFAULT_IMPORT_TARGET_PENALTY_KRW_PER_KWH,
    peakReserveKw: forecast.peakReserveKw?.(view, steps) ?? new Float64Array(steps),
    billingDemandKw: view.billingDemandKw,
    peakCostKrwPerKw: peakCost,
    taxFactor,
    ...(contractExcess && { contractExcess }),
    emissionFactorKgPerKwh: new Float64Array(steps).fill(g.emission_factor_kg_per_kwh),
    consumptionCostKrwPerKwh,
    terminalValueKrwPerKwh: Number.isFinite(minPrice) ? minPrice * taxFactor : 0,
    unmetPenaltyKrwPerKwh: opts.unmetPenaltyKrwPerKwh,
    latePenaltyKrwPerGpuHour: opts.latePenaltyKrwPerGpuHour,
    lateDelayKrwPerGpuHourHour: opts.lateDelayKrwPerGpuHourHour ?? DEFAULT_LATE_DELAY_KRW_PER_GPU_HOUR_HOUR,
    deadlineMissGpuHours: opts.deadlineMissGpuHours ?? DEFAULT_DEADLINE_MISS_GPU_HOURS,
    poolShortfallKrwPerGpuHour: opts.poolShortfallKrwPerGpuHour ?? DEFAULT_POOL_SHORTFALL_KRW_PER_GPU_HOUR,
    // In the run's last RUN_END_DRAIN_HOURS, queued work waits at a late job's rate: jobs the plan
    // does not know yet will be submitted before the end, and an hour a job waits now may be an
    // hour of work left at the end.
    queueWaitKrwPerGpuHourHour: inRunEndDrain(view, opts)
      ? (opts.lateDelayKrwPerGpuHourHour ?? DEFAULT_LATE_DELAY_KRW_PER_GPU_HOUR_HOUR)
      : (opts.queueWaitKrwPerGpuHourHour ?? DEFAULT_QUEUE_WAIT_KRW_PER_GPU_HOUR_HOUR),
    busBelowFloorPenaltyKrwPerKwh:
      opts.busBelowFloorPenaltyKrwPerKwh ?? DEFAULT_BUS_BELOW_FLOOR_PENALTY_KRW_PER_KWH,
    overloadPenaltyKrwPerKw: opts.overloadPenaltyKrwPerKw,
    weights: opts.weights,
    batteries: d.batteries.map((b, k) => ({ id: b.id, cfg: b.cfg, socKwh: batterySocKwh[k] })),
    ev,
    depots,
    datacenters,
    deferrables: deferrableInputs(view, steps),
    batteryBinaries: opts.batteryBinaries,
    evFleetThreshold: opts.evFleetThreshold,
    wholeJobSteps: Math.min(steps, Math.round(((opts.wholeJobHours ?? 0) * MS_PER_HOUR) / dtMs)),
    ...(opts.moveBlocking ? moveBlockingOf(opts.moveBlocking, t0, steps, dtMs) : {}),
  };
  // The terminal value above stays on the tariff's prices: a signal is a passing event, and energy
  // left at the end is refilled after it.
  return signals.length ? applyGridSignals(p, signals).problem : p;
}

/** The problem's block starts and blocked assets for `PlanOptions.moveBlocking`; bad settings throw. */
function moveBlockingOf(
  mb: MoveBlocking,
  t0: number,
  steps: number,
  dtMs: number,
): Pick<HorizonProblem, 'blockStarts' | 'blockedAssets'> {
  for (const a of mb.assets ?? [])
    if (!BLOCKABLE_ASSETS.includes(a))
      throw new RangeError(
        `moveBlocking.assets: unknown asset "${String(a)}" (known: ${BLOCKABLE_ASSETS.join(', ')})`,
      );
  return {
    blockStarts: moveBlockStarts(t0, steps, dtMs, mb.fineHours, mb.blockHours),
    ...(mb.assets ? { blockedAssets: [...mb.assets] } : {}),
  };
}

/**
 * Work due after the horizon that the GPUs cannot all do after it must start inside it. Taking the
 * jobs by deadline (earliest first), the work due by each deadline, less what the plan already does
 * inside the horizon (`inside`), may not exceed what the training pool gives between the horizon's
 * end and that deadline (`poolGpuHoursPerHour`: its GPUs × their speed); the excess goes inside the
 * horizon, from the jobs due first. Returns each job's GPU-hours inside the horizon, in `due`'s order.
 * Each job alone is already held to what its own GPUs can do after the horizon; this adds the shared
 * pool, so a queue of jobs due just after the horizon is not left to the last hours, where it could
 * never fit.
 */
export function workThatCannotFitLater(
  due: readonly { job: JobInput; deadlineMs: number }[],
  inside: readonly number[],
  poolGpuHoursPerHour: number,
  horizonEndMs: number,
): number[] {
  const out = inside.slice();
  const order = due.map((_, i) => i).sort((a, b) => due[a].deadlineMs - due[b].deadlineMs);
  let remainingGpuHours = 0;
  let insideGpuHours = 0;
  for (let i = 0; i < order.length; i++) {
    const { job, deadlineMs } = due[order[i]];
    remainingGpuHours += job.remainingGpuHours;
    insideGpuHours += out[order[i]];
    const laterCapacityGpuHours =
      (poolGpuHoursPerHour * Math.max(0, deadlineMs - horizonEndMs)) / MS_PER_HOUR;
    let excess = remainingGpuHours - insideGpuHours - laterCapacityGpuHours;
    for (let j = 0; j <= i && excess > 1e-9; j++) {
      const at = order[j];
      const add = Math.min(excess, due[at].job.remainingGpuHours - out[at]);
      if (add <= 0) continue;
      out[at] += add;
      insideGpuHours += add;
      excess -= add;
    }
  }
  return out;
}

/** The horizon's clock: first step's start, end, step count and length. */
interface HorizonFrame {
  t0: number;
  endMs: number;
  steps: number;
  dtMs: number;
}

/** Each bus at its depot per step: where it is, what its blocks drain, what it must have to leave. */
function depotInputs(view: StepView, f: HorizonFrame): DepotInput[] {
  const d = view.district;
  const { t0, endMs, steps, dtMs } = f;
  const stepOf = (ms: number) => Math.round((ms - t0) / dtMs);
  const depots: DepotInput[] = d.depots.map((u) => ({ id: u.id, cfg: u.cfg, buses: [] }));
  view.buses.forEach((bus, index) => {
    const u = d.depots[bus.depotIndex];
    const cfg = u.cfg;
    const atDepot = new Uint8Array(steps).fill(1);
    const drainKwh = new Float64Array(steps);
    const requirements: BusInput['requirements'] = [];
    let firstDepartureStep = steps;
    for (const blk of u.plan.blocksByBus[bus.busIndex]) {
      if (blk.endMs <= t0) continue;
      if (blk.startMs >= endMs) break;
      const a = Math.max(0, stepOf(blk.startMs));
      const b = Math.min(steps, stepOf(blk.endMs));
      // The simulator spreads a block's energy evenly over its intervals.
      const perStep = blk.energyKwh / Math.max(1, Math.round((blk.endMs - blk.startMs) / dtMs));
      for (let k = a; k < b; k++) {
        atDepot[k] = 0;
        drainKwh[k] = perStep;
      }
      if (blk.startMs > t0) {
        const step = stepOf(blk.startMs);
        requirements.push({ step, socKwh: requiredDepartureSoc(cfg, blk) * cfg.battery_kwh });
        firstDepartureStep = Math.min(firstDepartureStep, step);
      } else firstDepartureStep = 0;
    }
    depots[bus.depotIndex].buses.push({
      index,
      socKwh: bus.socKwh,
      atDepot,
      drainKwh,
      requirements,
      firstDepartureStep,
    });
  });
  return depots;
}

/**
 * Data center k's training jobs over the horizon: where each may run, what it must get done in it;
 * and those submitted that finish in the first step, which the dispatch runs there (`pueNow`: the
 * PUE of that step). `runEndMs`: when the pool stops working (`PlanOptions.finishWorkByRunEnd`;
 * Infinity where it goes on).
 */
function jobInputs(
  view: StepView,
  forecast: Forecast,
  k: number,
  f: HorizonFrame,
  pueNow: number,
  runEndMs: number,
): Pick<DatacenterInput, 'jobs' | 'finishingGpus' | 'finishingKw'> {
  const { t0, endMs, steps, dtMs } = f;
  const stepOf = (ms: number) => Math.round((ms - t0) / dtMs);
  const jobs: JobInput[] = [];
  const dueAfter: { job: JobInput; deadlineMs: number }[] = [];
  const unit = view.district.datacenters[k];
  const dtHours = dtMs / MS_PER_HOUR;
  let finishingGpus = 0;
  let finishingKw = 0;
  for (const js of forecast.jobs(view, k, endMs)) {
    const job = js.job;
    if (job.submitMs <= t0 && finishesWithinStep(js.remainingGpuHours, job.gpus, unit.cfg, dtHours)) {
      finishingGpus += job.gpus;
      // At most a full-cap GPU's power per GPU-hour of work (a GPU at cap c draws c^(1 − exponent) of it).
      finishingKw += (pueNow * unit.layout.gpuDynamicKw * js.remainingGpuHours) / dtHours;
      continue;
    }
    const startStep = Math.max(0, stepOf(job.submitMs));
    // Work counts as on time when its interval ends by the deadline.
    const endStep = Math.min(steps, Math.floor((job.deadlineMs - t0) / dtMs));
    const afterH = Math.max(0, (job.deadlineMs - endMs) / MS_PER_HOUR);
    const required = Math.max(0, js.remainingGpuHours - job.gpus * afterH);
    if (js.remainingGpuHours <= 1e-9) continue;
    // Already late: still worth finishing as soon as possible, so the whole horizon counts.
    const lateAlready = endStep <= startStep;
    const input: JobInput = {
      id: job.id,
      gpus: job.gpus,
      startStep,
      endStep: lateAlready ? steps : endStep,
      remainingGpuHours: js.remainingGpuHours,
      requiredGpuHours: lateAlready ? js.remainingGpuHours : required,
      lateAlready,
      ...(job.priority ? { priority: job.priority } : {}),
    };
    jobs.push(input);
    if (job.deadlineMs > endMs) dueAfter.push({ job: input, deadlineMs: job.deadlineMs });
  }
  // Required: what the pool cannot fit at full speed. Preferred: what it cannot fit at the lowest
  // cap's speed beside the new work expected meanwhile (DEFAULT_POOL_SHORTFALL_KRW_PER_GPU_HOUR), and
  // before the run ends where that counts: work queued at the end is left undone.
  const required = workThatCannotFitLater(
    dueAfter,
    dueAfter.map((x) => x.job.requiredGpuHours),
    unit.layout.trainingGpus,
    endMs,
  );
  const slowPoolGpuHoursPerHour =
    unit.layout.trainingGpus * throughputAtCap(unit.cfg, unit.cfg.gpu_power_cap_min);
  const arrivalGpuHoursPerHour = forecast.trainingArrivalGpuHoursPerHour?.(view, k) ?? 0;
  const preferred = workThatCannotFitLater(
    dueAfter.map((x) => ({ job: x.job, deadlineMs: Math.min(x.deadlineMs, runEndMs) })),
    required,
    Math.max(0, slowPoolGpuHoursPerHour - arrivalGpuHoursPerHour),
    endMs,
  );
  dueAfter.forEach(({ job }, i) => {
    job.requiredGpuHours = required[i];
    if (preferred[i] > required[i] + 1e-9) job.preferredGpuHours = preferred[i];
  });
  return { jobs, finishingGpus, finishingKw };
}
