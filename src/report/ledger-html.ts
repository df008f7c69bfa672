import { DateTime } from 'luxon';
import { ledgerTotals, type Ledger, type LedgerHour, type LedgerTotals } from '../ledger/index.ts';
import { toIsoLocal } from '../model/time.ts';
import { esc, stackedChart } from './svg.ts';

// The monthly RE100 report of the live system: a self-contained HTML page (charts inline, no script)
// from the hourly ledger, so what it prints is what GET /api/ledger and the dashboard show.

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

const COLUMNS: [string, (t: LedgerTotals) => string][] = [
  ['Consumption (kWh)', (t) => int.format(t.consumptionKwh)],
  ['On-site PV used (kWh)', (t) => int.format(t.pvUsedKwh)],
  ['PPA delivered (kWh)', (t) => int.format(t.ppaDeliveredKwh)],
  ['PPA used (kWh)', (t) => int.format(t.ppaUsedKwh)],
  ['Certificates (kWh)', (t) => int.format(t.certificatesKwh)],
  ['Grid residual (kWh)', (t) => int.format(t.gridResidualKwh)],
  ['Hourly matching', (t) => pct(t.hourlyMatchingShare)],
  ['Annual matching', (t) => pct(t.annualMatchingShare)],
  ['Emissions, location-based (kg CO2)', (t) => int.format(t.emissionsKg)],
];

export function renderLedgerReport(ledger: Ledger, opts: { title: string }): string {
  const t = ledger.totals;
  const byDay = new Map<string, LedgerHour[]>();
  for (const h of ledger.hours) {
    const day = DateTime.fromMillis(h.hourStartMs, { zone: ledger.zone }).toISODate()!;
    const list = byDay.get(day) ?? [];
    list.push(h);
    byDay.set(day, list);
  }
  const head = `<tr><th>Day</th>${COLUMNS.map(([label]) => `<th>${esc(label)}</th>`).join('')}</tr>`;
  const rows = [...byDay].map(
    ([day, hours]) =>
      `<tr><td>${esc(day)}</td>${COLUMNS.map(([, f]) => `<td>${esc(f(ledgerTotals(hours)))}</td>`).join('')}</tr>`,
  );
  rows.push(
    `<tr class="total"><td>Period</td>${COLUMNS.map(([, f]) => `<td>${esc(f(t))}</td>`).join('')}</tr>`,
  );
  const chart =
    ledger.hours.length > 0
      ? stackedChart(
          {
            title: 'Consumption by source, per hour',
            unit: 'kWh',
            timesMs: ledger.hours.map((h) => h.hourStartMs),
            zone: ledger.zone,
          },
          [
            { label: 'on-site PV', values: ledger.hours.map((h) => h.pvUsedKwh), color: '#ffb000' },
            { label: 'PPA', values: ledger.hours.map((h) => h.ppaUsedKwh), color: '#2ca02c' },
            { label: 'grid residual', values: ledger.hours.map((h) => h.gridResidualKwh), color: '#8c8c8c' },
          ],
        )
      : '<p>No hours in the period.</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bitgrid RE100 ledger — ${esc(opts.title)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#222}
h1{font-size:20px}table{border-collapse:collapse;margin:12px 0}td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}.total td{font-weight:600}.chart{width:100%;height:auto;margin:10px 0}
.title{font-weight:600;font-size:13px}.unit{font-weight:400;fill:#666}.grid{stroke:#eee}
.ytick{font-size:10px;text-anchor:end;fill:#555}.xtick{font-size:10px;text-anchor:middle;fill:#555}.legend{font-size:11px}
.scores{font-size:18px}.meta{color:#555}
</style></head><body>
<h1>RE100 ledger — ${esc(opts.title)}</h1>
<p class="meta">${esc(toIsoLocal(ledger.fromMs, ledger.zone))} to ${esc(toIsoLocal(ledger.toMs, ledger.zone))} · from stored telemetry</p>
<p class="scores">Annual matching <b>${pct(t.annualMatchingShare)}</b> · hourly (24/7) matching <b>${pct(t.hourlyMatchingShare)}</b></p>
${chart}
<table>${head}${rows.join('')}</table>
<p class="meta">Per clock hour: consumption = on-site PV used + PPA used + grid residual. Annual matching counts all PPA delivery and retired certificates against the period's consumption; hourly matching only PV and PPA in the hour they are used. Emissions are location-based: grid import × the national factor. Definitions: docs/ledger.md.</p>
</body></html>
`;
}
