import { referenceWeekdayMorning } from './fixtures.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/model/index.ts';
import { assetSchema, type AssetOf } from '../../src/model/schema.ts';
import { prepareDistrict, type District } from '../../src/sim/district.ts';
import { runSimulation } from '../../src/sim/engine.ts';
import { solveHorizon, type Schedule } from '../../src/optimize/build.ts';
import { problemFromView, DEFAULT_PLAN_OPTIONS } from '../../src/optimize/horizon.ts';
import { perfectForecast, persistenceForecast } from '../../src/forecast/planner-standin.ts';
import { initialView } from '../../src/optimize/view.ts';
import { emptyProblem } from '../../src/optimize/testing.ts';
import type { HorizonProblem } from '../../src/optimize/problem.ts';
import { optimalStrategy } from '../../src/optimize/optimal.ts';
import type { Strategy, StepView } from '../../src/sim/strategy-interface.ts';

// Solver tolerance on energies and powers.
const TOL = 1e-6;
/** A bus is discharging when it gives back more than this (as the dispatch, mpc.ts). */
const DISCHARGING_KW = 1e-3;

/** Per step, how many buses of depot `di` the plan discharges. */
function dischargingBuses(p: HorizonProblem, s: Schedule, di: number): number[] {
  return Array.from({ length: p.steps }, (_, k) =>
    p.depots[di].buses.reduce((n, b) => n + (s.busKw.get(b.index)![k] < -DISCHARGING_KW ? 1 : 0), 0),
  );
}

