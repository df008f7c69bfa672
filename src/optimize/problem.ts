import type { AssetOf } from '../model/schema.ts';
import type { DatacenterLayout } from '../sim/assets/datacenter.ts';
import type { BlockableAsset } from './blocks.ts';

// One horizon's optimisation problem, already reduced to numbers on a uniform step grid: what the
// assets can do, what they must achieve, prices and forecasts. The strategies build it from a
// StepView and a forecast; the CLI and the tests build it directly. Step k covers
// [startMs + k·Δ, startMs + (k+1)·Δ).

export interface Weights {
  /** Multiplier on money (KRW); 1 = cost objective. */
  cost: number;
  /** KRW per kg CO₂ of grid import (0 = ignore emissions). */
  emissionsKrwPerKg: number;
  /** KRW per kWh of consumption not matched by clean supply within its clock hour (0 = ignore). */
  re100KrwPerKwh: number;
}

export interface BatteryInput {
  id: string;
  cfg: AssetOf<'battery'>;
  socKwh: number;
}

export interface EvInput {
  id: string;
  /** First and one-past-last step the car is plugged in (clipped to the horizon). */
  startStep: number;
  endStep: number;
  /** Energy still wanted, kWh. */
  remainingKwh: number;
  /** Energy it must get inside this horizon (less than remaining when it leaves after the horizon). */
  requiredKwh: number;
  /** Net energy delivered so far plus what the car asked for: V2G may not take it below zero. */
  dischargeRoomKwh: number;
  maxPowerKw: number;
  maxDischargeKw: number;
}

export interface BusRequirement {
  /** Step the bus leaves at; its SoC at the start of that step must reach `socKwh`. */
  step: number;
  socKwh: number;
}

export interface BusInput {
  /** Index into StepView.buses. */
  index: number;
  socKwh: number;
  /** 1 where the bus is at the depot for the whole step. */
  atDepot: Uint8Array;
  /** Energy the bus uses while away during each step, kWh. */
  drainKwh: Float64Array;
  requirements: BusRequirement[];
  /** Step of its first departure inside the horizon (`steps` when it does not leave inside it). */
  firstDepartureStep: number;
}

export interface DepotInput {
  id: string;
  cfg: AssetOf<'bus_depot'>;
  buses: BusInput[];
}

export interface JobInput {
  id: string;
  gpus: number;
  startStep: number;
  endStep: number;
  remainingGpuHours: number;
  /** GPU-hours that must be done inside the horizon (deadline beyond it: only what cannot wait). */
  requiredGpuHours: number;
  /**
   * GPU-hours the horizon should do (≥ requiredGpuHours): what the training pool could not fit after
   * it at its lowest cap's speed. The shortfall below it costs `poolShortfallKrwPerGpuHour`, not the
   * lateness penalty. Absent: requiredGpuHours.
   */
  preferredGpuHours?: number;
  /** Past its deadline already: each hour its work waits costs `lateDelayKrwPerGpuHourHour`. */
  lateAlready?: boolean;
  /** Higher runs first: weighs its waiting and deadline-miss prices (assets/datacenter.ts, priorityWeight). Absent: 0. */
  priority?: number;
}

export interface DatacenterInput {
  id: string;
  cfg: AssetOf<'datacenter'>;
  layout: DatacenterLayout;
  inferenceItKw: Float64Array;
  pue: Float64Array;
  jobs: JobInput[];
  /**
   * GPUs and facility kW in the first step of jobs that finish in it even at the lowest cap: the
   * dispatch runs them there (`finishesWithinStep`), so they are not planned, only held room for.
   * Absent: none.
   */
  finishingGpus?: number;
  finishingKw?: number;
  /**
   * 원 per GPU-hour of work still to do when the horizon ends: what it costs to do after it (see
   * horizon.ts). Without it, work the horizon need not hold looks free to leave, and every plan
   * defers all of it to the last hours its deadline allows. Absent: 0.
   */
  workLeftKrwPerGpuHour?: number;
}

/** One window of a deferrable load that overlaps the horizon (steps clipped to it). */
export interface DeferrableWindowInput {
  startStep: number;
  endStep: number;
  /** Energy it must get inside the horizon, kWh (less than it still owes when the window runs past the end). */
  requiredKwh: number;
  /** Most it may take, kWh: what it still owes (rounded up to whole steps at nominal when semi-continuous). */
  maxKwh: number;
}

export interface DeferrableInput {
  id: string;
  nominalKw: number;
  /** On at nominal power or off (binaries); otherwise any power up to nominal. */
  semiContinuous: boolean;
  startCostKrw: number;
  minOnSteps: number;
  minOffSteps: number;
  windows: DeferrableWindowInput[];
  /** Running in the step before step 0, and for how many steps it has been in that state. */
  initiallyOn: boolean;
  initialStateSteps: number;
}

