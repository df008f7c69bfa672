import { describe, expect, it } from 'vitest';
import { assetSchema, gridForLocalDays, localTimes, type AssetOf } from '../../src/model/index.ts';
import { diffuseIncidenceModifiers, pvAvailablePowerKw } from '../../src/sim/assets/pv.ts';
import { solarPositionSeries, syntheticWeather, type WeatherSeries } from '../../src/weather/index.ts';
import { referenceScenario } from './helpers.ts';

const scenario = referenceScenario();
const ZONE = 'Asia/Seoul';
const location = { latitudeDeg: 35.17, longitudeDeg: 126.89, altitudeM: 70 };
const grid = gridForLocalDays('2026-01-01', 365, 15, ZONE);
const local = localTimes(grid, ZONE);
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function pv(fields: Record<string, unknown>): AssetOf<'pv'> {
  return assetSchema.parse({
    id: 'pv-test',
    type: 'pv',
    capacity_kwp: 1,
    tilt_deg: 30,
    ...fields,
  }) as AssetOf<'pv'>;
}

function yearWeather(seed: number): WeatherSeries {
  return syntheticWeather({ location: scenario.location, climate: scenario.climate, grid, seed });
}

function monthlyPerDay(kw: Float64Array): number[] {
  const m = new Array<number>(12).fill(0);
  for (let i = 0; i < kw.length; i++) m[local[i].month - 1] += kw[i] * 0.25;
  return m.map((e, i) => e / DAYS_IN_MONTH[i]);
}

describe('PV array model over a synthetic Gwangju year', () => {
  const weathers = [2026, 7].map(yearWeather);

  it('a south array near the optimum tilt yields about 1,250 kWh/kWp/yr, spring best, inside its limits', () => {
    for (const w of weathers) {
      const kw = pvAvailablePowerKw(pv({ tilt_deg: 30 }), w, location);
      const yieldKwhPerKwp = kw.reduce((s, v) => s + v * 0.25, 0);
      // The reference figure is 1,360 kWh/kWp/yr (fleet capacity factor). With the reference GHI of
      // 1,350 kWh/m² and the schema's default losses (10 % system, 3 % inverter) no physical model gets
      // there: that would need a performance ratio of ≈ 0.89 on the plane of array. The model gives
      // ≈ 1,250 (PR ≈ 0.82, transposition gain ≈ 1.13, in line with PVGIS ratios for Gwangju). The band
      // is therefore −10 % … +8 % around the reference.
      expect(yieldKwhPerKwp).toBeGreaterThan(1360 * 0.9);
      expect(yieldKwhPerKwp).toBeLessThan(1360 * 1.08);
      const monthly = monthlyPerDay(kw);
      const best = monthly.indexOf(Math.max(...monthly)) + 1;
      expect([3, 4, 5]).toContain(best);
      // The monsoon (June–July) and mid-winter are the weak months.
      expect(monthly[6]).toBeLessThan(monthly[3]);
      expect(monthly[0]).toBeLessThan(monthly[3]);
      let bad = 0;
      const pos = solarPositionSeries(grid, location);
      for (let i = 0; i < kw.length; i++) {
        if (!(kw[i] >= 0 && kw[i] <= 1)) bad++;
        // Night: the Sun below the horizon for the whole interval (it moves < 2° in half of 15 min).
        if (pos.elevationDeg[i] < -2 && kw[i] !== 0) bad++;
        if (pos.elevationDeg[i] < 0 && kw[i] > 0.02) bad++;
      }
      expect(bad).toBe(0);
    }
  });

  it('the district arrays (tilt 7–15°) give less than the optimum tilt, and clip at the inverter', () => {
    const w = weathers[0];
    const flat = pvAvailablePowerKw(pv({ tilt_deg: 7 }), w, location).reduce((s, v) => s + v * 0.25, 0);
    const roof = pvAvailablePowerKw(pv({ tilt_deg: 15 }), w, location).reduce((s, v) => s + v * 0.25, 0);
    const opt = pvAvailablePowerKw(pv({ tilt_deg: 30 }), w, location).reduce((s, v) => s + v * 0.25, 0);
    expect(flat).toBeLessThan(roof);
    expect(roof).toBeLessThan(opt);
    const dcPv = pv({ capacity_kwp: 1000, tilt_deg: 15, inverter_kw: 870 });
    const kw = pvAvailablePowerKw(dcPv, w, location);
    const peak = Math.max(...kw);
    expect(peak).toBe(870);
    const unclipped = pvAvailablePowerKw(pv({ capacity_kwp: 1000, tilt_deg: 15 }), w, location);
    expect(Math.max(...unclipped)).toBeGreaterThan(870);
    expect(Math.max(...unclipped)).toBeLessThanOrEqual(1000);
  });

  it('losses act as configured: temperature coefficient, system losses, inverter efficiency', () => {
    const w = weathers[0];
    const total = (a: AssetOf<'pv'>) => pvAvailablePowerKw(a, w, location).reduce((s, v) => s + v, 0);
    const base = total(pv({}));
    expect(total(pv({ system_loss_fraction: 0.2 })) / base).toBeCloseTo(0.8 / 0.9, 6);
    expect(total(pv({ inverter_efficiency: 0.5 })) / base).toBeCloseTo(0.5 / 0.97, 6);
    const noTemp = total(pv({ temperature_coefficient_per_c: 0 }));
    // Korean summers heat the cells: the temperature loss over a year is a few per cent.
    expect(base / noTemp).toBeGreaterThan(0.94);
    expect(base / noTemp).toBeLessThan(0.995);
    // A cold day beats STC: in January the cells run below 25 °C.
    const jan = pvAvailablePowerKw(pv({}), w, location).subarray(0, 31 * 96);
    const janNoTemp = pvAvailablePowerKw(pv({ temperature_coefficient_per_c: 0 }), w, location).subarray(
      0,
      31 * 96,
    );
    expect(jan.reduce((s, v) => s + v, 0)).toBeGreaterThan(janNoTemp.reduce((s, v) => s + v, 0));
  });

  it('uses observed wind for the cell temperature when the weather has it', () => {
    const w = weathers[0];
    const windy = { ...w, windSpeedMPerS: new Float64Array(w.count).fill(8) };
    const calm = { ...w, windSpeedMPerS: new Float64Array(w.count).fill(0) };
    const sum = (x: Float64Array) => x.reduce((s, v) => s + v, 0);
    expect(sum(pvAvailablePowerKw(pv({}), windy, location))).toBeGreaterThan(
      sum(pvAvailablePowerKw(pv({}), calm, location)),
    );
  });

  it('integrated reflection losses are a few per cent on a tilt', () => {
    const m = diffuseIncidenceModifiers(30);
    expect(m.sky).toBeGreaterThan(0.9);
    expect(m.sky).toBeLessThan(1);
    expect(m.ground).toBeLessThan(m.sky);
    expect(diffuseIncidenceModifiers(0).ground).toBeGreaterThanOrEqual(0);
  });

  it('five arrays over a year at 15 min take well under a second', () => {
    const w = weathers[1];
    const arrays = [7, 10, 15, 15, 25].map((tilt, i) =>
      pv({ id: `a${i}`, tilt_deg: tilt, capacity_kwp: 1000 }),
    );
    const t0 = performance.now();
    for (const a of arrays) pvAvailablePowerKw(a, w, location);
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeLessThan(1000);
  });
});
