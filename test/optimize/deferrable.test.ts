import { describe, expect, it } from 'vitest';
import type { AssetOf } from '../../src/model/schema.ts';
import { solveHorizon } from '../../src/optimize/build.ts';
import { emptyProblem } from '../../src/optimize/testing.ts';
import type { DeferrableInput, HorizonProblem } from '../../src/optimize/problem.ts';
import { testBattery } from './fixtures.ts';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadScenarioFile } from '../../src/model/index.ts';
import { prepareDistrict } from '../../src/sim/district.ts';
import { initialView } from '../../src/optimize/view.ts';
import { perfectForecast } from '../../src/forecast/planner-standin.ts';
import { DEFAULT_PLAN_OPTIONS, problemFromView } from '../../src/optimize/horizon.ts';
import { deferrableInputs } from '../../src/optimize/assets/deferrable.ts';

const EMHASS_FILE = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../scenarios/emhass-week/district.yaml',
);

// Eight 1-hour steps; the load may run in steps 1–6 only. Step 7 is the cheapest of all, so a plan
// that ignored the window would go there.
const PRICES = [100, 50, 80, 30, 90, 20, 70, 5];
const WINDOW = { startStep: 1, endStep: 7 };

function problem(load: Partial<DeferrableInput> & { requiredKwh: number }): HorizonProblem {
  const p = emptyProblem(PRICES.length, 1);
  p.importPriceKrwPerKwh.set(PRICES);
  const { requiredKwh, ...rest } = load;
  p.deferrables = [
    {
      id: 'washer',
      nominalKw: 10,
      semiContinuous: true,
      startCostKrw: 0,
      minOnSteps: 0,
      minOffSteps: 0,
      windows: [{ ...WINDOW, requiredKwh, maxKwh: requiredKwh }],
      initiallyOn: false,
      initialStateSteps: Infinity,
      ...rest,
    },
  ];
  return p;
}

function solve(p: HorizonProblem) {
  const r = solveHorizon(p, { mipRelGap: 0 });
  expect(r.result.status).toBe('optimal');
  const s = r.schedule!;
  return { objective: r.result.objective, kw: Array.from(s.deferrableKw[0]), s };
}

describe('deferrable load MILP on cases solved by hand', () => {
  it('runs in the cheapest steps of its window, never outside it', () => {
    // 20 kWh at 10 kW = two steps; the cheapest in steps 1–6 are 5 (20 원) and 3 (30 원): 500 원.
    const { objective, kw, s } = solve(problem({ requiredKwh: 20 }));
    expect(kw).toEqual([0, 0, 0, 10, 0, 10, 0, 0]);
    expect(objective).toBeCloseTo(500, 6);
    expect(s.deferrableUnmetKwh).toBeCloseTo(0, 9);
    expect(s.deferrableStarts).toBe(2);
  });

  it('a minimum on-time keeps a run together', () => {
    // Runs of at least two steps: the best pair in 1–6 is 5–6 (20 + 70): 900 원.
    const { objective, kw } = solve(problem({ requiredKwh: 20, minOnSteps: 2 }));
    expect(kw).toEqual([0, 0, 0, 0, 0, 10, 10, 0]);
    expect(objective).toBeCloseTo(900, 6);
  });

  it('a minimum off-time keeps runs apart', () => {
    // Steps 3 and 5 have one step of rest between them; with three needed, the best is 1 and 5
    // (50 + 20, steps 2–4 off): 700 원.
    const { objective, kw } = solve(problem({ requiredKwh: 20, minOffSteps: 3 }));
    expect(kw).toEqual([0, 10, 0, 0, 0, 10, 0, 0]);
    expect(objective).toBeCloseTo(700, 6);
  });

  it('a start cost trades cheap scattered steps for one run', () => {
    // Three steps. Free starts: 5, 3, 1 (20 + 30 + 50) = 1,000 원 in three runs. At 300 원 a start,
    // three runs cost 1,900, the best two ({3} + {5, 6}) 1,800, the best one (3–5) 1,400 + 300 = 1,700.
    const free = solve(problem({ requiredKwh: 30 }));
    expect(free.objective).toBeCloseTo(1000, 6);
    expect(free.s.deferrableStarts).toBe(3);
    const costly = solve(problem({ requiredKwh: 30, startCostKrw: 300 }));
    expect(costly.kw).toEqual([0, 0, 0, 10, 10, 10, 0, 0]);
    expect(costly.objective).toBeCloseTo(1700, 6);
    expect(costly.s.deferrableStarts).toBe(1);
  });

  it('a continuous load takes part of a step', () => {
    // 15 kWh up to 10 kW: all of step 5 (20 원) and 5 kWh in step 3 (30 원): 350 원.
    const { objective, kw } = solve(problem({ requiredKwh: 15, semiContinuous: false }));
    expect(kw[5]).toBeCloseTo(10, 6);
    expect(kw[3]).toBeCloseTo(5, 6);
    expect(objective).toBeCloseTo(350, 6);
  });

  it('energy it cannot get in its window is reported unmet, not taken outside it', () => {
    // 70 kWh but only six steps × 10 kW = 60 kWh fit: all of 1–6 and 10 kWh unmet.
    const p = problem({ requiredKwh: 70 });
    p.deferrables![0].windows[0].maxKwh = 70;
    const { kw, s } = solve(p);
    expect(kw).toEqual([0, 10, 10, 10, 10, 10, 10, 0]);
    expect(s.deferrableUnmetKwh).toBeCloseTo(10, 6);
  });

  it('a run in progress finishes its minimum on-time first', () => {
    // Running for one step already, minimum three: it must stay on in steps 0 and 1 although step 0
    // costs 1,000 원; a new run would need three more steps than the 30 kWh allow, so it goes on in 2.
    const p = problem({ requiredKwh: 30, minOnSteps: 3, initiallyOn: true, initialStateSteps: 1 });
    p.deferrables![0].windows[0].startStep = 0;
    p.importPriceKrwPerKwh[0] = 1000;
    const { kw } = solve(p);
    expect(kw.slice(0, 3)).toEqual([10, 10, 10]);
  });
});

