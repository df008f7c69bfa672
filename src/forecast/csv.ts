import { DateTime } from 'luxon';
import { CsvSyntaxError, readCsvRows, type CsvRow } from '../weather/index.ts';
import { emptyForecastWeather } from './series.ts';
import type { ForecastWeather, SiteSeries, Target } from './types.ts';

// The forecasting CSV (docs/forecasting.md): one row per interval, `timestamp` = ISO 8601 interval
// start with its UTC offset, the target in kW (`pv_kw` or `load_kw`, or a cumulative meter register
// `pv_kwh_total` / `load_kwh_total`), optional measured weather and the forecast weather with its issue
// time. Real files are messy: every row or value that is dropped, fixed or filled is counted in the
// report with the reason and a few example lines, and only an unusable file is an error.

export class ForecastDataError extends RangeError {}

/**
 * Plausible years of a row: interval metering and PV monitoring began in the 1970s, and the rows are
 * measurements and forecasts of this century at the latest. A year outside is a typo, and the grid
 * built to reach it would be enormous.
 */
export const DATA_FIRST_YEAR = 1970;
export const DATA_LAST_YEAR = 2099;
/**
 * Longest gap between two consecutive rows, days: a year. A meter dark for longer is two datasets, not
 * one with a gap (gaps are only filled over a few intervals); a row that far out is a mistyped date.
 */
export const MAX_ROW_GAP_DAYS = 366;
/**
 * Most intervals in one series: ten years of 5-minute data (1.05 million), the finest AMI interval and
 * longer than any backtest needs; about 9 MB per column.
 */
export const MAX_SERIES_INTERVALS = 1_100_000;
const MS_PER_MINUTE = 60_000;
const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;
const MINUTES_PER_DAY = 1440;

export interface DataIssue {
  /** Short key, e.g. "duplicate-timestamp". */
  kind: string;
  /** What happened to the affected values and why. */
  action: string;
  count: number;
  /** Up to a few "line N: …" examples. */
  examples: string[];
}

export interface ImportReport {
  file?: string;
  rows: number;
  /** Grid intervals with a usable target value. */
  targetValues: number;
  intervalMinutes: number;
  count: number;
  startIso: string;
  endIso: string;
  issues: DataIssue[];
}

export interface ImportOptions {
  target: Target;
  /** Zone the local calendar is evaluated in (timestamps carry their own offset). */
  zone?: string;
  /** Longest gap in measured weather filled by linear interpolation, intervals. */
  maxFillIntervals?: number;
  file?: string;
}

export interface ImportResult {
  series: SiteSeries;
  report: ImportReport;
}

/** Column names of the format. */
export const COLUMNS = {
  timestamp: 'timestamp',
  pv: 'pv_kw',
  load: 'load_kw',
  pvEnergy: 'pv_kwh_total',
  loadEnergy: 'load_kwh_total',
  temperature: 'temperature_c',
  ghi: 'ghi_w_per_m2',
  cloud: 'cloud_cover',
  fcIssue: 'fc_issue_time',
  fcTemperature: 'fc_tmp_c',
  fcCloud: 'fc_cloud_cover',
  fcSky: 'fc_sky',
  fcPop: 'fc_pop',
  fcReh: 'fc_reh',
  fcPty: 'fc_pty',
} as const;

const KNOWN = new Set<string>(Object.values(COLUMNS));
/** KMA 단기예보 precipitation types (PTY): 0 없음, 1 비, 2 비/눈, 3 눈, 4 소나기. */
const KMA_PTY_CODES = [0, 1, 2, 3, 4];
/** KMA 단기예보 sky states (SKY): 1 맑음, 3 구름많음, 4 흐림; 2 (구름조금) in older files. */
const KMA_SKY_CODES = [1, 2, 3, 4];
const MAX_EXAMPLES = 3;
/** Default longest weather gap filled by interpolation: 3 intervals (3 h on hourly data). */
const DEFAULT_MAX_FILL_INTERVALS = 3;
/**
 * PV inverters at night report small negative power (standby draw) or nothing. Negatives down to this
 * share of the series' high percentile are night readings, set to 0; lower ones are faults, dropped.
 */
