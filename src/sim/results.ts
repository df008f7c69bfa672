// What a simulation run produces. Apart from engine.ts so the per-asset steppers in assets/ can
// write their own series and totals without importing the engine that drives them.

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

/** What became of one training job in a run: when it ran and finished against its deadline. */
export interface TrainingJobOutcome {
  datacenterId: string;
  jobId: string;
  gpus: number;
  gpuHours: number;
  submitMs: number;
  deadlineMs: number;
  /** Higher runs first (TrainingJob.priority; 0 when it had none). */
  priority: number;
  /** Start of the first interval it ran in; null if it never ran. */
  startedMs: number | null;
  /** End of the interval its last work was done in; null if unfinished when the run ended. */
  finishedMs: number | null;
  /** GPU-hours still to do when the run ended (0 when finished). */
  remainingGpuHours: number;
  /** Counted as a deadline miss: finished after its deadline, or unfinished with its deadline in the run. */
  missed: boolean;
}

export interface SimResult {
  strategy: string;
  series: SimSeries;
  totals: SimTotals;
  /** Every training job submitted in the run, in submission order per data center. */
  trainingJobs: TrainingJobOutcome[];
  counters: Record<string, number>;
  runtimeMs: number;
}

/** Every series of an `n`-interval run at zero, no asset's series yet. */
export function emptySeries(n: number): SimSeries {
  return {
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
}

export function emptyTotals(): SimTotals {
  return {
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
    evTurnedAway: 0,
    deferrableUnmetKwh: 0,
    deferrableStarts: 0,
  };
}
