import { beforeAll, describe, expect, it } from 'vitest';
import { testBattery, referenceWeekdayMorning } from './fixtures.ts';
import type { District } from '../../src/sim/district.ts';
import { solveHorizon, type Schedule } from '../../src/optimize/build.ts';
import { problemFromView, DEFAULT_PLAN_OPTIONS } from '../../src/optimize/horizon.ts';
import { perfectForecast } from '../../src/forecast/planner-standin.ts';
import { dispatchFromSchedule } from '../../src/optimize/mpc.ts';
import { applyGridSignals, baselineImportKw } from '../../src/optimize/signals.ts';
import { emptyProblem } from '../../src/optimize/testing.ts';
import { plannedDatacenterKw } from '../../src/strategy/common.ts';
import type { Dispatch, StepView } from '../../src/sim/strategy-interface.ts';
import type { GridSignal } from '../../src/drivers/types.ts';
import type { HorizonProblem } from '../../src/optimize/problem.ts';

const STEP_MS = 15 * 60_000;
const signal = (kind: GridSignal['kind'], startMs: number, endMs: number, value: number): GridSignal => ({
  kind,
  startMs,
  endMs,
  value,
  source: 'test',
});

describe('grid signals applied to a problem, step by step', () => {
  // Eight 15-minute steps from t = 0.
  const p = emptyProblem(8, 0.25);
  p.fixedLoadKw.fill(100);

  it('a limit binds every step its window touches, the tighter of the connection and the signal', () => {
    // 00:20–00:40 touches steps 1 (00:15–00:30) and 2 (00:30–00:45) in part.
    const { problem, applied } = applyGridSignals(p, [
      signal('import_limit_kw', 20 * 60_000, 40 * 60_000, 60),
      signal('import_limit_kw', 30 * 60_000, 45 * 60_000, 80),
      signal('export_limit_kw', 0, STEP_MS, 2e6),
    ]);
    expect(applied).toHaveLength(3);
    expect(Array.from(problem.importLimitKw)).toEqual([1e6, 60, 60, 1e6, 1e6, 1e6, 1e6, 1e6]);
    // The connection's export limit (0 in the empty problem) is tighter than the signal's.
    expect(problem.exportLimitKw[0]).toBe(0);
    // The input problem is left as it was.
    expect(p.importLimitKw[1]).toBe(1e6);
  });

  it('prices and emission factors replace the tariff and grid figures in their window; overlaps take the dearest import, cheapest export and highest factor', () => {
    const { problem } = applyGridSignals(p, [
      signal('price_krw_per_kwh', STEP_MS, 3 * STEP_MS, 500),
      signal('price_krw_per_kwh', 2 * STEP_MS, 4 * STEP_MS, 40),
      signal('export_price_krw_per_kwh', 0, 2 * STEP_MS, 90),
      signal('export_price_krw_per_kwh', STEP_MS, 2 * STEP_MS, -10),
      signal('ghg_kg_per_kwh', 6 * STEP_MS, 8 * STEP_MS, 0.2),
      signal('ghg_kg_per_kwh', 7 * STEP_MS, 8 * STEP_MS, 0.6),
    ]);
    expect(Array.from(problem.importPriceKrwPerKwh)).toEqual([100, 500, 500, 40, 100, 100, 100, 100]);
    expect(Array.from(problem.exportPriceKrwPerKwh)).toEqual([90, -10, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(problem.emissionFactorKgPerKwh)).toEqual([0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.2, 0.6]);
  });

  it('a shed becomes a target below the baseline import; a target signal tightens it further', () => {
    const withPv = { ...p, pvAvailableKw: [new Float64Array(8).fill(30)], pvIds: ['pv'] };
    expect(Array.from(baselineImportKw(withPv))).toEqual(new Array(8).fill(70));
    const { problem } = applyGridSignals(withPv, [
      signal('shed_kw', 0, 2 * STEP_MS, 25),
      signal('shed_kw', STEP_MS, 3 * STEP_MS, 40),
      signal('import_target_kw', 2 * STEP_MS, 4 * STEP_MS, 50),
    ]);
    expect(Array.from(problem.importTargetKw)).toEqual([
      45,
      30,
      30,
      50,
      Infinity,
      Infinity,
      Infinity,
      Infinity,
    ]);
  });

  it('ignores signals outside the horizon, with an empty window, a non-finite value or a kind not planned on', () => {
    const { problem, applied, ignored } = applyGridSignals(p, [
      signal('import_limit_kw', 8 * STEP_MS, 9 * STEP_MS, 10),
      signal('import_limit_kw', STEP_MS, STEP_MS, 10),
      signal('import_limit_kw', 0, STEP_MS, NaN),
      // A kind this planner does not know (a newer driver's, say).
      signal('frequency_hz' as GridSignal['kind'], 0, STEP_MS, 50),
    ]);
    expect(applied).toHaveLength(0);
    expect(ignored.map((i) => i.reason)).toEqual([
      'outside the horizon',
      'empty window',
      'value is not a finite number',
      'frequency_hz is not planned on',
    ]);
    expect(problem.importLimitKw.every((v) => v === 1e6)).toBe(true);
  });
});

describe('signals in the MILP on cases solved by hand', () => {
  const battery = testBattery({ round_trip_efficiency: 1 });

  it('a shed target is met from the battery, and a target no asset can meet only costs its penalty', () => {
    // Four 1-h steps of 100 kW at 100 원; a 40 kW shed in step 2 (baseline 100 → target 60). The
    // battery (full, lossless) covers 40 kW there; without it the plan keeps the load and pays
    // 40 kWh × the target penalty instead of becoming infeasible.
    const p = emptyProblem(4, 1);
    p.fixedLoadKw.fill(100);
    const shed = [signal('shed_kw', 2 * 3_600_000, 3 * 3_600_000, 40)];
    const alone = solveHorizon(applyGridSignals(p, shed).problem);
    expect(alone.result.status).toBe('optimal');
    expect(alone.schedule!.importKw[2]).toBeCloseTo(100, 6);
    expect(alone.result.objective).toBeCloseTo(400 * 100 + 40 * p.importTargetPenaltyKrwPerKwh, 3);

    p.batteries = [{ id: 'b', cfg: battery, socKwh: 100 }];
    const r = solveHorizon(applyGridSignals(p, shed).problem);
    expect(r.schedule!.importKw[2]).toBeCloseTo(60, 6);
    expect(r.schedule!.batteryKw[0][2]).toBeGreaterThanOrEqual(40 - 1e-6);
    expect(r.schedule!.importTargetKw[2]).toBe(60);
  });

  it('a limit no asset can meet leaves the plan over it, reported, never infeasible', () => {
    const p = emptyProblem(2, 1);
    p.fixedLoadKw.fill(100);
    const r = solveHorizon(applyGridSignals(p, [signal('import_limit_kw', 0, 3_600_000, 70)]).problem);
    expect(r.result.status).toBe('optimal');
    expect(r.schedule!.importKw[0]).toBeCloseTo(100, 6);
    expect(r.schedule!.importOverLimitKw[0]).toBeCloseTo(30, 6);
    expect(r.schedule!.importLimitKw[0]).toBe(70);
  });
});

describe('grid signals on the reference district (24 h from 10:00 on a weekday in August)', () => {
  let d: District;
  let view: StepView;
  const opts = { ...DEFAULT_PLAN_OPTIONS, horizonHours: 24 };
  const at = (k: number) => view.timeMs + k * STEP_MS;
  const plan = (signals: GridSignal[] = []) => {
    const p = problemFromView(view, perfectForecast(d), opts, undefined, signals);
    const r = solveHorizon(p);
    expect(r.result.status).toBe('optimal');
    return { p, s: r.schedule! };
  };
  /** Energy of the flexible loads (EVs, bus charging, training above the data centers' base) in steps [a, b), kWh. */
  const flexibleKwh = (p: HorizonProblem, s: Schedule, a: number, b: number) => {
    let kwh = 0;
    for (let k = a; k < b; k++) {
      let kw = 0;
      for (const x of s.evKw.values()) kw += x[k];
      for (const x of s.busKw.values()) kw += Math.max(0, x[k]);
      kw += s.datacenterKw[k];
      for (const dc of p.datacenters)
        kw -= dc.pue[k] * (dc.inferenceItKw[k] + dc.layout.trainingNodes * dc.cfg.node_idle_kw);
      kwh += kw * p.stepHours;
    }
    return kwh;
  };
  let base: ReturnType<typeof plan>;

  beforeAll(() => {
    ({ d, view } = referenceWeekdayMorning());
    base = plan();
  });

  it('an import limit of 6,000 kW for 2 h keeps planned import within it in those steps', () => {
    // 13:00–15:00 local: steps 12–19, where the unconstrained plan imports up to the 10,000 kW peak.
    const a = 12;
    const b = 20;
    expect(Math.max(...base.s.importKw.slice(a, b))).toBeGreaterThan(6000 + 1000);
    const { s } = plan([signal('import_limit_kw', at(a), at(b), 6000)]);
    for (let k = a; k < b; k++) {
      expect(s.importKw[k]).toBeLessThanOrEqual(6000 + 1e-6);
      expect(s.importLimitKw[k]).toBe(6000);
      expect(s.importOverLimitKw[k]).toBeLessThan(1e-6);
    }
    expect(s.importLimitKw[a - 1]).toBe(d.scenario.grid.import_limit_kw);
    expect(s.importLimitKw[b]).toBe(d.scenario.grid.import_limit_kw);
  });

  it('a price signal moves flexible load out of a dear window and into a cheap one', () => {
    // 13:00–15:00 at 2,000 원/kWh (tariff: 178–243), and 00:00–02:00 at 10 원/kWh (tariff: 130).
    const dear = [12, 20] as const;
    const cheap = [56, 64] as const;
    const { p, s } = plan([
      signal('price_krw_per_kwh', at(dear[0]), at(dear[1]), 2000),
      signal('price_krw_per_kwh', at(cheap[0]), at(cheap[1]), 10),
    ]);
    const before = (w: readonly [number, number]) => flexibleKwh(base.p, base.s, w[0], w[1]);
    const after = (w: readonly [number, number]) => flexibleKwh(p, s, w[0], w[1]);
    expect(before(dear)).toBeGreaterThan(1000);
    expect(after(dear)).toBeLessThan(0.5 * before(dear));
    expect(after(cheap)).toBeGreaterThan(1.5 * before(cheap));
  });

  it("the dispatch's battery covers a surprise that would push import over an active limit", () => {
    // A 6,000 kW limit over the first 2 h; the plan imports up to it at 10:00. Then 2,500 kW more
    // fixed load than forecast turns up: import would pass the limit, though not the planned peak.
    const { s } = plan([signal('import_limit_kw', at(0), at(8), 6000)]);
    expect(s.importKw[0]).toBeLessThanOrEqual(6000 + 1e-6);
    const surprise: StepView = { ...view, fixedLoadKw: view.fixedLoadKw + 2500 };
    const importKw = (dp: Dispatch) => {
      let kw = surprise.fixedLoadKw + plannedDatacenterKw(surprise, dp);
      for (const v of dp.evKw.values()) kw += v;
      for (const v of dp.busKw) kw += v;
      for (const v of surprise.pvAvailableKw) kw -= v;
      for (const v of dp.batteryKw) kw -= v;
      return kw;
    };
    // Without the limit in force only the planned peak is defended, and the surprise stays below it.
    const unlimited: Schedule = {
      ...s,
      importLimitKw: new Float64Array(s.steps).fill(d.scenario.grid.import_limit_kw),
    };
    const plain = dispatchFromSchedule(surprise, unlimited, 0);
    expect(importKw(plain)).toBeGreaterThan(6000 + 100);
    expect(importKw(plain)).toBeLessThan(s.peakKw);

    const dp = dispatchFromSchedule(surprise, s, 0);
    expect(importKw(dp)).toBeCloseTo(6000, 6);
    expect(dp.batteryKw[0] - plain.batteryKw[0]).toBeCloseTo(importKw(plain) - 6000, 6);
  });
});
