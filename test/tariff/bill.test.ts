import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gridForLocalDays, localTimes, type LocalTime, type TimeGrid, timeAt } from '../../src/model/time.ts';
import {
  computeBill,
  excessPenaltyMultiplier,
  monthlyTaxes,
  peakCostKrwPerKw,
  tariffSeries,
  BAND_CODE,
  type Bill,
} from '../../src/tariff/index.ts';
import type { GridConfig } from '../../src/model/schema.ts';
import { gridConfig, kst, tariffFor, ZONE } from './helpers.ts';

function profile(grid: TimeGrid, kw: (lt: LocalTime, i: number) => number): Float64Array {
  const lts = localTimes(grid, ZONE);
  return Float64Array.from(lts, (lt, i) => kw(lt, i));
}

function bill(
  grid: TimeGrid,
  importKw: ArrayLike<number>,
  cfg: GridConfig = gridConfig(),
  exportKw?: ArrayLike<number>,
): Bill {
  return computeBill(
    { grid, importKw, exportKw: exportKw ?? new Float64Array(grid.count) },
    tariffFor(cfg),
    cfg,
    ZONE,
  );
}

describe('a hand-computed one-day bill (2026-07-15, Wednesday, 고압A 선택Ⅱ, 60-min data)', () => {
  const grid = gridForLocalDays('2026-07-15', 1, 60, ZONE);
  // 100 kW all day, 400 kW in the 15:00 hour (summer peak); 50 kW export in the 12:00 hour.
  const importKw = profile(grid, (lt) => (Math.floor(lt.hour) === 15 ? 400 : 100));
  const exportKw = profile(grid, (lt) => (Math.floor(lt.hour) === 12 ? 50 : 0));
  const cfg = gridConfig();
  const b = bill(grid, importKw, cfg, exportKw);
  const m = b.months[0];

  it('energy: 1,000 kWh light × 116.0 + 800 kWh mid × 163.8 + 900 kWh peak × 229.0', () => {
    expect(b.importKwh).toBeCloseTo(2700, 9);
    expect(b.energyChargeKrw).toBe(116_000 + 131_040 + 206_100);
    expect(b.climateEnvironmentKrw).toBe(24_300);
    expect(b.fuelCostAdjustmentKrw).toBe(13_500);
  });

  it('demand: 400 kW billing demand × 8,320 × 1/31 of July', () => {
    expect(b.peakImportKw).toBe(400);
    expect(m.billingDemandKw).toBe(400);
    expect(m.billingDemandSource).toBe('current_month');
    expect(m.coveredFraction).toBeCloseTo(1 / 31, 12);
    expect(b.demandChargeKrw).toBe(107_354); // 400 × 8,320 / 31 = 107,354.84
    expect(b.excessDemandPenaltyKrw).toBe(0);
  });

  it('taxes and total: 전기요금계 598,294; VAT 59,829; fund 16,150; bill 674,270', () => {
    expect(m.electricityChargeKrw).toBe(598_294);
    expect(b.vatKrw).toBe(59_829);
    expect(b.powerFundKrw).toBe(16_150);
    expect(b.importBillKrw).toBe(674_270);
  });

  it('export revenue at the hour’s SMP, emissions at the grid factor', () => {
    const smp = tariffFor(cfg).exportPriceKrwPerKwh(kst('2026-07-15T12:00'));
    expect(smp).toBeGreaterThan(80);
    expect(b.exportKwh).toBe(50);
    expect(b.exportRevenueKrw).toBeCloseTo(50 * smp, 9);
    expect(b.co2Kg).toBeCloseTo(2700 * 0.4173, 9);
  });
});

describe('taxes and rounding', () => {
  it('follows KEPCO’s bill example: 42,710 → VAT 4,271 (rounded), fund 1,580 (to 10 원), bill 48,560', () => {
    expect(monthlyTaxes(42_710, 0.1, 0.037)).toEqual({
      vatKrw: 4_271,
      powerFundKrw: 1_580,
      importBillKrw: 48_560,
    });
  });
  it('rounds VAT half up and truncates the fund', () => {
    expect(monthlyTaxes(45, 0.1, 0.027).vatKrw).toBe(5);
    expect(monthlyTaxes(44, 0.1, 0.027).vatKrw).toBe(4);
    expect(monthlyTaxes(1_000_000, 0.1, 0.027).powerFundKrw).toBe(27_000);
    expect(monthlyTaxes(370_369, 0.1, 0.027).powerFundKrw).toBe(9_990); // 9,999.963
  });
});

