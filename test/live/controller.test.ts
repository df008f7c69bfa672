import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/model/load.ts';
import { openStore, type Store, type TelemetryPoint } from '../../src/store/index.ts';
import { ControlLoop } from '../../src/control/loop.ts';
import { LiveController, type HorizonSolver } from '../../src/live/controller.ts';
import { solveHorizonInWorker, shutdownPlannerWorker } from '../../src/optimize/worker.ts';
import { TestPlant } from './plant.ts';

// The live decision path end to end on the reference district, against a small metered plant: the
// controller plans from measured state in the planner worker, stores every schedule version, keeps
// the last schedule when a solve fails, falls back to rules when that runs out, and a restart restores
// the month's 15-minute peak and the schedule in force.

const loaded = loadScenarioFile();
const scenario = loaded.scenario;
const T0 = Date.parse('2026-08-04T09:00:00+09:00'); // a Tuesday in a ratchet month, demand hours
const MIN = 60_000;
const SOLVE_BUDGET_MS = 60_000;

describe('live controller', () => {
  let dir: string;
  let store: Store;
  let t: number;
  let plant: TestPlant;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bitgrid-live-'));
    store = await openStore(`sqlite:${join(dir, 'live.db')}`);
    t = T0;
    plant = new TestPlant(scenario, () => t);
    plant.loadKw.set('factory-load', 4200);
    plant.loadKw.set('campus-load', 1800);
    for (const id of plant.pvKw.keys()) plant.pvKw.set(id, 900);
    plant.socFraction = 0.62;
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  afterAll(async () => {
    await shutdownPlannerWorker();
  });

  const make = (solver: HorizonSolver, s: Store = store) => {
    const controller = new LiveController({
      scenario,
      baseDir: loaded.baseDir,
      strategy: 'optimal',
      store: s,
      now: () => t,
      solver,
      solveBudgetMs: SOLVE_BUDGET_MS,
    });
    const loop = new ControlLoop({
      scenario,
      drivers: [plant],
      store: s,
      dispatcher: controller,
      now: () => t,
      staleAfterMs: 10 * MIN,
    });
    return { controller, loop };
  };
  // Each re-plan from the last one's basis, as serve runs it.
  const realSolver: HorizonSolver = (p, budgetMs, signal) =>
    solveHorizonInWorker(p, { budgetMs, warmStart: 'controller-test' }, signal);
  const until = async (cond: () => boolean, what: string, ms = 120_000) => {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  it('plans from the measured state, stores each schedule version and dispatches from the newest', async () => {
    // The interval until the next scheduled re-plan (15 min: one step) is planned as whole jobs.
    const wholeJobSteps: number[] = [];
    const { controller, loop } = make((p, budgetMs, signal) => {
      wholeJobSteps.push(p.wholeJobSteps);
      return realSolver(p, budgetMs, signal);
      expect(wholeJobSteps.length).toBeGreaterThan(0);
      for (const n of wholeJobSteps) expect(n).toBe(1);
    });
    await controller.restore();
    await loop.restore();
    await loop.cycle();
    expect(controller.status().mode).toBe('rules'); // no plan yet: never no decision
    await until(() => controller.status().scheduleId !== undefined, 'the first schedule');
    const [first] = await store.listSchedules({ strategy: 'optimal' });
    expect(first.status).toBe('active');
    expect(first.startMs).toBe(T0);
    const inputs = (first.payload as { inputs: { batterySocKwh: number[]; reason: string } }).inputs;
    // Made from what the plant reported: SoC 0.62 of the 12 MWh battery.
    expect(inputs.batterySocKwh[0]).toBeCloseTo(0.62 * 12_000, -1);
    expect((first.payload as { solveMs: number }).solveMs).toBeGreaterThan(0);
    expect((first.payload as { assets: Record<string, number[]> }).assets['shared-battery'].length).toBe(96);

    await loop.cycle();
    expect(controller.status().mode).toBe('schedule');
    const battery = plant.written.filter((w) => w.kind === 'battery_power_kw').at(-1);
    expect(battery).toBeDefined();

    // A quarter of an hour later the plan is made again from the new state; older ones are superseded.
    // (The battery's first report may already have asked for one more plan at 09:00.)
    await until(() => !controller.status().solving, 'any event re-plan to end');
    t += 15 * MIN;
    plant.socFraction = 0.4;
    await loop.cycle();
    await until(
      () => controller.status().scheduleMadeMs === T0 + 15 * MIN && !controller.status().solving,
      'the 09:15 schedule',
    );
    await until(
      () =>
        controller.status().scheduleId !== undefined && controller.status().scheduleMadeMs === T0 + 15 * MIN,
      'its id',
    );
    const all = await store.listSchedules({ strategy: 'optimal' });
    expect(all.length).toBeGreaterThanOrEqual(2);
    const second = all.reduce((a, b) => (b.id > a.id ? b : a));
    expect(second.status).toBe('active');
    expect(second.startMs).toBe(T0 + 15 * MIN);
    for (const s of all) if (s.id !== second.id) expect(s.status).toBe('superseded');
    const soc2 = (second.payload as { inputs: { batterySocKwh: number[] } }).inputs.batterySocKwh[0];
    expect(soc2).toBeLessThan(0.45 * 12_000);
    // The first plan started cold, the later one from the basis before it; both record their iterations.
    expect((first.payload as { warmStarted: boolean }).warmStarted).toBe(false);
    expect((second.payload as { warmStarted: boolean }).warmStarted).toBe(true);
    expect((second.payload as { rootIterations: number }).rootIterations).toBeGreaterThanOrEqual(0);
  }, 240_000);

  it('keeps the last schedule when a re-plan fails or is killed, then lets rules decide, with events and audit', async () => {
    let mode: 'real' | 'timeout' | 'kill' = 'real';
    const solver: HorizonSolver = (p, budgetMs, signal) => {
      if (mode === 'timeout') return solveHorizonInWorker(p, { budgetMs: 1 }, signal);
      const r = solveHorizonInWorker(p, { budgetMs }, signal);
      // Killing the worker mid-solve: the planner's process goes away under it.
      if (mode === 'kill') setTimeout(() => void shutdownPlannerWorker(), 20);
      return r;
    };
    const { controller, loop } = make(solver);
    await controller.restore();
    await loop.restore();
    await loop.cycle();
    await until(() => controller.status().scheduleId !== undefined, 'the first schedule');
    const id = controller.status().scheduleId;

    mode = 'timeout';
    t += 15 * MIN;
    await loop.cycle();
    await until(() => controller.status().counters.solveTimeouts >= 1, 'the timed-out solve');
    await until(() => !controller.status().solving, 'the solve to end');
    await loop.cycle();
    await until(() => !controller.status().solving, 'the solve to end');
    expect(controller.status().scheduleId).toBe(id);
    expect(controller.status().mode).toBe('schedule');

    mode = 'kill';
    t += 15 * MIN;
    await loop.cycle();
    await until(() => controller.status().counters.solveFailures >= 1, 'the killed solve');
    await until(() => !controller.status().solving, 'the solve to end');
    await loop.cycle();
    expect(controller.status().mode).toBe('schedule');

    // The schedule covers 24 h; a day later, with every re-plan failing, rules decide.
    mode = 'timeout';
    t += 24 * 60 * MIN;
    plant.written.length = 0;
    await loop.cycle();
    expect(controller.status().mode).toBe('rules');
    expect(plant.written.some((w) => w.kind === 'battery_power_kw')).toBe(true);
    await until(() => !controller.status().solving, 'the last solve to end');

    const events = await store.listEvents({ source: 'planner' });
    const codes = events.map((e) => e.code);
    expect(codes.filter((c) => c === 'PLAN_FAILED').length).toBeGreaterThanOrEqual(2);
    expect(codes).toContain('PLAN_FALLBACK_RULES');
    const audit = await store.listAudit({ actor: 'system' });
    expect(audit.some((a) => a.action === 'plan.failed' && a.outcome === 'failed')).toBe(true);
    expect(audit.some((a) => a.action === 'plan.fallback')).toBe(true);
  }, 240_000);

  it('restores the month’s 15-minute peak and the schedule in force after a restart', async () => {
    // The month so far: 8,000 kW steady, one quarter hour at 9,000 kW in demand hours (Monday 10:00),
    // and 12,000 kW at night (light band: no demand charge).
    const points: TelemetryPoint[] = [];
    const monday = Date.parse('2026-08-03T00:00:00+09:00');
    for (let m = 0; m < 24 * 60; m += 1) {
      const ts = monday + m * MIN;
      const local = m / 60;
      const kw = local >= 10 && local < 10.25 ? 9000 : local >= 23 ? 12_000 : 8000;
      points.push({ assetId: 'grid', measurement: 'power_kw', value: kw, timeMs: ts });
    }
    await store.appendTelemetry(points);
    const first = make(realSolver);
    await first.controller.restore();
    await first.loop.restore();
    expect(first.loop.demand.state().monthPeakKw).toBeCloseTo(9000, 3);
    // The contract-excess basis counts the night too, and reaches the planner's view.
    expect(first.loop.demand.state().monthMaxKw).toBeCloseTo(12_000, 3);
    await first.loop.cycle();
    expect(first.controller.view()?.view.monthMaxImportKw).toBeCloseTo(12_000, 3);
    await until(() => first.controller.status().scheduleId !== undefined, 'a schedule');
    const id = first.controller.status().scheduleId!;
    first.controller.stop();

    // A restart 20 minutes later: nothing solves (the planner is slow to come back), yet the loop
    // dispatches from the restored schedule and knows the month's peak.
    t += 20 * MIN;
    const never: HorizonSolver = () => new Promise(() => {});
    const second = make(never);
    await second.controller.restore();
    await second.loop.restore();
    expect(second.loop.demand.state().monthPeakKw).toBeCloseTo(9000, 3);
    expect(second.controller.status().scheduleId).toBe(id);
    await second.loop.cycle();
    expect(second.controller.status().mode).toBe('schedule');
    expect(second.loop.snapshot().grid.monthPeakKw).toBeCloseTo(9000, 3);
    second.controller.stop();
  }, 240_000);
});
