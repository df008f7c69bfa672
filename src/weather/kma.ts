import type { TimeGrid } from '../model/time.ts';
import { CsvSyntaxError, readCsvRows, type CsvRow } from './csv.ts';
import {
  DEFAULT_MONTHLY_LINKE_TURBIDITY,
  extraterrestrialNormalWPerM2,
  ineichenPerez,
  type ClearSkyIrradiance,
} from './clearsky.ts';
import { erbs, type Decomposition } from './decomposition.ts';
import { solarPositionAt } from './spa.ts';
import { averageOntoGrid, cloudCoverFromClearSkyIndex } from './synthetic.ts';
import type { SiteLocation, WeatherSeries } from './types.ts';

// Import of KMA ASOS hourly observations (기상자료개방포털 data.kma.go.kr, 종관기상관측 시간자료 CSV).
//
// Row time 일시 is Korea Standard Time (UTC+9, no daylight saving since 1988). Temperature, wind, humidity
// and cloud are readings at that time; 일사 (MJ/m²) and 일조 (h) are sums over the hour ending at it. The
// hourly series is brought onto a 5-minute base — readings interpolated linearly, the hour's irradiation
// shaped by the clear-sky curve inside the hour and scaled back to the hour's total — and averaged onto the
// requested grid, so interval means keep the observed energy and are zero while the Sun is down.

const MS_PER_HOUR = 3_600_000;
const MS_PER_MINUTE = 60_000;
const KST_OFFSET_MS = 9 * MS_PER_HOUR;
const BASE_STEP_MINUTES = 5;
const BASE_STEP_MS = BASE_STEP_MINUTES * MS_PER_MINUTE;
const STEPS_PER_HOUR = MS_PER_HOUR / BASE_STEP_MS;
/** MJ/m² per hour → mean W/m² over that hour. */
const MJ_PER_HOUR_TO_W = 1e6 / 3600;
/**
 * An hour counts as dark — a blank 일사 read as 0 — when even a clear sky would give it less than this mean
 * irradiance, W/m² (0.054 MJ/m² over the hour): KMA reports 일사 in steps of 0.01 MJ/m² and leaves twilight
 * hours blank as well as night ones.
 */
const DARK_HOUR_CLEAR_SKY_W_PER_M2 = 15;
/** Longest run of missing hours filled by interpolation unless told otherwise. */
export const DEFAULT_MAX_GAP_HOURS = 6;
/**
 * Hourly Ångström–Prescott relation for estimating 일사 from 일조 where the station has no pyranometer or
 * the reading is missing: kt = a + b · (sunshine hours in the hour). Coefficients of the common daily form
 * (Prescott 1940, a = 0.25, b = 0.50), applied hour by hour: rough, and reported as an estimate.
 */
const ANGSTROM_A = 0.25;
const ANGSTROM_B = 0.5;
/** Upper bound of a plausible hourly 일사, MJ/m² (1,400 W/m² for a full hour). */
const MAX_HOURLY_IRRADIATION_MJ = 5.04;
/** Clear-sky index bound when carrying clearness into a gap (dawn hours can show absurd ratios). */
const MAX_FILL_CLEAR_SKY_INDEX = 1.2;
/** Cloud cover assumed when a file gives no way to know it. */
const UNKNOWN_CLOUD_COVER = 0.5;
/** Most problems listed one by one in the report; the rest are counted. */
const MAX_LISTED = 200;
/**
 * Plausible years of a KMA observation: from 1904, when KMA's oldest stations (Busan, Incheon, Mokpo)
 * began, to the end of this century. A year outside is a typo, and the hourly grid built to reach it
 * would be enormous.
 */
export const KMA_FIRST_YEAR = 1904;
export const KMA_LAST_YEAR = 2099;
/**
 * Longest gap between two consecutive observations, days: a year. A station dark for longer is two
 * records, not one with a gap; a row that far from the others is a mistyped date.
 */
export const KMA_MAX_ROW_GAP_DAYS = 366;
/**
 * Longest span of one file, years: 30, a climate normal period (1991–2020), the longest record a
 * scenario's weather needs. Bounds the hourly grid and the 5-minute clear-sky series built from it.
 */
export const KMA_MAX_SPAN_YEARS = 30;
const MS_PER_DAY = 24 * MS_PER_HOUR;
const DAYS_PER_YEAR = 365.25;

/** Thrown for a file that cannot be used; says what and where. */
export class KmaCsvError extends Error {
  readonly code = 'BITGRID_ERR_KMA_CSV';
}