describe('demand charge', () => {
  it('prorates the basic charge by the days of the month covered: 7 days pay 7/31 of August', () => {
    const grid = gridForLocalDays('2026-08-03', 7, 15, ZONE);
    const b = bill(
      grid,
      profile(grid, (lt) => (lt.hour >= 8 && lt.hour < 22 ? 500 : 200)),
    );
    expect(b.months).toHaveLength(1);
    expect(b.months[0].coveredFraction).toBeCloseTo(7 / 31, 12);
    expect(b.demandChargeKrw).toBe(Math.trunc((500 * 8320 * 7) / 31));
  });

  it('splits a run across months and prorates each', () => {
    const grid = gridForLocalDays('2026-07-29', 6, 15, ZONE); // 3 days of July, 3 of August
    const b = bill(
      grid,
      profile(grid, () => 500),
    );
    expect(b.months.map((m) => m.month)).toEqual(['2026-07', '2026-08']);
    expect(b.months[0].demandChargeKrw).toBe(Math.trunc((500 * 8320 * 3) / 31));
    expect(b.months[1].demandChargeKrw).toBe(Math.trunc((500 * 8320 * 3) / 31));
  });

  it('counts only mid/peak hours on non-holidays: a night or Sunday spike sets no demand', () => {
    const grid = gridForLocalDays('2026-07-13', 7, 15, ZONE); // Mon 13 → Sun 19 July
    const b = bill(
      grid,
      profile(grid, (lt) => {
        if (lt.weekday === 3 && lt.hour >= 23) return 900; // Wednesday night
        if (lt.weekday === 7 && lt.hour >= 14 && lt.hour < 15) return 950; // Sunday afternoon
        return 400;
      }),
    );
    expect(b.peakImportKw).toBe(400);
    expect(b.months[0].maxImportKw).toBe(950);
  });

  it('uses 15-minute averages of 5-minute data', () => {
    const grid = gridForLocalDays('2026-07-15', 1, 5, ZONE);
    // One 5-minute spike of 900 kW at 10:05: the 10:00–10:15 average is (300 + 900 + 300) / 3 = 500.
    const b = bill(
      grid,
      profile(grid, (lt) => (Math.abs(lt.hour - (10 + 5 / 60)) < 1e-9 ? 900 : 300)),
    );
    expect(b.peakImportKw).toBeCloseTo(500, 9);
  });

  it('uses time-weighted 15-minute averages of 10-minute data (intervals straddle the blocks)', () => {
    const grid = gridForLocalDays('2026-07-15', 1, 10, ZONE);
    // 900 kW over 10:10–10:20: blocks 10:00–10:15 and 10:15–10:30 both average (10·300 + 5·900) / 15 = 500.
    const b = bill(
      grid,
      profile(grid, (lt) => (Math.abs(lt.hour - (10 + 10 / 60)) < 1e-9 ? 900 : 300)),
    );
    expect(b.peakImportKw).toBeCloseTo(500, 9);
  });

  it('uses a coarser interval as it is', () => {
    const grid = gridForLocalDays('2026-07-15', 1, 30, ZONE);
    const b = bill(
      grid,
      profile(grid, (lt) => (lt.hour === 16.5 ? 700 : 300)),
    );
    expect(b.peakImportKw).toBe(700);
  });

  it('applies the 30 % floor of contract demand', () => {
    const grid = gridForLocalDays('2026-05-04', 7, 60, ZONE);
    const b = bill(
      grid,
      profile(grid, () => 100),
      gridConfig({}, { contract_demand_kw: 1000 }),
    );
    expect(b.months[0].billingDemandKw).toBe(300);
    expect(b.months[0].billingDemandSource).toBe('contract_floor');
    expect(b.demandChargeKrw).toBe(Math.trunc((300 * 8320 * 7) / 31));
  });

  describe('12-month ratchet', () => {
    // May–October 2026, 400 kW on every daytime hour; one 900 kW hour on a weekday afternoon.
    const grid = gridForLocalDays('2026-05-01', 184, 60, ZONE);
    const run = (peakDate: string) =>
      bill(
        grid,
        profile(grid, (lt) =>
          lt.date === peakDate && lt.hour === 16 ? 900 : lt.hour >= 8 && lt.hour < 22 ? 400 : 100,
        ),
      );
    const demand = (b: Bill) => Object.fromEntries(b.months.map((m) => [m.month, m.billingDemandKw]));

    it('a July peak sets the billing demand of August, September and October', () => {
      const b = run('2026-07-15');
      expect(demand(b)).toEqual({
        '2026-05': 400,
        '2026-06': 400,
        '2026-07': 900,
        '2026-08': 900,
        '2026-09': 900,
        '2026-10': 900,
      });
      expect(b.months[5].billingDemandSource).toBe('ratchet');
      expect(b.months[5].maxDemandKw).toBe(400);
      expect(b.billingDemandKw).toBe(900);
      expect(b.months[5].demandChargeKrw).toBe(900 * 8320);
    });

    it('a May peak counts for May only', () => {
      const b = run('2026-05-13');
      expect(demand(b)).toEqual({
        '2026-05': 900,
        '2026-06': 400,
        '2026-07': 400,
        '2026-08': 400,
        '2026-09': 400,
        '2026-10': 400,
      });
    });

    it('a December peak still counts eleven months later, not twelve', () => {
      const g = gridForLocalDays('2025-12-01', 365 + 31, 60, ZONE); // Dec 2025 → Dec 2026
      const b = bill(
        g,
        profile(g, (lt) =>
          lt.date === '2025-12-10' && lt.hour === 10 ? 800 : lt.hour >= 8 && lt.hour < 22 ? 400 : 100,
        ),
      );
      const d = demand(b);
      expect(d['2026-11']).toBe(800);
      expect(d['2026-12']).toBe(400);
    });
  });

  it('keeps the configured history peak for the run’s first eleven months', () => {
    const grid = gridForLocalDays('2026-05-01', 365, 60, ZONE); // May 2026 → April 2027
    const b = bill(
      grid,
      profile(grid, () => 400),
      gridConfig({ ratchet_history_peak_kw: 700 }),
    );
    expect(b.months).toHaveLength(12);
    for (const m of b.months.slice(0, 11)) {
      expect(m.billingDemandKw, m.month).toBe(700);
      expect(m.billingDemandSource).toBe('history');
    }
    expect(b.months[11].month).toBe('2027-04');
    expect(b.months[11].billingDemandKw).toBe(400);
  });
});

