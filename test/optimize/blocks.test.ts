import { referenceWeekdayMorning } from './fixtures.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/model/index.ts';
import { prepareDistrict, type District } from '../../src/sim/district.ts';
import { solveHorizon, type HorizonSolve } from '../../src/optimize/build.ts';
import { problemFromView, DEFAULT_PLAN_OPTIONS, type MoveBlocking } from '../../src/optimize/horizon.ts';
import { perfectForecast } from '../../src/forecast/planner-standin.ts';
import { throughputSegments } from '../../src/optimize/assets/datacenter.ts';
import { blockPieces, moveBlockStarts, stepBounds } from '../../src/optimize/blocks.ts';
import { initialView } from '../../src/optimize/view.ts';
import type { HorizonProblem } from '../../src/optimize/problem.ts';
import type { StepView } from '../../src/sim/strategy-interface.ts';

// Move blocking of the EVs' charging and the training jobs (blocks.ts) on the reference district:
// past the first hours each car holds one power and each job one GPU count, cap sum and work rate
// per block. Every row is checked again here step by step on what the plan carries out.

const TOL = 1e-6;
const BLOCKING: MoveBlocking = { fineHours: 4, blockHours: 1 };

describe('move blocking of EVs and training jobs on the reference district (24 h from 10:00)', () => {
  let d: District;
  let view: StepView;
  let full: { p: HorizonProblem; r: HorizonSolve };
  let blocked: { p: HorizonProblem; r: HorizonSolve };

  const solve = (moveBlocking?: MoveBlocking, wholeJobHours = 0) => {
    const p = problemFromView(view, perfectForecast(d), {
      ...DEFAULT_PLAN_OPTIONS,
      horizonHours: 24,
      wholeJobHours,
      ...(moveBlocking ? { moveBlocking } : {}),
    });
    const r = solveHorizon(p);
    expect(r.result.status).toBe('optimal');
    return { p, r };
  };

  beforeAll(() => {
    ({ d, view } = referenceWeekdayMorning());
    full = solve();
    blocked = solve(BLOCKING);
  });

  const count = (names: readonly string[], re: RegExp) => names.filter((n) => re.test(n)).length;

  it('has fewer EV and training-job columns than the full model, within 1 % of its objective', () => {
    const f = full.r.built.model;
    const b = blocked.r.built.model;
    expect(full.p.ev.length).toBeGreaterThan(50);
    // Cars at 10:00 mostly leave in the afternoon: much of their stay is in the 4 fine hours.
    expect(count(b.colNames, /^ev\d+_p_/)).toBeLessThan(0.65 * count(f.colNames, /^ev\d+_p_/));
    expect(count(b.colNames, /^dc\d+j\d+_/)).toBeLessThan(0.5 * count(f.colNames, /^dc\d+j\d+_/));
    expect(count(b.rowNames, /^dc\d+/)).toBeLessThan(0.5 * count(f.rowNames, /^dc\d+/));
    // Blocking only removes freedom from EVs and jobs (the buses' blocks are checked in bus.test.ts).
    expect(blocked.r.result.objective).toBeLessThan(1.01 * full.r.result.objective);
    expect(blocked.r.result.objective).toBeGreaterThan(0.99 * full.r.result.objective);
    const s = blocked.r.schedule!;
    expect(s.evUnmetKwh).toBeLessThan(TOL);
    expect(s.lateGpuHours).toBeLessThan(TOL);
  });

  it('holds one EV power per block past the fine hours and keeps every session within its limits step by step', () => {
    const { p, r } = blocked;
    const s = r.schedule!;
    const starts = new Set(p.blockStarts);
    const fineSteps = (BLOCKING.fineHours * 60) / d.grid.intervalMinutes;
    let heldSteps = 0;
    for (const ev of p.ev) {
      const kw = s.evKw.get(ev.id)!;
      let deliveredKwh = 0;
      for (let k = 0; k < p.steps; k++) {
        const inside = k >= ev.startStep && k < ev.endStep;
        if (!inside) {
          expect(kw[k]).toBe(0);
          continue;
        }
        expect(kw[k]).toBeLessThanOrEqual(ev.maxPowerKw + TOL);
        expect(kw[k]).toBeGreaterThanOrEqual(-ev.maxDischargeKw - TOL);
        if (k >= fineSteps && !starts.has(k) && k > ev.startStep) {
          expect(kw[k]).toBeCloseTo(kw[k - 1], 6);
          heldSteps++;
        }
        deliveredKwh += kw[k] * p.stepHours;
        // The running total, step by step: never more than asked, never below what V2G may take.
        expect(deliveredKwh).toBeLessThanOrEqual(ev.remainingKwh + TOL);
        expect(deliveredKwh).toBeGreaterThanOrEqual(-ev.dischargeRoomKwh - TOL);
      }
      expect(deliveredKwh).toBeGreaterThanOrEqual(ev.requiredKwh - TOL);
    }
    expect(heldSteps).toBeGreaterThan(100);
  });

  it('holds one GPU count, cap sum and work rate per block for each job, and every data-center row holds at every step', () => {
    const { p, r } = blocked;
    const s = r.schedule!;
    const starts = new Set(p.blockStarts);
    const fineSteps = (BLOCKING.fineHours * 60) / d.grid.intervalMinutes;
    let heldSteps = 0;
    p.datacenters.forEach((dc, di) => {
      const capMin = dc.cfg.gpu_power_cap_min;
      const segs = throughputSegments(capMin, dc.cfg.throughput_exponent);
      const poolGpus = new Float64Array(p.steps);
      for (const job of dc.jobs) {
        const n = s.jobGpus[di].get(job.id)!;
        const g = s.jobCapSum[di].get(job.id)!;
        const w = s.jobWork[di].get(job.id)!;
        let workGpuHours = 0;
        for (let k = job.startStep; k < job.endStep; k++) {
          expect(n[k]).toBeLessThanOrEqual(job.gpus + TOL);
          expect(g[k]).toBeGreaterThanOrEqual(capMin * n[k] - TOL);
          expect(g[k]).toBeLessThanOrEqual(n[k] + TOL);
          for (const sg of segs)
            expect(w[k]).toBeLessThanOrEqual(sg.slope * g[k] + sg.intercept * n[k] + TOL);
          if (k >= fineSteps && !starts.has(k) && k > job.startStep) {
            expect(n[k]).toBeCloseTo(n[k - 1], 6);
            expect(g[k]).toBeCloseTo(g[k - 1], 6);
            expect(w[k]).toBeCloseTo(w[k - 1], 6);
            heldSteps++;
          }
          poolGpus[k] += n[k];
          workGpuHours += w[k] * p.stepHours;
        }
        expect(workGpuHours).toBeLessThanOrEqual(job.remainingGpuHours + TOL);
        expect(workGpuHours).toBeGreaterThanOrEqual(job.requiredGpuHours - TOL);
      }
      for (const x of poolGpus) expect(x).toBeLessThanOrEqual(dc.layout.trainingGpus + TOL);
    });
    expect(heldSteps).toBeGreaterThan(100);
  });

  it('keeps the balance of every step: import and supply equal the loads, blocked or not', () => {
    const { p, r } = blocked;
    const s = r.schedule!;
    for (let k = 0; k < p.steps; k++) {
      let supply = s.importKw[k] - s.exportKw[k] + s.pvKw[k];
      for (const b of s.batteryKw) supply += b[k];
      let load = p.fixedLoadKw[k] + s.datacenterKw[k];
      for (const a of s.evKw.values()) load += a[k];
      for (const a of s.busKw.values()) load += a[k];
      for (const a of s.deferrableKw) load += a[k];
      expect(supply).toBeCloseTo(load, 3);
    }
  });

  it('keeps the whole-job steps one step each when blocks would cover them', () => {
    // No fine hours: blocks start at once, but the first hour is planned as whole jobs (binaries).
    const { p, r } = solve({ fineHours: 0, blockHours: 2 }, 1);
    expect(p.wholeJobSteps).toBe(4);
    const jobs = p.datacenters.reduce((n, dc) => n + dc.jobs.filter((j) => j.startStep < 4).length, 0);
    expect(jobs).toBeGreaterThan(0);
    // One whole-job binary per job for the whole first hour.
    expect(count(r.built.model.colNames, /^dc\d+j\d+_y$/)).toBe(jobs);
    expect(r.schedule!.lateGpuHours).toBeLessThan(TOL);
  }, 120_000);

  it('blocks only the assets named', () => {
    const p = problemFromView(view, perfectForecast(d), {
      ...DEFAULT_PLAN_OPTIONS,
      horizonHours: 24,
      moveBlocking: { ...BLOCKING, assets: ['buses'] },
    });
    const r = solveHorizon(p);
    expect(count(r.built.model.colNames, /^ev\d+_p_/)).toBe(count(full.r.built.model.colNames, /^ev\d+_p_/));
    expect(count(r.built.model.colNames, /^dc\d+j\d+_/)).toBe(
      count(full.r.built.model.colNames, /^dc\d+j\d+_/),
    );
  });
});

