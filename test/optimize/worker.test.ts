import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/model/index.ts';
import { prepareDistrict } from '../../src/sim/district.ts';
import { solveHorizon } from '../../src/optimize/build.ts';
import { problemFromView, DEFAULT_PLAN_OPTIONS } from '../../src/optimize/horizon.ts';
import { perfectForecast } from '../../src/forecast/planner-standin.ts';
import { initialView } from '../../src/optimize/view.ts';
import { emptyProblem } from '../../src/optimize/testing.ts';
import { shutdownPlannerWorker, solveHorizonInWorker, warmPlannerWorker } from '../../src/optimize/worker.ts';
import type { HorizonProblem } from '../../src/optimize/problem.ts';
import type { District } from '../../src/sim/district.ts';
import { referenceHourlyPlan } from './fixtures.ts';

// Budgets here are generous on purpose: the test asserts outcomes, not speed (bench/replan.ts
// measures that). The machine may be shared and slow.
const BUDGET_MS = 120_000;

describe('solveHorizonInWorker', () => {
  let p: HorizonProblem;
  let d: District;

  beforeAll(() => {
    const { scenario, baseDir } = loadScenarioFile();
    d = prepareDistrict(scenario, { days: 2, baseDir });
    const view = initialView(d, 40);
    p = problemFromView(view, perfectForecast(d), { ...DEFAULT_PLAN_OPTIONS, horizonHours: 24 }, undefined, [
      {
        kind: 'import_limit_kw',
        startMs: view.timeMs + 3_600_000,
        endMs: view.timeMs + 3 * 3_600_000,
        value: 6000,
        source: 'test',
      },
    ]);
  });
  afterAll(() => shutdownPlannerWorker());

  it('gives the same objective and schedule as the in-thread solve, twice on one worker', async () => {
    const here = solveHorizon(p);
    expect(here.result.status).toBe('optimal');
    for (let i = 0; i < 2; i++) {
      const r = await solveHorizonInWorker(p, { budgetMs: BUDGET_MS });
      expect(r.status).toBe('optimal');
      expect(r.objectiveKrw).toBe(here.result.objective);
      const s = r.schedule!;
      // Structured cloning keeps the Maps and typed arrays.
      expect(s.evKw).toBeInstanceOf(Map);
      expect(s.importKw).toBeInstanceOf(Float64Array);
      expect(Array.from(s.importKw)).toEqual(Array.from(here.schedule!.importKw));
      expect(Array.from(s.importLimitKw)).toEqual(Array.from(p.importLimitKw));
      expect([...s.evKw.keys()]).toEqual([...here.schedule!.evKw.keys()]);
      expect(r.solveMs).toBeGreaterThan(0);
    }
  });

  it('a budget far too small gives timeout, and the next solve starts a fresh worker and succeeds', async () => {
    const t = await solveHorizonInWorker(p, { budgetMs: 1 });
    expect(t.status).toBe('timeout');
    expect(t.schedule).toBeUndefined();
    expect(t.message).toMatch(/budget/);
    const r = await solveHorizonInWorker(p, { budgetMs: BUDGET_MS });
    expect(r.status).toBe('optimal');
  });

  it('an abort mid-solve resolves aborted; one already aborted never starts; the worker comes back', async () => {
    // Warm first, so the abort lands while HiGHS runs rather than while the thread starts.
    expect((await warmPlannerWorker(BUDGET_MS)).status).toBe('optimal');
    const ac = new AbortController();
    const pending = solveHorizonInWorker(p, { budgetMs: BUDGET_MS }, ac.signal);
    setTimeout(() => ac.abort(), 20);
    const a = await pending;
    expect(a.status).toBe('aborted');
    expect(a.schedule).toBeUndefined();

    const pre = new AbortController();
    pre.abort();
    expect((await solveHorizonInWorker(p, { budgetMs: BUDGET_MS }, pre.signal)).status).toBe('aborted');

    expect((await solveHorizonInWorker(p, { budgetMs: BUDGET_MS })).status).toBe('optimal');
  });

  it('solves queue one at a time; aborting a queued one leaves the running one alone', async () => {
    const ac = new AbortController();
    const first = solveHorizonInWorker(p, { budgetMs: BUDGET_MS });
    const second = solveHorizonInWorker(p, { budgetMs: BUDGET_MS }, ac.signal);
    const third = solveHorizonInWorker(emptyProblem(4, 0.25), { budgetMs: BUDGET_MS });
    ac.abort();
    expect((await second).status).toBe('aborted');
    expect((await first).status).toBe('optimal');
    expect((await third).status).toBe('optimal');
  });

  it('a problem that breaks the model build answers error with the message; the worker keeps serving', async () => {
    const broken = { ...p, batteries: [{ id: 'x', cfg: undefined, socKwh: 0 }] } as unknown as HorizonProblem;
    const e = await solveHorizonInWorker(broken, { budgetMs: BUDGET_MS });
    expect(e.status).toBe('error');
    expect(e.message).toBeTruthy();
    // A problem that cannot even be posted (a function is not cloneable).
    const uncloneable = { ...p, weights: { ...p.weights, cost: () => 1 } } as unknown as HorizonProblem;
    const c = await solveHorizonInWorker(uncloneable, { budgetMs: BUDGET_MS });
    expect(c.status).toBe('error');
    expect(c.message).toMatch(/could not be sent/);
    expect((await solveHorizonInWorker(p, { budgetMs: BUDGET_MS })).status).toBe('optimal');
  });

  it('an infeasible problem answers infeasible', async () => {
    // 10 kW flowing into the bus with nowhere to go: export limited to 0 and nothing to absorb it.
    const q = emptyProblem(2, 1);
    q.fixedLoadKw.fill(-10);
    q.exportLimitKw.fill(0);
    const r = await solveHorizonInWorker(q, { budgetMs: BUDGET_MS });
    expect(r.status).toBe('infeasible');
    expect(r.schedule).toBeUndefined();
  });

  it('starts a series’ next re-plan from its last basis: the same plan in fewer simplex iterations', async () => {
    // 10:00 and 11:00 of the reference district, relax and branch as the live planner solves them.
    const at10 = referenceHourlyPlan(d, 40);
    const at11 = referenceHourlyPlan(d, 44);
    const opts = { budgetMs: BUDGET_MS, relaxBranch: true };
    const first = await solveHorizonInWorker(at10, { ...opts, warmStart: 'site-a' });
    expect(first.status).toBe('optimal');
    expect(first.warmStarted).toBe(false); // nothing kept yet
    const warm = await solveHorizonInWorker(at11, { ...opts, warmStart: 'site-a' });
    const cold = await solveHorizonInWorker(at11, opts);
    const otherSeries = await solveHorizonInWorker(at11, { ...opts, warmStart: 'site-b' });
    for (const r of [warm, cold, otherSeries]) expect(r.status).toBe('optimal');
    expect(warm.warmStarted).toBe(true);
    expect(cold.warmStarted).toBeUndefined();
    expect(otherSeries.warmStarted).toBe(false);
    expect(Math.abs(warm.objectiveKrw! - cold.objectiveKrw!)).toBeLessThanOrEqual(
      1e-4 * Math.abs(cold.objectiveKrw!),
    );
    expect(cold.rootIterations).toBeGreaterThan(0);
    expect(warm.rootIterations).toBeLessThan(cold.rootIterations!);
    // A worker retired for a timeout forgets the series: the next re-plan starts cold, and well.
    expect((await solveHorizonInWorker(at11, { budgetMs: 1, warmStart: 'site-a' })).status).toBe('timeout');
    const after = await solveHorizonInWorker(at11, { ...opts, warmStart: 'site-a' });
    expect(after.status).toBe('optimal');
    expect(after.warmStarted).toBe(false);
    expect(after.rootIterations).toBe(cold.rootIterations);
  }, 240_000);

  it('shutdown aborts a running solve and leaves no thread behind', async () => {
    const pending = solveHorizonInWorker(p, { budgetMs: BUDGET_MS });
    await shutdownPlannerWorker();
    const r = await pending;
    expect(r.status).toBe('aborted');
    expect(r.message).toMatch(/shut down/);
  });
});
