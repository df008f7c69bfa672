import type { AssetOf } from '../../model/schema.ts';
import { MS_PER_HOUR, type LocalTime, type TimeGrid, intervalMs, timeAt } from '../../model/time.ts';
import { type Rng, pick, poisson, uniform } from './rng.ts';
import type { DatacenterState, Dispatch, JobState } from '../strategy-interface.ts';
import { readJobTrace } from '../inputs/index.ts';
import { clamp, finite, type PrepareContext, type RunContext } from './context.ts';
import type { TrainingJobOutcome } from '../results.ts';

export type DatacenterConfig = AssetOf<'datacenter'>;

/** A GPU training job: `gpus` GPUs for `gpuHours` of full-speed work between submission and deadline. */
export interface TrainingJob {
  id: string;
  gpus: number;
  gpuHours: number;
  submitMs: number;
  deadlineMs: number;
  /** Higher runs first (a whole number; absent: 0), as a cluster scheduler's priority. */
  priority?: number;
}

/** Sort order of a priority queue: higher priority first (a stable sort keeps submission order among equals). */
export function higherPriorityFirst(a: TrainingJob, b: TrainingJob): number {
  return (b.priority ?? 0) - (a.priority ?? 0);
}

export interface DatacenterLayout {
  inferenceNodes: number;
  trainingNodes: number;
  trainingGpus: number;
  /** Power a GPU adds over idle at full power cap, kW (node dynamic power shared over its GPUs). */
  gpuDynamicKw: number;
}

export function datacenterLayout(cfg: DatacenterConfig): DatacenterLayout {
  const inferenceNodes = Math.round(cfg.nodes * cfg.inference.gpu_fraction);
  const trainingNodes = cfg.nodes - inferenceNodes;
  return {
    inferenceNodes,
    trainingNodes,
    trainingGpus: trainingNodes * cfg.gpus_per_node,
    gpuDynamicKw: (cfg.node_full_kw - cfg.node_idle_kw) / cfg.gpus_per_node,
  };
}

/** Inference utilisation by local hour: a plateau in the busy hours with one-hour ramps either side. */
export function inferenceUtilisation(cfg: DatacenterConfig, hour: number): number {
  const inf = cfg.inference;
  const rampH = 1;
  const lo = inf.off_peak_utilisation;
  const hi = inf.peak_utilisation;
  if (hour >= inf.peak_start_hour && hour < inf.peak_end_hour) return hi;
  if (hour >= inf.peak_start_hour - rampH && hour < inf.peak_start_hour)
    return lo + ((hi - lo) * (hour - (inf.peak_start_hour - rampH))) / rampH;
  if (hour >= inf.peak_end_hour && hour < inf.peak_end_hour + rampH)
    return hi - ((hi - lo) * (hour - inf.peak_end_hour)) / rampH;
  return lo;
}

/** PUE from outdoor temperature: flat below the cold point, linear to the hot point, flat above. */
export function pue(cfg: DatacenterConfig, temperatureC: number): number {
  const span = cfg.pue_hot_temperature_c - cfg.pue_cold_temperature_c;
  const x = span > 0 ? (temperatureC - cfg.pue_cold_temperature_c) / span : 1;
  return cfg.pue_cold + (cfg.pue_hot - cfg.pue_cold) * Math.max(0, Math.min(1, x));
}

/** IT power of the inference nodes, kW. */
export function inferenceItKw(cfg: DatacenterConfig, layout: DatacenterLayout, hour: number): number {
  const u = inferenceUtilisation(cfg, hour);
  return layout.inferenceNodes * (cfg.node_idle_kw + (cfg.node_full_kw - cfg.node_idle_kw) * u);
}

/** IT power of the training pool with `busyGpuCapSum` = Σ over running GPUs of their power cap. */
export function trainingItKw(cfg: DatacenterConfig, layout: DatacenterLayout, busyGpuCapSum: number): number {
  return layout.trainingNodes * cfg.node_idle_kw + layout.gpuDynamicKw * busyGpuCapSum;
}

/** Throughput of a GPU at power cap `cap` relative to full power (concave). */
export function throughputAtCap(cfg: DatacenterConfig, cap: number): number {
  return Math.pow(cap, cfg.throughput_exponent);
}

