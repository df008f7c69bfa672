import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/model/load.ts';
import { prepareDistrict } from '../../src/sim/district.ts';
import { withoutTruth } from '../../src/live/window.ts';
import { jobPlanFromSchedule, scheduleFromJson, scheduleToJson } from '../../src/live/schedule-json.ts';
import type { Schedule } from '../../src/optimize/build.ts';
import type { JsonValue } from '../../src/store/index.ts';

// The stored form of a schedule: what a restart reads back must be the schedule that was in force,
// and the per-job plan the API and the dashboard show must be whole GPUs in merged intervals.

const { scenario, baseDir } = loadScenarioFile();
const d = withoutTruth(prepareDistrict(scenario, { days: 1, baseDir }));
const STEPS = 8;
const STEP_MS = 15 * 60_000;
const f = (xs: number[]) => Float64Array.from(xs);

function schedule(): Schedule {
  const zeros = () => new Float64Array(STEPS);
  return {
    startMs: d.grid.startMs,
    steps: STEPS,
    stepHours: 0.25,
    importKw: f([100, 200, 300, 400, 500, 600, 700, 800]),
    exportKw: zeros(),
    pvKw: zeros(),
    pvAvailableKw: zeros(),
    batteryKw: [f([1, -2, 3.14159, 0, 0, 0, 0, 0])],
    batterySocKwh: [zeros()],
    evKw: new Map([['campus-ev|campus-ev-ac-001/2|tx1', f([7, 7, 0, 0, 0, 0, 0, 0])]]),
    busKw: new Map([[3, f([150, 150, 0, 0, 0, 0, 0, 0])]]),
    busSocKwh: new Map([[3, zeros()]]),
    // A 512-GPU job planned on 511.6 GPUs for two steps (the LP shares GPUs), then 256.2, then none.
    jobGpus: [new Map([['job-1', f([511.6, 511.6, 256.2, 0.3, 0, 0, 0, 0])]])],
    jobCapSum: [new Map([['job-1', f([511.6, 511.6, 256.2 * 0.8, 0.3, 0, 0, 0, 0])]])],
    jobWork: [new Map([['job-1', f([400, 400, 200, 0, 0, 0, 0, 0])]])],
    jobRemainingGpuHours: [new Map([['job-1', 250]])],
    datacenterKw: zeros(),
    peakKw: 800,
    objectiveKrw: 123456.7,
    evUnmetKwh: 0,
    busUnmetKwh: 0,
    lateGpuHours: 0,
  } as Schedule;
}

describe('stored schedules', () => {
  it('reads back the schedule that was stored, through JSON', () => {
    const s = schedule();
    const stored = JSON.parse(JSON.stringify(scheduleToJson(s, d))) as {
      plan: JsonValue;
      assets: Record<string, number[]>;
    };
    const back = scheduleFromJson(stored.plan)!;
    expect(back.startMs).toBe(s.startMs);
    expect(Array.from(back.importKw)).toEqual(Array.from(s.importKw));
    expect(back.batteryKw[0][2]).toBeCloseTo(3.142, 3);
    expect(Array.from(back.evKw.get('campus-ev|campus-ev-ac-001/2|tx1')!)).toEqual([7, 7, 0, 0, 0, 0, 0, 0]);
    expect(back.busKw.get(3)![0]).toBe(150);
    expect(back.jobRemainingGpuHours[0].get('job-1')).toBe(250);
    // Per asset in natural signs for the API: the fleet sums its sessions, the grid is import − export.
    expect(stored.assets['campus-ev'].slice(0, 3)).toEqual([7, 7, 0]);
    expect(stored.assets['depot-buses'][0]).toBe(150);
    expect(stored.assets.grid[7]).toBe(800);
  });

  it('refuses what is not a stored schedule', () => {
    expect(scheduleFromJson(undefined)).toBeUndefined();
    expect(scheduleFromJson({ startMs: 'x' })).toBeUndefined();
    expect(scheduleFromJson([1, 2])).toBeUndefined();
  });

  it('plans jobs in whole GPUs, merging equal steps into intervals', () => {
    const plan = jobPlanFromSchedule(schedule(), d, d.grid.startMs);
    const job = plan.jobs.find((j) => j.id === 'job-1')!;
    expect(job.intervals).toEqual([
      { startMs: d.grid.startMs, endMs: d.grid.startMs + 2 * STEP_MS, gpus: 512, powerCapFraction: 1 },
      {
        startMs: d.grid.startMs + 2 * STEP_MS,
        endMs: d.grid.startMs + 3 * STEP_MS,
        gpus: 256,
        powerCapFraction: 0.8,
      },
    ]);
    for (const i of job.intervals) expect(Number.isInteger(i.gpus)).toBe(true);
    // 250 GPU-h asked, 250 planned: it finishes at the end of its last busy step.
    expect(job.expectedFinishMs).toBe(d.grid.startMs + 3 * STEP_MS);
  });
});
