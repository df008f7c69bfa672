import { beforeAll, describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/model/index.ts';
import { prepareDistrict, type District } from '../../src/sim/district.ts';
import { buildModel } from '../../src/optimize/build.ts';
import { v2gAssignment } from '../../src/optimize/assets/bus.ts';
import { problemFromView, DEFAULT_PLAN_OPTIONS, DEFAULT_MOVE_BLOCKING } from '../../src/optimize/horizon.ts';
import { perfectForecast } from '../../src/forecast/planner-standin.ts';
import { initialView } from '../../src/optimize/view.ts';
import { solveSync } from '../../src/optimize/highs.ts';
import { LpModel } from '../../src/optimize/lp.ts';
import { wholeJobsFit } from '../../src/optimize/assets/datacenter.ts';
import { runSolve } from '../../src/optimize/solve-core.mjs';
import * as highsModule from 'highs';
import type { Highs } from 'highs';

// Branch and bound on LP hot starts before HiGHS's MIP solver (solve-core.mjs `relaxAndBranch`):
// the same optimum as HiGHS's MIP, integral binaries, and HiGHS's own search where it gives up.

/** max Σ value·x s.t. Σ weight·x ≤ capacity, x binary — as a minimisation. */
function knapsack(values: number[], weights: number[], capacity: number): LpModel {
  const m = new LpModel();
  const cols = values.map((v, i) => m.addVar(`x${i}`, 0, 1, -v, true));
  m.addRow(
    'cap',
    cols.map((col, i) => ({ col, coef: weights[i] })),
    -Infinity,
    capacity,
  );
  return m;
}

const integral = (x: ArrayLike<number>) => Array.from(x).every((v) => Math.abs(v - Math.round(v)) < 1e-9);

describe('relax and branch', () => {
  it('branches where the relaxation is fractional and reaches the MIP optimum', () => {
    // Relaxation: items 0 and 1 whole, item 2 at 2/3 (value 60 + 100 + 80 = 240). Best whole choice:
    // items 1 and 2 (weights 20 + 30 = 50, value 220).
    const m = knapsack([60, 100, 120], [10, 20, 30], 50);
    const mip = solveSync(m.toModelData());
    const rb = solveSync(m.toModelData(), { relaxBranch: true });
    expect(mip.objective).toBeCloseTo(-220, 9);
    expect(rb.status).toBe('optimal');
    expect(rb.objective).toBeCloseTo(-220, 9);
    expect(rb.relaxBranch!.nodes).toBeGreaterThan(1);
    expect(rb.relaxBranch!.rootBound).toBeCloseTo(-240, 9);
    expect(integral(rb.x)).toBe(true);
    expect(Array.from(rb.x)).toEqual([0, 1, 1]);
  });

  it('answers from the relaxation alone when it is integral', () => {
    const m = knapsack([60, 100, 120], [10, 20, 30], 60);
    const rb = solveSync(m.toModelData(), { relaxBranch: true });
    expect(rb.objective).toBeCloseTo(-280, 9);
    expect(rb.relaxBranch!.nodes).toBe(1);
    expect(rb.handedOver).toBeUndefined();
    expect(rb.mipGap).toBe(0);
  });

  it('hands a search it cannot close in its node limit to HiGHS, with the same optimum', () => {
    // 40 items of nearly equal value per weight: many fractional branches before the gap closes.
    const values = Array.from({ length: 40 }, (_, i) => 1000 + ((i * 37) % 17));
    const weights = Array.from({ length: 40 }, (_, i) => 1000 + ((i * 53) % 19));
    const m = knapsack(values, weights, 19_500);
    const mip = solveSync(m.toModelData());
    const rb = solveSync(m.toModelData(), { relaxBranch: true });
    expect(rb.relaxBranch).toBeUndefined();
    expect(rb.handedOver).toBe(true);
    expect(rb.log.some((l) => l.includes("HiGHS's MIP solver takes over"))).toBe(true);
    expect(rb.objective).toBeCloseTo(mip.objective, 6);
  });

  describe('at the node limit, the best whole plan within `nodeLimitGap`', () => {
    const values = Array.from({ length: 40 }, (_, i) => 1000 + ((i * 37) % 17));
    const weights = Array.from({ length: 40 }, (_, i) => 1000 + ((i * 53) % 19));

    it("answers with a dive's whole plan instead of HiGHS's MIP, within the gap it reports", () => {
      const m = knapsack(values, weights, 19_500);
      const mip = solveSync(m.toModelData());
      // The dive leaves about 2 % of this knapsack's value unused; 5 % accepts it.
      const rb = solveSync(m.toModelData(), { relaxBranch: true, nodeLimitGap: 5e-2 });
      expect(rb.handedOver).toBeUndefined();
      expect(rb.relaxBranch!.stoppedAtNodeLimit).toBe(true);
      expect(rb.relaxBranch!.diveNodes).toBeGreaterThan(0);
      // A whole plan but not a proven optimum: reported as a limit's answer, as HiGHS reports an
      // incumbent its time limit stopped.
      expect(rb.status).toBe('time_limit');
      expect(rb.ok).toBe(true);
      expect(integral(rb.x)).toBe(true);
      const weight = Array.from(rb.x).reduce((s, x, i) => s + x * weights[i], 0);
      expect(weight).toBeLessThanOrEqual(19_500);
      // Never better than the optimum, and within the gap of it.
      expect(rb.objective).toBeGreaterThanOrEqual(mip.objective - 1e-6);
      expect(rb.mipGap).toBeLessThanOrEqual(5e-2);
      expect(rb.objective - mip.objective).toBeLessThanOrEqual(5e-2 * Math.abs(rb.objective));
      expect(rb.objective).toBeCloseTo(
        Array.from(rb.x).reduce((s, x, i) => s - x * values[i], 0),
        6,
      );
    });

    it('still hands over when the best plan is not within the gap', () => {
      const m = knapsack(values, weights, 19_500);
      const rb = solveSync(m.toModelData(), { relaxBranch: true, nodeLimitGap: 1e-12 });
      expect(rb.handedOver).toBe(true);
      expect(rb.objective).toBeCloseTo(solveSync(m.toModelData()).objective, 6);
    });

    it('changes nothing where the search closes the gap within its node limit', () => {
      const m = knapsack([60, 100, 120], [10, 20, 30], 50);
      const rb = solveSync(m.toModelData(), { relaxBranch: true, nodeLimitGap: 1e-2 });
      expect(rb.status).toBe('optimal');
      expect(rb.relaxBranch!.stoppedAtNodeLimit).toBe(false);
      expect(rb.relaxBranch!.diveNodes).toBe(0);
      expect(Array.from(rb.x)).toEqual([0, 1, 1]);
    });
  });

  describe("HiGHS's limit on a hand-over", () => {
    const values = Array.from({ length: 40 }, (_, i) => 1000 + ((i * 37) % 17));
    const weights = Array.from({ length: 40 }, (_, i) => 1000 + ((i * 53) % 19));
    const base = { timeLimitS: 20, mipRelGap: 1e-4, log: false, relaxBranch: true };
    /**
     * The real HiGHS, recording the time limit each MIP run gets; `noIncumbentRuns` first MIP runs
     * report that their limit stopped them without a whole plan.
     */
    async function recordingHighs(noIncumbentRuns: number) {
      const mod = highsModule as unknown as { default: () => Promise<Highs> };
      const real = await mod.default();
      const mipLimits: number[] = [];
      const highs = {
        constants: real.constants,
        createModel(data: Parameters<Highs['createModel']>[0]) {
          const model = real.createModel(data);
          if (!(data && 'integrality' in data && data.integrality)) return model;
          let limit = NaN;
          const stopped = mipLimits.length < noIncumbentRuns;
          return new Proxy(model, {
            get(target, key) {
              if (key === 'options')
                return {
                  set: (o: Record<string, unknown>) => {
                    if (typeof o.time_limit === 'number') limit = o.time_limit;
                    target.options.set(o as Parameters<typeof target.options.set>[0]);
                  },
                };
              if (key === 'run')
                return (...a: Parameters<typeof target.run>) => {
                  mipLimits.push(limit);
                  return target.run(...a);
                };
              if (stopped && key === 'getModelStatus') return () => real.constants.modelStatus.timeLimit;
              if (stopped && key === 'info')
                return { get: (k: string) => (k === 'primal_solution_status' ? 0 : target.info.get(k)) };
              const v = Reflect.get(target, key);
              return typeof v === 'function' ? v.bind(target) : v;
            },
          });
        },
      };
      return { highs, mipLimits };
    }

    it('gives HiGHS only the hand-over limit and keeps its answer', async () => {
      const m = knapsack(values, weights, 19_500);
      const { highs, mipLimits } = await recordingHighs(0);
      const r = runSolve(highs, m.toModelData(), { ...base, handoverTimeLimitS: 3 });
      expect(mipLimits).toEqual([3]);
      expect(r.status).toBe('optimal');
      expect(r.objective).toBeCloseTo(solveSync(m.toModelData()).objective, 6);
    });

    it('starts over with the time left when HiGHS has no whole plan by then', async () => {
      const m = knapsack(values, weights, 19_500);
      const { highs, mipLimits } = await recordingHighs(1);
      const r = runSolve(highs, m.toModelData(), { ...base, handoverTimeLimitS: 3 });
      expect(mipLimits).toEqual([3, 17]);
      expect(r.log.some((l) => l.includes('no whole plan after 3 s'))).toBe(true);
      expect(r.ok).toBe(true);
      expect(r.objective).toBeCloseTo(solveSync(m.toModelData()).objective, 6);
    });

    it('without a hand-over limit HiGHS gets the whole time limit, as before', async () => {
      const m = knapsack(values, weights, 19_500);
      const { highs, mipLimits } = await recordingHighs(0);
      runSolve(highs, m.toModelData(), base);
      expect(mipLimits).toEqual([20]);
    });
  });

  it('reports an infeasible MIP as HiGHS does', () => {
    const m = new LpModel();
    const y = m.addVar('y', 0, 1, 1, true);
    m.addRow('r', [{ col: y, coef: 2 }], 1, 1);
    expect(solveSync(m.toModelData(), { relaxBranch: true }).status).toBe('infeasible');
  });

  it('an absolute gap stops the search where the relative one would not', () => {
    const m = knapsack([60, 100, 120], [10, 20, 30], 50);
    // Within 25 of the root bound (240): the first whole point found (value 220) is accepted.
    const rb = solveSync(m.toModelData(), { relaxBranch: true, mipRelGap: 0, mipAbsGap: 25 });
    expect(rb.objective).toBeLessThanOrEqual(-215);
    expect(rb.mipGap * Math.abs(rb.objective)).toBeLessThanOrEqual(25 + 1e-9);
  });
});

describe('the training pool in the whole-job hour', () => {
  const terms = (sizes: number[]) => sizes.map((coef, col) => ({ col, coef }));

  it('holds only what whole jobs can fill: the free GPUs down to a multiple of every size', () => {
    expect(wholeJobsFit(terms([64, 128, 512, 256]), 2_664)).toBe(2_624);
    expect(wholeJobsFit(terms([512, 512]), 2_664)).toBe(2_560);
    expect(wholeJobsFit(terms([64, 128]), 2_624)).toBe(2_624);
    // Nothing to round by: sizes with no common factor, or a continuous share of a job.
    expect(wholeJobsFit(terms([64, 3]), 2_664)).toBe(2_664);
    expect(wholeJobsFit(terms([64, 0.5]), 2_664)).toBe(2_664);
  });
});

describe('relax and branch on the reference district (11:00, whole jobs in the first hour)', () => {
  let d: District;
  beforeAll(() => {
    const { scenario, baseDir } = loadScenarioFile();
    d = prepareDistrict(scenario, { days: 2, baseDir });
  });
  /** The 11:00 re-plan as `optimal` poses it: 24 h, whole jobs in the first hour, moves blocked. */
  const replanAt11 = () =>
    problemFromView(initialView(d, 44), perfectForecast(d), {
      ...DEFAULT_PLAN_OPTIONS,
      horizonHours: 24,
      wholeJobHours: 1,
      moveBlocking: DEFAULT_MOVE_BLOCKING,
    });

  it('plans within the MIP gap of HiGHS MIP, with whole jobs', () => {
    const p = replanAt11();
    const b = buildModel(p, false, v2gAssignment(p));
    const data = b.model.toModelData();
    const mip = solveSync(data, { timeLimitS: 120 });
    const rb = solveSync(data, { timeLimitS: 120, relaxBranch: true });
    expect(mip.status).toBe('optimal');
    expect(rb.status).toBe('optimal');
    expect(Math.abs(rb.objective - mip.objective)).toBeLessThanOrEqual(2e-4 * Math.abs(mip.objective));
    for (let j = 0; j < data.numCols; j++) if (data.integrality[j]) expect([0, 1]).toContain(rb.x[j]);
  }, 120_000);

  it("limits the whole-job hour's pool to what whole jobs fill, so the relaxation does not count the rest", () => {
    const p = replanAt11();
    const dc = p.datacenters[0];
    const sizes = dc.jobs.map((j) => j.gpus);
    expect(sizes.length).toBeGreaterThan(1);
    expect(sizes.every((g) => g % 64 === 0)).toBe(true);
    const free = dc.layout.trainingGpus - (dc.finishingGpus ?? 0);
    expect(free % 64).not.toBe(0); // 2,664 training GPUs: the rounding has something to remove
    const b = buildModel(p, false, v2gAssignment(p));
    const data = b.model.toModelData();
    const row = b.model.rowNames.indexOf('dc0_gpus_0');
    expect(data.rowUpper[row]).toBe(64 * Math.floor(free / 64));
    // The relaxation's GPUs in the first step stay within it.
    const lp = solveSync({ ...data, integrality: new Int32Array(data.numCols) });
    let used = 0;
    for (let q = data.starts[row]; q < data.starts[row + 1]; q++)
      used += data.values[q] * lp.x[data.indices[q]];
    expect(used).toBeLessThanOrEqual(64 * Math.floor(free / 64) + 1e-6);
    // After the whole-job hour jobs may run on part of their GPUs: the pool row keeps every GPU.
    const later = b.model.rowNames.findIndex(
      (n) => /^dc0_gpus_(\d+)$/.test(n) && Number(n.slice(9)) >= p.wholeJobSteps,
    );
    expect(later).toBeGreaterThan(row);
    expect(data.rowUpper[later]).toBe(dc.layout.trainingGpus);
  }, 120_000);
});
