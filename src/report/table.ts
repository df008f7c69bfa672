import type { Kpis } from './kpis.ts';

export interface KpiRow {
  key: keyof Kpis;
  label: string;
  kind: 'krw' | 'kw' | 'kwh' | 'share' | 'count' | 'kg' | 'cycles' | 'gpuh';
}

export const KPI_ROWS: KpiRow[] = [
  { key: 'totalCostKrw', label: 'Total cost (KRW)', kind: 'krw' },
  { key: 'energyCostKrw', label: 'Energy charge + adders (KRW)', kind: 'krw' },
  { key: 'demandChargeKrw', label: 'Demand charge (KRW)', kind: 'krw' },
  { key: 'taxesKrw', label: 'VAT + power fund (KRW)', kind: 'krw' },
  { key: 'exportRevenueKrw', label: 'Export revenue (KRW)', kind: 'krw' },
  { key: 'ppaCostKrw', label: 'PPA cost (KRW)', kind: 'krw' },
  { key: 'certificateCostKrw', label: 'Certificates (KRW)', kind: 'krw' },
  { key: 'batteryDegradationCostKrw', label: 'Battery wear (KRW)', kind: 'krw' },
  { key: 'peakImportKw', label: 'Peak import, 15 min (kW)', kind: 'kw' },
  { key: 'billingDemandKw', label: 'Billing demand (kW)', kind: 'kw' },
  { key: 'selfSufficiency', label: 'Self-sufficiency', kind: 'share' },
  { key: 'selfConsumption', label: 'Self-consumption', kind: 'share' },
  { key: 're100AnnualShare', label: 'RE100 annual share', kind: 'share' },
  { key: 're100HourlyMatching', label: 'RE100 hourly matching', kind: 'share' },
  { key: 'co2Kg', label: 'Emissions (kg CO2)', kind: 'kg' },
  { key: 'batteryCycles', label: 'Battery cycles', kind: 'cycles' },
  { key: 'evUnmetKwh', label: 'EV energy unmet (kWh)', kind: 'kwh' },
  { key: 'busUnmetKwh', label: 'Bus energy unmet (kWh)', kind: 'kwh' },
  { key: 'trainingDeadlineMisses', label: 'Training deadline misses', kind: 'count' },
  { key: 'importKwh', label: 'Grid import (kWh)', kind: 'kwh' },
  { key: 'exportKwh', label: 'Grid export (kWh)', kind: 'kwh' },
  { key: 'curtailedKwh', label: 'PV curtailed (kWh)', kind: 'kwh' },
];

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const one = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 });
const two = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2, minimumFractionDigits: 2 });

export function formatKpi(row: KpiRow, v: number): string {
  switch (row.kind) {
    case 'share':
      return `${one.format(v * 100)} %`;
    case 'cycles':
      return two.format(v);
    case 'kw':
      return one.format(v);
    default:
      return int.format(v);
  }
}

/** Plain-text table: one row per KPI, one column per strategy. */
export function kpiTable(runs: { strategy: string; kpis: Kpis; runtimeMs: number }[]): string {
  const header = ['KPI', ...runs.map((r) => r.strategy)];
  const body = KPI_ROWS.map((row) => [row.label, ...runs.map((r) => formatKpi(row, r.kpis[row.key]))]);
  body.push(['Runtime (ms)', ...runs.map((r) => int.format(r.runtimeMs))]);
  const widths = header.map((_, c) => Math.max(...[header, ...body].map((r) => r[c].length)));
  const line = (cells: string[]) =>
    cells.map((x, c) => (c === 0 ? x.padEnd(widths[c]) : x.padStart(widths[c]))).join('  ');
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
