import type { District } from './district.ts';
import type { EvSession } from './assets/ev.ts';
import type { BusBlock } from './assets/bus.ts';
import type { TrainingJob } from './assets/datacenter.ts';
import type { BatteryLimits } from './assets/battery.ts';
import type { LocalTime } from '../model/time.ts';
import type { DeferrableState } from './assets/deferrable.ts';

// A strategy turns what is known at the start of an interval into setpoints for that interval. The
// simulator, the digital twin and the live control loop all call the same interface; the physics
// (or the devices) then apply the setpoints within their limits, so a strategy cannot break them.

export interface EvSessionState {
  session: EvSession;
  /** Net energy delivered so far, kWh (negative after V2G discharge). */
  deliveredKwh: number;
  remainingKwh: number;
}

export interface BusState {
  depotIndex: number;
  busIndex: number;
  atDepot: boolean;
  socKwh: number;
  /** The next block this bus leaves for, if any within the run. */
  nextBlock?: BusBlock;
  /** SoC it needs when it leaves for that block, kWh. */
  requiredSocKwh: number;
}

export interface JobState {
  job: TrainingJob;
  remainingGpuHours: number;
}

export interface DatacenterState {
  /** Jobs submitted and not finished, in submission order. */
  pending: JobState[];
  /** GPUs of the training pool. */
  trainingGpus: number;
  inferenceItKw: number;
  pue: number;
}

export interface StepView {
  district: District;
  index: number;
  timeMs: number;
  local: LocalTime;
  intervalHours: number;
  /** Measured at the start of the interval (the simulator gives this interval's values). */
  pvAvailableKw: Float64Array;
  /** Uncontrolled loads: buildings and factories, kW. */
  fixedLoadKw: number;
  batterySocKwh: Float64Array;
  batteryLimits: BatteryLimits[];
  ev: EvSessionState[];
  buses: BusState[];
  datacenters: DatacenterState[];
  /** Per deferrable load in `district.deferrables` order (absent where the district has none). */
  deferrables?: readonly DeferrableState[];
  /** Highest 15-minute import in demand-charge hours so far this month, kW. */
  monthPeakImportKw: number;
  /** Highest billing demand that already applies (ratchet history and this run), kW. */
  billingDemandKw: number;
  /**
   * Highest 15-minute import at any hour so far this month, kW (the contract-excess penalty's basis);
   * the simulator fills it. Absent where it is not tracked (the live controller, for now), and then
   * taken as 0: the planner counts any excess as new.
   */
  monthMaxImportKw?: number;
}

export interface Dispatch {
  /** Per battery, discharge positive, kW. */
  batteryKw: Float64Array;
  /** Per PV array, upper limit kW (NaN = no limit). */
  pvLimitKw?: Float64Array;
  /** Per session id, charging positive, discharge (V2G) negative, kW. */
  evKw: Map<string, number>;
  /** Per bus in `view.buses` order, charging positive, kW. */
  busKw: Float64Array;
  /** Per data center: jobs to run this interval (by id) and the GPU power cap (fraction of TDP). */
  datacenters: { runJobIds: string[]; powerCap: number }[];
  /**
   * Per deferrable load in `district.deferrables` order, kW. Absent (or NaN for one load): run it as
   * early as its window allows, which is what `none` and `rules` do.
   */
  deferrableKw?: Float64Array;
}

export interface Strategy {
  readonly name: string;
  decide(view: StepView): Dispatch;
  /** Fallbacks and other events the strategy wants counted in the run's KPIs. */
  counters?(): Record<string, number>;
}

export type StrategyFactory = (district: District) => Strategy;
