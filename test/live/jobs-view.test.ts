import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/model/load.ts';
import type { KnownJob } from '../../src/live/site-state.ts';
import { liveViewAt } from './helpers.ts';

describe('the job book in the live view', () => {
  it("carries each job's priority and work left to the planner", () => {
    const loaded = loadScenarioFile();
    const nowMs = Date.parse('2026-08-03T10:00:00+09:00');
    const job = (id: string, priority?: number): KnownJob => ({
      id,
      datacenterId: 'dc-gpu',
      gpus: 64,
      gpuHours: 640,
      doneGpuHours: 40,
      earliestStartMs: nowMs - 3_600_000,
      deadlineMs: nowMs + 86_400_000,
      ...(priority === undefined ? {} : { priority }),
    });
    const { view } = liveViewAt(loaded, nowMs, {
      horizonMs: 86_400_000,
      jobs: [job('urgent', 2), job('plain')],
    });
    const pending = view.datacenters[0].pending;
    expect(pending.map((js) => [js.job.id, js.job.priority ?? 0, js.remainingGpuHours])).toEqual([
      ['urgent', 2, 600],
      ['plain', 0, 600],
    ]);
  });
});