const PV_NIGHT_NEGATIVE_SHARE = 0.02;
/**
 * A value above this multiple of the median of the positive values is a spike (meter rollover, unit slip):
 * PV peaks reach ~3–4× its daylight median, loads ~2–3× theirs, so 10× leaves real peaks alone.
 */
const SPIKE_FACTOR = 10;
const HIGH_PERCENTILE = 0.99;

/** Rows of the file with the line each starts on (csv-parse; `,` or `;` as the header line uses more). */
function readRows(text: string, where: string): CsvRow[] {
  const start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const firstLine = text.slice(start, text.indexOf('\n') >>> 0);
  const sep = (firstLine.match(/;/g)?.length ?? 0) > (firstLine.match(/,/g)?.length ?? 0) ? ';' : ',';
  try {
    return readCsvRows(text, sep);
  } catch (e) {
    if (e instanceof CsvSyntaxError) throw new ForecastDataError(`${where}${e.message}`);
    throw e;
  }
}

class Issues {
  private map = new Map<string, DataIssue>();
  add(kind: string, action: string, example: string): void {
    let i = this.map.get(kind);
    if (!i) this.map.set(kind, (i = { kind, action, count: 0, examples: [] }));
    i.count++;
    if (i.examples.length < MAX_EXAMPLES) i.examples.push(example);
  }
  addMany(kind: string, action: string, count: number, examples: string[]): void {
    if (count <= 0) return;
    this.map.set(kind, { kind, action, count, examples: examples.slice(0, MAX_EXAMPLES) });
  }
  list(): DataIssue[] {
    return [...this.map.values()];
  }
}

/** A number from a cell: blank and NaN-like markers are missing (null), anything else non-numeric is text. */
function parseNumber(cell: string | undefined): number | null | 'text' {
  if (cell === undefined) return null;
  const s = cell.trim();
  if (s === '' || /^(nan|null|na|n\/a|-|--)$/i.test(s)) return null;
  const v = Number(s);
  return Number.isFinite(v) ? v : 'text';
}

interface Row {
  line: number;
  tMs: number;
  values: Map<string, number>;
  fcIssueMs: number;
}

/** The forecast weather columns, all optional. */
const FORECAST_COLUMNS = [
  COLUMNS.fcTemperature,
  COLUMNS.fcCloud,
  COLUMNS.fcSky,
  COLUMNS.fcPop,
  COLUMNS.fcReh,
  COLUMNS.fcPty,
] as const;

/** What the header says: where each column is and which one carries the target. */
interface Header {
  col: (name: string) => number;
  /** The target's column: power (kW) or, without one, the cumulative register (kWh). */
  targetCol: string;
  fromEnergy: boolean;
  numericCols: string[];
  hasForecast: boolean;
}

/** Context every step of the import shares. */
interface ImportContext {
  where: string;
  zone: string;
  issues: Issues;
}