describe('bus depot on the reference district (24 h from 10:00 on a weekday in August)', () => {
  let d: District;
  let view: StepView;

  beforeAll(() => {
    ({ d, view } = referenceWeekdayMorning());
  });

  /** The plan from `v`, with `v2gChargers` V2G chargers at the depot where given. */
  const plan = (v: StepView, v2gChargers?: number) => {
    const p = problemFromView(v, perfectForecast(d), { ...DEFAULT_PLAN_OPTIONS, horizonHours: 24 });
    if (v2gChargers !== undefined)
      p.depots[0] = { ...p.depots[0], cfg: { ...p.depots[0].cfg, v2g_chargers: v2gChargers } };
    const r = solveHorizon(p);
    expect(r.result.status).toBe('optimal');
    return { p, s: r.schedule!, solves: r.solves };
  };

  it('keeps every bus within [soc_min, soc_max] × battery at every step, away or not, and discharges at most v2g_chargers buses at once', () => {
    // The plan would discharge up to 8 of the depot's buses at once here; with 4 V2G chargers the
    // limit binds.
    const V2G_CHARGERS = 4;
    const { p, s } = plan(view, V2G_CHARGERS);
    const cfg = p.depots[0].cfg;
    const floorKwh = cfg.soc_min * cfg.battery_kwh;
    const topKwh = cfg.soc_max * cfg.battery_kwh;
    let awaySteps = 0;
    for (const bus of p.depots[0].buses) {
      const soc = s.busSocKwh.get(bus.index)!;
      for (let k = 0; k < p.steps; k++) {
        expect(soc[k]).toBeGreaterThanOrEqual(floorKwh - TOL);
        expect(soc[k]).toBeLessThanOrEqual(Math.max(topKwh, bus.socKwh) + TOL);
        if (bus.atDepot[k] === 0) awaySteps++;
      }
    }
    // The horizon has the afternoon blocks and the next morning's: the floor holds while away too.
    expect(awaySteps).toBeGreaterThan(p.depots[0].buses.length * 8);
    expect(Math.max(...s.busBelowFloorKwh)).toBeLessThan(TOL);
    expect(s.busDrainShortKwh).toBeLessThan(TOL);
    expect(s.busUnmetKwh).toBeLessThan(TOL);

    const counts = dischargingBuses(p, s, 0);
    // V2G is used, so the count is a real limit here, not an idle one.
    expect(cfg.v2g_chargers).toBe(V2G_CHARGERS);
    expect(Math.max(...counts)).toBe(V2G_CHARGERS);
    for (const n of counts) expect(n).toBeLessThanOrEqual(cfg.v2g_chargers);
    // A discharging bus gives back no more than one charger's power.
    for (const kw of s.busKw.values())
      for (const x of kw) expect(x).toBeGreaterThanOrEqual(-cfg.charger_kw - TOL);
  });

  it('a bus measured below its floor gets a feasible plan: charged back at once, the shortfall reported, never negative', () => {
    const cfg = d.depots[0].cfg;
    const floorKwh = cfg.soc_min * cfg.battery_kwh;
    // 02:00: every bus is at the depot, the first pull-out hours away.
    const night = initialView(d, 8);
    const b = night.buses.findIndex(
      (x) => x.atDepot && x.nextBlock && x.nextBlock.startMs > night.timeMs + 3_600_000,
    );
    expect(b).toBeGreaterThanOrEqual(0);
    const low: StepView = {
      ...night,
      buses: night.buses.map((x, i) => (i === b ? { ...x, socKwh: 0 } : x)),
    };
    const { p, s } = plan(low);
    const soc = s.busSocKwh.get(b)!;
    for (const x of soc) expect(x).toBeGreaterThanOrEqual(-TOL);
    // One step at full charger power is η × kW × Δ short of the floor; after that the floor holds.
    const firstStepKwh = cfg.charging_efficiency * cfg.charger_kw * p.stepHours;
    expect(firstStepKwh).toBeLessThan(floorKwh);
    expect(s.busKw.get(b)![0]).toBeCloseTo(cfg.charger_kw, 6);
    expect(s.busBelowFloorKwh[0]).toBeCloseTo(floorKwh - firstStepKwh, 6);
    for (let k = 1; k < p.steps; k++) expect(s.busBelowFloorKwh[k]).toBeLessThan(TOL);
    expect(s.busUnmetKwh).toBeLessThan(TOL);
  });

  it('a bus out on a block with less than the block still needs plans the shortfall, not negative energy', () => {
    const away = view.buses.findIndex((x) => !x.atDepot);
    expect(away).toBeGreaterThanOrEqual(0);
    const low: StepView = {
      ...view,
      buses: view.buses.map((x, i) => (i === away ? { ...x, socKwh: 10 } : x)),
    };
    const { p, s } = plan(low);
    const bus = p.depots[0].buses.find((x) => x.index === away)!;
    let drainKwh = 0;
    for (let k = 0; k < p.steps && bus.atDepot[k] === 0; k++) drainKwh += bus.drainKwh[k];
    expect(drainKwh).toBeGreaterThan(10);
    expect(s.busDrainShortKwh).toBeCloseTo(drainKwh - 10, 6);
    for (const x of s.busSocKwh.get(away)!) expect(x).toBeGreaterThanOrEqual(-TOL);
    expect(s.busBelowFloorKwh[0]).toBeGreaterThan(0);
  });
});

