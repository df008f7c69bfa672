import type { DatacenterConfig, DatacenterLayout } from '../sim/assets/datacenter.ts';
import type { StepView } from '../sim/strategy-interface.ts';
import { MS_PER_DAY, MS_PER_HOUR } from '../model/time.ts';

// How much new training work a data center can expect per hour: the planner's check of what fits
// after its horizon (optimize/horizon.ts) must leave room for jobs not yet submitted, or it defers
// today's work into GPU-hours that tomorrow's jobs will want too, and the backlog grows without end.

/** Trailing window the rate is measured over: a week, so weekday and weekend submissions both count. */
export const TRAINING_ARRIVAL_WINDOW_MS = 7 * MS_PER_DAY;

/**
 * The workload the district file declares (its `training` block: jobs per day × mean GPUs of the
 * sizes that fit × mean runtime), GPU-hours per hour: the expectation before anything is observed.
 */
export function declaredTrainingGpuHoursPerHour(cfg: DatacenterConfig, layout: DatacenterLayout): number {
  const t = cfg.training;
  const sizes = t.job_gpus.filter((g) => g <= layout.trainingGpus);
  if (sizes.length === 0) return 0;
  const meanGpus = sizes.reduce((s, g) => s + g, 0) / sizes.length;
  const meanHours = (t.job_hours_min + t.job_hours_max) / 2;
  return (t.jobs_per_day * meanGpus * meanHours) / 24;
}

/**
 * Submitted training work per data center as the views reveal it (each job once, by id), and the
 * expected GPU-hours per hour of new work: the submissions of the trailing week, with the declared
 * rate standing in for the part of the week not yet observed.
 */
export class TrainingArrivals {
  private readonly seen: Set<string>[];
  private readonly submissions: { submitMs: number; gpuHours: number }[][];
  private firstMs = Infinity;

  /** One rate per data center, each at its district file's declared workload until observed. */
  static declared(units: readonly { cfg: DatacenterConfig; layout: DatacenterLayout }[]): TrainingArrivals {
    return new TrainingArrivals(units.map((u) => declaredTrainingGpuHoursPerHour(u.cfg, u.layout)));
  }

  constructor(private readonly declaredGpuHoursPerHour: readonly number[]) {
    this.seen = declaredGpuHoursPerHour.map(() => new Set());
    this.submissions = declaredGpuHoursPerHour.map(() => []);
  }

  /** Records the jobs pending in `view` that were not seen before. */
  observe(view: StepView): void {
    this.firstMs = Math.min(this.firstMs, view.timeMs);
    view.datacenters.forEach((dc, k) => {
      if (k >= this.seen.length) return;
      for (const js of dc.pending) {
        if (this.seen[k].has(js.job.id)) continue;
        this.seen[k].add(js.job.id);
        // A job submitted before observation began counts from then: it was part of the backlog
        // met at start, not of the rate.
        if (js.job.submitMs >= this.firstMs)
          this.submissions[k].push({ submitMs: js.job.submitMs, gpuHours: js.job.gpuHours });
      }
    });
  }

  /** Expected new work for data center k after `view`, GPU-hours per hour. */
  gpuHoursPerHour(view: StepView, k: number): number {
    this.observe(view);
    const fromMs = view.timeMs - TRAINING_ARRIVAL_WINDOW_MS;
    const list = this.submissions[k] ?? [];
    // Drop what has left the window (submissions arrive in time order, near enough).
    let drop = 0;
    while (drop < list.length && list[drop].submitMs < fromMs) drop++;
    if (drop > 0) list.splice(0, drop);
    let observedGpuHours = 0;
    for (const s of list) observedGpuHours += s.gpuHours;
    const observedMs = Math.min(TRAINING_ARRIVAL_WINDOW_MS, Math.max(0, view.timeMs - this.firstMs));
    const unobservedHours = (TRAINING_ARRIVAL_WINDOW_MS - observedMs) / MS_PER_HOUR;
    const declared = this.declaredGpuHoursPerHour[k] ?? 0;
    return (observedGpuHours + declared * unobservedHours) / (TRAINING_ARRIVAL_WINDOW_MS / MS_PER_HOUR);
  }
}
