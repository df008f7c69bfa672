import { describe, expect, it } from 'vitest';
import { loadScenarioFile, MS_PER_DAY, MS_PER_HOUR } from '../../src/model/index.ts';
import { prepareDistrict } from '../../src/sim/district.ts';
import {
  BUS_BLOCK_ENERGY_SURPRISE_FRACTION,
  DEFAULT_WORLD_SEED,
  TwinWorld,
  WORLD_KEEP_PAST_MS,
  WORLD_LOOKAHEAD_MS,
} from '../../src/twin/world.ts';

// The twin's world: its own draws of weather, loads, sessions and jobs (not the planner's), the
// public bus timetable, and no end — it prepares days as it goes and forgets old ones.

const { scenario, baseDir } = loadScenarioFile();
const START = '2026-08-03';

describe('TwinWorld', () => {
  it('runs past any prepared-days limit with a bounded number of days held', () => {
    const world = new TwinWorld({ scenario, baseDir, start: START });
    const day = (n: number, hour: number) => world.startMs + n * MS_PER_DAY + hour * MS_PER_HOUR;
    const maxHeld = Math.ceil((WORLD_LOOKAHEAD_MS + WORLD_KEEP_PAST_MS) / MS_PER_DAY) + 2;
    const noon5 = world.pvAvailableKw('factory-pv', day(5, 12));
    expect(noon5).toBeGreaterThan(0);
    expect(world.heldDates).toContain('2026-08-08');
    expect(world.heldDates.length).toBeLessThanOrEqual(maxHeld);
    expect(world.loadKw('factory-load', day(9, 10))).toBeGreaterThan(0);
    expect(world.heldDates).toContain('2026-08-12');
    expect(world.heldDates).not.toContain('2026-08-08');
    expect(world.heldDates.length).toBeLessThanOrEqual(maxHeld);
    expect(world.daysPrepared).toBeGreaterThanOrEqual(10);
    // Days long gone are gone, not clamped to some other day.
    expect(() => world.pvAvailableKw('factory-pv', day(5, 12))).toThrow(RangeError);
    // Every part of the day is there: inference power, PUE, sessions, jobs, bus stays.
    expect(world.datacenterInferenceItKw('dc-gpu', day(9, 12))).toBeGreaterThan(0);
    expect(world.datacenterPue('dc-gpu', day(9, 12))).toBeGreaterThanOrEqual(1);
    expect(world.evSessions(day(9, 0), day(10, 0)).length).toBeGreaterThan(0); // 2026-08-12 is a Wednesday
    expect(world.trainingJobs(day(8, 0), day(11, 0)).length).toBeGreaterThan(0);
    expect(world.busStays(day(9, 0), day(10, 0)).length).toBeGreaterThan(0);
  });

  it('is not the planner’s district, except for the public bus timetable', () => {
    const world = new TwinWorld({ scenario, baseDir, start: START });
    const days = 2;
    const planner = prepareDistrict(scenario, { start: START, days, baseDir });
    const step = planner.grid.intervalMinutes * 60_000;
    const at = (i: number) => planner.grid.startMs + i * step;
    const differs = (a: (i: number) => number, b: (i: number) => number) => {
      let n = 0;
      for (let i = 0; i < planner.grid.count; i++) if (Math.abs(a(i) - b(i)) > 1e-6) n++;
      return n / planner.grid.count;
    };
    for (const u of planner.pv) {
      // Daylight intervals (night is 0 in both) differ.
      let daylight = 0;
      let same = 0;
      for (let i = 0; i < planner.grid.count; i++)
        if (u.availableKw[i] > 0) {
          daylight++;
          if (Math.abs(world.pvAvailableKw(u.id, at(i)) - u.availableKw[i]) < 1e-6) same++;
        }
      expect(daylight).toBeGreaterThan(0);
      expect(same / daylight).toBeLessThan(0.1);
    }
    for (const u of planner.loads)
      expect(
        differs(
          (i) => world.loadKw(u.id, at(i)),
          (i) => u.kw[i],
        ),
      ).toBeGreaterThan(0.9);
    const endMs = at(planner.grid.count);
    for (const u of planner.ev) {
      const worldSessions = world.evSessions(planner.grid.startMs, endMs).filter((s) => s.assetId === u.id);
      const key = (s: { arrivalMs: number; energyKwh: number }) => `${s.arrivalMs}:${s.energyKwh.toFixed(3)}`;
      const plannerKeys = new Set(u.sessions.map(key));
      expect(worldSessions.length).toBeGreaterThan(0);
      expect(worldSessions.filter((s) => plannerKeys.has(key(s))).length).toBeLessThan(
        worldSessions.length / 10,
      );
    }
    for (const u of planner.datacenters) {
      const jobs = world.trainingJobs(planner.grid.startMs, endMs).filter((j) => j.datacenterId === u.id);
      expect(jobs.map((j) => [j.submitMs, j.gpuHours])).not.toEqual(
        u.jobs.map((j) => [j.submitMs, j.gpuHours]),
      );
    }
    // The timetable is the depot's published one, day by day as the world prepares it.
    for (let d = 0; d < days; d++) {
      const date = `2026-08-0${3 + d}`;
      const published = prepareDistrict(scenario, { start: date, days: 1, baseDir });
      for (const dep of published.depots) {
        const dayStart = published.grid.startMs;
        const blocks = world.busTimetable(dep.id, dayStart, dayStart + MS_PER_DAY);
        expect(blocks).toEqual(dep.plan.blocksByBus);
        expect(blocks.flat().length).toBeGreaterThan(0);
      }
    }
  });

  it('surprises the buses: the energy a block takes is the timetable’s within the stated spread, not equal', () => {
    const world = new TwinWorld({ scenario, baseDir, start: START });
    const from = world.startMs;
    const to = from + 2 * MS_PER_DAY;
    const dep = scenario.sites.flatMap((s) => s.assets).find((a) => a.type === 'bus_depot')!;
    const timetable = world.busTimetable(dep.id, from, to);
    const stays = world.busStays(from, to);
    expect(stays.length).toBeGreaterThan(dep.type === 'bus_depot' ? dep.buses : 0);
    let surprised = 0;
    for (const s of stays) {
      const block = timetable[s.busIndex].find((b) => b.endMs === s.arrivalMs)!;
      expect(block).toBeDefined();
      const ratio = s.drivenKwh / block.energyKwh;
      expect(Math.abs(ratio - 1)).toBeLessThanOrEqual(BUS_BLOCK_ENERGY_SURPRISE_FRACTION + 1e-12);
      if (Math.abs(ratio - 1) > 1e-3) surprised++;
      // A plug window lies within the stay.
      if (s.plug) {
        expect(s.plug.plugMs).toBeGreaterThanOrEqual(s.arrivalMs);
        expect(s.plug.unplugMs).toBeLessThanOrEqual(s.departureMs);
        expect(s.plug.unplugMs).toBeGreaterThan(s.plug.plugMs);
      }
    }
    expect(surprised).toBeGreaterThan(stays.length / 2);
    // No charger holds two buses at once.
    const byCharger = new Map<number, { plugMs: number; unplugMs: number }[]>();
    for (const s of stays)
      if (s.plug) byCharger.set(s.plug.chargerIndex, [...(byCharger.get(s.plug.chargerIndex) ?? []), s.plug]);
    for (const list of byCharger.values()) {
      list.sort((a, b) => a.plugMs - b.plugMs);
      for (let k = 1; k < list.length; k++)
        expect(list[k].plugMs).toBeGreaterThanOrEqual(list[k - 1].unplugMs);
    }
    // The bus's SoC on arrival is what it left with, less what the block took.
    const s = stays[0];
    const before = world.busSocFraction(s.depotId, s.busIndex)!;
    const after = world.busArrives(s);
    expect(after).toBeCloseTo(before - s.drivenKwh / (dep.type === 'bus_depot' ? dep.battery_kwh : 1), 9);
  });

  it('draws a different world for another seed, the same for the same seed', () => {
    const a = new TwinWorld({ scenario, baseDir, start: START });
    const b = new TwinWorld({ scenario, baseDir, start: START, worldSeed: DEFAULT_WORLD_SEED });
    const c = new TwinWorld({ scenario, baseDir, start: START, worldSeed: 1 });
    const t = a.startMs + 10 * MS_PER_HOUR;
    expect(a.loadKw('campus-load', t)).toBe(b.loadKw('campus-load', t));
    expect(a.loadKw('campus-load', t)).not.toBe(c.loadKw('campus-load', t));
  });
});