/** Parses the forecasting CSV into a regular series and a report of everything dropped, fixed or filled. */
export function parseForecastCsv(text: string, opts: ImportOptions): ImportResult {
  const ctx: ImportContext = {
    where: opts.file ? `${opts.file}: ` : '',
    zone: opts.zone ?? 'Asia/Seoul',
    issues: new Issues(),
  };
  const rows = readRows(text, ctx.where);
  if (rows.length === 0) throw new ForecastDataError(`${ctx.where}the file is empty`);
  const header = readHeader(rows[0].cells, opts.target, ctx);
  const dataRows = rows.length - 1;
  const parsed = readDataRows(rows.slice(1), header, ctx);
  if (parsed.length < 2)
    throw new ForecastDataError(
      `${ctx.where}fewer than two rows with a valid timestamp (${dataRows} data rows)`,
    );
  const unique = orderRows(parsed, ctx);
  const grid = placeOnGrid(unique, header, ctx);
  const { target, stepMs, startMs, count } = grid;
  if (header.fromEnergy) registerToKw(target, stepMs, grid.lineAt, ctx.issues);
  cleanTarget(target, opts.target, grid.lineAt, ctx.issues);

  // Gaps: target gaps stay missing (never invented); short measured-weather gaps are interpolated.
  const iso = (ms: number) =>
    DateTime.fromMillis(ms, { zone: ctx.zone }).toISO({ suppressMilliseconds: true })!;
  let missing = 0;
  const missEx: string[] = [];
  for (let i = 0; i < count; i++)
    if (!Number.isFinite(target[i])) {
      missing++;
      if (missEx.length < MAX_EXAMPLES) missEx.push(iso(startMs + i * stepMs));
    }
  ctx.issues.addMany('missing-target', 'left missing: not used for training or scoring', missing, missEx);
  const maxFill = opts.maxFillIntervals ?? DEFAULT_MAX_FILL_INTERVALS;
  for (const [name, a] of [
    [COLUMNS.temperature, grid.temp],
    [COLUMNS.ghi, grid.ghi],
    [COLUMNS.cloud, grid.cloud],
  ] as const)
    if (a) fillGaps(a, maxFill, name, ctx.issues);

  let targetValues = 0;
  for (let i = 0; i < count; i++) if (Number.isFinite(target[i])) targetValues++;
  if (targetValues === 0) throw new ForecastDataError(`${ctx.where}no usable ${header.targetCol} value`);
  const intervalMinutes = stepMs / MS_PER_MINUTE;
  const series: SiteSeries = { startMs, intervalMinutes, count, zone: ctx.zone, targetKw: target };
  if (grid.temp) series.temperatureC = grid.temp;
  if (grid.ghi) series.ghiWPerM2 = grid.ghi;
  if (grid.cloud) series.cloudCover = grid.cloud;
  if (grid.fc) series.forecast = grid.fc;
  return {
    series,
    report: {
      file: opts.file,
      rows: dataRows,
      targetValues,
      intervalMinutes,
      count,
      startIso: iso(startMs),
      endIso: iso(startMs + count * stepMs),
      issues: ctx.issues.list(),
    },
  };
}

/** The header's columns; refuses a file without a timestamp or a target column. */
function readHeader(cells: string[], target: Target, { where, issues }: ImportContext): Header {
  const header = cells.map((h) => h.trim().toLowerCase());
  const col = (name: string) => header.indexOf(name);
  if (col(COLUMNS.timestamp) < 0)
    throw new ForecastDataError(
      `${where}no "${COLUMNS.timestamp}" column in the header (found: ${header.join(', ')})`,
    );
  const powerCol = target === 'pv' ? COLUMNS.pv : COLUMNS.load;
  const energyCol = target === 'pv' ? COLUMNS.pvEnergy : COLUMNS.loadEnergy;
  const fromEnergy = col(powerCol) < 0 && col(energyCol) >= 0;
  if (col(powerCol) < 0 && !fromEnergy)
    throw new ForecastDataError(
      `${where}no target column: --target ${target} needs "${powerCol}" (kW) or "${energyCol}" (cumulative kWh) in the header`,
    );
  for (const h of header) if (h && !KNOWN.has(h)) issues.add('unknown-column', 'ignored', `column "${h}"`);
  const targetCol = fromEnergy ? energyCol : powerCol;
  const numericCols = [
    targetCol,
    COLUMNS.temperature,
    COLUMNS.ghi,
    COLUMNS.cloud,
    ...FORECAST_COLUMNS,
  ].filter((c) => col(c) >= 0);
  return { col, targetCol, fromEnergy, numericCols, hasForecast: FORECAST_COLUMNS.some((c) => col(c) >= 0) };
}

