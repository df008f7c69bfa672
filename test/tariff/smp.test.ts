import { describe, expect, it } from 'vitest';
import { gridForLocalDays, localTimes, timeAt } from '../../src/model/time.ts';
import { SMP_PROFILES, tariffSeries } from '../../src/tariff/index.ts';
import { gridConfig, kst, tariffFor, ZONE } from './helpers.ts';

// The whole of 2025 at one hour, priced through the engine (so holidays count as weekend days).
const tariff = tariffFor();
const grid = gridForLocalDays('2025-01-01', 365, 60, ZONE);
const series = tariffSeries(tariff, grid);
const lts = localTimes(grid, ZONE);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const prices = (pick: (i: number) => boolean) =>
  Array.from(series.exportPriceKrwPerKwh).filter((_, i) => pick(i));

describe('smp_2025 export price profile', () => {
  it('has an annual mean within 1 % of the 2025 mean of 111.8 원/kWh', () => {
    const annual = mean(Array.from(series.exportPriceKrwPerKwh));
    console.log(`smp_2025 annual mean over 2025 (holidays as weekends): ${annual.toFixed(2)} 원/kWh`);
    expect(Math.abs(annual / 111.8 - 1)).toBeLessThan(0.01);
  });

  // October 2025 has seven holiday days (개천절, the 추석 span with its substitute, 한글날), all priced
  // as weekends, so it sits lowest against its given mean: 1.8 %.
  it('keeps the given monthly means (within 2 %; weekends and holidays vary by month)', () => {
    const given: Record<number, number> = { 1: 114.4, 4: 123.3, 7: 118.6, 10: 98.8, 11: 93.4, 12: 91.9 };
    for (const [month, value] of Object.entries(given)) {
      const m = mean(prices((i) => lts[i].month === Number(month)));
      expect(Math.abs(m / value - 1), `month ${month}: ${m.toFixed(1)} vs ${value}`).toBeLessThan(0.02);
    }
    const levels = SMP_PROFILES.smp_2025.monthlyMeanKrwPerKwh;
    expect(levels[0]).toBe(114.4);
    // Interpolated months lie between their neighbours (plus the common lift of < 1 원).
    expect(levels[1]).toBeGreaterThan(114.4);
    expect(levels[2]).toBeLessThan(123.3 + 1);
    expect(levels[7]).toBeLessThan(118.6 + 1);
    expect(levels[7]).toBeGreaterThan(98.8);
  });

  it('has the 2025 hourly shape: trough at 03–04 h, morning peak at 10–11 h, midday dip, evening plateau', () => {
    // KPX hour-ending h covers (h−1):00–h:00, so hour-ending 4 is the interval starting 03:00.
    const byHour = Array.from({ length: 24 }, (_, h) => mean(prices((i) => Math.floor(lts[i].hour) === h)));
    console.log('smp_2025 mean by start hour:', byHour.map((v) => v.toFixed(0)).join(' '));
    expect(byHour.indexOf(Math.min(...byHour))).toBe(3);
    expect(byHour.indexOf(Math.max(...byHour))).toBe(10);
    expect(byHour[3]).toBeCloseTo(88, -1);
    expect(byHour[10]).toBeCloseTo(126, -1);
    expect(byHour[12]).toBeLessThan(byHour[10] - 8);
    expect(byHour[12]).toBeLessThan(byHour[16] - 4);
    for (let h = 15; h <= 19; h++) {
      expect(byHour[h]).toBeGreaterThan(116);
      expect(byHour[h]).toBeLessThan(128);
    }
  });

  it('is lower on spring/autumn weekend middays (≈ 96 at hour-ending 13)', () => {
    const sf = [3, 4, 5, 9, 10];
    const weekendMidday = mean(
      prices((i) => sf.includes(lts[i].month) && lts[i].weekday >= 6 && Math.floor(lts[i].hour) === 12),
    );
    const weekdayMidday = mean(
      prices((i) => sf.includes(lts[i].month) && lts[i].weekday <= 5 && Math.floor(lts[i].hour) === 12),
    );
    expect(Math.abs(weekendMidday / 96 - 1)).toBeLessThan(0.05);
    expect(weekdayMidday).toBeGreaterThan(weekendMidday * 1.15);
  });

  it('treats holidays like weekends and applies the configured scale', () => {
    // 2025-10-09 (한글날, Thursday) against the Thursday a week later.
    expect(tariff.exportPriceKrwPerKwh(kst('2025-10-09T12:00'))).toBe(
      tariff.exportPriceKrwPerKwh(kst('2025-10-11T12:00')),
    );
    expect(tariff.exportPriceKrwPerKwh(kst('2025-10-09T12:00'))).toBeLessThan(
      tariff.exportPriceKrwPerKwh(kst('2025-10-16T12:00')),
    );
    const half = tariffFor(gridConfig({}, { export_price: { profile: 'smp_2025', scale: 0.5 } }));
    const t = timeAt(grid, 5000);
    expect(half.exportPriceKrwPerKwh(t)).toBeCloseTo(tariff.exportPriceKrwPerKwh(t) / 2, 12);
  });
});