describe('contract-excess penalty (초과사용부가금)', () => {
  it('uses the tier of the excess ratio', () => {
    expect(excessPenaltyMultiplier(0)).toBe(0);
    expect(excessPenaltyMultiplier(0.05)).toBe(1.5);
    expect(excessPenaltyMultiplier(12_000 / 10_000 - 1)).toBe(2.0); // 0.19999999999999996 is 20 %
    expect(excessPenaltyMultiplier(0.35)).toBe(2.5);
    expect(excessPenaltyMultiplier(0.45)).toBe(3.0);
    expect(excessPenaltyMultiplier(0.55)).toBe(3.5);
    expect(excessPenaltyMultiplier(0.6)).toBe(4.0);
    expect(excessPenaltyMultiplier(2)).toBe(4.0);
  });

  it('bills excess × basic unit price × multiplier as its own component, from the month’s highest demand at any hour', () => {
    const grid = gridForLocalDays('2026-07-13', 7, 15, ZONE);
    const cfg = gridConfig({}, { contract_demand_kw: 1000 });
    // 1,250 kW at 23:00 (light band): no demand charge effect, but 25 % above contract.
    const b = bill(
      grid,
      profile(grid, (lt) => (lt.date === '2026-07-14' && lt.hour === 23 ? 1250 : 600)),
      cfg,
    );
    expect(b.peakImportKw).toBe(600);
    expect(b.excessDemandPenaltyKrw).toBe(250 * 8320 * 2.0);
    expect(b.months[0].electricityChargeKrw).toBe(
      b.demandChargeKrw +
        b.energyChargeKrw +
        b.climateEnvironmentKrw +
        b.fuelCostAdjustmentKrw +
        b.excessDemandPenaltyKrw,
    );
  });
});

describe('input checks', () => {
  const grid = gridForLocalDays('2026-07-15', 1, 60, ZONE);
  const zeros = new Float64Array(grid.count);
  const cfg = gridConfig();
  const tariff = tariffFor(cfg);
  it('refuses wrong lengths, NaN, negative power and a different zone', () => {
    expect(() => computeBill({ grid, importKw: [1, 2], exportKw: zeros }, tariff, cfg, ZONE)).toThrow(
      /one value per interval/,
    );
    const bad = Float64Array.from(zeros);
    bad[5] = NaN;
    expect(() => computeBill({ grid, importKw: bad, exportKw: zeros }, tariff, cfg, ZONE)).toThrow(
      /importKw\[5\] is not a finite/,
    );
    bad[5] = -3;
    expect(() => computeBill({ grid, importKw: zeros, exportKw: bad }, tariff, cfg, ZONE)).toThrow(
      /exportKw\[5\] is negative/,
    );
    expect(() => computeBill({ grid, importKw: zeros, exportKw: zeros }, tariff, cfg, 'Asia/Tokyo')).toThrow(
      /zone/,
    );
    expect(() =>
      computeBill({ grid, importKw: zeros, exportKw: zeros }, tariff, gridConfig({ option: 'I' }), ZONE),
    ).toThrow(/different grid.tariff/);
  });
  it('reads rounding noise below zero as zero', () => {
    const noisy = Float64Array.from(zeros);
    noisy[3] = -1e-12;
    expect(computeBill({ grid, importKw: noisy, exportKw: zeros }, tariff, cfg, ZONE).importKwh).toBe(0);
  });
});

