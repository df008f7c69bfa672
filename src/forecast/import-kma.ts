import { DateTime } from 'luxon';
import { parseKmaAsosCsv, type KmaImportReport } from '../weather/index.ts';
import { emptyForecastWeather } from './series.ts';
import type { ForecastWeather, SiteSeries } from './types.ts';

// Importers that bring KMA data into the forecasting CSV:
// - ASOS hourly observations (parsed by src/weather/kma.ts) → measured temperature, GHI and cloud cover
//   resampled onto the target's grid;
// - 단기예보 (short-range forecast, 공공데이터포털 VilageFcstInfoService getVilageFcst): rows of
//   baseDate, baseTime, category, fcstDate, fcstTime, fcstValue, as the API's JSON or as CSV. Times are
//   KST. Each row of the target gets the forecast that was available at its day-ahead issue time.

/** KMA publishes each 단기예보 base time about 10 minutes after it (API release at 02:10, 05:10, …). */
export const KMA_PUBLISH_DELAY_MINUTES = 10;
/** KMA marks missing values with -999 / 999-like sentinels; anything this large in magnitude is missing. */
const KMA_MISSING_ABS = 900;
const KST = 'Asia/Seoul';
const CATEGORIES = ['TMP', 'SKY', 'PTY', 'POP', 'REH', 'WSD'] as const;
type Category = (typeof CATEGORIES)[number];

export interface KmaForecastIssue {
  /** Base time (발표시각), UTC ms. */
  baseMs: number;
  /** When the issue became available (base + publish delay), UTC ms. */
  availableMs: number;
  /** Valid time (fcstDate/fcstTime, UTC ms) → category values. */
  values: Map<number, Partial<Record<Category, number>>>;
}

export interface KmaForecastReport {
  rows: number;
  used: number;
  issues: number;
  /** Problems, e.g. "line 7: fcstValue "강수없음" is not a number". */
  dropped: string[];
  droppedNotListed: number;
}

const MAX_LISTED = 50;

function kst(date: string, time: string): number {
  const d = String(date).trim();
  const t = String(time).trim().padStart(4, '0');
  if (!/^\d{8}$/.test(d) || !/^\d{4}$/.test(t)) return NaN;
  const dt = DateTime.fromObject(
    {
      year: +d.slice(0, 4),
      month: +d.slice(4, 6),
      day: +d.slice(6, 8),
      hour: +t.slice(0, 2),
      minute: +t.slice(2, 4),
    },
    { zone: KST },
  );
  return dt.isValid ? dt.toMillis() : NaN;
}

