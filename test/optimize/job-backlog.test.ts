import { beforeAll, describe, expect, it } from 'vitest';
import type { District } from '../../src/sim/district.ts';
import { solveHorizon } from '../../src/optimize/build.ts';
import { dispatchFromSchedule } from '../../src/optimize/mpc.ts';
import { problemFromView, DEFAULT_PLAN_OPTIONS } from '../../src/optimize/horizon.ts';
import { emptyProblem } from '../../src/optimize/testing.ts';
import { finishesWithinSteps } from '../../src/optimize/assets/datacenter.ts';
import { throughputAtCap } from '../../src/sim/assets/datacenter.ts';
import { persistenceForecast } from '../../src/forecast/planner-standin.ts';
import { datacenterInput, trainingDatacenter, referenceWeekdayMorning } from './fixtures.ts';
import type { StepView } from '../../src/sim/strategy-interface.ts';

// Training work does not pile up behind the plan: the last minutes of a job run at once, and work left
// at the horizon's end is not free.

describe('a job that finishes within the whole-job steps', () => {
  let d: District;
  let view: StepView;
  beforeAll(() => {
    ({ d, view } = referenceWeekdayMorning());
  });

  /** Plans an hour of whole jobs with the last-submitted job's work left set to `gpuHours`. */
  const withTail = <T>(gpuHours: number, check: (tail: StepView['datacenters'][0]['pending'][0]) => T): T => {
    const dc = view.datacenters[0];
    expect(dc.pending.length).toBeGreaterThan(1);
    const tail = dc.pending[dc.pending.length - 1];
    const saved = tail.remainingGpuHours;
    tail.remainingGpuHours = gpuHours;
    try {
      return check(tail);
    } finally {
      tail.remainingGpuHours = saved;
    }
  };
  const plan = () =>
    problemFromView(view, persistenceForecast(d), { ...DEFAULT_PLAN_OPTIONS, wholeJobHours: 1 });
  /** GPU-hours a job's GPUs do in one 15-minute step at the lowest cap. */
  const stepAtMinCapGpuHours = (gpus: number) => {
    const cfg = d.datacenters[0].cfg;
    return gpus * throughputAtCap(cfg, cfg.gpu_power_cap_min) * 0.25;
  };

  it('a minute of work: not planned, holds its GPUs and power in the first step, run by the dispatch', () => {
    const dc = view.datacenters[0];
    const cfg = d.datacenters[0].cfg;
    // A tail a plan would put off forever, since a step of its power buys less than a step of
    // fractional GPUs later.
    withTail(dc.pending[dc.pending.length - 1].job.gpus / 60, (tail) => {
      expect(finishesWithinSteps(tail.remainingGpuHours, tail.job.gpus, cfg, 0.25, 1)).toBe(true);
      const p = plan();
      const dcIn = p.datacenters[0];
      expect(dcIn.jobs.some((j) => j.id === tail.job.id)).toBe(false);
      expect(Array.from(dcIn.finishingGpus!)).toEqual([tail.job.gpus, 0, 0, 0]);
      // A full-cap GPU's power per GPU-hour of work over the quarter hour, at the PUE of now.
      expect(dcIn.finishingKw![0]).toBeCloseTo(
        (dcIn.pue[0] * d.datacenters[0].layout.gpuDynamicKw * tail.remainingGpuHours) / 0.25,
        6,
      );
      const s = solveHorizon(p, { relaxBranch: true }).schedule!;
      expect(s).toBeDefined();
      // The plan's jobs leave room for it in the first step, and the dispatch runs it there.
      let plannedGpus = 0;
      for (const js of dc.pending)
        if ((s.jobGpus[0].get(js.job.id)?.[0] ?? 0) >= js.job.gpus / 2) plannedGpus += js.job.gpus;
      expect(plannedGpus + tail.job.gpus).toBeLessThanOrEqual(dc.trainingGpus);
      expect(dispatchFromSchedule(view, s, 0).datacenters[0].runJobIds).toContain(tail.job.id);
    });
  });

  it('2.5 steps of work: held for 3 steps, run from the first step and still in the third', () => {
    // The whole-job binary would hold all the job's GPUs and power for the hour: a remainder shorter
    // than that was put off from plan to plan, past the deadline.
    const dc = view.datacenters[0];
    const gpus = dc.pending[dc.pending.length - 1].job.gpus;
    withTail(2.5 * stepAtMinCapGpuHours(gpus), (tail) => {
      const p = plan();
      const dcIn = p.datacenters[0];
      expect(p.wholeJobSteps).toBe(4);
      expect(dcIn.jobs.some((j) => j.id === tail.job.id)).toBe(false);
      expect(Array.from(dcIn.finishingGpus!)).toEqual([gpus, gpus, gpus, 0]);
      // Power as at full cap, where the work takes fewer steps; energy a full-cap GPU's per GPU-hour.
      const kwPerGpu = dcIn.pue[0] * d.datacenters[0].layout.gpuDynamicKw;
      let energyKwh = 0;
      for (const kw of dcIn.finishingKw!) {
        expect(kw).toBeLessThanOrEqual(gpus * kwPerGpu + 1e-6);
        energyKwh += kw * 0.25;
      }
      expect(energyKwh).toBeCloseTo(kwPerGpu * tail.remainingGpuHours, 6);
      const s = solveHorizon(p, { relaxBranch: true }).schedule!;
      for (let k = 0; k < 3; k++) {
        let plannedGpus = 0;
        for (const js of dc.pending)
          if ((s.jobGpus[0].get(js.job.id)?.[k] ?? 0) >= js.job.gpus / 2) plannedGpus += js.job.gpus;
        expect(plannedGpus + gpus).toBeLessThanOrEqual(dc.trainingGpus);
      }
      expect(dispatchFromSchedule(view, s, 0).datacenters[0].runJobIds).toContain(tail.job.id);
      // Two steps on, with half a step's work left, the dispatch still runs it.
      tail.remainingGpuHours = 0.5 * stepAtMinCapGpuHours(gpus);
      expect(dispatchFromSchedule(view, s, 2).datacenters[0].runJobIds).toContain(tail.job.id);
    });
  });

  it('more work than the whole-job steps hold is planned as before', () => {
    const dc = view.datacenters[0];
    const gpus = dc.pending[dc.pending.length - 1].job.gpus;
    withTail(4.5 * stepAtMinCapGpuHours(gpus), (tail) => {
      const dcIn = plan().datacenters[0];
      expect(dcIn.jobs.some((j) => j.id === tail.job.id)).toBe(true);
      expect(Array.from(dcIn.finishingGpus!).every((g) => g === 0)).toBe(true);
    });
  });
});

