import { beforeAll, describe, expect, it } from 'vitest';
import type { District } from '../../src/sim/district.ts';
import { solveHorizon } from '../../src/optimize/build.ts';
import { dispatchFromSchedule } from '../../src/optimize/mpc.ts';
import { problemFromView, DEFAULT_PLAN_OPTIONS } from '../../src/optimize/horizon.ts';
import { emptyProblem } from '../../src/optimize/testing.ts';
import { finishesWithinStep } from '../../src/optimize/assets/datacenter.ts';
import { persistenceForecast } from '../../src/forecast/planner-standin.ts';
import {
  TRAINING_ARRIVAL_WINDOW_MS,
  TrainingArrivals,
  declaredTrainingGpuHoursPerHour,
} from '../../src/forecast/training-arrivals.ts';
import { loadScenarioFile } from '../../src/model/index.ts';
import { prepareDistrict } from '../../src/sim/district.ts';
import { MS_PER_HOUR } from '../../src/model/time.ts';
import { datacenterInput, trainingDatacenter, referenceWeekdayMorning } from './fixtures.ts';
import type { StepView } from '../../src/sim/strategy-interface.ts';

// Training work does not pile up behind the plan: the last minutes of a job run at once, and work left
// at the horizon's end is not free.

describe('a job that finishes within the next step', () => {
  let d: District;
  let view: StepView;
  beforeAll(() => {
    ({ d, view } = referenceWeekdayMorning());
  });

  it('is not planned, holds its GPUs and power in the first step, and is run by the dispatch', () => {
    const dc = view.datacenters[0];
    const cfg = d.datacenters[0].cfg;
    expect(dc.pending.length).toBeGreaterThan(1);
    // The job last submitted has a minute of work left: a tail a plan would put off forever, since
    // a whole step of its power buys less than a step of fractional GPUs later.
    const tail = dc.pending[dc.pending.length - 1];
    const saved = tail.remainingGpuHours;
    tail.remainingGpuHours = tail.job.gpus / 60;
    try {
      expect(finishesWithinStep(tail.remainingGpuHours, tail.job.gpus, cfg, 0.25)).toBe(true);
      const p = problemFromView(view, persistenceForecast(d), { ...DEFAULT_PLAN_OPTIONS, wholeJobHours: 1 });
      const dcIn = p.datacenters[0];
      expect(dcIn.jobs.some((j) => j.id === tail.job.id)).toBe(false);
      expect(dcIn.finishingGpus).toBe(tail.job.gpus);
      // A full-cap GPU's power per GPU-hour of work over the quarter hour, at the PUE of now.
      expect(dcIn.finishingKw).toBeCloseTo(
        (dcIn.pue[0] * d.datacenters[0].layout.gpuDynamicKw * tail.remainingGpuHours) / 0.25,
        6,
      );
      const r = solveHorizon(p, { relaxBranch: true });
      expect(r.schedule).toBeDefined();
      const s = r.schedule!;
      // The plan's jobs leave room for it in the first step, and the dispatch runs it there.
      let plannedGpus = 0;
      for (const js of dc.pending)
        if ((s.jobGpus[0].get(js.job.id)?.[0] ?? 0) >= js.job.gpus / 2) plannedGpus += js.job.gpus;
      expect(plannedGpus + tail.job.gpus).toBeLessThanOrEqual(dc.trainingGpus);
      const dp = dispatchFromSchedule(view, s, 0);
      expect(dp.datacenters[0].runJobIds).toContain(tail.job.id);
    } finally {
      tail.remainingGpuHours = saved;
    }
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

describe('new training work expected after the horizon', () => {
  it('is expected at the declared rate before anything is seen, then at the rate seen over the past week', () => {
    const { scenario, baseDir } = loadScenarioFile();
    const d = prepareDistrict(scenario, { days: 9, baseDir });
    const u = d.datacenters[0];
    const declared = declaredTrainingGpuHoursPerHour(u.cfg, u.layout);
    // The reference data center: 14 jobs a day of 64–512 GPUs (mean 240) for 3–20 h (mean 11.5).
    expect(declared).toBeCloseTo((14 * 240 * 11.5) / 24, 6);
    const arrivals = new TrainingArrivals([declared]);
    const viewAt = (timeMs: number): StepView =>
      ({
        timeMs,
        datacenters: [
          {
            pending: u.jobs
              .filter((j) => j.submitMs <= timeMs && j.submitMs > timeMs - MS_PER_HOUR)
              .map((job) => ({ job, remainingGpuHours: job.gpuHours })),
          },
        ],
      }) as unknown as StepView;
    const t0 = d.grid.startMs;
    expect(arrivals.gpuHoursPerHour(viewAt(t0), 0)).toBeCloseTo(declared, 6);
    // Eight days of hourly views: the rate is then the last week's submissions, nothing declared.
    const endMs = t0 + 8 * 24 * MS_PER_HOUR;
    for (let t = t0 + MS_PER_HOUR; t < endMs; t += MS_PER_HOUR) arrivals.observe(viewAt(t));
    let seenGpuHours = 0;
    for (const j of u.jobs)
      if (j.submitMs >= endMs - TRAINING_ARRIVAL_WINDOW_MS && j.submitMs <= endMs) seenGpuHours += j.gpuHours;
    expect(arrivals.gpuHoursPerHour(viewAt(endMs), 0)).toBeCloseTo(
      seenGpuHours / (TRAINING_ARRIVAL_WINDOW_MS / MS_PER_HOUR),
      6,
    );
  });

  it('leaves room in the slow pool after the horizon: work it would crowd out is wanted now, softly', () => {
    const { d, view } = referenceWeekdayMorning();
    const withRate = (gpuHoursPerHour: number) => {
      const f = { ...persistenceForecast(d), trainingArrivalGpuHoursPerHour: () => gpuHoursPerHour };
      return problemFromView(view, f, { ...DEFAULT_PLAN_OPTIONS, wholeJobHours: 1 }).datacenters[0].jobs;
    };
    const wanted = (jobs: ReturnType<typeof withRate>) =>
      jobs.reduce((a, j) => a + Math.max(j.requiredGpuHours, j.preferredGpuHours ?? 0), 0);
    const required = (jobs: ReturnType<typeof withRate>) => jobs.reduce((a, j) => a + j.requiredGpuHours, 0);
    const none = withRate(0);
    // The whole pool's worth of new work: nothing due after the horizon fits after it any more.
    const full = withRate(view.datacenters[0].trainingGpus);
    expect(required(full)).toBeCloseTo(required(none), 6);
    expect(wanted(full)).toBeGreaterThan(wanted(none) + 100);
    // Each job due after the horizon is then wanted in full inside it.
    const endMs = view.timeMs + 24 * MS_PER_HOUR;
    let dueAfter = 0;
    for (const j of full) {
      const deadlineMs = view.datacenters[0].pending.find((js) => js.job.id === j.id)!.job.deadlineMs;
      if (deadlineMs <= endMs) continue;
      dueAfter++;
      expect(Math.max(j.requiredGpuHours, j.preferredGpuHours ?? 0)).toBeCloseTo(j.remainingGpuHours, 6);
    }
    expect(dueAfter).toBeGreaterThan(0);
  });
});