/** 10 kWh, 5 kW, lossless, half full. */
const battery = (over: Partial<AssetOf<'battery'>> = {}) =>
  testBattery({
    capacity_kwh: 10,
    max_charge_kw: 5,
    max_discharge_kw: 5,
    round_trip_efficiency: 1,
    soc_initial: 0.5,
    ...over,
  });

describe('battery end-of-horizon SoC target', () => {
  it('charges to the target at the cheapest time, and not without one', () => {
    // 4 one-hour steps, prices 100 40 60 100, 5 kWh stored, target 90 % of 10 kWh: 4 kWh, bought at
    // 40 원: 160 원. Without the target, with energy left at the end worth nothing, it does not charge.
    const p = emptyProblem(4, 1);
    p.importPriceKrwPerKwh.set([100, 40, 60, 100]);
    p.batteries = [{ id: 'b', cfg: battery({ soc_target_end: 0.9 }), socKwh: 5 }];
    const r = solveHorizon(p);
    expect(r.result.objective).toBeCloseTo(160, 6);
    expect(r.schedule!.batterySocKwh[0][3]).toBeCloseTo(9, 6);
    expect(r.schedule!.batteryKw[0][1]).toBeCloseTo(-4, 6);

    p.batteries = [{ id: 'b', cfg: battery(), socKwh: 5 }];
    const free = solveHorizon(p);
    expect(free.result.objective).toBeCloseTo(0, 6);
    expect(free.schedule!.batterySocKwh[0][3]).toBeLessThanOrEqual(5 + 1e-6);
  });

  it('a target it cannot reach is approached as closely as the charge power allows', () => {
    // 1 kW for 2 steps from 5 kWh reaches 7 kWh of the 9 wanted.
    const p = emptyProblem(2, 1);
    p.batteries = [{ id: 'b', cfg: battery({ soc_target_end: 0.9, max_charge_kw: 1 }), socKwh: 5 }];
    const r = solveHorizon(p);
    expect(r.result.ok).toBe(true);
    expect(r.schedule!.batterySocKwh[0][1]).toBeCloseTo(7, 6);
  });
});

describe('deferrable loads from the district state', () => {
  it('a re-plan mid-window owes what is left and keeps a run in progress on for its minimum', () => {
    const { scenario, baseDir } = loadScenarioFile(EMHASS_FILE);
    const d = prepareDistrict(scenario, { days: 2, baseDir });
    // Under `none` pre-cooling starts at 06:00 as early as allowed; at 06:30 it has run two of the
    // four intervals its one-hour minimum asks for and delivered 20 of its 160 kWh.
    const view = initialView(d, 6 * 4 + 2);
    const [precool] = deferrableInputs(view, 96);
    expect(precool).toMatchObject({ initiallyOn: true, initialStateSteps: 2, minOnSteps: 4, minOffSteps: 4 });
    expect(precool.windows[0]).toMatchObject({ startStep: 0, endStep: 30, requiredKwh: 140, maxKwh: 140 });
    // The next day's window is whole.
    expect(precool.windows[1]).toMatchObject({ startStep: 94, endStep: 96 });
    const p = problemFromView(view, perfectForecast(d), { ...DEFAULT_PLAN_OPTIONS, horizonHours: 24 });
    const s = solveHorizon(p).schedule!;
    expect([s.deferrableKw[0][0], s.deferrableKw[0][1]]).toEqual([40, 40]);
  });
});