describe('move blocking settings', () => {
  const plan = (moveBlocking: MoveBlocking) => {
    const { scenario, baseDir } = loadScenarioFile();
    const d = prepareDistrict(scenario, { days: 1, baseDir });
    return () =>
      problemFromView(initialView(d, 0), perfectForecast(d), {
        ...DEFAULT_PLAN_OPTIONS,
        horizonHours: 24,
        moveBlocking,
      });
  };

  it('refuses blocks that are not whole hours, negative fine hours and unknown assets, naming the field', () => {
    expect(() => moveBlockStarts(0, 96, 900_000, 4, 0)).toThrow(
      /blockHours must be a whole number of hours ≥ 1, not 0/,
    );
    expect(() => moveBlockStarts(0, 96, 900_000, 4, 1.5)).toThrow(/blockHours .* not 1.5/);
    expect(() => moveBlockStarts(0, 96, 900_000, -1, 1)).toThrow(
      /fineHours must be a number of hours ≥ 0, not -1/,
    );
    expect(() => moveBlockStarts(0, 96, 900_000, NaN, 1)).toThrow(/fineHours/);
    expect(plan({ fineHours: 4, blockHours: 1, assets: ['buses', 'trains' as 'ev'] })).toThrow(
      /moveBlocking.assets: unknown asset "trains" \(known: buses, ev, jobs\)/,
    );
  });

  it('cuts a stay into the pieces of the blocks it covers', () => {
    const bounds = Int32Array.from([0, 1, 2, 6, 10]);
    expect(blockPieces(bounds, 1, 8)).toEqual([
      [1, 2],
      [2, 6],
      [6, 8],
    ]);
    expect(blockPieces(bounds, 3, 5)).toEqual([[3, 5]]);
    expect(blockPieces(bounds, 4, 4)).toEqual([]);
    expect(blockPieces(stepBounds(3), 0, 3)).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
    ]);
  });
});