export interface KmaImportOptions {
  /** The station's position: needed for night detection and the clear-sky shape. */
  location: SiteLocation;
  /** Grid to resample to; default the hourly span of the file (interval starts on the hour). */
  grid?: TimeGrid;
  /** Expected 지점 number; rows of other stations are dropped and reported. */
  station?: number;
  /** Longest gap (hours) filled by interpolation; longer gaps are an error. */
  maxGapHours?: number;
  /** Linke turbidity per month for the clear-sky shape inside the hour. */
  monthlyLinkeTurbidity?: readonly number[];
}

export interface DroppedRow {
  line: number;
  reason: string;
}

export interface FilledGap {
  column: string;
  /** First missing hour (its 일시 as written, KST). */
  from: string;
  to: string;
  hours: number;
  method: 'interpolated' | 'sunshine-estimate' | 'edge-hold';
}

export interface KmaImportReport {
  encoding: 'utf-8' | 'euc-kr';
  station?: { id: number; name: string };
  /** 일시 of the first and last usable rows, KST as written. */
  firstTime: string;
  lastTime: string;
  rowsRead: number;
  rowsUsed: number;
  droppedRows: DroppedRow[];
  /** Rows dropped beyond those listed. */
  droppedRowsNotListed: number;
  /** Cells that held something that is not a number, by line. */
  unparsable: { line: number; column: string; value: string }[];
  /** Hours of the span with no row at all. */
  missingHours: number;
  /** Blank night-time 일사 read as 0 (count of hours). */
  nightZeroHours: number;
  filled: FilledGap[];
  /** Columns that were absent or entirely blank, and what was used instead. */
  notes: string[];
}

export interface KmaImportResult {
  series: WeatherSeries;
  report: KmaImportReport;
  /** The hourly values after cleaning, one per hour of the span (start of the hour = 일시 − 1 h for sums). */
  hourly: {
    /** 일시 of each hour, UTC ms. */
    timeMs: Float64Array;
    temperatureC: Float64Array;
    ghiWPerM2: Float64Array;
    windSpeedMPerS: Float64Array;
    cloudCover: Float64Array;
  };
}

/** Decode a KMA file: UTF-8 (with or without BOM) if valid, else EUC-KR/CP949. */
export function decodeKmaText(data: Buffer | Uint8Array | string): {
  text: string;
  encoding: 'utf-8' | 'euc-kr';
} {
  if (typeof data === 'string') return { text: data.replace(/^\uFEFF/, ''), encoding: 'utf-8' };
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(data);
    return { text: text.replace(/^\uFEFF/, ''), encoding: 'utf-8' };
  } catch {
    // Node's WHATWG decoder implements "euc-kr" as the CP949 superset (unified Hangul code).
    return { text: new TextDecoder('euc-kr').decode(data), encoding: 'euc-kr' };
  }
}

type ColumnKey =
  | 'station'
  | 'stationName'
  | 'time'
  | 'temperature'
  | 'precipitation'
  | 'wind'
  | 'humidity'
  | 'sunshine'
  | 'irradiation'
  | 'cloud';

/** Header names by the part before the unit bracket; KMA spells units several ways (°C, ℃, MJ/m2 …). */
const COLUMN_NAMES: Record<ColumnKey, string[]> = {
  station: ['지점', '지점번호', 'stn', 'stnid', 'station'],
  stationName: ['지점명', 'stnnm'],
  time: ['일시', 'tm', 'datetime'],
  temperature: ['기온', 'ta'],
  precipitation: ['강수량', 'rn'],
  wind: ['풍속', 'ws'],
  humidity: ['습도', 'hm'],
  sunshine: ['일조', 'ss'],
  irradiation: ['일사', '일사량', 'icsr'],
  cloud: ['전운량', 'dc10tca'],
};