describe('move blocking on the reference district (24 h from 10:00, hours after the first 4 as blocks)', () => {
  const MOVE_BLOCKING = { fineHours: 4, blockHours: 1 };
  let d: District;

  beforeAll(() => {
    const { scenario, baseDir } = loadScenarioFile();
    d = prepareDistrict(scenario, { days: 2, baseDir });
  });

  const solve = (blocked: boolean) => {
    const p = problemFromView(initialView(d, 40), perfectForecast(d), {
      ...DEFAULT_PLAN_OPTIONS,
      horizonHours: 24,
      ...(blocked ? { moveBlocking: MOVE_BLOCKING } : {}),
    });
    const r = solveHorizon(p);
    expect(r.result.status).toBe('optimal');
    return { p, r, s: r.schedule! };
  };

  it('plans the near hours step by step, holds one bus power per later hour, and meets every departure, with under half the bus columns', () => {
    const fine = solve(false);
    const blocked = solve(true);
    const fineSteps = (MOVE_BLOCKING.fineHours * 60) / d.grid.intervalMinutes;
    expect(blocked.p.blockStarts!.length).toBeLessThan(fine.p.steps / 2);
    const busColumns = (names: readonly string[]) => names.filter((n) => /^d\d+b\d+_/.test(n)).length;
    expect(busColumns(blocked.r.built.model.colNames)).toBeLessThan(
      0.5 * busColumns(fine.r.built.model.colNames),
    );
    // The same plan quality: every departure served, no bus below its floor at a block's end.
    expect(blocked.s.busUnmetKwh).toBeLessThan(TOL);
    expect(blocked.s.busDrainShortKwh).toBeLessThan(TOL);
    expect(Math.max(...blocked.s.busBelowFloorKwh)).toBeLessThan(TOL);
    // Blocking only removes freedom: it costs at least as much, and within 1 % here.
    expect(blocked.r.result.objective).toBeGreaterThanOrEqual(fine.r.result.objective - 1);
    expect(blocked.r.result.objective).toBeLessThan(1.01 * fine.r.result.objective);

    const starts = new Set(blocked.p.blockStarts);
    let departuresInsideBlocks = 0;
    for (const bus of blocked.p.depots[0].buses) {
      const kw = blocked.s.busKw.get(bus.index)!;
      const soc = blocked.s.busSocKwh.get(bus.index)!;
      for (let k = 1; k < blocked.p.steps; k++) {
        // Past the fine hours, a bus at the depot for a whole block holds one power through it.
        if (k >= fineSteps && !starts.has(k) && bus.atDepot[k] === 1 && bus.atDepot[k - 1] === 1)
          expect(kw[k]).toBeCloseTo(kw[k - 1], 6);
      }
      for (const req of bus.requirements) {
        if (req.step <= 0 || req.step > blocked.p.steps) continue;
        if (!starts.has(req.step)) departuresInsideBlocks++;
        // The energy at the start of the departure step, carried step by step from the plan.
        expect(soc[req.step - 1]).toBeGreaterThanOrEqual(req.socKwh - TOL);
      }
    }
    // Buses leave off the hour too, so the check inside a block is exercised.
    expect(departuresInsideBlocks).toBeGreaterThan(0);
  });

  it('rejects block starts that do not rise inside the horizon, naming the entry', () => {
    const p = emptyProblem(8, 0.25);
    p.blockStarts = Int32Array.from([0, 4, 4]);
    expect(() => solveHorizon(p)).toThrow(/entry 2 is 4 after 4/);
    p.blockStarts = Int32Array.from([1, 4]);
    expect(() => solveHorizon(p)).toThrow(/begin at step 0/);
  });
});