/** Seeded training jobs submitted on each day of the grid, with deadlines that leave some slack. */
export function generateTrainingJobs(
  cfg: DatacenterConfig,
  grid: TimeGrid,
  local: readonly LocalTime[],
  rng: Rng,
): TrainingJob[] {
  const t = cfg.training;
  const layout = datacenterLayout(cfg);
  const jobs: TrainingJob[] = [];
  const stepMs = intervalMs(grid);
  const endMs = timeAt(grid, grid.count);
  const sizes = t.job_gpus.filter((g) => g <= layout.trainingGpus);
  if (sizes.length === 0)
    throw new RangeError(`datacenter ${cfg.id}: no job size fits the ${layout.trainingGpus} training GPUs`);
  for (let i = 0; i < grid.count; i++) {
    const lt = local[i];
    if (i > 0 && local[i - 1].date === lt.date) continue;
    const midnightMs = timeAt(grid, i) - lt.hour * MS_PER_HOUR;
    const n = poisson(rng, t.jobs_per_day);
    for (let k = 0; k < n; k++) {
      const gpus = pick(rng, sizes);
      const hours = uniform(rng, t.job_hours_min, t.job_hours_max);
      const slack = uniform(rng, t.deadline_slack_min, t.deadline_slack_max);
      const submitMs =
        grid.startMs +
        Math.ceil((midnightMs + rng.next() * 24 * MS_PER_HOUR - grid.startMs) / stepMs) * stepMs;
      if (submitMs < grid.startMs || submitMs >= endMs) continue;
      jobs.push({
        id: `${cfg.id}/job-${jobs.length}`,
        gpus,
        gpuHours: gpus * hours,
        submitMs,
        deadlineMs: submitMs + Math.ceil((hours * slack * MS_PER_HOUR) / stepMs) * stepMs,
      });
    }
  }
  return jobs.sort((a, b) => a.submitMs - b.submitMs);
}

export interface DatacenterUnit {
  id: string;
  siteId: string;
  cfg: DatacenterConfig;
  layout: DatacenterLayout;
  /** Inference IT power, kW. */
  inferenceItKw: Float64Array;
  pue: Float64Array;
  jobs: TrainingJob[];
}

/**
 * The data center over the run: inference power and PUE per interval, and its training jobs from the
 * job trace where the district file names one, else drawn.
 */
export function prepareDatacenter(
  cfg: DatacenterConfig,
  siteId: string,
  ctx: PrepareContext,
): DatacenterUnit {
  const { grid, local } = ctx;
  const layout = datacenterLayout(cfg);
  const inf = new Float64Array(grid.count);
  const p = new Float64Array(grid.count);
  for (let i = 0; i < grid.count; i++) {
    inf[i] = inferenceItKw(cfg, layout, local[i].hour);
    p[i] = pue(cfg, ctx.weather.temperatureC[i]);
  }
  const jobs = cfg.job_trace
    ? ctx.readInput(cfg.job_trace, (text, file) => readJobTrace(text, file, cfg, layout, grid)).jobs
    : generateTrainingJobs(cfg, grid, local, ctx.seeded(cfg.training.seed));
  return { id: cfg.id, siteId, cfg, layout, inferenceItKw: inf, pue: p, jobs };
}

/** A queued job with the record of what becomes of it (the strategy sees it as a JobState). */
interface PendingJob extends JobState {
  outcome: TrainingJobOutcome;
}

interface DatacenterRun {
  unit: DatacenterUnit;
  queue: TrainingJob[];
  next: number;
  pending: PendingJob[];
  /** Every submitted job's record, in submission order (filled as it runs and finishes). */
  outcomes: TrainingJobOutcome[];
}

/** The district's data centers through a run: jobs as they are submitted, run and finished. */
export class DatacenterStepper {
  private readonly dcs: DatacenterRun[];

  constructor(
    units: DatacenterUnit[],
    private readonly run: RunContext,
  ) {
    this.dcs = units.map((u) => ({
      unit: u,
      queue: u.jobs.slice(),
      next: 0,
      pending: [],
      outcomes: [],
    }));
  }

