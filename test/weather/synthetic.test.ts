import { describe, expect, it } from 'vitest';
import {
  climateSchema,
  locationSchema,
  gridForLocalDays,
  localTimes,
  type Climate,
  type Location,
} from '../../src/model/index.ts';
import {
  loadScenarioWeather,
  syntheticCalibration,
  syntheticWeather,
  type WeatherSeries,
} from '../../src/weather/index.ts';
import { referenceScenario } from './helpers.ts';

const scenario = referenceScenario();
const ZONE = 'Asia/Seoul';

interface YearStats {
  ghiKwhPerM2: number;
  meanC: number;
  monthMeanC: number[];
  monthGhiKwh: number[];
}

function stats(w: WeatherSeries, zone: string): YearStats {
  const lt = localTimes(w, zone);
  const h = w.intervalMinutes / 60;
  const monthGhiKwh = new Array<number>(12).fill(0);
  const tSum = new Array<number>(12).fill(0);
  const tN = new Array<number>(12).fill(0);
  let ghi = 0;
  let t = 0;
  for (let i = 0; i < w.count; i++) {
    const m = lt[i].month - 1;
    ghi += w.ghiWPerM2[i] * h;
    monthGhiKwh[m] += (w.ghiWPerM2[i] * h) / 1000;
    t += w.temperatureC[i];
    tSum[m] += w.temperatureC[i];
    tN[m]++;
  }
  return {
    ghiKwhPerM2: ghi / 1000,
    meanC: t / w.count,
    monthMeanC: tSum.map((s, m) => s / tN[m]),
    monthGhiKwh,
  };
}

describe('synthetic weather at Gwangju', () => {
  const grid = gridForLocalDays('2026-01-01', 365, 15, ZONE);
  const { climate, location } = scenario;

  for (const seed of [2026, 7]) {
    it(`seed ${seed}: a year lands on the climate normals`, () => {
      const w = syntheticWeather({ location, climate, grid, seed });
      const s = stats(w, ZONE);
      expect(Math.abs(s.ghiKwhPerM2 / climate.annual_ghi_kwh_per_m2 - 1)).toBeLessThan(0.05);
      expect(Math.abs(s.meanC - climate.annual_mean_temperature_c)).toBeLessThan(1);
      expect(Math.abs(s.monthMeanC[0] - climate.january_mean_temperature_c)).toBeLessThan(1);
      expect(Math.abs(s.monthMeanC[7] - climate.august_mean_temperature_c)).toBeLessThan(1);
      // Seasons: the monsoon months (June–July) are cloudier than May; winter is the darkest season.
      expect(s.monthGhiKwh[6]).toBeLessThan(s.monthGhiKwh[4]);
      expect(s.monthGhiKwh[11]).toBeLessThan(s.monthGhiKwh[3]);
    });
  }

  it('is physical: no sun at night, components close, bounded values', () => {
    const w = syntheticWeather({ location, climate, grid, seed: 3 });
    const lt = localTimes(grid, ZONE);
    let cloudy = 0;
    const bad: string[] = [];
    for (let i = 0; i < w.count; i++) {
      const g = w.ghiWPerM2[i];
      const ok =
        g >= 0 &&
        g < 1250 &&
        w.dniWPerM2[i] >= 0 &&
        w.dhiWPerM2[i] >= 0 &&
        w.dhiWPerM2[i] <= g + 1e-9 &&
        w.cloudCover[i] >= 0 &&
        w.cloudCover[i] <= 1 &&
        (g === 0 || (lt[i].hour >= 4 && lt[i].hour < 21));
      if (!ok && bad.length < 5)
        bad.push(`${i}: ghi ${g} dni ${w.dniWPerM2[i]} dhi ${w.dhiWPerM2[i]} cloud ${w.cloudCover[i]}`);
      if (w.cloudCover[i] > 0.8) cloudy++;
    }
    expect(bad).toEqual([]);
    expect(cloudy / w.count).toBeGreaterThan(0.1); // overcast spells exist
    const temps = Array.from(w.temperatureC);
    expect(Math.min(...temps)).toBeGreaterThan(-25);
    expect(Math.max(...temps)).toBeLessThan(42);
    // Afternoon is warmer than dawn on average.
    let dawn = 0;
    let afternoon = 0;
    for (let i = 0; i < w.count; i++) {
      if (Math.floor(lt[i].hour) === 6) dawn += w.temperatureC[i];
      if (Math.floor(lt[i].hour) === 15) afternoon += w.temperatureC[i];
    }
    expect((afternoon - dawn) / (w.count / 96) / 4).toBeGreaterThan(4);
  });

  it('same seed gives the identical series; another seed does not', () => {
    const week = gridForLocalDays('2026-08-03', 7, 15, ZONE);
    const a = syntheticWeather({ location, climate, grid: week, seed: 2026 });
    const b = syntheticWeather({ location, climate, grid: week, seed: 2026 });
    const c = syntheticWeather({ location, climate, grid: week, seed: 2027 });
    expect(Array.from(b.ghiWPerM2)).toEqual(Array.from(a.ghiWPerM2));
    expect(Array.from(b.temperatureC)).toEqual(Array.from(a.temperatureC));
    expect(Array.from(c.ghiWPerM2)).not.toEqual(Array.from(a.ghiWPerM2));
  });

  it('a week is exactly the same week cut from a year, and from a run across the new year', () => {
    const year = syntheticWeather({ location, climate, grid, seed: 2026 });
    const week = gridForLocalDays('2026-08-03', 7, 15, ZONE);
    const w = syntheticWeather({ location, climate, grid: week, seed: 2026 });
    const off = (week.startMs - grid.startMs) / (15 * 60_000);
    for (const key of ['ghiWPerM2', 'dniWPerM2', 'dhiWPerM2', 'temperatureC', 'cloudCover'] as const) {
      expect(Array.from(w[key])).toEqual(Array.from(year[key].subarray(off, off + week.count)));
    }
    const span = gridForLocalDays('2025-12-28', 10, 15, ZONE);
    const s = syntheticWeather({ location, climate, grid: span, seed: 2026 });
    const jan = (grid.startMs - span.startMs) / (15 * 60_000);
    expect(Array.from(s.temperatureC.subarray(jan, jan + 96 * 6))).toEqual(
      Array.from(year.temperatureC.subarray(0, 96 * 6)),
    );
  });

  it('an hourly grid holds the means of the 15-minute values', () => {
    const q = syntheticWeather({
      location,
      climate,
      grid: gridForLocalDays('2026-04-10', 3, 15, ZONE),
      seed: 9,
    });
    const h = syntheticWeather({
      location,
      climate,
      grid: gridForLocalDays('2026-04-10', 3, 60, ZONE),
      seed: 9,
    });
    for (let i = 0; i < h.count; i++) {
      const mean = (k: 'ghiWPerM2' | 'temperatureC') =>
        (q[k][4 * i] + q[k][4 * i + 1] + q[k][4 * i + 2] + q[k][4 * i + 3]) / 4;
      expect(h.ghiWPerM2[i]).toBeCloseTo(mean('ghiWPerM2'), 8);
      expect(h.temperatureC[i]).toBeCloseTo(mean('temperatureC'), 8);
    }
  });

  it('loadScenarioWeather follows the scenario (synthetic source)', () => {
    const week = gridForLocalDays('2026-08-03', 7, 15, ZONE);
    const w = loadScenarioWeather(scenario, '/nonexistent', week);
    const direct = syntheticWeather({
      location,
      climate,
      grid: week,
      seed: (scenario.weather as { seed: number }).seed,
    });
    expect(w.count).toBe(week.count);
    expect(Array.from(w.ghiWPerM2)).toEqual(Array.from(direct.ghiWPerM2));
  });
});