/** Each data row's time and numbers; rows without a usable timestamp are dropped and reported. */
function readDataRows(rows: CsvRow[], { col, numericCols }: Header, { where, issues }: ImportContext): Row[] {
  const parsed: Row[] = [];
  const badTimestamp = 'row dropped (timestamp must be ISO 8601 with a UTC offset)';
  for (const { line, cells } of rows) {
    const ts = (cells[col(COLUMNS.timestamp)] ?? '').trim();
    const dt = DateTime.fromISO(ts, { setZone: true });
    if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(ts) || !dt.isValid) {
      issues.add('bad-timestamp', badTimestamp, `line ${line}: "${ts}"`);
      continue;
    }
    if (dt.year < DATA_FIRST_YEAR || dt.year > DATA_LAST_YEAR)
      throw new ForecastDataError(
        `${where}line ${line}: timestamp "${ts}" is outside the plausible years ${DATA_FIRST_YEAR}–${DATA_LAST_YEAR}`,
      );
    const values = new Map<string, number>();
    for (const c of numericCols) {
      const v = parseNumber(cells[col(c)]);
      if (v === 'text')
        issues.add('text-in-number', 'value treated as missing', `line ${line}: ${c} = "${cells[col(c)]}"`);
      else if (v !== null) values.set(c, v);
    }
    let fcIssueMs = NaN;
    if (col(COLUMNS.fcIssue) >= 0) {
      const s = (cells[col(COLUMNS.fcIssue)] ?? '').trim();
      if (s) {
        const d = DateTime.fromISO(s, { setZone: true });
        if (d.isValid && /(Z|[+-]\d{2}:?\d{2})$/i.test(s)) fcIssueMs = d.toMillis();
        else
          issues.add(
            'bad-issue-time',
            'forecast values of the row ignored (fc_issue_time must be ISO 8601 with offset)',
            `line ${line}: "${s}"`,
          );
      }
    }
    parsed.push({ line, tMs: dt.toMillis(), values, fcIssueMs });
  }
  return parsed;
}

/** Rows in time order, one per timestamp (the first kept); refuses rows implausibly far apart. */
function orderRows(parsed: Row[], { where, zone, issues }: ImportContext): Row[] {
  let outOfOrder = 0;
  const oooEx: string[] = [];
  for (let i = 1; i < parsed.length; i++)
    if (parsed[i].tMs < parsed[i - 1].tMs) {
      outOfOrder++;
      if (oooEx.length < MAX_EXAMPLES) oooEx.push(`line ${parsed[i].line}`);
    }
  issues.addMany('non-monotonic-timestamp', 'rows sorted by time', outOfOrder, oooEx);
  parsed.sort((a, b) => a.tMs - b.tMs || a.line - b.line);
  const unique: Row[] = [];
  for (const r of parsed) {
    const prev = unique[unique.length - 1];
    if (prev && prev.tMs === r.tMs) {
      const same =
        [...r.values].every(([k, v]) => prev.values.get(k) === v) && r.values.size === prev.values.size;
      issues.add(
        same ? 'duplicate-timestamp' : 'conflicting-duplicate',
        same ? 'repeat dropped' : 'later row dropped, the first one kept',
        `line ${r.line} repeats line ${prev.line}`,
      );
      continue;
    }
    unique.push(r);
  }
  if (unique.length < 2) throw new ForecastDataError(`${where}fewer than two distinct timestamps`);
  // Checked before any grid is built: its size follows from the span, not from the rows read.
  const iso = (ms: number) => DateTime.fromMillis(ms, { zone }).toISO({ suppressMilliseconds: true });
  for (let i = 1; i < unique.length; i++) {
    const gapDays = (unique[i].tMs - unique[i - 1].tMs) / MS_PER_DAY;
    if (gapDays > MAX_ROW_GAP_DAYS)
      throw new ForecastDataError(
        `${where}line ${unique[i].line} (${iso(unique[i].tMs)}) is ${Math.round(gapDays)} days after line ` +
          `${unique[i - 1].line} (${iso(unique[i - 1].tMs)}), the row before it in time; rows more than ` +
          `${MAX_ROW_GAP_DAYS} days apart are refused (a mistyped date?)`,
      );
  }
  return unique;
}

