import type { BuiltModel, Schedule } from './build.ts';
import type { MipStart } from './highs.ts';
import type { HorizonProblem } from './problem.ts';

// A MIP start from the previous plan. A re-plan's only integers (on the reference district) are the
// whole-job binaries of its first hour; the plan made an hour earlier already said, continuously,
// which jobs run then. Rounded to whole jobs that fit the training pool, those give HiGHS a point
// it completes by one LP and keeps as its first incumbent, so branch-and-bound starts with a bound
// to prune against instead of searching for one. HiGHS ignores a start it finds infeasible.

/** A job runs in the start where the previous plan gave it at least this share of its GPUs. */
const RUN_SHARE = 0.5;

/**
 * The whole-job binaries of `p`'s first `wholeJobSteps` steps (one per job: it runs the whole hour
 * or not) from `previous` (a plan that covers them): per data center, the jobs the previous plan ran
 * on the largest share of their GPUs over those steps first, each on when that share is at least a
 * half and it fits what the pool has left. Undefined when there is nothing to start from.
 */
export function wholeJobStart(p: HorizonProblem, b: BuiltModel, previous?: Schedule): MipStart | undefined {
  if (!previous || p.wholeJobSteps <= 0) return undefined;
  const stepMs = p.stepHours * 3_600_000;
  const shift = Math.round((p.startMs - previous.startMs) / stepMs);
  if (shift < 0 || Math.abs(previous.stepHours - p.stepHours) > 1e-9) return undefined;
  if (shift + p.wholeJobSteps > previous.steps) return undefined;
  const indices: number[] = [];
  const values: number[] = [];
  p.datacenters.forEach((dc, di) => {
    const planned = previous.jobGpus[di];
    if (!planned) return;
    const cand: { col: number; share: number; gpus: number }[] = [];
    dc.jobs.forEach((job, ji) => {
      const first = Math.max(0, job.startStep);
      const last = Math.min(p.wholeJobSteps, job.endStep);
      if (first >= last) return;
      const col = b.datacenter.runningCol[di][ji][0];
      if (col === undefined || col < 0) return;
      let share = 0;
      for (let k = first; k < last; k++) share += (planned.get(job.id)?.[k + shift] ?? 0) / job.gpus;
      cand.push({ col, share: share / (last - first), gpus: job.gpus });
    });
    cand.sort((x, y) => y.share - x.share);
    let freeGpus = dc.layout.trainingGpus;
    for (const c of cand) {
      const on = c.share >= RUN_SHARE && c.gpus <= freeGpus;
      if (on) freeGpus -= c.gpus;
      indices.push(c.col);
      values.push(on ? 1 : 0);
    }
  });
  return indices.length > 0
    ? { indices: Int32Array.from(indices), values: Float64Array.from(values) }
    : undefined;
}
