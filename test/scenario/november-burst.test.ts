import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/model/load.ts';
import { prepareDistrict } from '../../src/sim/district.ts';
import { withJobTrace } from '../../src/cli/simulate.ts';

// scenarios/november-burst/jobs.csv holds the jobs a year run drew for 8–17 November 2026
// (docs/optimizer.md), replayed in the reference district with `simulate --job-trace`.
const TRACE = resolve(dirname(fileURLToPath(import.meta.url)), '../../scenarios/november-burst/jobs.csv');

describe('the November burst trace', () => {
  it('replayed in the reference district, holds the burst of 12–13 November inside the week from the 10th', () => {
    const { scenario, baseDir } = withJobTrace(loadScenarioFile(), TRACE);
    const d = prepareDistrict(scenario, { start: '2026-11-10', days: 7, baseDir });
    const jobs = d.datacenters[0].jobs;
    // The trace's jobs submitted inside the week (from 10 November on), the burst among them.
    expect(jobs.length).toBeGreaterThan(100);
    expect(jobs.every((j) => /^dc-gpu\/job-\d+$/.test(j.id))).toBe(true);
    const burstGpuHours = jobs
      .filter(
        (j) =>
          j.submitMs >= Date.parse('2026-11-12T00:00:00+09:00') &&
          j.submitMs < Date.parse('2026-11-14T00:00:00+09:00'),
      )
      .reduce((s, j) => s + j.gpuHours, 0);
    // More than the 2,664 training GPUs can do in the two days at full power (≈ 127,900 GPU-hours).
    expect(burstGpuHours).toBeGreaterThan(2 * 24 * d.datacenters[0].layout.trainingGpus);
  });
});
