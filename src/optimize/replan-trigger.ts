import type { StepView } from '../sim/strategy-interface.ts';
import type { Schedule } from './build.ts';

// Whether a due re-plan can be skipped because the plan in force still describes the district: no
// training job submitted that it does not know, the batteries where it put them, the same billing
// month, and enough of it left to reach the next re-plan. A car that plugged in since does not count:
// the dispatch charges a car the plan does not know at the steady rate that finishes it by departure,
// and the peak hold cuts that in a demand window down to what still gets it there (mpc.ts,
// peak-hold.ts). A skipped re-plan leaves the dispatch on that plan for one more period; the one
// after is never skipped, so no plan is carried out for more than two periods. Over eight weeks of
// `optimal` spread over 2026 this cut the solve time to 0.49 of re-planning every hour at a
// comparable total 0.05 % lower, and the year's run from 1,021 to 554 s (docs/optimizer.md,
// "Re-planning only when something changed").

/**
 * A battery this far from the SoC the plan expected (a share of its capacity) needs a new plan: the
 * peak hold discharged it, or the plan's power could not be carried out. 5 % of the reference
 * district's 12 MWh battery is 600 kWh, about half of what it moves in a quarter hour at full power.
 */
export const REPLAN_BATTERY_SOC_TOLERANCE_SHARE = 0.05;

/**
 * Why the plan `s`, made `k` steps before `view` (k ≥ 1), must be replaced now rather than carried out
 * for another `stepsToNext` steps: a sentence naming the first reason found, or undefined when it
 * still holds. `planMonth` is the local month of the step the plan was made in.
 */
export function replanReason(
  view: StepView,
  s: Schedule,
  k: number,
  stepsToNext: number,
  planMonth: number,
): string | undefined {
  if (k < 1) return 'the plan was made in this step';
  if (k + stepsToNext > s.steps) return 'the plan ends before the next re-plan';
  // A new month resets the month's peak the plan held import under.
  if (view.local.month !== planMonth) return 'a new billing month began';
  const job = jobUnknownToPlan(view, s);
  if (job !== undefined) return job;
  for (const [b, unit] of view.district.batteries.entries()) {
    const plannedKwh = s.batterySocKwh[b]?.[k - 1];
    if (plannedKwh === undefined) return `battery ${unit.id} is not in the plan`;
    const offKwh = Math.abs(view.batterySocKwh[b] - plannedKwh);
    if (offKwh > REPLAN_BATTERY_SOC_TOLERANCE_SHARE * unit.cfg.capacity_kwh)
      return `battery ${unit.id} is ${Math.round(offKwh)} kWh off its plan`;
  }
  return undefined;
}

/** A sentence naming the first pending training job the plan `s` does not know, or undefined. */
export function jobUnknownToPlan(view: StepView, s: Schedule): string | undefined {
  for (const [di, dc] of view.datacenters.entries())
    for (const js of dc.pending)
      if (!s.jobGpus[di]?.has(js.job.id)) return `training job ${js.job.id} was submitted after the plan`;
  return undefined;
}