/** Parses 단기예보 rows from the API's JSON (response.body.items.item, or a bare array) or from CSV. */
export function parseKmaShortRange(
  text: string,
  publishDelayMinutes = KMA_PUBLISH_DELAY_MINUTES,
): { issues: KmaForecastIssue[]; report: KmaForecastReport } {
  let items: Record<string, unknown>[];
  const trimmed = text.replace(/^\ufeff/, '').trim();
  let lineOf = (i: number) => `item ${i + 1}`;
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch (e) {
      throw new RangeError(`단기예보 JSON is not valid: ${(e as Error).message}`);
    }
    const body = (
      json as {
        response?: {
          header?: { resultCode?: string; resultMsg?: string };
          body?: { items?: { item?: unknown } };
        };
      }
    ).response;
    if (body?.header?.resultCode && body.header.resultCode !== '00')
      throw new RangeError(`단기예보 API error ${body.header.resultCode}: ${body.header.resultMsg ?? ''}`);
    const arr = Array.isArray(json) ? json : body?.body?.items?.item;
    if (!Array.isArray(arr))
      throw new RangeError('단기예보 JSON: expected response.body.items.item to be a list of rows');
    items = arr as Record<string, unknown>[];
  } else {
    const lines = trimmed.split(/\r?\n/).filter((l) => l.trim() !== '');
    if (lines.length === 0) throw new RangeError('단기예보 file is empty');
    const header = lines[0].split(',').map((h) => h.trim());
    for (const need of ['baseDate', 'baseTime', 'category', 'fcstDate', 'fcstTime', 'fcstValue'])
      if (!header.includes(need))
        throw new RangeError(`단기예보 CSV: no "${need}" column in the header (found: ${header.join(', ')})`);
    items = lines.slice(1).map((l) => {
      const cells = l.split(',');
      return Object.fromEntries(header.map((h, i) => [h, (cells[i] ?? '').trim()]));
    });
    lineOf = (i: number) => `line ${i + 2}`;
  }
  const report: KmaForecastReport = {
    rows: items.length,
    used: 0,
    issues: 0,
    dropped: [],
    droppedNotListed: 0,
  };
  const drop = (msg: string) => {
    if (report.dropped.length < MAX_LISTED) report.dropped.push(msg);
    else report.droppedNotListed++;
  };
  const byBase = new Map<number, KmaForecastIssue>();
  items.forEach((it, i) => {
    const cat = String(it.category ?? '').trim() as Category;
    if (!CATEGORIES.includes(cat)) return; // TMN, TMX, UUU, VVV, VEC, WAV, PCP, SNO: not used
    const baseMs = kst(String(it.baseDate ?? ''), String(it.baseTime ?? ''));
    const validMs = kst(String(it.fcstDate ?? ''), String(it.fcstTime ?? ''));
    if (!Number.isFinite(baseMs) || !Number.isFinite(validMs))
      return drop(`${lineOf(i)}: bad baseDate/baseTime or fcstDate/fcstTime`);
    const v = Number(String(it.fcstValue ?? '').trim());
    if (!Number.isFinite(v) || Math.abs(v) >= KMA_MISSING_ABS)
      return drop(`${lineOf(i)}: ${cat} fcstValue "${it.fcstValue}" is not a usable number`);
    let issue = byBase.get(baseMs);
    if (!issue)
      byBase.set(
        baseMs,
        (issue = { baseMs, availableMs: baseMs + publishDelayMinutes * 60_000, values: new Map() }),
      );
    let rec = issue.values.get(validMs);
    if (!rec) issue.values.set(validMs, (rec = {}));
    rec[cat] = v;
    report.used++;
  });
  const issues = [...byBase.values()].sort((a, b) => a.baseMs - b.baseMs);
  report.issues = issues.length;
  return { issues, report };
}

/**
 * Forecast columns for a grid: each interval gets the values valid at its start from the latest issue
 * available by its day-ahead issue time (`issueHour` local the day before).
 */
export function dayAheadColumns(
  issues: KmaForecastIssue[],
  grid: Pick<SiteSeries, 'startMs' | 'intervalMinutes' | 'count' | 'zone'>,
  issueHour: number,
): ForecastWeather {
  const out = emptyForecastWeather(grid.count);
  const stepMs = grid.intervalMinutes * 60_000;
  for (let i = 0; i < grid.count; i++) {
    const t = grid.startMs + i * stepMs;
    const tau = DateTime.fromMillis(t, { zone: grid.zone })
      .startOf('day')
      .minus({ days: 1 })
      .plus({ hours: issueHour })
      .toMillis();
    for (let k = issues.length - 1; k >= 0; k--) {
      const is = issues[k];
      if (is.availableMs > tau) continue;
      const rec = is.values.get(t);
      if (!rec) continue;
      out.issueMs[i] = is.availableMs;
      out.temperatureC[i] = rec.TMP ?? NaN;
      out.sky[i] = rec.SKY ?? NaN;
      out.popPercent[i] = rec.POP ?? NaN;
      out.rehPercent[i] = rec.REH ?? NaN;
      out.ptyCode[i] = rec.PTY ?? NaN;
      break;
    }
  }
  return out;
}

/** Adds ASOS observations (measured weather on the series' grid) to a series; returns the KMA report. */
export function addAsosObservations(
  series: SiteSeries,
  asosCsv: Buffer | string,
  location: { latitudeDeg: number; longitudeDeg: number; altitudeM?: number },
): KmaImportReport {
  const { series: w, report } = parseKmaAsosCsv(asosCsv, {
    location,
    grid: { startMs: series.startMs, intervalMinutes: series.intervalMinutes, count: series.count },
  });
  series.temperatureC = w.temperatureC;
  series.ghiWPerM2 = w.ghiWPerM2;
  series.cloudCover = w.cloudCover;
  return report;
}