describe('synthetic weather calibration derives from the configuration', () => {
  it('fits another climate too (a cool, cloudy, non-monsoon site)', () => {
    const location: Location = locationSchema.parse({
      latitude_deg: 52.2,
      longitude_deg: 0.1,
      altitude_m: 20,
    });
    const climate: Climate = climateSchema.parse({
      annual_ghi_kwh_per_m2: 1000,
      annual_mean_temperature_c: 10.5,
      january_mean_temperature_c: 4.5,
      august_mean_temperature_c: 17.5,
      daily_temperature_range_c: 7,
    });
    const grid = gridForLocalDays('2025-01-01', 365, 60, 'Europe/London');
    const w = syntheticWeather({ location, climate, grid, seed: 1 });
    const s = stats(w, 'Europe/London');
    expect(Math.abs(s.ghiKwhPerM2 / 1000 - 1)).toBeLessThan(0.05);
    expect(Math.abs(s.meanC - 10.5)).toBeLessThan(1);
    expect(Math.abs(s.monthMeanC[0] - 4.5)).toBeLessThan(1);
    expect(Math.abs(s.monthMeanC[7] - 17.5)).toBeLessThan(1);
    const cal = syntheticCalibration({ location, climate, seed: 1 }, 2025);
    expect(new Set(cal.monthlyClearSkyIndex.map((k) => k.toFixed(6))).size).toBe(1); // no monsoon: flat
  });

  it('lowers the monsoon months and refuses a GHI the sky cannot give', () => {
    const cal = syntheticCalibration(
      { location: scenario.location, climate: scenario.climate, seed: 1 },
      2026,
    );
    expect(cal.monthlyClearSkyIndex[6]).toBeLessThan(cal.monthlyClearSkyIndex[4]);
    expect(cal.clearSkyAnnualKwhPerM2).toBeGreaterThan(scenario.climate.annual_ghi_kwh_per_m2);
    const climate = { ...scenario.climate, annual_ghi_kwh_per_m2: 2600 };
    const grid = gridForLocalDays('2026-01-01', 2, 15, ZONE);
    expect(() => syntheticWeather({ location: scenario.location, climate, grid, seed: 1 })).toThrow(
      /annual_ghi_kwh_per_m2/,
    );
  });
});
