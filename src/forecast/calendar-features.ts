import { DateTime } from 'luxon';
import { koreanHolidayCalendar, type HolidayCalendar } from '../model/calendar.ts';

// Local calendar of every interval of a grid, computed once per grid (luxon is too slow to call per
// interval per fit) and cached: the backtest asks for the same grid hundreds of times.

export const DAY_WEEKDAY = 0;
export const DAY_SATURDAY = 1;
export const DAY_SUNDAY_HOLIDAY = 2;

export interface GridCalendar {
  /** Local whole hour 0–23 of the interval start. */
  hour: Int8Array;
  /** ISO weekday 1 (Mon) … 7 (Sun). */
  weekday: Int8Array;
  /** 0 weekday, 1 Saturday, 2 Sunday or public holiday (incl. substitute holidays). */
  dayKind: Int8Array;
  /** Public holiday (not counting ordinary Sundays). */
  holiday: Uint8Array;
  /** Local day number (days since 1970-01-01 of the local date): changes at local midnight. */
  localDay: Int32Array;
}

/** Allocation step in intervals. */
const GROW_STEP = 4096;
const cache = new Map<string, GridCalendar>();
const CACHE_SIZE = 16;

export function gridCalendar(
  startMs: number,
  intervalMinutes: number,
  count: number,
  zone: string,
  calendar: HolidayCalendar = koreanHolidayCalendar(),
  calendarKey = 'kr',
): GridCalendar {
  const key = `${zone}|${startMs}|${intervalMinutes}|${calendarKey}`;
  // Room to grow: callers ask for ever longer grids (rolling backtests), so round up.
  count = Math.ceil((count + 1) / GROW_STEP) * GROW_STEP;
  const hit = cache.get(key);
  if (hit && hit.hour.length >= count) return hit;
  const out: GridCalendar = {
    hour: new Int8Array(count),
    weekday: new Int8Array(count),
    dayKind: new Int8Array(count),
    holiday: new Uint8Array(count),
    localDay: new Int32Array(count),
  };
  const stepMs = intervalMinutes * 60_000;
  let lastDate = '';
  let kind = 0;
  let hol = 0;
  let dayNo = 0;
  for (let i = 0; i < count; i++) {
    const d = DateTime.fromMillis(startMs + i * stepMs, { zone });
    const date = d.toISODate()!;
    if (date !== lastDate) {
      lastDate = date;
      hol = calendar.isHoliday(date) ? 1 : 0;
      kind = d.weekday === 7 || hol ? DAY_SUNDAY_HOLIDAY : d.weekday === 6 ? DAY_SATURDAY : DAY_WEEKDAY;
      dayNo = Math.round(Date.UTC(d.year, d.month - 1, d.day) / 86_400_000);
    }
    out.hour[i] = d.hour;
    out.weekday[i] = d.weekday;
    out.dayKind[i] = kind;
    out.holiday[i] = hol;
    out.localDay[i] = dayNo;
  }
  cache.set(key, out);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  return out;
}

/** UTC ms of local midnight starting the local date that contains `tMs`, plus `days`. */
export function localMidnightMs(tMs: number, zone: string, days = 0): number {
  return DateTime.fromMillis(tMs, { zone }).startOf('day').plus({ days }).toMillis();
}

/** UTC ms of a local hour on the local date containing `tMs`. */
export function localHourMs(tMs: number, zone: string, hour: number): number {
  return DateTime.fromMillis(tMs, { zone }).startOf('day').plus({ hours: hour }).toMillis();
}
