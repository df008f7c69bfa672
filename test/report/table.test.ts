import { describe, expect, it } from 'vitest';
import { runSimulation } from '../../src/sim/engine.ts';
import { getStrategy } from '../../src/scenario/strategies.ts';
import { COST_COMPONENTS, computeKpis } from '../../src/report/kpis.ts';
import { COST_ROWS, KPI_ROWS, kpiTable } from '../../src/report/table.ts';
import { referenceDistrict } from '../sim/helpers.ts';

const d = referenceDistrict(1);
const runs = ['none', 'rules'].map((strategy) => {
  const result = runSimulation(d, getStrategy(strategy)(d));
  return { strategy, kpis: computeKpis(d, result).kpis, runtimeMs: result.runtimeMs };
});

/** Parses a table cell printed by formatKpi (thousands separators, optional minus). */
const cell = (s: string) => Number(s.replace(/,/g, ''));

describe('the scenario table', () => {
  it.each(runs.map((r) => [r.strategy, r] as const))(
    '%s: every bill component, PPA, certificates and wear add up to the total',
    (_name, { kpis }) => {
      const sum = COST_COMPONENTS.reduce((s, { key, sign }) => s + sign * kpis[key], 0);
      expect(sum).toBeCloseTo(kpis.totalCostKrw, 6);
      // The reference district buys PPA and certificates: both are in the sum, not left out.
      expect(kpis.ppaCostKrw).toBeGreaterThan(0);
      expect(kpis.certificateCostKrw).toBeGreaterThan(0);
      // The bill's own components add up to what KEPCO bills.
      const billRows = COST_COMPONENTS.slice(
        0,
        COST_COMPONENTS.findIndex((c) => c.key === 'exportRevenueKrw'),
      );
      const billKrw = billRows.reduce((s, { key }) => s + kpis[key], 0);
      expect(billKrw).toBe(
        kpis.energyCostKrw +
          kpis.demandChargeKrw +
          kpis.excessDemandPenaltyKrw +
          kpis.taxesKrw +
          kpis.billRoundingKrw,
      );
    },
  );

  it('prints each cost row so that the printed column adds up to the printed total (±1 KRW a row)', () => {
    const text = kpiTable(runs).split('\n');
    const lineOf = (label: string) => text.find((l) => l.startsWith(label))!;
    for (let c = 0; c < runs.length; c++) {
      const value = (label: string) =>
        cell(
          lineOf(label)
            .slice(label.length)
            .trim()
            .split(/\s{2,}/)[c],
        );
      const printed = COST_ROWS.reduce((s, r) => s + value(r.label), 0);
      const total = value('Total cost (KRW)');
      expect(Math.abs(printed - total)).toBeLessThanOrEqual(COST_ROWS.length);
    }
    // Export revenue is printed negated, as it is subtracted.
    const exp = COST_ROWS.find((r) => r.key === 'exportRevenueKrw')!;
    expect(exp.sign).toBe(-1);
    expect(KPI_ROWS.indexOf(exp)).toBeLessThan(KPI_ROWS.findIndex((r) => r.key === 'totalCostKrw'));
  });
});