describe('per-interval series', () => {
  it('agrees with the engine at every interval of a fortnight across the schedule switch', () => {
    const tariff = tariffFor();
    const grid = gridForLocalDays('2026-04-09', 14, 15, ZONE);
    const s = tariffSeries(tariff, grid);
    for (let i = 0; i < grid.count; i++) {
      const t = timeAt(grid, i);
      expect(s.energyChargeKrwPerKwh[i]).toBe(tariff.energyChargeKrwPerKwh(t));
      expect(s.importPriceKrwPerKwh[i]).toBe(tariff.importPriceKrwPerKwh(t));
      expect(s.exportPriceKrwPerKwh[i]).toBe(tariff.exportPriceKrwPerKwh(t));
      expect(s.band[i]).toBe(BAND_CODE[tariff.bandAt(t)]);
      expect(s.countsForDemand[i]).toBe(tariff.countsForDemand(t) ? 1 : 0);
      expect(s.peakCostKrwPerKw[i]).toBe(peakCostKrwPerKw(tariff, t));
      expect(s.monthIndex[i]).toBe(tariff.monthAt(t).index);
    }
  });

  it('prices a new peak at 12 months of basic charge in ratchet months, one month otherwise, nothing at night', () => {
    const tariff = tariffFor();
    expect(peakCostKrwPerKw(tariff, kst('2026-07-15T15:00'))).toBe(12 * 8320);
    expect(peakCostKrwPerKw(tariff, kst('2026-12-15T10:00'))).toBe(12 * 8320);
    expect(peakCostKrwPerKw(tariff, kst('2026-05-13T15:00'))).toBe(8320);
    expect(peakCostKrwPerKw(tariff, kst('2026-07-15T23:00'))).toBe(0);
    expect(peakCostKrwPerKw(tariff, kst('2026-07-19T15:00'))).toBe(0); // Sunday
    expect(peakCostKrwPerKw(tariff, kst('2026-07-15T15:00'), { ratchetMonths: 6 })).toBe(6 * 8320);
  });
});

describe('bill properties', () => {
  it('is monotone non-decreasing in import', () => {
    const grid = gridForLocalDays('2026-08-30', 4, 60, ZONE); // crosses into September (both ratchet months)
    const cfg = gridConfig({ ratchet_history_peak_kw: 0 }, { contract_demand_kw: 500 });
    const tariff = tariffFor(cfg);
    const series = tariffSeries(tariff, grid);
    const zeros = new Float64Array(grid.count);
    const kw = fc.float({ min: 0, max: 900, noNaN: true, noDefaultInfinity: true });
    fc.assert(
      fc.property(
        fc.array(kw, { minLength: grid.count, maxLength: grid.count }),
        fc.array(kw, { minLength: grid.count, maxLength: grid.count }),
        (base, extra) => {
          const more = base.map((v, i) => v + extra[i]);
          const a = computeBill({ grid, importKw: base, exportKw: zeros, series }, tariff, cfg, ZONE);
          const b = computeBill({ grid, importKw: more, exportKw: zeros, series }, tariff, cfg, ZONE);
          expect(b.importBillKrw).toBeGreaterThanOrEqual(a.importBillKrw);
          expect(b.demandChargeKrw).toBeGreaterThanOrEqual(a.demandChargeKrw);
          expect(b.energyChargeKrw).toBeGreaterThanOrEqual(a.energyChargeKrw);
          expect(b.excessDemandPenaltyKrw).toBeGreaterThanOrEqual(a.excessDemandPenaltyKrw);
        },
      ),
      { numRuns: 200, seed: 20260416 },
    );
  });

  it('bills a year at 15 minutes well under 100 ms', () => {
    const cfg = gridConfig();
    const tariff = tariffFor(cfg);
    const grid = gridForLocalDays('2026-01-01', 365, 15, ZONE);
    const importKw = Float64Array.from({ length: grid.count }, (_, i) => 500 + 300 * Math.sin(i / 17));
    const exportKw = Float64Array.from({ length: grid.count }, (_, i) => 50 + 50 * Math.cos(i / 13));
    computeBill({ grid, importKw, exportKw }, tariff, cfg, ZONE); // warm caches (holidays, days) and the JIT
    const times: number[] = [];
    let b: Bill | undefined;
    for (let k = 0; k < 5; k++) {
      const t0 = performance.now();
      b = computeBill({ grid, importKw, exportKw }, tariff, cfg, ZONE);
      times.push(performance.now() - t0);
    }
    const best = Math.min(...times);
    console.log(
      `computeBill, one year at 15 min incl. tariffSeries: best ${best.toFixed(1)} ms of ${times.map((t) => t.toFixed(1)).join(', ')}`,
    );
    expect(best).toBeLessThan(100);
    expect(b!.months).toHaveLength(12);
  });
});
