import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/model/load.ts';
import { prepareDistrict } from '../../src/sim/district.ts';

// scenarios/november-burst is the reference district with the jobs a year run drew for 8–17
// November 2026 (docs/optimizer.md): it must stay the reference district in everything else.
const DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../scenarios');

describe('the November burst district', () => {
  it('is the reference district but for its name, start and job trace', () => {
    const burst = readFileSync(resolve(DIR, 'november-burst/district.yaml'), 'utf8').split('\n');
    const reference = readFileSync(resolve(DIR, 'gwangju.yaml'), 'utf8').split('\n');
    const added = burst.filter((l) => !reference.includes(l));
    const removed = reference.filter((l) => !burst.includes(l));
    expect(added.map((l) => l.trim().split(':')[0]).sort()).toEqual(['default_start', 'job_trace', 'name']);
    expect(removed.map((l) => l.trim().split(':')[0]).sort()).toEqual(['default_start', 'name']);
  });

  it('runs the traced jobs: the burst of 12–15 November inside a week from its default start', () => {
    const { scenario, baseDir } = loadScenarioFile(resolve(DIR, 'november-burst/district.yaml'));
    expect(scenario.default_start).toBe('2026-11-10');
    const d = prepareDistrict(scenario, { days: 7, baseDir });
    const jobs = d.datacenters[0].jobs;
    // The trace's jobs submitted inside the week (from 10 November on), the burst among them.
    expect(jobs.length).toBeGreaterThan(100);
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
