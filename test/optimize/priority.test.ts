import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { solveHorizon } from '../../src/optimize/build.ts';
import { emptyProblem } from '../../src/optimize/testing.ts';
import {
  latePenaltyKrwPerGpuHour,
  MIN_DEADLINE_MISS_SHARE,
  PRIORITY_STEPS_MAX,
  priorityWeight,
} from '../../src/optimize/assets/datacenter.ts';
import type { JobInput } from '../../src/optimize/problem.ts';
import { loadScenarioFile } from '../../src/model/load.ts';
import { prepareDistrict } from '../../src/sim/district.ts';
import { runSimulation } from '../../src/sim/engine.ts';
import { withJobTrace } from '../../src/cli/simulate.ts';
import { rulesStrategy } from '../../src/strategy/rules.ts';
import { optimalStrategy } from '../../src/optimize/optimal.ts';
import { datacenterInput, trainingDatacenter } from './fixtures.ts';

describe('job priority in the plan', () => {
  it('when the pool fits one of two like jobs, the one of higher priority runs, whichever came first', () => {
    // One whole-job hour, 8 GPUs at full power only (1 kW each, 100 원/kWh), two 8-GPU jobs of 8
    // GPU-hours due at its end. A miss is priced as 2 GPU-hours short: 8 left → L × 2/8 per GPU-hour
    // short at priority 0, × 2 at priority 1. Running the priority-1 job leaves the other 8 short at
    // L/4; the other way round would cost 8 at L/2.
    const plan = (jobs: JobInput[]) => {
      const p = emptyProblem(1, 1);
      p.wholeJobSteps = 1;
      p.deadlineMissGpuHours = 2;
      p.datacenters = [datacenterInput(trainingDatacenter(1, 8, 1), 1, jobs)];
      return { r: solveHorizon(p), L: p.latePenaltyKrwPerGpuHour };
    };
    const job = (id: string, priority: number): JobInput => ({
      id,
      gpus: 8,
      startStep: 0,
      endStep: 1,
      remainingGpuHours: 8,
      requiredGpuHours: 8,
      priority,
    });
    for (const jobs of [
      [job('first', 0), job('second', 1)],
      [job('first', 1), job('second', 0)],
    ]) {
      const { r, L } = plan(jobs);
      const high = jobs.find((j) => j.priority === 1)!.id;
      const low = jobs.find((j) => j.priority === 0)!.id;
      expect(r.schedule!.jobGpus[0].get(high)![0]).toBeCloseTo(8, 6);
      expect(r.schedule!.jobGpus[0].get(low)![0]).toBeCloseTo(0, 6);
      expect(r.result.objective).toBeCloseTo(800 + 8 * (L / 4), 2);
    }
  });

  it('weighs the miss price by 2^priority, never above the late penalty', () => {
    const p = emptyProblem(1, 1);
    const L = p.latePenaltyKrwPerGpuHour;
    p.deadlineMissGpuHours = 500;
    const job: JobInput = {
      id: 'a',
      gpus: 8,
      startStep: 0,
      endStep: 1,
      remainingGpuHours: 1_000,
      requiredGpuHours: 1_000,
    };
    expect(latePenaltyKrwPerGpuHour(p, job)).toBe(L / 2);
    expect(latePenaltyKrwPerGpuHour(p, { ...job, priority: 2 })).toBe(L);
    expect(latePenaltyKrwPerGpuHour(p, { ...job, priority: -1 })).toBe(L / 4);
    // A job already late pays the late penalty whatever its priority.
    expect(latePenaltyKrwPerGpuHour(p, { ...job, priority: -3, lateAlready: true })).toBe(L);
    // Past ±PRIORITY_STEPS_MAX priorities weigh as the limit.
    const huge = { ...job, remainingGpuHours: 1e6 };
    expect(latePenaltyKrwPerGpuHour(p, { ...huge, priority: 99 })).toBe(
      L * MIN_DEADLINE_MISS_SHARE * 2 ** PRIORITY_STEPS_MAX,
    );
    expect(priorityWeight(-99)).toBe(2 ** -PRIORITY_STEPS_MAX);
    expect(priorityWeight()).toBe(1);
  });
});

describe('job priority through a run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitgrid-priority-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // Two 2,048-GPU jobs of 4 hours' work at full power, submitted together at 02:00 and due at 07:00:
  // the 2,664 training GPUs of the reference data center run one at a time, so one job misses. The
  // one of lower priority is listed (submitted) first.
  const trace = join(dir, 'jobs.csv');
  writeFileSync(
    trace,
    [
      'job_id,submit,gpus,gpu_hours,deadline,priority',
      'low,2026-08-03T02:00:00+09:00,2048,8192,2026-08-03T07:00:00+09:00,0',
      'high,2026-08-03T02:00:00+09:00,2048,8192,2026-08-03T07:00:00+09:00,1',
    ].join('\n') + '\n',
  );
  const { scenario, baseDir } = withJobTrace(loadScenarioFile(), trace);
  const d = prepareDistrict(scenario, { start: '2026-08-03', days: 1, baseDir });

  for (const [name, make] of [
    ['rules', rulesStrategy],
    ['optimal', optimalStrategy],
  ] as const)
    it(
      `${name} finishes the job of higher priority on time and misses the other`,
      { timeout: 300_000 },
      () => {
        const r = runSimulation(d, make(d));
        const outcome = (id: string) => r.trainingJobs.find((j) => j.jobId === `dc-gpu/${id}`)!;
        expect(outcome('high').priority).toBe(1);
        expect(outcome('high').missed).toBe(false);
        expect(outcome('high').finishedMs).not.toBeNull();
        expect(outcome('high').finishedMs!).toBeLessThanOrEqual(Date.parse('2026-08-03T07:00:00+09:00'));
        expect(outcome('low').missed).toBe(true);
        expect(r.totals.trainingDeadlineMisses).toBe(1);
      },
    );
});
