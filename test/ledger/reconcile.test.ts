import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { ConfigError } from '../../src/model/load.ts';
import { loadScenarioFile } from '../../src/model/load.ts';
import type { Scenario } from '../../src/model/schema.ts';
import { openStore, type Store, type TelemetryPoint } from '../../src/store/index.ts';
import { billingPeriod } from '../../src/tariff/index.ts';
import { parseKepcoBill, reconcileBill, type KepcoBill } from '../../src/ledger/reconcile.ts';

// A hand-computed bill for August 2026 with meter-reading day 15: the period is 2026-07-15 00:00 to
// 2026-08-15 00:00 (+09:00), 31 days, 22 working days (2026-07-17 제헌절 is a public holiday again
// from 2026, so light all day). Metered import, 산업용(을) 고압A 선택Ⅱ, 2026-04-16 schedule, summer:
//   02–03 h every day 50 kW (light, 116.0 원/kWh);
//   10–11 h Mon–Fri 200 kW (mid, 163.8 원/kWh; light on the holiday);
//   16–17 h Mon–Fri 100 kW (peak, 229.0 원/kWh; light on the holiday);
//   outside the period (July 1–14, August 15–31) 300 kW all day, which a calendar month would bill.
// light 50×31 + 300 = 1,850 kWh; mid 200×22 = 4,400; peak 100×22 = 2,200; total 8,450 kWh
// energy 1,850×116.0 + 4,400×163.8 + 2,200×229.0 = 214,600 + 720,720 + 503,800 = 1,439,120
// billing demand 200 kW (contract 500 kW: floor 150; no ratchet history) × 8,320 = 1,664,000
// climate 8,450×9 = 76,050; fuel 8,450×5 = 42,250; penalty 0
// 전기요금계 3,221,420; VAT 322,142; fund 3,221,420×0.027 = 86,978.34 → 86,970; total 3,630,532 → 3,630,530
const HAND = {
  light: 1850,
  mid: 4400,
  peak: 2200,
  demandKw: 200,
  demandChargeKrw: 1_664_000,
  energyChargeKrw: 1_439_120,
  climateKrw: 76_050,
  fuelKrw: 42_250,
  vatKrw: 322_142,
  fundKrw: 86_970,
  totalKrw: 3_630_530,
};

const ZONE = 'Asia/Seoul';
const READING_STEP_MINUTES = 5;
const base = loadScenarioFile().scenario;
const scenario: Scenario = {
  ...base,
  grid: {
    ...base.grid,
    contract_demand_kw: 500,
    import_limit_kw: 500,
    tariff: { ...base.grid.tariff, ratchet_history_peak_kw: 0 },
  },
};

let store: Store;
beforeAll(async () => {
  store = await openStore('sqlite::memory:');
  const points: TelemetryPoint[] = [];
  const period = billingPeriod('2026-08', 15, ZONE);
  // One reading every five minutes from July 1 to August 31.
  for (
    let t = DateTime.fromISO('2026-07-01', { zone: ZONE });
    t < DateTime.fromISO('2026-09-01', { zone: ZONE });
    t = t.plus({ minutes: READING_STEP_MINUTES })
  ) {
    const ms = t.toMillis();
    let kw = 0;
    if (ms < period.startMs || ms >= period.endMs) kw = 300;
    else if (t.hour === 2) kw = 50;
    else if (t.weekday <= 5 && t.hour === 10) kw = 200;
    else if (t.weekday <= 5 && t.hour === 16) kw = 100;
    points.push({ assetId: 'grid', measurement: 'power_kw', value: kw, timeMs: ms });
  }
  await store.appendTelemetry(points);
});
afterAll(async () => store?.close());

function kepcoBill(over: Partial<KepcoBill['charges_krw']> = {}, mid = HAND.mid): KepcoBill {
  return {
    billing_month: '2026-08',
    meter_reading_day: 15,
    energy_kwh: { light: HAND.light, mid, peak: HAND.peak },
    billing_demand_kw: HAND.demandKw,
    charges_krw: {
      demand_charge: HAND.demandChargeKrw,
      energy_charge: HAND.energyChargeKrw,
      climate_environment: HAND.climateKrw,
      fuel_cost_adjustment: HAND.fuelKrw,
      excess_demand_penalty: 0,
      vat: HAND.vatKrw,
      power_fund: HAND.fundKrw,
      total: HAND.totalKrw,
      ...over,
    },
  };
}