/** The rows on a regular grid of their most common step. */
interface GridColumns {
  startMs: number;
  stepMs: number;
  count: number;
  target: Float64Array;
  temp?: Float64Array;
  ghi?: Float64Array;
  cloud?: Float64Array;
  fc?: ForecastWeather;
  /** Line of the row at each interval (0: none), for the report's examples. */
  lineAt: Int32Array;
}

/** The grid (the most common step between rows) with each row's values on it, range-checked. */
function placeOnGrid(unique: Row[], header: Header, { where, issues }: ImportContext): GridColumns {
  const { col } = header;
  const diffs = new Map<number, number>();
  for (let i = 1; i < unique.length; i++) {
    const d = unique[i].tMs - unique[i - 1].tMs;
    diffs.set(d, (diffs.get(d) ?? 0) + 1);
  }
  const stepMs = [...diffs].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0][0];
  const intervalMinutes = stepMs / MS_PER_MINUTE;
  if (
    !(intervalMinutes >= 1) ||
    !Number.isInteger(intervalMinutes) ||
    MINUTES_PER_DAY % intervalMinutes !== 0
  )
    throw new ForecastDataError(
      `${where}cannot find a regular interval (most common step ${intervalMinutes} min)`,
    );
  const startMs = unique[0].tMs;
  const count = Math.round((unique[unique.length - 1].tMs - startMs) / stepMs) + 1;
  if (count > MAX_SERIES_INTERVALS)
    throw new ForecastDataError(
      `${where}lines ${unique[0].line} to ${unique[unique.length - 1].line} span ${count} intervals of ` +
        `${intervalMinutes} min; at most ${MAX_SERIES_INTERVALS} in one file`,
    );
  const column = (name: string) => (col(name) >= 0 ? new Float64Array(count).fill(NaN) : undefined);
  const g: GridColumns = {
    startMs,
    stepMs,
    count,
    target: new Float64Array(count).fill(NaN),
    temp: column(COLUMNS.temperature),
    ghi: column(COLUMNS.ghi),
    cloud: column(COLUMNS.cloud),
    fc: header.hasForecast ? emptyForecastWeather(count) : undefined,
    lineAt: new Int32Array(count),
  };
  for (const r of unique) {
    const off = r.tMs - startMs;
    if (off % stepMs !== 0) {
      issues.add(
        'off-grid-timestamp',
        `row dropped (not on the ${intervalMinutes}-min grid)`,
        `line ${r.line}`,
      );
      continue;
    }
    const i = off / stepMs;
    g.lineAt[i] = r.line;
    const v = (c: string) => r.values.get(c) ?? NaN;
    g.target[i] = v(header.targetCol);
    if (g.temp) g.temp[i] = range(v(COLUMNS.temperature), -60, 60, 'temperature_c', r.line, issues);
    if (g.ghi) g.ghi[i] = range(v(COLUMNS.ghi), 0, 1500, 'ghi_w_per_m2', r.line, issues);
    if (g.cloud) g.cloud[i] = range(v(COLUMNS.cloud), 0, 1, 'cloud_cover', r.line, issues);
    if (g.fc) placeForecast(g.fc, i, r, issues);
  }
  return g;
}