  /** Queues the jobs submitted by `timeMs`; returns what the strategy sees of each data center. */
  submit(i: number, timeMs: number): DatacenterState[] {
    return this.dcs.map((dc) => {
      while (dc.next < dc.queue.length && dc.queue[dc.next].submitMs <= timeMs) {
        const job = dc.queue[dc.next++];
        const outcome: TrainingJobOutcome = {
          datacenterId: dc.unit.id,
          jobId: job.id,
          gpus: job.gpus,
          gpuHours: job.gpuHours,
          submitMs: job.submitMs,
          deadlineMs: job.deadlineMs,
          priority: job.priority ?? 0,
          startedMs: null,
          finishedMs: null,
          remainingGpuHours: job.gpuHours,
          missed: false,
        };
        dc.outcomes.push(outcome);
        dc.pending.push({ job, remainingGpuHours: job.gpuHours, outcome });
      }
      return {
        pending: dc.pending,
        trainingGpus: dc.unit.layout.trainingGpus,
        inferenceItKw: dc.unit.inferenceItKw[i],
        pue: dc.unit.pue[i],
      };
    });
  }

  /** Runs the jobs the dispatch picks (while GPUs last) at its power cap; returns the facility kW. */
  apply(dispatch: Dispatch, i: number, endMs: number): number {
    let dcKw = 0;
    this.dcs.forEach((dc, k) => {
      const kw = this.applyOne(dc, dispatch.datacenters[k] ?? { runJobIds: [], powerCap: 1 }, i, endMs);
      dcKw += kw;
      this.run.assetKw(dc.unit.id)[i] = kw;
    });
    return dcKw;
  }

  private applyOne(
    dc: DatacenterRun,
    cmd: Dispatch['datacenters'][number],
    i: number,
    endMs: number,
  ): number {
    const { cfg, layout } = dc.unit;
    const dt = this.run.intervalHours;
    const totals = this.run.totals;
    const cap = clamp(finite(cmd.powerCap, 1), cfg.gpu_power_cap_min, 1);
    const speed = throughputAtCap(cfg, cap);
    const wanted = new Set(cmd.runJobIds);
    let freeGpus = layout.trainingGpus;
    let busyGpuCapSum = 0;
    for (const js of dc.pending) {
      if (!wanted.has(js.job.id) || js.job.gpus > freeGpus) continue;
      freeGpus -= js.job.gpus;
      const workGpuHours = Math.min(js.remainingGpuHours, js.job.gpus * speed * dt);
      // A job that finishes part-way through the interval draws power only for that part.
      busyGpuCapSum += (cap * workGpuHours) / (speed * dt);
      js.remainingGpuHours -= workGpuHours;
      if (js.outcome.startedMs === null && workGpuHours > 0) js.outcome.startedMs = endMs - dt * MS_PER_HOUR;
    }
    const still: PendingJob[] = [];
    for (const js of dc.pending) {
      if (js.remainingGpuHours <= 1e-9) {
        js.outcome.finishedMs = endMs;
        js.outcome.remainingGpuHours = 0;
        if (endMs > js.job.deadlineMs) {
          totals.trainingDeadlineMisses++;
          totals.trainingLateGpuHours += js.job.gpuHours;
          js.outcome.missed = true;
        }
      } else still.push(js);
    }
    dc.pending = still;
    return (dc.unit.inferenceItKw[i] + trainingItKw(cfg, layout, busyGpuCapSum)) * dc.unit.pue[i];
  }

  /**
   * Counts the work still pending when the run ends: all of it as unfinished, and as late where its
   * deadline fell inside the run (`runEndMs`; `n` intervals).
   */
  finish(runEndMs: number, n: number): void {
    const totals = this.run.totals;
    for (const dc of this.dcs) {
      // Finishing the rest later takes the GPUs' dynamic power at full cap, at the run's mean PUE.
      let pueSum = 0;
      for (let i = 0; i < n; i++) pueSum += dc.unit.pue[i];
      const kwhPerGpuHour = dc.unit.layout.gpuDynamicKw * (n > 0 ? pueSum / n : 1);
      for (const js of dc.pending) {
        totals.trainingUnfinishedGpuHours += js.remainingGpuHours;
        totals.trainingUnfinishedKwh += js.remainingGpuHours * kwhPerGpuHour;
        js.outcome.remainingGpuHours = js.remainingGpuHours;
        if (js.job.deadlineMs <= runEndMs) {
          totals.trainingDeadlineMisses++;
          totals.trainingLateGpuHours += js.job.gpuHours;
          js.outcome.missed = true;
        }
      }
    }
  }

  /** What became of every job submitted so far, data center by data center, in submission order. */
  outcomes(): TrainingJobOutcome[] {
    return this.dcs.flatMap((dc) => dc.outcomes.map((o) => ({ ...o })));
  }
}
