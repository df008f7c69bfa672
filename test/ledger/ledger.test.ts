import { describe, expect, it } from 'vitest';
import {
  buildLedger,
  ledgerCsv,
  ledgerJson,
  LEDGER_SUM_KEYS,
  type LedgerFlows,
} from '../../src/ledger/index.ts';
import { simLedger } from '../../src/report/ledger-sim.ts';
import { runSimulation } from '../../src/sim/engine.ts';
import { getStrategy } from '../../src/scenario/strategies.ts';
import { computeKpis } from '../../src/report/kpis.ts';
import { referenceDistrict } from '../sim/helpers.ts';

const ZONE = 'Asia/Seoul';
/** 2026-08-03 00:00 +09:00. */
const START_MS = Date.parse('2026-08-02T15:00:00Z');

/** Hourly flows (60-minute intervals) from rows of [consumption, pv, battery, ppa]; grid is the balance. */
function hourlyFlows(
  rows: [number, number, number, number][],
  socs: number[],
  initialSocKwh: number,
): LedgerFlows {
  const grid = rows.map(([c, pv, b]) => c - pv - b);
  return {
    grid: { startMs: START_MS, intervalMinutes: 60, count: rows.length },
    consumptionKw: rows.map((r) => r[0]),
    pvKw: rows.map((r) => r[1]),
    batteryKw: rows.map((r) => r[2]),
    ppaKw: rows.map((r) => r[3]),
    importKw: grid.map((g) => Math.max(0, g)),
    exportKw: grid.map((g) => Math.max(0, -g)),
    batterySocKwh: socs,
    batteryInitialSocKwh: initialSocKwh,
  };
}

describe('the hourly ledger, computed by hand', () => {
  // Hour 0: 100 kWh used, 150 PV; 40 into the battery (stores 36, 90 % efficient), 10 exported.
  // Hour 1: 100 kWh used, no PV; the battery gives 18 (half its content, all PV-charged), PPA 50.
  // Hour 2: 100 kWh used, PPA 120 (more than is left), no PV.
  const flows = hourlyFlows(
    [
      [100, 150, -40, 0],
      [100, 0, 18, 50],
      [100, 0, 0, 120],
    ],
    [36, 18, 18],
    0,
  );
  const ledger = buildLedger(flows, { zone: ZONE, certificateShare: 0.1, emissionFactorKgPerKwh: 0.5 });

  it('matches PV, battery PV and PPA to consumption hour by hour', () => {
    expect(ledger.hours.map((h) => h.pvUsedKwh)).toEqual([100, 18, 0]);
    expect(ledger.hours.map((h) => h.ppaUsedKwh)).toEqual([0, 50, 100]);
    expect(ledger.hours.map((h) => h.ppaDeliveredKwh)).toEqual([0, 50, 120]);
    expect(ledger.hours.map((h) => h.gridResidualKwh)).toEqual([0, 32, 0]);
    expect(ledger.hours.map((h) => h.matchingShare)).toEqual([1, 0.68, 1]);
    expect(ledger.hours.map((h) => h.certificatesKwh)).toEqual([10, 10, 10]);
    // Location-based: import × factor (hour 1 imports 100 − 18 = 82 kWh; the PPA comes through the grid).
    expect(ledger.hours.map((h) => h.emissionsKg)).toEqual([0, 41, 50]);
  });

  it('scores the period annually and hourly side by side', () => {
    expect(ledger.totals.hourlyMatchingShare).toBeCloseTo((100 + 68 + 100) / 300, 12);
    // Annual: all PPA delivered counts (170) and certificates (30): (118 + 170 + 30) / 300 > 1, capped.
    expect(ledger.totals.annualMatchingShare).toBe(1);
    expect(ledger.totals.consumptionKwh).toBe(300);
  });

  it('keeps clock hours in the zone and stamps them with its offset', () => {
    const json = ledgerJson(ledger);
    expect(json.from).toBe('2026-08-03T00:00:00+09:00');
    expect(json.to).toBe('2026-08-03T03:00:00+09:00');
    expect(json.hours[1].hourStart).toBe('2026-08-03T01:00:00+09:00');
    const csv = ledgerCsv(ledger).trim().split('\n');
    expect(csv[0]).toBe(
      'hour_start,consumption_kwh,pv_used_kwh,ppa_delivered_kwh,ppa_used_kwh,certificates_kwh,grid_residual_kwh,matching_share,emissions_kg',
    );
    expect(csv[2]).toBe('2026-08-03T01:00:00+09:00,100,18,50,50,10,32,0.68,41');
  });

  it('uses the local clock hour in a zone half an hour off UTC', () => {
    const f = hourlyFlows([[10, 0, 0, 0]], [0], 0);
    const l = buildLedger(
      {
        ...f,
        grid: { startMs: Date.parse('2026-01-01T00:00:00Z'), intervalMinutes: 30, count: 2 },
        ...twice(f),
      },
      { zone: 'Asia/Kolkata', certificateShare: 0, emissionFactorKgPerKwh: 0.5 },
    );
    // 00:00Z is 05:30 in Kolkata: the two half hours fall into the local hours 05:00 and 06:00.
    expect(ledgerJson(l).hours.map((h) => h.hourStart)).toEqual([
      '2026-01-01T05:00:00+05:30',
      '2026-01-01T06:00:00+05:30',
    ]);
  });

  it('refuses flows that are not finite or do not fit the grid, saying which', () => {
    const bad = hourlyFlows([[1, 0, 0, 0]], [0], 0);
    expect(() =>
      buildLedger(
        { ...bad, pvKw: [Number.NaN] },
        { zone: ZONE, certificateShare: 0, emissionFactorKgPerKwh: 0 },
      ),
    ).toThrow(/pvKw\[0\] is not a finite number/);
    expect(() =>
      buildLedger({ ...bad, ppaKw: [] }, { zone: ZONE, certificateShare: 0, emissionFactorKgPerKwh: 0 }),
    ).toThrow(/ppaKw has 0 values for 1 intervals/);
  });
});