describe('bus depot on a case solved by hand', () => {
  const depot = (over: Partial<AssetOf<'bus_depot'>> = {}) =>
    assetSchema.parse({
      id: 'dep',
      type: 'bus_depot',
      buses: 3,
      battery_kwh: 100,
      consumption_kwh_per_km: 1,
      chargers: 3,
      charger_kw: 40,
      v2g_chargers: 1,
      charging_efficiency: 1,
      soc_min: 0.2,
      soc_max: 1,
      pull_out_soc_min: 0.5,
      timetable: {
        first_pull_out_hour: 6,
        last_return_hour: 22,
        morning_block_km: 10,
        afternoon_block_km: 10,
        midday_layover_hours: 1,
        pull_out_spread_hours: 1,
      },
      ...over,
    }) as AssetOf<'bus_depot'>;

  it('a dear hour is served by one bus at a time, above the floor, as one V2G charger allows', () => {
    // Three buses at the depot for 4 one-hour steps; step 1 is dear. Two are full and each could
    // give 40 kW there, but one V2G charger lets only one discharge. Stored energy at the end is
    // worth more than the cheap hours' price, and step 0 is cheaper than refilling after, so no bus
    // discharges outside step 1.
    const p = emptyProblem(4, 1);
    p.importPriceKrwPerKwh.set([50, 1000, 100, 100]);
    p.fixedLoadKw.fill(200);
    p.terminalValueKrwPerKwh = 150;
    const cfg = depot();
    const stay = () => ({
      atDepot: new Uint8Array(4).fill(1),
      drainKwh: new Float64Array(4),
      requirements: [],
      firstDepartureStep: 4,
    });
    p.depots = [
      {
        id: 'dep',
        cfg,
        buses: [
          { index: 0, socKwh: 100, ...stay() },
          { index: 1, socKwh: 100, ...stay() },
          { index: 2, socKwh: 30, ...stay() },
        ],
      },
    ];
    const r = solveHorizon(p);
    expect(r.result.status).toBe('optimal');
    const s = r.schedule!;
    expect(dischargingBuses(p, s, 0)).toEqual([0, 1, 0, 0]);
    const v2gKw = [0, 1, 2].reduce((x, b) => x + Math.max(0, -s.busKw.get(b)![1]), 0);
    expect(v2gKw).toBeCloseTo(40, 6);
    expect(s.importKw[1]).toBeCloseTo(160, 6);
    for (let b = 0; b < 3; b++)
      for (const x of s.busSocKwh.get(b)!) expect(x).toBeGreaterThanOrEqual(20 - TOL);
    // The relaxation spread the discharge over buses; the re-solve gave it to one.
    expect(r.solves).toBeGreaterThanOrEqual(1);
  });
});

describe('a day of `optimal` on the reference district (persistence forecast)', () => {
  it('serves every bus and applies the V2G the plan asks for', () => {
    const { scenario, baseDir } = loadScenarioFile();
    const d = prepareDistrict(scenario, { days: 1, baseDir });
    const cfg = d.depots[0].cfg;
    const inner = optimalStrategy(d, persistenceForecast(d));
    const stepMs = d.grid.intervalMinutes * 60_000;
    const eta = cfg.charging_efficiency;
    const dt = d.intervalHours;
    // Per interval: V2G in the plan in force, V2G asked for, and each bus's energy and place.
    const plannedKw: number[] = [];
    const askedBuses: number[] = [];
    const socs: { socKwh: number; atDepot: boolean }[][] = [];
    const probe: Strategy = {
      name: 'probe',
      decide(view) {
        const dp = inner.decide(view);
        const s = inner.lastSchedule()!;
        const k = Math.round((view.timeMs - s.startMs) / stepMs);
        let kw = 0;
        for (const a of s.busKw.values()) kw += Math.max(0, -a[k]);
        plannedKw.push(kw);
        askedBuses.push(dp.busKw.filter((x) => x < 0).length);
        socs.push(view.buses.map((b) => ({ socKwh: b.socKwh, atDepot: b.atDepot })));
        return dp;
      },
    };
    const sim = runSimulation(d, probe);
    expect(sim.totals.busUnmetKwh).toBeLessThan(TOL);
    expect(inner.counters!().rulesFallbacks).toBe(0);
    for (const n of askedBuses) expect(n).toBeLessThanOrEqual(cfg.v2g_chargers);

    // V2G applied, from each bus's stored energy over the interval (lossy by 1/η when discharging).
    let plannedKwh = 0;
    let mismatchKwh = 0;
    for (let i = 0; i + 1 < socs.length; i++) {
      let appliedKw = 0;
      socs[i].forEach((b, j) => {
        if (!b.atDepot) return;
        const deltaKwh = socs[i + 1][j].socKwh - b.socKwh;
        if (deltaKwh < 0) appliedKw += (-deltaKwh * eta) / dt;
      });
      plannedKwh += plannedKw[i] * dt;
      mismatchKwh += Math.abs(plannedKw[i] - appliedKw) * dt;
    }
    // V2G is planned, and what is planned is what happens: within 1 % of it.
    expect(plannedKwh).toBeGreaterThan(1000);
    expect(mismatchKwh).toBeLessThan(0.01 * plannedKwh);
  }, 300_000);
});