/** A row's forecast weather at interval `i`; none without its issue time, which keeps the future out. */
function placeForecast(fc: ForecastWeather, i: number, r: Row, issues: Issues): void {
  const v = (c: string) => r.values.get(c) ?? NaN;
  const anyFc = FORECAST_COLUMNS.some((c) => r.values.has(c));
  if (anyFc && !Number.isFinite(r.fcIssueMs)) {
    issues.add(
      'forecast-without-issue-time',
      'forecast values ignored (without fc_issue_time they could leak the future)',
      `line ${r.line}`,
    );
    return;
  }
  fc.issueMs[i] = anyFc ? r.fcIssueMs : NaN;
  fc.temperatureC[i] = range(v(COLUMNS.fcTemperature), -60, 60, 'fc_tmp_c', r.line, issues);
  fc.cloudCover[i] = range(v(COLUMNS.fcCloud), 0, 1, 'fc_cloud_cover', r.line, issues);
  fc.sky[i] = kmaCode(
    v(COLUMNS.fcSky),
    KMA_SKY_CODES,
    'bad-sky-code',
    'KMA SKY is 1, 3 or 4',
    'fc_sky',
    r.line,
    issues,
  );
  fc.popPercent[i] = range(v(COLUMNS.fcPop), 0, 100, 'fc_pop', r.line, issues);
  fc.rehPercent[i] = range(v(COLUMNS.fcReh), 0, 100, 'fc_reh', r.line, issues);
  fc.ptyCode[i] = kmaCode(
    v(COLUMNS.fcPty),
    KMA_PTY_CODES,
    'bad-pty-code',
    'KMA PTY is 0 none, 1 rain, 2 rain and snow, 3 snow, 4 shower',
    'fc_pty',
    r.line,
    issues,
  );
}

/** A KMA category code as read, or NaN (with an issue naming the line) when it is none of `codes`. */
function kmaCode(
  value: number,
  codes: readonly number[],
  kind: string,
  rule: string,
  column: string,
  line: number,
  issues: Issues,
): number {
  if (!Number.isFinite(value) || codes.includes(value)) return value;
  issues.add(kind, `value treated as missing (${rule})`, `line ${line}: ${column} = ${value}`);
  return NaN;
}

/** A cumulative meter register (kWh) to mean power per interval (kW), in place; a register going back is a reset. */
function registerToKw(target: Float64Array, stepMs: number, lineAt: Int32Array, issues: Issues): void {
  const kw = new Float64Array(target.length).fill(NaN);
  let resets = 0;
  const ex: string[] = [];
  for (let i = 1; i < target.length; i++) {
    const a = target[i - 1];
    const b = target[i];
    if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
    if (b < a) {
      resets++;
      if (ex.length < MAX_EXAMPLES) ex.push(`line ${lineAt[i]}: ${a} → ${b} kWh`);
      continue;
    }
    kw[i - 1] = (b - a) / (stepMs / MS_PER_HOUR);
  }
  issues.addMany(
    'meter-reset',
    'interval dropped (the register went backwards: reset or rollover)',
    resets,
    ex,
  );
  target.set(kw);
}

function range(v: number, lo: number, hi: number, name: string, line: number, issues: Issues): number {
  if (!Number.isFinite(v)) return NaN;
  if (v < lo || v > hi) {
    issues.add(
      'out-of-range',
      'value treated as missing',
      `line ${line}: ${name} = ${v} (expected ${lo}…${hi})`,
    );
    return NaN;
  }
  return v;
}

function percentileOfPositive(a: Float64Array, q: number): number {
  const v = Array.from(a)
    .filter((x) => Number.isFinite(x) && x > 0)
    .sort((x, y) => x - y);
  return v.length ? v[Math.min(v.length - 1, Math.floor(q * v.length))] : 0;
}

function cleanTarget(t: Float64Array, target: Target, lineAt: Int32Array, issues: Issues): void {
  const median = percentileOfPositive(t, 0.5);
  for (let i = 0; i < t.length; i++)
    if (median > 0 && t[i] > SPIKE_FACTOR * median) {
      issues.add(
        'spike',
        `value dropped (more than ${SPIKE_FACTOR}× the median: meter rollover or unit slip)`,
        `line ${lineAt[i]}: ${t[i]}`,
      );
      t[i] = NaN;
    }
  const high = percentileOfPositive(t, HIGH_PERCENTILE);
  for (let i = 0; i < t.length; i++) {
    const v = t[i];
    if (!Number.isFinite(v)) continue;
    if (v < 0) {
      if (target === 'pv' && v >= -PV_NIGHT_NEGATIVE_SHARE * high) {
        issues.add('pv-night-negative', 'set to 0 (inverter standby draw)', `line ${lineAt[i]}: ${v}`);
        t[i] = 0;
      } else {
        issues.add(
          'negative-value',
          'value dropped (impossible for this target: sign error or meter reset)',
          `line ${lineAt[i]}: ${v}`,
        );
        t[i] = NaN;
      }
    }
  }
}