export interface HorizonProblem {
  startMs: number;
  steps: number;
  stepHours: number;
  /** Before VAT and fund, 원/kWh. */
  importPriceKrwPerKwh: Float64Array;
  exportPriceKrwPerKwh: Float64Array;
  /** 1 where import in this step can set the billing demand. */
  countsForDemand: Uint8Array;
  /** Steps per 15-minute demand window (1 at 15 min). Windows are aligned to step 0. */
  demandWindowSteps: number;
  /** Clock hour of each step (steps with the same value share an hourly RE100 account). */
  hourKey: Int32Array;
  /** Uncontrolled load, kW. */
  fixedLoadKw: Float64Array;
  /** Per PV array, available power, kW. */
  pvAvailableKw: Float64Array[];
  pvIds: string[];
  /** Off-site PPA delivery, kW (RE100 only). */
  ppaKw: Float64Array;
  /**
   * Per step, kW: the connection's limits, tightened by grid signals (DR events) in their windows.
   * Export is a hard bound; import too, except for what no asset can avoid, which goes to the
   * overload at `overloadPenaltyKrwPerKw` so a limit below the uncontrollable load never leaves the
   * live system without a plan.
   */
  importLimitKw: Float64Array;
  exportLimitKw: Float64Array;
  /**
   * Per step, kW: import above this costs `importTargetPenaltyKrwPerKwh` (a DR import target, or a
   * shed request turned into one); Infinity where no target applies.
   */
  importTargetKw: Float64Array;
  importTargetPenaltyKrwPerKwh: number;
  /**
   * Per step, kW of headroom kept under the peak in demand-charge windows against forecast error
   * (Forecast.peakReserveKw); zeros when the forecast is taken as exact.
   */
  peakReserveKw: Float64Array;
  /** Billing demand already set, kW: a peak up to here is free. */
  billingDemandKw: number;
  /** Cost of each kW of new billing demand above `billingDemandKw`, 원/kW before VAT and fund. */
  peakCostKrwPerKw: number;
  /** 1 + VAT + 전력산업기반기금: what one 원 of electricity charge costs once billed. */
  taxFactor: number;
  /**
   * The contract-excess penalty (초과사용부가금) on the highest 15-minute import at any hour, where
   * the import limit lets import pass the contract demand; absent where it cannot.
   */
  contractExcess?: ContractExcessInput;
  /** Grid emission factor per step, kg CO₂/kWh (the scenario's, or a `ghg_kg_per_kwh` signal's). */
  emissionFactorKgPerKwh: Float64Array;
  /** Marginal certificate cost per kWh consumed (annual-share RECs scale with consumption). */
  consumptionCostKrwPerKwh: number;
  /** Value of energy left in storage at the end of the horizon, 원/kWh stored. */
  terminalValueKrwPerKwh: number;
  /** Penalty per kWh of EV or bus energy not delivered in time, and per GPU-hour of late training work. */
  unmetPenaltyKrwPerKwh: number;
  latePenaltyKrwPerGpuHour: number;
  /**
   * Per GPU-hour of a late job's work and per hour it waits inside the horizon, 원: lateness that
   * grows with delay, so a late job runs now rather than anywhere in the next 24 h.
   */
  lateDelayKrwPerGpuHourHour: number;
  /**
   * A deadline miss is priced as this many GPU-hours short (absent: 0, every GPU-hour short costs
   * the same): a job on time with more work left pays `latePenaltyKrwPerGpuHour` × this ÷ its work
   * left per GPU-hour short, never more than the late penalty (assets/datacenter.ts).
   */
  deadlineMissGpuHours?: number;
  /** Per GPU-hour of a job's work short of its `preferredGpuHours`, 원 (absent: 0). */
  poolShortfallKrwPerGpuHour?: number;
  /**
   * Per GPU-hour of a job's work and per hour it waits before its deadline, 원 (absent: 0): what a
   * sooner result is worth, so work is not left to the last hours its deadline allows.
   */
  queueWaitKrwPerGpuHourHour?: number;
  /**
   * Penalty per kWh a bus holds below its floor (soc_min × battery) at the end of a step, counted at
   * every such step: the plan goes there only where it cannot be helped (a bus measured low).
   */
  busBelowFloorPenaltyKrwPerKwh: number;
  /** Penalty per kW above the import limit (a soft limit, so a forecast surprise never makes it infeasible). */
  overloadPenaltyKrwPerKw: number;
  weights: Weights;
  batteries: BatteryInput[];
  ev: EvInput[];
  depots: DepotInput[];
  datacenters: DatacenterInput[];
  /** Deferrable loads (assets/deferrable.ts); absent or empty where there are none. */
  deferrables?: DeferrableInput[];
  /**
   * Above this many EV sessions, those without V2G are planned as one fleet with energy envelopes
   * (assets/ev-fleet.ts) instead of one variable per session and step.
   */
  evFleetThreshold: number;
  /**
   * Steps at the start that the dispatch will carry out before the next re-plan: there training jobs
   * run whole (all their GPUs or none) at one power cap per data center, as the data center runs them
   * (build.ts solves with GPUs continuous first, then fixes these steps). 0: GPUs stay continuous.
   */
  wholeJobSteps: number;
  /**
   * Move blocking (blocks.ts): the steps where a block starts, ascending from 0. Within a block the
   * buses hold one charge power and their stored energy is kept only at the block's end, each EV one
   * charging power, each training job one GPU count, cap sum and work rate, which makes far-ahead
   * steps cheap; balance, prices and demand windows stay per step. Absent: one step per block.
   */
  blockStarts?: Int32Array;
  /** Whose decisions the blocks hold (default: buses, EVs and training jobs). */
  blockedAssets?: readonly BlockableAsset[];
  /** How the battery's no-simultaneous-charge-and-discharge rule is modelled. */
  batteryBinaries: 'auto' | 'always' | 'never';
}

export interface ContractExcessInput {
  /** Contract demand (계약전력), kW. */
  contractKw: number;
  /** Highest 15-minute import at any hour so far this month, kW: excess up to here is already billed. */
  monthMaxImportKw: number;
  /** Penalty per kW above the contract, 원/kW before VAT and fund (the basic charge × the first tier's multiplier). */
  costKrwPerKw: number;
}
