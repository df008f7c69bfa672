import { COST_COMPONENTS, type Kpis } from './kpis.ts';

export interface KpiRow {
  key: keyof Kpis;
  label: string;
  kind: 'krw' | 'kw' | 'kwh' | 'share' | 'count' | 'kg' | 'cycles' | 'gpuh';
  /** −1: the row is printed negated because it is subtracted from the total (export revenue). */
  sign?: -1;
}

const COST_LABELS: Partial<Record<keyof Kpis, string>> = {
  energyChargeKrw: '  Energy charge (KRW)',
  climateEnvironmentKrw: '  Climate & environment (KRW)',
  fuelCostAdjustmentKrw: '  Fuel cost adjustment (KRW)',
  demandChargeKrw: '  Demand charge (KRW)',
  excessDemandPenaltyKrw: '  Contract-excess penalty (KRW)',
  vatKrw: '  VAT (KRW)',
  powerFundKrw: '  Power industry fund (KRW)',
  billRoundingKrw: '  Bill rounding to 10 KRW (KRW)',
  exportRevenueKrw: '  Export revenue, subtracted (KRW)',
  ppaCostKrw: '  PPA (KRW)',
  certificateCostKrw: '  Certificates (KRW)',
  batteryDegradationCostKrw: '  Battery wear (KRW)',
};

/** The cost rows in the order of COST_COMPONENTS, each signed as it enters the total: they add up to it. */
export const COST_ROWS: KpiRow[] = COST_COMPONENTS.map(({ key, sign }) => ({
  key,
  label: COST_LABELS[key] ?? key,
  kind: 'krw',
  ...(sign === -1 ? { sign } : {}),
}));

export const KPI_ROWS: KpiRow[] = [
  ...COST_ROWS,
  { key: 'totalCostKrw', label: 'Total cost (KRW)', kind: 'krw' },
  { key: 'peakCostAfterRunKrw', label: "Peaks' cost after run (KRW)", kind: 'krw' },
  { key: 'totalCostWithPeakAfterRunKrw', label: 'Total with peaks paid (KRW)', kind: 'krw' },
  { key: 'trainingUnfinishedCostKrw', label: "Unfinished training work's energy (KRW)", kind: 'krw' },
  { key: 'totalCostComparableKrw', label: 'Total with peaks and unfinished work (KRW)', kind: 'krw' },
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
  { key: 'trainingUnfinishedGpuHours', label: 'Training work unfinished (GPU-h)', kind: 'gpuh' },
  { key: 'importKwh', label: 'Grid import (kWh)', kind: 'kwh' },
  { key: 'exportKwh', label: 'Grid export (kWh)', kind: 'kwh' },
  { key: 'curtailedKwh', label: 'PV curtailed (kWh)', kind: 'kwh' },
];

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const one = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 });
const two = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2, minimumFractionDigits: 2 });

export function formatKpi(row: KpiRow, value: number): string {
  // `+ 0` turns a negated 0 into 0 so an empty row prints "0", not "-0".
  const v = (row.sign ?? 1) * value + 0;
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