describe('work left at the end of the horizon', () => {
  /** 12 GPUs; one 8-GPU job due after the horizon: nothing of it is required inside. */
  const problem = (workLeftKrwPerGpuHour: number) => {
    const p = emptyProblem(4, 1);
    p.importPriceKrwPerKwh.set([100, 100, 300, 300]);
    p.datacenters = [
      {
        ...datacenterInput(trainingDatacenter(3, 4, 0.6), 4, [
          { id: 'a', gpus: 8, startStep: 0, endStep: 4, remainingGpuHours: 32, requiredGpuHours: 0 },
        ]),
        workLeftKrwPerGpuHour,
      },
    ];
    return p;
  };
  const workGpuHours = (p: ReturnType<typeof problem>) => {
    const s = solveHorizon(p).schedule!;
    return Array.from(s.jobWork[0].get('a')!);
  };

  it('is free without a value: the plan does none of the work it may leave', () => {
    for (const w of workGpuHours(problem(0))) expect(w).toBeCloseTo(0, 6);
  });

  it('costs what doing it later costs: work is done in the hours cheaper than that, not the dearer', () => {
    // At 1 kW per GPU and PUE 1 a GPU-hour at full cap takes 1 kWh (less at a lower cap): 100 원 in
    // the cheap hours, 300 in the dear; left for later it costs 200.
    const w = workGpuHours(problem(200));
    expect(w[0]).toBeGreaterThan(1);
    expect(w[1]).toBeGreaterThan(1);
    expect(w[2]).toBeCloseTo(0, 6);
    expect(w[3]).toBeCloseTo(0, 6);
  });
});