function fillGaps(a: Float64Array, maxFill: number, name: string, issues: Issues): void {
  let i = 0;
  while (i < a.length) {
    if (Number.isFinite(a[i])) {
      i++;
      continue;
    }
    let j = i;
    while (j < a.length && !Number.isFinite(a[j])) j++;
    const len = j - i;
    if (i > 0 && j < a.length && len <= maxFill) {
      for (let k = i; k < j; k++) a[k] = a[i - 1] + ((a[j] - a[i - 1]) * (k - i + 1)) / (len + 1);
      issues.add(
        'filled-gap',
        `short gap (≤ ${maxFill} intervals) linearly interpolated`,
        `${name}: ${len} interval(s) at index ${i}`,
      );
    } else if (len > 0) {
      issues.add(
        'weather-gap',
        'left missing (too long or at an end to interpolate)',
        `${name}: ${len} interval(s) at index ${i}`,
      );
    }
    i = j;
  }
}

/** Human-readable report of an import. */
export function formatImportReport(r: ImportReport): string {
  const lines = [
    `${r.file ?? 'data'}: ${r.rows} rows → ${r.count} intervals of ${r.intervalMinutes} min from ${r.startIso} to ${r.endIso}, ${r.targetValues} with a target value`,
  ];
  if (!r.issues.length) lines.push('  no problems found');
  for (const i of r.issues)
    lines.push(
      `  ${i.kind}: ${i.count} — ${i.action}${i.examples.length ? ` (e.g. ${i.examples.join('; ')})` : ''}`,
    );
  return lines.join('\n');
}

/** Writes a series in the forecasting CSV format. */
export function seriesToCsv(s: SiteSeries, target: Target): string {
  const cols: string[] = [COLUMNS.timestamp, target === 'pv' ? COLUMNS.pv : COLUMNS.load];
  if (s.temperatureC) cols.push(COLUMNS.temperature);
  if (s.ghiWPerM2) cols.push(COLUMNS.ghi);
  if (s.cloudCover) cols.push(COLUMNS.cloud);
  if (s.forecast) cols.push(COLUMNS.fcIssue, ...FORECAST_COLUMNS);
  const out = [cols.join(',')];
  const stepMs = s.intervalMinutes * MS_PER_MINUTE;
  const num = (v: number, d: number) => (Number.isFinite(v) ? v.toFixed(d) : '');
  for (let i = 0; i < s.count; i++) {
    const t = s.startMs + i * stepMs;
    const r = [
      DateTime.fromMillis(t, { zone: s.zone }).toISO({ suppressMilliseconds: true })!,
      num(s.targetKw[i], 2),
    ];
    if (s.temperatureC) r.push(num(s.temperatureC[i], 1));
    if (s.ghiWPerM2) r.push(num(s.ghiWPerM2[i], 1));
    if (s.cloudCover) r.push(num(s.cloudCover[i], 3));
    if (s.forecast) {
      const f = s.forecast;
      r.push(
        Number.isFinite(f.issueMs[i])
          ? DateTime.fromMillis(f.issueMs[i], { zone: s.zone }).toISO({ suppressMilliseconds: true })!
          : '',
        num(f.temperatureC[i], 1),
        num(f.cloudCover[i], 3),
        num(f.sky[i], 0),
        num(f.popPercent[i], 0),
        num(f.rehPercent[i], 0),
        num(f.ptyCode[i], 0),
      );
    }
    out.push(r.join(','));
  }
  return out.join('\n') + '\n';
}