function twice(f: LedgerFlows): Partial<LedgerFlows> {
  const dup = (a: ArrayLike<number>) => [a[0], a[0]];
  return {
    consumptionKw: dup(f.consumptionKw),
    pvKw: dup(f.pvKw),
    importKw: dup(f.importKw),
    exportKw: dup(f.exportKw),
    batteryKw: dup(f.batteryKw),
    batterySocKwh: dup(f.batterySocKwh),
    ppaKw: dup(f.ppaKw),
  };
}

describe('the ledger of a simulated run', () => {
  const d = referenceDistrict(2);
  const runs = ['none', 'rules'].map((name) => ({ name, result: runSimulation(d, getStrategy(name)(d)) }));

  it.each(runs.map((r) => [r.name, r] as const))('%s: columns add up in every hour', (_name, { result }) => {
    const l = simLedger(d, result);
    expect(l.hours).toHaveLength(48);
    for (const h of l.hours) {
      expect(h.pvUsedKwh + h.ppaUsedKwh + h.gridResidualKwh).toBeCloseTo(h.consumptionKwh, 9);
      expect(h.ppaUsedKwh).toBeLessThanOrEqual(h.ppaDeliveredKwh + 1e-9);
      expect(h.gridResidualKwh).toBeGreaterThanOrEqual(-1e-9);
      expect(h.matchingShare).toBeGreaterThanOrEqual(0);
      expect(h.matchingShare).toBeLessThanOrEqual(1 + 1e-12);
    }
    for (const k of LEDGER_SUM_KEYS)
      expect(l.totals[k]).toBeCloseTo(
        l.hours.reduce((s, h) => s + h[k], 0),
        6,
      );
  });

  it.each(runs.map((r) => [r.name, r] as const))(
    '%s: agrees with the engine and is what the KPIs report',
    (_name, { result }) => {
      const l = simLedger(d, result);
      const { kpis } = computeKpis(d, result);
      expect(kpis.re100HourlyMatching).toBe(l.totals.hourlyMatchingShare);
      expect(kpis.re100AnnualShare).toBe(l.totals.annualMatchingShare);
      expect(l.totals.emissionsKg).toBeCloseTo(kpis.co2Kg, 6);
      // The engine tracks the battery's PV share on its own; the ledger's rule from the metered flows
      // gives the same on-site clean energy (one battery in the reference district).
      let engineCleanKwh = 0;
      for (let i = 0; i < d.grid.count; i++)
        engineCleanKwh += result.series.localCleanKw[i] * d.intervalHours;
      expect(l.totals.pvUsedKwh).toBeCloseTo(engineCleanKwh, 3);
      expect(l.totals.hourlyMatchingShare).toBeGreaterThan(0);
    },
  );
});
