import { describe, expect, it } from 'vitest';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assetSchema } from '../../src/model/schema.ts';
import { gridForLocalDays } from '../../src/model/time.ts';
import { loadScenarioFile } from '../../src/model/index.ts';
import {
  deferrableWindows,
  initialDeferrableState,
  stepDeferrable,
  type DeferrableConfig,
  type DeferrableUnit,
} from '../../src/sim/assets/deferrable.ts';
import { prepareDistrict } from '../../src/sim/district.ts';
import { runSimulation } from '../../src/sim/engine.ts';
import { noneStrategy } from '../../src/strategy/none.ts';

const ZONE = 'Asia/Seoul';
const DT = 0.25;
const grid = gridForLocalDays('2026-06-01', 1, 15, ZONE);
const here = dirname(fileURLToPath(import.meta.url));

function unit(over: Record<string, unknown>): DeferrableUnit {
  const cfg = assetSchema.parse({
    id: 'd',
    type: 'deferrable_load',
    nominal_kw: 10,
    operating_hours: 1,
    windows: [[8, 10]],
    ...over,
  }) as DeferrableConfig;
  return { id: 'd', siteId: 's', cfg, windows: deferrableWindows(cfg, grid, ZONE) };
}

/** Runs the load over the day under per-interval requests (undefined: none given). */
function run(u: DeferrableUnit, request: (i: number) => number | undefined) {
  const st = initialDeferrableState();
  const kw: number[] = [];
  let unmet = 0;
  let starts = 0;
  for (let i = 0; i < grid.count; i++) {
    const r = stepDeferrable(u, st, i, request(i), DT);
    kw.push(r.kw);
    unmet += r.unmetKwh;
    if (r.started) starts++;
  }
  return { kw, unmet, starts };
}

const W0 = 8 * 4; // 08:00, the window's first interval

describe('deferrable load in the simulator', () => {
  it('without a setpoint runs as early as its window allows, until the energy is delivered', () => {
    const { kw, unmet, starts } = run(unit({}), () => undefined);
    expect(kw.slice(W0 - 1, W0 + 5)).toEqual([0, 10, 10, 10, 10, 0]);
    expect(unmet).toBe(0);
    expect(starts).toBe(1);
  });

  it('never runs outside its window, and what a window still owes when it closes is unmet', () => {
    const { kw, unmet } = run(unit({}), (i) => (i < W0 + 6 ? 10 : 0));
    expect(kw.slice(0, W0).every((x) => x === 0)).toBe(true);
    // Asked to run from 08:00 to 09:30 only: 4 intervals deliver the 10 kWh, the rest is refused.
    expect(kw.reduce((a, b) => a + b, 0) * DT).toBeCloseTo(10, 9);
    expect(unmet).toBe(0);
    const late = run(unit({}), (i) => (i >= W0 + 6 ? 10 : 0));
    // Only 08:00–10:00 counts: from 09:30 two intervals, 5 kWh, and 5 kWh unmet at 10:00.
    expect(late.unmet).toBeCloseTo(5, 9);
  });

  it('holds its minimum on-time and off-time whatever the setpoint says', () => {
    // 2 h owed in [8, 14), runs of at least 1 h and rests of at least 1 h.
    const u = unit({ operating_hours: 2, windows: [[8, 14]], min_on_hours: 1, min_off_hours: 1 });
    // Asked on for one interval (it runs four), on again one interval after it stopped (refused: it
    // rests four), then on from 10:00: it runs 4, rests 4, runs 4.
    const { kw, starts } = run(u, (i) => (i === W0 || i === W0 + 5 || i >= W0 + 8 ? 10 : 0));
    const on = kw.slice(W0, W0 + 12).map((x) => (x > 0 ? 1 : 0));
    expect(on).toEqual([1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1]);
    expect(starts).toBe(2);
  });

  it('a continuous load takes the power asked, a semi-continuous one on or off', () => {
    expect(run(unit({ semi_continuous: false }), () => 4).kw[W0]).toBe(4);
    expect(run(unit({}), () => 4).kw[W0]).toBe(0);
    expect(run(unit({}), () => 6).kw[W0]).toBe(10);
  });

  it('the EMHASS week under `none`: every window gets its energy, the loads count in the balance', () => {
    const { scenario, baseDir } = loadScenarioFile(join(here, '../../scenarios/emhass-week/district.yaml'));
    const d = prepareDistrict(scenario, { days: 2, baseDir });
    const r = runSimulation(d, noneStrategy());
    expect(r.totals.deferrableUnmetKwh).toBe(0);
    // Pre-cooling runs 06:00–10:00 on both days, as early as allowed: 160 kWh a day.
    const precool = r.series.byAsset.get('precool')!;
    expect(precool[6 * 4]).toBe(40);
    expect(precool[6 * 4 - 1]).toBe(0);
    expect(precool.reduce((a, b) => a + b, 0) * DT).toBeCloseTo(320, 6);
    const i = 6 * 4;
    const s = r.series;
    // grid = load (fixed and deferrable) + ev + bus + datacenter − pv − battery.
    expect(s.gridKw[i]).toBeCloseTo(
      s.loadKw[i] + s.evKw[i] + s.busKw[i] + s.datacenterKw[i] - s.pvKw[i] - s.batteryKw[i],
      9,
    );
    expect(s.loadKw[i]).toBeGreaterThan(d.loads[0].kw[i] + 40 - 1e-9);
  });
});
