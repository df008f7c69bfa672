import { describe, expect, it } from 'vitest';
import { loadScenarioFile, MS_PER_DAY } from '../../src/model/index.ts';
import { prepareDistrict } from '../../src/sim/district.ts';
import { DEFAULT_WORLD_SEED, TwinWorld } from '../../src/twin/world.ts';
import { worldDistrict } from '../../src/twin/world-district.ts';

// The district `simulate` runs to replay the twin's world must hold the world's own draws, so a live
// run and a simulation of the same days meet the same weather, loads, sessions and jobs.

const { scenario, baseDir } = loadScenarioFile();
const START = '2026-08-03';
const DAYS = 2;

describe('worldDistrict', () => {
  const d = worldDistrict({ scenario, baseDir, start: START, days: DAYS });
  const stepMs = d.grid.intervalMinutes * 60_000;
  const at = (i: number) => d.grid.startMs + i * stepMs;
  const endMs = at(d.grid.count);

  it('has the world’s PV, loads, inference power and PUE at every interval', () => {
    const world = new TwinWorld({ scenario, baseDir, start: START });
    expect(d.grid.count).toBe((DAYS * MS_PER_DAY) / stepMs);
    for (let i = 0; i < d.grid.count; i++) {
      for (const u of d.pv) expect(u.availableKw[i]).toBe(world.pvAvailableKw(u.id, at(i)));
      for (const u of d.loads) expect(u.kw[i]).toBe(world.loadKw(u.id, at(i)));
      for (const u of d.datacenters) {
        expect(u.inferenceItKw[i]).toBe(world.datacenterInferenceItKw(u.id, at(i)));
        expect(u.pue[i]).toBe(world.datacenterPue(u.id, at(i)));
      }
    }
  });

  it('has the world’s EV sessions and training jobs, not the planner’s or a seeded preparation’s', () => {
    const world = new TwinWorld({ scenario, baseDir, start: START });
    const worldSessions = world.evSessions(d.grid.startMs, endMs);
    const worldJobs = world.trainingJobs(d.grid.startMs, endMs);
    expect(worldSessions.length).toBeGreaterThan(0);
    expect(worldJobs.length).toBeGreaterThan(0);
    expect(d.ev.flatMap((u) => u.sessions).sort((a, b) => a.arrivalMs - b.arrivalMs)).toEqual(worldSessions);
    for (const u of d.datacenters)
      expect(u.jobs).toEqual(
        worldJobs.filter((j) => j.datacenterId === u.id).map(({ datacenterId: _, ...job }) => job),
      );
    // A preparation with the world seed mixed in draws other jobs: that is not the world.
    const seeded = prepareDistrict(scenario, { start: START, days: DAYS, baseDir, seed: DEFAULT_WORLD_SEED });
    expect(seeded.datacenters[0].jobs.map((j) => [j.submitMs, j.gpuHours])).not.toEqual(
      d.datacenters[0].jobs.map((j) => [j.submitMs, j.gpuHours]),
    );
  });

  it('drives the published bus timetable and meets the world’s weather', () => {
    const planner = prepareDistrict(scenario, { start: START, days: DAYS, baseDir });
    expect(d.depots.map((dep) => dep.plan.blocksByBus)).toEqual(
      planner.depots.map((dep) => dep.plan.blocksByBus),
    );
    // The world's weather is not the planner's; it is the weather every world day is drawn with.
    let differs = 0;
    for (let i = 0; i < d.grid.count; i++)
      if (Math.abs(d.weather.temperatureC[i] - planner.weather.temperatureC[i]) > 1e-6) differs++;
    expect(differs).toBeGreaterThan(d.grid.count / 2);
    const oneDay = worldDistrict({ scenario, baseDir, start: '2026-08-04', days: 1 });
    expect(Array.from(oneDay.weather.temperatureC)).toEqual(
      Array.from(d.weather.temperatureC.subarray(d.grid.count / DAYS)),
    );
  });
});