describe('bill reconciliation', () => {
  it('bills the meter-reading period, not the calendar month, and matches the hand-computed bill', async () => {
    const r = await reconcileBill(store, scenario, kepcoBill());
    expect(DateTime.fromMillis(r.startMs, { zone: ZONE }).toISO()).toBe('2026-07-15T00:00:00.000+09:00');
    expect(DateTime.fromMillis(r.endMs, { zone: ZONE }).toISO()).toBe('2026-08-15T00:00:00.000+09:00');
    expect(r.coverage).toBe(1);
    const b = r.bitgrid;
    expect(b.kwhByBand.light).toBeCloseTo(HAND.light, 6);
    expect(b.kwhByBand.mid).toBeCloseTo(HAND.mid, 6);
    expect(b.kwhByBand.peak).toBeCloseTo(HAND.peak, 6);
    expect(b.billingDemandKw).toBeCloseTo(HAND.demandKw, 9);
    expect(b.billingDemandSource).toBe('current_month');
    expect(b.demandChargeKrw).toBe(HAND.demandChargeKrw);
    expect(b.energyChargeKrw).toBe(HAND.energyChargeKrw);
    expect(b.climateEnvironmentKrw).toBe(HAND.climateKrw);
    expect(b.fuelCostAdjustmentKrw).toBe(HAND.fuelKrw);
    expect(b.vatKrw).toBe(HAND.vatKrw);
    expect(b.powerFundKrw).toBe(HAND.fundKrw);
    expect(b.importBillKrw).toBe(HAND.totalKrw);
    for (const l of r.lines) expect(Math.abs(l.difference)).toBeLessThan(1e-6);
  });

  it('lists each difference by component when the bills disagree', async () => {
    // KEPCO's meter read 100 kWh more in the mid band, so its energy charge is 16,380 원 higher.
    const kepco = kepcoBill({ energy_charge: HAND.energyChargeKrw + 16_380 }, HAND.mid + 100);
    const r = await reconcileBill(store, scenario, kepco);
    const diff = Object.fromEntries(r.lines.map((l) => [l.component, Math.round(l.difference * 1e6) / 1e6]));
    expect(diff['energy_kwh.mid']).toBe(-100);
    expect(diff['energy_kwh.total']).toBe(-100);
    expect(diff['energy_kwh.light']).toBe(0);
    expect(diff['charges_krw.energy_charge']).toBe(-16_380);
    expect(diff['charges_krw.demand_charge']).toBe(0);
  });

  it('a different meter-reading day moves the period and so the bill', async () => {
    // Day 1: the period is July 1–31, which holds the 300 kW days before July 15.
    const r = await reconcileBill(store, scenario, { ...kepcoBill(), meter_reading_day: 1 });
    expect(DateTime.fromMillis(r.startMs, { zone: ZONE }).toISODate()).toBe('2026-07-01');
    expect(r.bitgrid.importKwh).toBeGreaterThan(14 * 24 * 300);
  });

  it('refuses a bad bill file with the line and what is wrong', () => {
    const text = [
      'billing_month: 2026-8',
      'meter_reading_day: 32',
      'energy_kwh: { light: 1, mid: -2, peak: 3 }',
      'billing_demand_kw: 200',
      'charges_krw:',
      '  demand_charge: 1.5',
      '  energy_charge: 1',
      '  climate_environment: 1',
      '  fuel_cost_adjustment: 1',
      '  vat: 1',
      '  power_fund: 1',
      '  total: 1',
      '  rebate: 1',
    ].join('\n');
    let err: ConfigError | undefined;
    try {
      parseKepcoBill(text, 'bill.yaml');
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = err!.message;
    expect(msg).toMatch(/line 1: billing_month: must be YYYY-MM/);
    expect(msg).toMatch(/line 2: meter_reading_day: .*32|line 2: meter_reading_day/);
    expect(msg).toMatch(/line 3: energy_kwh.mid/);
    expect(msg).toMatch(/line 6: charges_krw.demand_charge: must be whole 원/);
    expect(msg).toMatch(/charges_krw: unknown key\(s\): rebate/);
  });
});