function headerKey(h: string): string {
  return h
    .trim()
    .replace(/^"|"$/g, '')
    .replace(/\s*[([].*$/, '')
    .trim()
    .toLowerCase();
}

function findColumns(header: string[]): Partial<Record<ColumnKey, number>> {
  const cols: Partial<Record<ColumnKey, number>> = {};
  header.forEach((h, i) => {
    if (/qc|플래그/i.test(h)) return; // quality-flag columns share the variable's name
    const k = headerKey(h);
    for (const key of Object.keys(COLUMN_NAMES) as ColumnKey[]) {
      if (cols[key] === undefined && COLUMN_NAMES[key].includes(k)) cols[key] = i;
    }
  });
  return cols;
}

/** Parse 일시 as KST: "2024-01-01 01:00", "2024-01-01 1:00", "2024/01/01 01:00:00", "202401010100". */
function parseKst(s: string): number | undefined {
  const t = s.trim();
  let m = /^(\d{4})[-./](\d{1,2})[-./](\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(t);
  if (!m) {
    const c = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(t);
    if (c) m = [t, c[1], c[2], c[3], c[4], c[5], undefined] as unknown as RegExpExecArray;
  }
  if (!m) return undefined;
  const [y, mo, d, h, mi] = [1, 2, 3, 4, 5].map((i) => Number(m[i]));
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 24 || mi > 59) return undefined;
  const ms = Date.UTC(y, mo - 1, d, h, mi) - KST_OFFSET_MS;
  const back = new Date(Date.UTC(y, mo - 1, d));
  if (back.getUTCDate() !== d) return undefined; // 2024-02-30 and the like
  return ms;
}

function formatKst(ms: number): string {
  return new Date(ms + KST_OFFSET_MS).toISOString().slice(0, 16).replace('T', ' ');
}

interface RawColumns {
  temperature: Float64Array;
  wind: Float64Array;
  sunshine: Float64Array;
  irradiation: Float64Array;
  cloud: Float64Array;
}

/** One usable observation row: its line in the file, its 일시 (UTC ms) and its cells as written. */
interface ObservationRow {
  line: number;
  timeMs: number;
  values: (string | undefined)[];
}

/** The file's rows read and checked: by time, one per hour, within the plausible span. */
interface KmaRows {
  cols: Partial<Record<ColumnKey, number>>;
  rows: ObservationRow[];
  /** 일시 of the first and last rows, UTC ms, and the hours from one to the other inclusive. */
  t0: number;
  t1: number;
  hours: number;
}

/** The clear sky over the file's span: per hour and on the 5-minute base inside each hour. */
interface SkyOverSpan {
  /** 일시 of each hour (the end of the hour it sums), UTC ms. */
  hourTimes: Float64Array;
  /** Middle of each 5-minute step of the base, UTC ms. */
  baseTimes: Float64Array;
  pos: ReturnType<typeof solarPositionAt>;
  ghiCs: Float64Array;
  dniCs: Float64Array;
  /** Extraterrestrial horizontal and clear-sky GHI, mean over each hour, W/m². */
  extraH: Float64Array;
  clearH: Float64Array;
  isNight: (h: number) => boolean;
}

/** Hourly readings after gap filling, one per hour of the span. */
interface HourlyReadings {
  temperature: Float64Array;
  wind: Float64Array;
  hasWind: boolean;
  cloud: Float64Array;
}

/** Parse a KMA ASOS hourly CSV (Buffer in UTF-8 or EUC-KR, or a string) and resample it. */
export function parseKmaAsosCsv(data: Buffer | Uint8Array | string, opts: KmaImportOptions): KmaImportResult {
  const { text, encoding } = decodeKmaText(data);
  const report: KmaImportReport = {
    encoding,
    firstTime: '',
    lastTime: '',
    rowsRead: 0,
    rowsUsed: 0,
    droppedRows: [],
    droppedRowsNotListed: 0,
    unparsable: [],
    missingHours: 0,
    nightZeroHours: 0,
    filled: [],
    notes: [],
  };
  const read = readKmaRows(text, opts, report);
  const { cols, rows, t0, t1, hours } = read;
  report.firstTime = formatKst(t0);
  report.lastTime = formatKst(t1);
  report.missingHours = hours - rows.length;
  report.rowsUsed = rows.length;

  const raw = readRawColumns(read, report);
  const sky = clearSkyOverSpan(t0, hours, opts);
  const maxGap = opts.maxGapHours ?? DEFAULT_MAX_GAP_HOURS;
  const ghiH = hourlyIrradiance(read, raw, sky, maxGap, report);
  const readings = hourlyReadings(cols, raw, sky, ghiH, maxGap, report);
  const base = ontoBase(sky, ghiH, readings);

  // The base covers [first 일시 − 1 h, last 일시): hour h is the hour ending at hourTimes[h].
  const baseStartMs = t0 - MS_PER_HOUR;
  const spanEndMs = t1;
  const grid: TimeGrid = opts.grid ?? { startMs: baseStartMs, intervalMinutes: 60, count: hours };
  const gridEnd = grid.startMs + grid.count * grid.intervalMinutes * MS_PER_MINUTE;
  if (grid.startMs < baseStartMs || gridEnd > spanEndMs)
    throw new KmaCsvError(
      `KMA CSV covers ${formatKst(baseStartMs)} – ${formatKst(spanEndMs)} KST, but ${formatKst(grid.startMs)} – ` +
        `${formatKst(gridEnd)} KST is asked for`,
    );
  const out = averageOntoGrid(baseStartMs, BASE_STEP_MS, base, grid);
  const result: WeatherSeries = {
    startMs: grid.startMs,
    intervalMinutes: grid.intervalMinutes,
    count: grid.count,
    ghiWPerM2: out[0],
    dniWPerM2: out[1],
    dhiWPerM2: out[2],
    temperatureC: out[3],
    cloudCover: out[4],
  };
  if (readings.hasWind) result.windSpeedMPerS = out[5];
  return {
    series: result,
    report,
    hourly: {
      timeMs: sky.hourTimes,
      temperatureC: readings.temperature,
      ghiWPerM2: ghiH,
      windSpeedMPerS: readings.wind,
      cloudCover: readings.cloud,
    },
  };
}

/** The header and the usable rows of the file, sorted by time; every dropped row is in the report. */
function readKmaRows(text: string, opts: KmaImportOptions, report: KmaImportReport): KmaRows {
  let csv: CsvRow[];
  try {
    csv = readCsvRows(text);
  } catch (e) {
    if (e instanceof CsvSyntaxError) throw new KmaCsvError(`KMA CSV ${e.message}`);
    throw e;
  }
  if (csv.length === 0) throw new KmaCsvError('KMA CSV is empty');
  const { line: headerLine, cells: header } = csv[0];
  const cols = findColumns(header);
  if (cols.time === undefined)
    throw new KmaCsvError(
      `KMA CSV line ${headerLine}: no 일시 (date-time) column in the header (found: ${header.map((h) => h.trim()).join(', ')})`,
    );
  if (cols.temperature === undefined && cols.irradiation === undefined && cols.sunshine === undefined)
    throw new KmaCsvError(`KMA CSV line ${headerLine}: none of 기온, 일사, 일조 in the header`);

  const drop = (line: number, reason: string) => {
    if (report.droppedRows.length < MAX_LISTED) report.droppedRows.push({ line, reason });
    else report.droppedRowsNotListed++;
  };
  const rows: ObservationRow[] = [];
  const seen = new Map<number, number>();
  for (const { line: lineNo, cells } of csv.slice(1)) {
    report.rowsRead++;
    const timeCell = cells[cols.time]?.trim() ?? '';
    const timeMs = parseKst(timeCell);
    if (timeMs === undefined) {
      drop(lineNo, `일시 "${timeCell}" is not a date-time (expected e.g. 2024-01-01 01:00)`);
      continue;
    }
    const year = new Date(timeMs + KST_OFFSET_MS).getUTCFullYear();
    if (year < KMA_FIRST_YEAR || year > KMA_LAST_YEAR)
      throw new KmaCsvError(
        `KMA CSV line ${lineNo}: 일시 ${timeCell} is outside the plausible years ${KMA_FIRST_YEAR}–${KMA_LAST_YEAR}`,
      );
    if (timeMs % MS_PER_HOUR !== 0) {
      drop(lineNo, `일시 ${timeCell} is not on the hour (hourly data expected)`);
      continue;
    }
    if (opts.station !== undefined && cols.station !== undefined) {
      const st = Number(cells[cols.station]?.trim());
      if (st !== opts.station) {
        drop(lineNo, `station ${cells[cols.station]?.trim()} is not the expected ${opts.station}`);
        continue;
      }
    }
    if (report.station === undefined && cols.station !== undefined) {
      const id = Number(cells[cols.station]?.trim());
      if (Number.isFinite(id))
        report.station = {
          id,
          name: cols.stationName !== undefined ? (cells[cols.stationName]?.trim() ?? '') : '',
        };
    }
    const prior = seen.get(timeMs);
    if (prior !== undefined) {
      drop(lineNo, `duplicate 일시 ${timeCell} (first at line ${prior}); kept the first`);
      continue;
    }
    seen.set(timeMs, lineNo);
    rows.push({ line: lineNo, timeMs, values: cells });
  }
  if (rows.length === 0)
    throw new KmaCsvError(
      `KMA CSV has no usable rows (${report.rowsRead} read` +
        (report.droppedRows.length
          ? `; first problem: line ${report.droppedRows[0].line}: ${report.droppedRows[0].reason}`
          : '') +
        ')',
    );
  rows.sort((a, b) => a.timeMs - b.timeMs);
  checkSpan(rows);
  const t0 = rows[0].timeMs;
  const t1 = rows[rows.length - 1].timeMs;
  return { cols, rows, t0, t1, hours: Math.round((t1 - t0) / MS_PER_HOUR) + 1 };
}

/** Refuses a mistyped date before any grid is built: the grid's size follows from the span, not the rows. */
function checkSpan(rows: readonly ObservationRow[]): void {
  for (let i = 1; i < rows.length; i++) {
    const gapDays = (rows[i].timeMs - rows[i - 1].timeMs) / MS_PER_DAY;
    if (gapDays > KMA_MAX_ROW_GAP_DAYS)
      throw new KmaCsvError(
        `KMA CSV line ${rows[i].line} (${formatKst(rows[i].timeMs)}) is ${Math.round(gapDays)} days after line ` +
          `${rows[i - 1].line} (${formatKst(rows[i - 1].timeMs)}), the observation before it in time; ` +
          `observations more than ${KMA_MAX_ROW_GAP_DAYS} days apart are refused (a mistyped date?)`,
      );
  }
  const spanYears = (rows[rows.length - 1].timeMs - rows[0].timeMs) / MS_PER_DAY / DAYS_PER_YEAR;
  if (spanYears > KMA_MAX_SPAN_YEARS)
    throw new KmaCsvError(
      `KMA CSV spans ${spanYears.toFixed(1)} years, from line ${rows[0].line} (${formatKst(rows[0].timeMs)}) to ` +
        `line ${rows[rows.length - 1].line} (${formatKst(rows[rows.length - 1].timeMs)}); at most ` +
        `${KMA_MAX_SPAN_YEARS} years in one file`,
    );
}

/** The numeric columns by hour of the span (NaN where blank or unusable; the unusable are reported). */
function readRawColumns({ cols, rows, t0, hours }: KmaRows, report: KmaImportReport): RawColumns {
  const raw: RawColumns = {
    temperature: new Float64Array(hours).fill(NaN),
    wind: new Float64Array(hours).fill(NaN),
    sunshine: new Float64Array(hours).fill(NaN),
    irradiation: new Float64Array(hours).fill(NaN),
    cloud: new Float64Array(hours).fill(NaN),
  };
  const colSpecs: [keyof RawColumns, ColumnKey, string, number, number][] = [
    ['temperature', 'temperature', '기온', -60, 60],
    ['wind', 'wind', '풍속', 0, 75],
    ['sunshine', 'sunshine', '일조', 0, 1],
    ['irradiation', 'irradiation', '일사', 0, MAX_HOURLY_IRRADIATION_MJ],
    ['cloud', 'cloud', '전운량', 0, 10],
  ];
  for (const r of rows) {
    const h = Math.round((r.timeMs - t0) / MS_PER_HOUR);
    for (const [field, key, label, min, max] of colSpecs) {
      const ci = cols[key];
      if (ci === undefined) continue;
      const cell = (r.values[ci] ?? '').trim();
      if (cell === '') continue;
      const v = Number(cell);
      if (!Number.isFinite(v) || v < min || v > max) {
        if (report.unparsable.length < MAX_LISTED)
          report.unparsable.push({
            line: r.line,
            column: label,
            value: Number.isFinite(v) ? `${cell} (outside ${min}–${max})` : cell,
          });
        continue;
      }
      raw[field][h] = v;
    }
  }
  return raw;
}

/** Sun position and clear sky on the 5-minute base, and their hourly means; night = (almost) no sun. */
function clearSkyOverSpan(t0: number, hours: number, opts: KmaImportOptions): SkyOverSpan {
  const hourTimes = new Float64Array(hours);
  for (let h = 0; h < hours; h++) hourTimes[h] = t0 + h * MS_PER_HOUR;
  const baseTimes = new Float64Array(hours * STEPS_PER_HOUR);
  for (let h = 0; h < hours; h++)
    for (let s = 0; s < STEPS_PER_HOUR; s++)
      baseTimes[h * STEPS_PER_HOUR + s] = hourTimes[h] - MS_PER_HOUR + (s + 0.5) * BASE_STEP_MS;
  const pos = solarPositionAt(baseTimes, opts.location, { elevationM: opts.location.altitudeM ?? 0 });
  const turbidity = opts.monthlyLinkeTurbidity ?? DEFAULT_MONTHLY_LINKE_TURBIDITY;
  const ghiCs = new Float64Array(baseTimes.length);
  const dniCs = new Float64Array(baseTimes.length);
  const extraH = new Float64Array(hours); // extraterrestrial horizontal mean over the hour, W/m²
  const clearH = new Float64Array(hours);
  const cs: ClearSkyIrradiance = { ghiWPerM2: 0, dniWPerM2: 0, dhiWPerM2: 0 };
  for (let j = 0; j < baseTimes.length; j++) {
    const h = Math.floor(j / STEPS_PER_HOUR);
    const e0 = extraterrestrialNormalWPerM2(pos.earthSunDistanceAu[j]);
    extraH[h] += (e0 * pos.cosZenith[j]) / STEPS_PER_HOUR;
    if (pos.zenithDeg[j] < 90) {
      const month = new Date(baseTimes[j] + KST_OFFSET_MS).getUTCMonth();
      ineichenPerez(pos.zenithDeg[j], opts.location.altitudeM ?? 0, turbidity[month], e0, cs);
      ghiCs[j] = cs.ghiWPerM2;
      dniCs[j] = cs.dniWPerM2;
      clearH[h] += cs.ghiWPerM2 / STEPS_PER_HOUR;
    }
  }
  // Night hours: the hour ending at 일시 gets (almost) no clear-sky irradiation.
  const isNight = (h: number) => clearH[h] < DARK_HOUR_CLEAR_SKY_W_PER_M2;
  return { hourTimes, baseTimes, pos, ghiCs, dniCs, extraH, clearH, isNight };
}

/**
 * Hourly mean GHI, W/m²: 일사 where read, 0 for a blank night hour, estimated from 일조 where 일사 is
 * missing by day, and short remaining gaps filled in clearness (relative to clear sky).
 */
function hourlyIrradiance(
  { cols, rows, t0 }: KmaRows,
  raw: RawColumns,
  sky: SkyOverSpan,
  maxGap: number,
  report: KmaImportReport,
): Float64Array {
  const { hourTimes, clearH, extraH, isNight } = sky;
  const hours = hourTimes.length;
  const ghiH = new Float64Array(hours).fill(NaN);
  const hasIrr = cols.irradiation !== undefined && raw.irradiation.some((v) => !Number.isNaN(v));
  const hasSun = cols.sunshine !== undefined && raw.sunshine.some((v) => !Number.isNaN(v));
  const rowAt = new Uint8Array(hours);
  for (const r of rows) rowAt[Math.round((r.timeMs - t0) / MS_PER_HOUR)] = 1;
  for (let h = 0; h < hours; h++) {
    if (hasIrr && !Number.isNaN(raw.irradiation[h])) ghiH[h] = raw.irradiation[h] * MJ_PER_HOUR_TO_W;
    else if (isNight(h)) {
      ghiH[h] = 0;
      if (rowAt[h] && hasIrr) report.nightZeroHours++;
    }
  }
  if (!hasIrr) {
    report.notes.push(
      hasSun
        ? '일사 column absent or blank: GHI estimated from 일조 (hourly Ångström–Prescott, rough)'
        : '일사 and 일조 absent or blank: GHI cannot be had from this file',
    );
    if (!hasSun)
      throw new KmaCsvError(
        'KMA CSV has neither 일사 (irradiation) nor 일조 (sunshine) values: no solar data',
      );
  }
  // Where 일사 is missing by day but 일조 was read, estimate from sunshine (before interpolating).
  if (hasSun) {
    let run: { from: number; to: number } | undefined;
    const flush = () => {
      if (run)
        report.filled.push({
          column: '일사',
          from: formatKst(hourTimes[run.from]),
          to: formatKst(hourTimes[run.to]),
          hours: run.to - run.from + 1,
          method: 'sunshine-estimate',
        });
      run = undefined;
    };
    for (let h = 0; h < hours; h++) {
      if (Number.isNaN(ghiH[h]) && !Number.isNaN(raw.sunshine[h])) {
        ghiH[h] = Math.min(clearH[h] * 1.05, extraH[h] * (ANGSTROM_A + ANGSTROM_B * raw.sunshine[h]));
        if (run && run.to === h - 1) run.to = h;
        else {
          flush();
          run = { from: h, to: h };
        }
      } else if (run && run.to !== h) flush();
    }
    flush();
  }

  // Gaps in irradiance are filled in clearness (relative to clear sky), so a filled noon is not a dawn.
  const kH = new Float64Array(hours).fill(NaN);
  for (let h = 0; h < hours; h++) {
    if (isNight(h)) continue;
    if (!Number.isNaN(ghiH[h]))
      kH[h] = clearH[h] > 0 ? Math.min(MAX_FILL_CLEAR_SKY_INDEX, ghiH[h] / clearH[h]) : 0;
  }
  fillGaps(kH, (h) => !isNight(h), '일사', hourTimes, maxGap, report, true);
  for (let h = 0; h < hours; h++)
    if (!isNight(h) && Number.isNaN(ghiH[h])) ghiH[h] = Math.max(0, kH[h]) * clearH[h];
  return ghiH;
}

/** Temperature, wind and cloud cover by hour, gaps filled (cloud from clearness where not observed). */
function hourlyReadings(
  cols: Partial<Record<ColumnKey, number>>,
  raw: RawColumns,
  { hourTimes, clearH, isNight }: SkyOverSpan,
  ghiH: Float64Array,
  maxGap: number,
  report: KmaImportReport,
): HourlyReadings {
  const hours = hourTimes.length;
  const temperature = raw.temperature;
  if (cols.temperature === undefined || temperature.every((v) => Number.isNaN(v)))
    throw new KmaCsvError('KMA CSV has no 기온 (temperature) values');
  fillGaps(temperature, () => true, '기온', hourTimes, maxGap, report, false);

  const wind = raw.wind;
  const hasWind = cols.wind !== undefined && wind.some((v) => !Number.isNaN(v));
  if (hasWind) fillGaps(wind, () => true, '풍속', hourTimes, maxGap, report, false);
  else report.notes.push('풍속 absent or blank: no wind speed in the series');

  // Cloud cover: observed tenths where present (often only every 3 h), else from the clearness index.
  const cloud = new Float64Array(hours).fill(NaN);
  const hasCloud = cols.cloud !== undefined && raw.cloud.some((v) => !Number.isNaN(v));
  for (let h = 0; h < hours; h++) {
    if (hasCloud && !Number.isNaN(raw.cloud[h])) cloud[h] = raw.cloud[h] / 10;
    else if (!hasCloud && !isNight(h) && clearH[h] > 0)
      cloud[h] = cloudCoverFromClearSkyIndex(ghiH[h] / clearH[h]);
  }
  if (!hasCloud) report.notes.push('전운량 absent or blank: cloud cover derived from daytime clearness');
  // Cloud is a slow, sparse observation: interpolate across any gap (night included) without reporting.
  if (cloud.every((v) => Number.isNaN(v))) {
    cloud.fill(UNKNOWN_CLOUD_COVER);
    report.notes.push(
      `no cloud information at all (night-only file without 전운량): cloud cover set to ${UNKNOWN_CLOUD_COVER}`,
    );
  } else fillGaps(cloud, () => true, '전운량', hourTimes, Infinity, undefined, false);
  return { temperature, wind, hasWind, cloud };
}

/**
 * The hourly series on the 5-minute base: readings interpolated between hours, each hour's irradiation
 * shaped by the clear-sky curve inside it and scaled back to its total, then split into beam and
 * diffuse. Returns GHI, DNI, DHI, temperature, cloud cover and (when read) wind speed, in that order.
 */
function ontoBase(sky: SkyOverSpan, ghiH: Float64Array, readings: HourlyReadings): Float64Array[] {
  const { baseTimes, pos, dniCs } = sky;
  const { temperature, wind, hasWind, cloud } = readings;
  const hours = ghiH.length;
  const nBase = baseTimes.length;
  const gB = new Float64Array(nBase);
  const bB = new Float64Array(nBase);
  const dB = new Float64Array(nBase);
  const tB = new Float64Array(nBase);
  const wB = new Float64Array(nBase);
  const cB = new Float64Array(nBase);
  const dec: Decomposition = { dniWPerM2: 0, dhiWPerM2: 0, clearnessIndex: 0 };
  for (let h = 0; h < hours; h++) {
    shapeHourIrradiance(sky, ghiH, h, gB);
    for (let s = 0; s < STEPS_PER_HOUR; s++) {
      const j = h * STEPS_PER_HOUR + s;
      if (gB[j] > 0) {
        erbs(gB[j], pos.zenithDeg[j], extraterrestrialNormalWPerM2(pos.earthSunDistanceAu[j]), dniCs[j], dec);
        bB[j] = dec.dniWPerM2;
        dB[j] = dec.dhiWPerM2;
      }
      // Readings: linear between the reading at the end of the previous hour and this one.
      const w = (s + 0.5) / STEPS_PER_HOUR;
      const lerp = (a: Float64Array) => (h > 0 ? a[h - 1] + w * (a[h] - a[h - 1]) : a[h]);
      tB[j] = lerp(temperature);
      if (hasWind) wB[j] = lerp(wind);
      cB[j] = Math.min(1, Math.max(0, lerp(cloud)));
    }
  }
  const series = [gB, bB, dB, tB, cB];
  if (hasWind) series.push(wB);
  return series;
}

/** Hour `h`'s GHI on the base (into `gB`): clearness interpolated from the neighbouring hours, scaled to the hour's total. */
function shapeHourIrradiance(sky: SkyOverSpan, ghiH: Float64Array, h: number, gB: Float64Array): void {
  const { pos, ghiCs, clearH } = sky;
  const hours = ghiH.length;
  const kPrev = h > 0 && clearH[h - 1] > 0 ? ghiH[h - 1] / clearH[h - 1] : NaN;
  const kCur = clearH[h] > 0 ? ghiH[h] / clearH[h] : NaN;
  const kNext = h + 1 < hours && clearH[h + 1] > 0 ? ghiH[h + 1] / clearH[h + 1] : NaN;
  let sum = 0;
  for (let s = 0; s < STEPS_PER_HOUR; s++) {
    const j = h * STEPS_PER_HOUR + s;
    const f = (s + 0.5) / STEPS_PER_HOUR - 0.5; // −0.5 … 0.5 around the hour's centre
    const other = f < 0 ? kPrev : kNext;
    const k = Number.isNaN(kCur) ? 0 : Number.isNaN(other) ? kCur : kCur + Math.abs(f) * (other - kCur);
    gB[j] = ghiCs[j] * Math.max(0, k);
    sum += gB[j];
  }
  const target = ghiH[h] * STEPS_PER_HOUR;
  if (!(target > 0)) for (let s = 0; s < STEPS_PER_HOUR; s++) gB[h * STEPS_PER_HOUR + s] = 0;
  else if (sum > 0) for (let s = 0; s < STEPS_PER_HOUR; s++) gB[h * STEPS_PER_HOUR + s] *= target / sum;
  else {
    // Observed light with no clear-sky sun in the hour (twilight, timing): spread where the Sun is up.
    let up = 0;
    for (let s = 0; s < STEPS_PER_HOUR; s++) if (pos.cosZenith[h * STEPS_PER_HOUR + s] > 0) up++;
    for (let s = 0; s < STEPS_PER_HOUR; s++) {
      const j = h * STEPS_PER_HOUR + s;
      gB[j] = up > 0 ? (pos.cosZenith[j] > 0 ? target / up : 0) : target / STEPS_PER_HOUR;
    }
  }
}

/**
 * Fill NaN runs of `values` (among the indices where `applies`; others are skipped over) by linear
 * interpolation between the nearest valid neighbours; at the ends of the file the nearest value is held.
 * Runs of more than `maxGapHours` applicable hours are an error.
 */
function fillGaps(
  values: Float64Array,
  applies: (h: number) => boolean,
  column: string,
  hourTimes: Float64Array,
  maxGapHours: number,
  report: KmaImportReport | undefined,
  nonNegative: boolean,
): void {
  const idx: number[] = [];
  for (let i = 0; i < values.length; i++) if (applies(i)) idx.push(i);
  if (idx.length === 0) return;
  if (idx.every((i) => Number.isNaN(values[i])))
    throw new KmaCsvError(`KMA CSV: no valid ${column} value at all`);
  let k = 0;
  while (k < idx.length) {
    if (!Number.isNaN(values[idx[k]])) {
      k++;
      continue;
    }
    let e = k;
    while (e + 1 < idx.length && Number.isNaN(values[idx[e + 1]])) e++;
    const before = k > 0 ? idx[k - 1] : -1;
    const after = e + 1 < idx.length ? idx[e + 1] : -1;
    const gapHours = e - k + 1;
    const from = formatKst(hourTimes[idx[k]]);
    const to = formatKst(hourTimes[idx[e]]);
    const atEdge = before < 0 || after < 0;
    if (gapHours > maxGapHours)
      throw new KmaCsvError(
        `KMA CSV: ${column} is missing for ${gapHours} h from ${from} to ${to} KST` +
          (atEdge ? ' at the start or end of the file' : '') +
          ` (more than ${maxGapHours} h can be filled; ${atEdge ? 'trim the file or ' : ''}raise maxGapHours to fill it anyway)`,
      );
    for (let j = k; j <= e; j++) {
      const i = idx[j];
      let v: number;
      if (!atEdge) v = values[before] + ((i - before) / (after - before)) * (values[after] - values[before]);
      else v = before >= 0 ? values[before] : values[after];
      values[i] = nonNegative ? Math.max(0, v) : v;
    }
    report?.filled.push({ column, from, to, hours: gapHours, method: atEdge ? 'edge-hold' : 'interpolated' });
    k = e + 1;
  }
}
