import { beforeAll, describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/model/index.ts';
import { prepareDistrict, type District } from '../../src/sim/district.ts';
import { buildModel, solveHorizon } from '../../src/optimize/build.ts';
import { referenceHourlyPlan } from './fixtures.ts';
import { v2gAssignment } from '../../src/optimize/assets/bus.ts';
import { wholeJobStart } from '../../src/optimize/mip-start.ts';

// The previous plan as a MIP start (mip-start.ts): whole-job binaries of the first hour, rounded
// from what the plan an hour earlier had the jobs do then, within the training pool.

describe('a MIP start from the previous plan (reference district, 10:00 and 11:00)', () => {
  let d: District;
  const plan = (index: number) => referenceHourlyPlan(d, index);

  beforeAll(() => {
    const { scenario, baseDir } = loadScenarioFile();
    d = prepareDistrict(scenario, { days: 2, baseDir });
  });

  it('rounds the plan an hour earlier to whole jobs that fit the pool, and HiGHS takes it and ends at the same optimum', () => {
    const earlier = solveHorizon(plan(40));
    expect(earlier.result.status).toBe('optimal');
    const p = plan(44);
    const b = buildModel(p, false, v2gAssignment(p));
    const start = wholeJobStart(p, b, earlier.schedule)!;
    // One value per whole-job binary of the first hour (one per job), each 0 or 1.
    const binaries = b.model.colNames.filter((n) => /^dc\d+j\d+_y$/.test(n)).length;
    expect(binaries).toBeGreaterThan(0);
    expect(start.indices.length).toBe(binaries);
    for (const v of start.values) expect([0, 1]).toContain(v);
    // Per step, the jobs started on fit the training pool.
    p.datacenters.forEach((dc, di) => {
      for (let k = 0; k < p.wholeJobSteps; k++) {
        let gpus = 0;
        dc.jobs.forEach((job, ji) => {
          if (k < job.startStep || k >= job.endStep) return;
          const i = start.indices.indexOf(b.datacenter.runningCol[di][ji][k - job.startStep]);
          if (i >= 0) gpus += start.values[i] * job.gpus;
        });
        expect(gpus).toBeLessThanOrEqual(dc.layout.trainingGpus);
      }
    });

    const cold = solveHorizon(p);
    const warm = solveHorizon(p, {}, earlier.schedule);
    expect(cold.result.status).toBe('optimal');
    expect(warm.result.status).toBe('optimal');
    expect(cold.result.startAccepted).toBeUndefined();
    expect(warm.result.startAccepted).toBe(true);
    // Both within the 1e-4 gap of the one optimum.
    expect(Math.abs(warm.result.objective - cold.result.objective)).toBeLessThan(
      2e-4 * Math.abs(cold.result.objective),
    );
  }, 120_000);

  it('gives no start without a previous plan, for an LP, or from a plan that starts after this one', () => {
    const p = plan(44);
    const b = buildModel(p, false, v2gAssignment(p));
    expect(wholeJobStart(p, b, undefined)).toBeUndefined();
    expect(wholeJobStart({ ...p, wholeJobSteps: 0 }, b, solveHorizon(plan(40)).schedule)).toBeUndefined();
    const later = solveHorizon(plan(48)).schedule;
    expect(wholeJobStart(p, b, later)).toBeUndefined();
  }, 120_000);
});
