import { timeAt } from '../model/time.ts';
import type { ScenarioRun } from './scenario-run.ts';
import { downsample, esc, lineChart, stackedChart, type Line } from './svg.ts';
import { KPI_ROWS, formatKpi } from './table.ts';

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
const COLORS = {
  load: '#8c8c8c',
  datacenter: '#6a3d9a',
  bus: '#1f78b4',
  ev: '#33a02c',
  batteryCharge: '#b2df8a',
  pv: '#ffb000',
  grid: '#e31a1c',
};
/** Charts keep at most this many points per series; longer runs are averaged into buckets. */
const MAX_CHART_POINTS = 1500;

export function renderReport(run: ScenarioRun): string {
  const d = run.district;
  const n = d.grid.count;
  const bucket = Math.max(1, Math.ceil(n / MAX_CHART_POINTS));
  const times = downsample(
    Float64Array.from({ length: n }, (_, i) => timeAt(d.grid, i)),
    bucket,
  );
  const base = { timesMs: times, zone: d.zone };
  const ds = (v: ArrayLike<number>, mode: 'mean' | 'max' = 'mean') => downsample(v, bucket, mode);

  const sections: string[] = [];
  for (const r of run.runs) {
    const s = r.result.series;
    const batteryCharge = Float64Array.from(s.batteryKw, (x) => Math.max(0, -x));
    sections.push(
      stackedChart(
        { ...base, title: `Power by asset — ${r.strategy}`, unit: 'kW' },
        [
          { label: 'buildings & factory', values: ds(s.loadKw), color: COLORS.load },
          { label: 'data center', values: ds(s.datacenterKw), color: COLORS.datacenter },
          { label: 'e-buses', values: ds(s.busKw), color: COLORS.bus },
          { label: 'EVs', values: ds(s.evKw), color: COLORS.ev },
          { label: 'battery charging', values: ds(batteryCharge), color: COLORS.batteryCharge },
        ],
        [
          { label: 'PV', values: ds(s.pvKw), color: COLORS.pv },
          { label: 'grid import', values: ds(s.importKw), color: COLORS.grid },
        ],
      ),
    );
  }
  const strat = (
    f: (r: ScenarioRun['runs'][number]) => ArrayLike<number>,
    mode: 'mean' | 'max' = 'mean',
  ): Line[] =>
    run.runs.map((r, k) => ({
      label: r.strategy,
      values: ds(f(r), mode),
      color: PALETTE[k % PALETTE.length],
    }));

  const capacityKwh = d.batteries.reduce((x, b) => x + b.cfg.capacity_kwh, 0);
  if (capacityKwh > 0)
    sections.push(
      lineChart(
        { ...base, title: 'Battery state of charge', unit: '%' },
        strat((r) => Float64Array.from(r.result.series.batterySocKwh, (x) => (100 * x) / capacityKwh)),
      ),
    );
  const peakLines: Line[] = strat((r) => r.result.series.importKw, 'max');
  run.runs.forEach((r, k) =>
    peakLines.push({
      label: `${r.strategy} billing demand`,
      values: new Float64Array(times.length).fill(r.kpis.billingDemandKw),
      color: PALETTE[k % PALETTE.length],
      dashed: true,
    }),
  );
  sections.push(
    lineChart({ ...base, title: 'Grid import against the billing demand', unit: 'kW' }, peakLines),
  );
  sections.push(
    lineChart({ ...base, title: 'Prices', unit: '원/kWh' }, [
      { label: 'import (energy + adders)', values: ds(d.prices.importPriceKrwPerKwh), color: COLORS.grid },
      { label: 'export (SMP)', values: ds(d.prices.exportPriceKrwPerKwh), color: COLORS.bus },
    ]),
  );

  const head = `<tr><th>KPI</th>${run.runs.map((r) => `<th>${esc(r.strategy)}</th>`).join('')}</tr>`;
  const rows = KPI_ROWS.map(
    (row) =>
      `<tr><td>${esc(row.label)}</td>${run.runs.map((r) => `<td>${esc(formatKpi(row, r.kpis[row.key]))}</td>`).join('')}</tr>`,
  ).join('');

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bitgrid — ${esc(run.scenarioName)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1000px;color:#222}
h1{font-size:20px}table{border-collapse:collapse;margin:12px 0}td,th{border-bottom:1px solid #ddd;padding:4px 10px;text-align:right}
td:first-child,th:first-child{text-align:left}.chart{width:100%;height:auto;margin:10px 0}
.title{font-weight:600;font-size:13px}.unit{font-weight:400;fill:#666}.grid{stroke:#eee}
.ytick{font-size:10px;text-anchor:end;fill:#555}.xtick{font-size:10px;text-anchor:middle;fill:#555}.legend{font-size:11px}
.meta{color:#555}
</style></head><body>
<h1>Bitgrid simulation — ${esc(run.scenarioName)}</h1>
<p class="meta">${esc(run.start)} · ${run.days} day(s) · ${run.intervalMinutes}-minute intervals · tariff schedule(s) ${esc(run.tariffSchedules.join(', '))} · seed ${run.seed ?? 'scenario'}</p>
<table>${head}${rows}</table>
${sections.join('\n')}
<p class="meta">Costs in KRW; the total includes VAT, 전력산업기반기금, PPA and certificate purchases and battery wear, less export revenue. Shares are of consumption (self-sufficiency, RE100) or of PV generation (self-consumption).</p>
</body></html>
`;
}
