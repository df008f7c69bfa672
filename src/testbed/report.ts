import { esc, lineChart } from '../report/svg.ts';
import type { Contender, Scorecard } from './score.ts';

// The scorecard as a page that opens from disk: the leaderboard, a bar chart per figure, and each
// case's grid import per contender (drawn with the simulation report's SVG charts).

/** Built-ins in these; the controller in red, which none of them uses. */
const PALETTE = ['#8c8c8c', '#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
const CONTROLLER_COLOR = '#d62728';
const BAR_WIDTH_PX = 960;
const BAR_ROW_PX = 22;
const BAR_LABEL_PX = 170;
/** The first columns (costs and outcomes) get a bar chart each; counts and timings stay in the table. */
const CHARTED_COLUMNS = 8;

const fmt = (x: number, digits = 0) =>
  Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: digits }) : '—';

/** Columns of the leaderboard: label, value, digits. */
export const SCORE_COLUMNS: { label: string; value: (c: Contender) => number; digits: number }[] = [
  { label: 'total cost incl. 12-month peak, KRW', value: (c) => c.totalCostKrw, digits: 0 },
  { label: 'run cost, KRW', value: (c) => c.costKrw, digits: 0 },
  { label: 'new peak over 12 months, KRW', value: (c) => c.newPeakCost12MonthsKrw, digits: 0 },
  { label: 'hourly RE100 matching, %', value: (c) => 100 * c.re100HourlyMatching, digits: 1 },
  { label: 'CO₂, kg', value: (c) => c.co2Kg, digits: 0 },
  { label: 'unmet EV and bus energy, kWh', value: (c) => c.unmetKwh, digits: 1 },
  { label: 'deadline misses', value: (c) => c.deadlineMisses, digits: 0 },
  { label: 'import above DR limits, kWh', value: (c) => c.drExcessKwh, digits: 1 },
  { label: 'clamps', value: (c) => c.clamps, digits: 0 },
  { label: 'failed decisions', value: (c) => c.failedDecisions, digits: 0 },
  { label: 'ms per decision (mean)', value: (c) => c.meanDecisionMs, digits: 2 },
  { label: 'ms per decision (p95)', value: (c) => c.p95DecisionMs, digits: 2 },
];

function bars(
  title: string,
  unit: string,
  digits: number,
  items: { label: string; value: number; color: string }[],
): string {
  // Bars are drawn from the figures as printed: a rounding residue (1e-11 kWh) is no bar.
  const shown = (v: number) => Math.abs(Math.round(v * 10 ** digits) / 10 ** digits);
  const max = Math.max(...items.map((i) => shown(i.value)));
  const h = 28 + items.length * BAR_ROW_PX;
  const room = BAR_WIDTH_PX - BAR_LABEL_PX - 140;
  const rows = items
    .map((it, k) => {
      const y = 24 + k * BAR_ROW_PX;
      const w = max > 0 ? (shown(it.value) / max) * room : 0;
      return (
        `<text x="${BAR_LABEL_PX - 6}" y="${y + 14}" class="ytick">${esc(it.label)}</text>` +
        `<rect x="${BAR_LABEL_PX}" y="${y + 3}" width="${w.toFixed(1)}" height="${BAR_ROW_PX - 6}" fill="${it.color}"/>` +
        `<text x="${(BAR_LABEL_PX + w + 6).toFixed(1)}" y="${y + 14}" class="legend">${esc(fmt(it.value, digits))}</text>`
      );
    })
    .join('');
  return `<svg viewBox="0 0 ${BAR_WIDTH_PX} ${h}" class="chart" role="img" aria-label="${esc(title)}"><text x="0" y="16" class="title">${esc(title)} <tspan class="unit">${esc(unit)}</tspan></text>${rows}</svg>`;
}

export function renderScorecard(sc: Scorecard, zone: string): string {
  const builtIns = sc.leaderboard.filter((c) => c.kind === 'built-in').map((c) => c.strategy);
  const color = (name: string) =>
    name === sc.controller ? CONTROLLER_COLOR : PALETTE[Math.max(0, builtIns.indexOf(name)) % PALETTE.length];
  const head = `<tr><th>rank</th><th>contender</th><th>status</th>${SCORE_COLUMNS.map((c) => `<th>${esc(c.label)}</th>`).join('')}</tr>`;
  const rows = sc.leaderboard
    .map(
      (c, k) =>
        `<tr${c.kind === 'controller' ? ' class="mine"' : ''}><td>${k + 1}</td><td>${esc(c.strategy)}</td><td>${
          c.status === 'ok'
            ? 'ok'
            : `failed: ${esc(c.failures.map((f) => `${f.caseId} ${f.reason} (${f.message})`).join('; '))}`
        }</td>${SCORE_COLUMNS.map((col) => `<td>${esc(fmt(col.value(c), col.digits))}</td>`).join('')}</tr>`,
    )
    .join('');
  const charts = SCORE_COLUMNS.slice(0, CHARTED_COLUMNS).map((col) =>
    bars(
      col.label,
      '',
      col.digits,
      sc.leaderboard.map((c) => ({ label: c.strategy, value: col.value(c), color: color(c.strategy) })),
    ),
  );
  const caseCharts = sc.cases.map((c) =>
    lineChart(
      {
        title: `Grid import — ${c.id}`,
        unit: 'kW',
        timesMs: c.timesMs,
        zone,
      },
      sc.results
        .filter((r) => r.caseId === c.id && r.importKw)
        .map((r) => ({ label: r.strategy, values: r.importKw!, color: color(r.strategy) })),
    ),
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bitgrid test bed — ${esc(sc.controller)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#222}
h1{font-size:20px}table{border-collapse:collapse;margin:12px 0;font-size:12px}td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:right}
td:nth-child(-n+3),th:nth-child(-n+3){text-align:left}tr.mine{background:#fff4f4}.chart{width:100%;height:auto;margin:10px 0}
.title{font-weight:600;font-size:13px}.unit{font-weight:400;fill:#666}.grid{stroke:#eee}
.ytick{font-size:10px;text-anchor:end;fill:#555}.xtick{font-size:10px;text-anchor:middle;fill:#555}.legend{font-size:11px}
.meta{color:#555}
</style></head><body>
<h1>Bitgrid test bed — ${esc(sc.controller)}</h1>
<p class="meta">${esc(sc.scenario)} · challenge set ${esc(sc.challengeSet.name)} ${esc(sc.challengeSet.version)} · protocol ${esc(sc.protocol)} · limits: ${sc.limits.decisionTimeoutMs} ms per decision, ${sc.limits.runBudgetMs} ms per run, ${sc.limits.memoryMb} MB heap</p>
<table>${head}${rows}</table>
<p class="meta">Cases: ${sc.cases.map((c) => `${esc(c.id)} — ${esc(c.description)} (from ${esc(c.start)}, ${c.days} day(s), seed ${c.seed})`).join('; ')}.</p>
${charts.join('\n')}
${caseCharts.join('\n')}
<p class="meta">Total cost = the runs' cost (bill with the demand charge prorated to the days run, VAT and fund, PPA, certificates, battery wear, less export) + what each run's new billing-demand peak costs over the following 12 months (KEPCO ratchet; before VAT). Built-ins' time per decision is their run time per interval. A failed controller's remaining decisions were taken by rules.</p>
</body></html>
`;
}
