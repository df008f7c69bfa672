import { beforeAll, describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/model/index.ts';
import { prepareDistrict, type District } from '../../src/sim/district.ts';
import { runSimulation } from '../../src/sim/engine.ts';
import { solveHorizon, type Schedule } from '../../src/optimize/build.ts';
import { plannerStrategy, plannerDefaults, type PlannerStrategy } from '../../src/optimize/mpc.ts';
import { perfectForecast } from '../../src/forecast/planner-standin.ts';
import { problemFromView, DEFAULT_MOVE_BLOCKING } from '../../src/optimize/horizon.ts';
import { replanReason, REPLAN_BATTERY_SOC_TOLERANCE_SHARE } from '../../src/optimize/replan-trigger.ts';
import { initialView } from '../../src/optimize/view.ts';
import { computeKpis } from '../../src/report/kpis.ts';
import type { StepView, Strategy } from '../../src/sim/strategy-interface.ts';

// A due re-plan is skipped only while the plan in force still describes the district, and a run
// that skips keeps every promise a run that re-plans every hour keeps.

const STEPS_PER_HOUR = 4;

describe('replanReason', () => {
  let d: District;
  let view: StepView;
  let s: Schedule;
  /** The view of one hour later as the plan expected it: the batteries where it put them. */
  let onPlan: StepView;

  beforeAll(() => {
    const { scenario, baseDir } = loadScenarioFile();
    d = prepareDistrict(scenario, { days: 2, baseDir });
    view = initialView(d, 40);
    const p = problemFromView(view, perfectForecast(d), {
      ...plannerDefaults(24),
      wholeJobHours: 1,
      moveBlocking: DEFAULT_MOVE_BLOCKING,
    });
    s = solveHorizon(p, { mipRelGap: 1e-4, relaxBranch: true, nodeLimitGap: 1e-2 }).schedule!;
    onPlan = {
      ...view,
      batterySocKwh: Float64Array.from(s.batterySocKwh, (soc) => soc[STEPS_PER_HOUR - 1]),
    };
  });

  it('lets a plan stand when nothing it did not know has happened', () => {
    expect(view.ev.length).toBeGreaterThan(0);
    expect(view.datacenters[0].pending.length).toBeGreaterThan(0);
    expect(replanReason(onPlan, s, STEPS_PER_HOUR, STEPS_PER_HOUR, view.local.month)).toBeUndefined();
  });

  it('lets a plan stand for a car that plugged in after it (the dispatch charges it)', () => {
    const car = { ...view.ev[0], session: { ...view.ev[0].session, id: 'arrived-later' } };
    const v = { ...onPlan, ev: [...view.ev, car] };
    expect(replanReason(v, s, STEPS_PER_HOUR, STEPS_PER_HOUR, view.local.month)).toBeUndefined();
  });

  it('asks for a new plan for a training job submitted after it', () => {
    const dc = view.datacenters[0];
    const job = { ...dc.pending[0], job: { ...dc.pending[0].job, id: 'submitted-later' } };
    const v = { ...onPlan, datacenters: [{ ...dc, pending: [...dc.pending, job] }] };
    expect(replanReason(v, s, STEPS_PER_HOUR, STEPS_PER_HOUR, view.local.month)).toMatch(
      /training job submitted-later was submitted after the plan/,
    );
  });

  it('asks for a new plan when a battery is off its planned SoC by more than the tolerance', () => {
    const capKwh = d.batteries[0].cfg.capacity_kwh;
    const soc = Float64Array.from(onPlan.batterySocKwh);
    soc[0] += 0.9 * REPLAN_BATTERY_SOC_TOLERANCE_SHARE * capKwh;
    expect(
      replanReason({ ...onPlan, batterySocKwh: soc }, s, STEPS_PER_HOUR, STEPS_PER_HOUR, view.local.month),
    ).toBeUndefined();
    soc[0] = onPlan.batterySocKwh[0] - 1.1 * REPLAN_BATTERY_SOC_TOLERANCE_SHARE * capKwh;
    expect(
      replanReason({ ...onPlan, batterySocKwh: soc }, s, STEPS_PER_HOUR, STEPS_PER_HOUR, view.local.month),
    ).toMatch(/battery .* kWh off its plan/);
  });

  it('asks for a new plan in a new billing month, near the plan’s end and in the step it was made', () => {
    const otherMonth = (view.local.month % 12) + 1;
    expect(replanReason(onPlan, s, STEPS_PER_HOUR, STEPS_PER_HOUR, otherMonth)).toMatch(/new billing month/);
    expect(replanReason(onPlan, s, s.steps - 2, STEPS_PER_HOUR, view.local.month)).toMatch(
      /ends before the next re-plan/,
    );
    expect(replanReason(view, s, 0, STEPS_PER_HOUR, view.local.month)).toMatch(/made in this step/);
  });
});

describe('a planner that skips re-plans while its plan holds', () => {
  const DAYS = 2;
  let d: District;

  beforeAll(() => {
    const { scenario, baseDir } = loadScenarioFile();
    d = prepareDistrict(scenario, { start: '2026-08-03', days: DAYS, baseDir });
  });

  const planner = (skipUnchanged: boolean): PlannerStrategy =>
    plannerStrategy(d, {
      name: 'optimal',
      forecast: perfectForecast(d),
      plan: { ...plannerDefaults(24), moveBlocking: DEFAULT_MOVE_BLOCKING },
      solve: { timeLimitS: 20, mipRelGap: 1e-4, relaxBranch: true, nodeLimitGap: 1e-2 },
      replanEveryHours: 1,
      skipUnchanged,
      log: () => {},
    });

  it('skips only where no job is new to the plan, never twice in a row, and keeps every promise', () => {
    const skipping = planner(true);
    // Per hour: whether the hour's due re-plan solved, and the jobs and cars the plan in force did
    // not know.
    const hours: { solved: boolean; unknown: string[]; newCars: number }[] = [];
    const probe: Strategy = {
      name: skipping.name,
      counters: () => skipping.counters!(),
      decide(view) {
        if (view.index % STEPS_PER_HOUR !== 0) return skipping.decide(view);
        const before = skipping.lastSchedule();
        const unknown = before
          ? view.datacenters.flatMap((dc, di) =>
              dc.pending.filter((js) => !before.jobGpus[di]?.has(js.job.id)).map((js) => js.job.id),
            )
          : ['(no plan)'];
        const newCars = before ? view.ev.filter((st) => !before.evKw.has(st.session.id)).length : 0;
        const solvesBefore = skipping.counters!().solves;
        const dp = skipping.decide(view);
        hours.push({ solved: skipping.counters!().solves > solvesBefore, unknown, newCars });
        return dp;
      },
    };
    const r = runSimulation(d, probe);
    const c = skipping.counters!();
    expect(hours.length).toBe(DAYS * 24);
    const skipped = hours.filter((h) => !h.solved);
    expect(c.skippedReplans).toBe(skipped.length);
    expect(skipped.length).toBeGreaterThan(0);
    // At most every other hour: never two in a row.
    expect(skipped.length).toBeLessThanOrEqual(hours.length / 2);
    for (const h of skipped) expect(h.unknown).toEqual([]);
    // Cars that plugged in meanwhile were left to the dispatch in some skipped hours, and still got
    // their energy (below).
    expect(skipped.some((h) => h.newCars > 0)).toBe(true);
    for (let i = 1; i < hours.length; i++) expect(hours[i - 1].solved || hours[i].solved).toBe(true);
    // Hours with a new job always re-plan.
    for (const h of hours) if (h.unknown.length > 0) expect(h.solved).toBe(true);
    expect(c.fallbacks).toBe(0);

    const k = computeKpis(d, r).kpis;
    expect(k.evUnmetKwh).toBeLessThan(1e-6);
    expect(k.busUnmetKwh).toBeLessThan(1e-6);
    expect(k.trainingDeadlineMisses).toBe(0);
    // Within a percent of re-planning every hour, once peaks and unfinished work are paid for.
    const every = computeKpis(d, runSimulation(d, planner(false))).kpis;
    expect(Math.abs(k.totalCostComparableKrw / every.totalCostComparableKrw - 1)).toBeLessThan(0.01);
    expect(k.billingDemandKw).toBeLessThanOrEqual(every.billingDemandKw + 1);
  }, 120_000);
});
