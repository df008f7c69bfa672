import { DateTime } from 'luxon';

export const MS_PER_MINUTE = 60_000;
export const MS_PER_HOUR = 3_600_000;
export const MS_PER_DAY = 86_400_000;

/** Fixed-step grid of interval starts, UTC epoch ms, aligned to the interval length. */
export interface TimeGrid {
  startMs: number;
  intervalMinutes: number;
  count: number;
}

export function intervalMs(grid: Pick<TimeGrid, 'intervalMinutes'>): number {
  return grid.intervalMinutes * MS_PER_MINUTE;
}

export function timeAt(grid: TimeGrid, index: number): number {
  return grid.startMs + index * grid.intervalMinutes * MS_PER_MINUTE;
}

export function intervalHours(grid: Pick<TimeGrid, 'intervalMinutes'>): number {
  return grid.intervalMinutes / 60;
}

/** The grid covering `days` local days from local midnight of `startDate` (YYYY-MM-DD) in `zone`. */
export function gridForLocalDays(
  startDate: string,
  days: number,
  intervalMinutes: number,
  zone: string,
): TimeGrid {
  const start = DateTime.fromISO(startDate, { zone });
  if (!start.isValid) throw new RangeError(`invalid start date "${startDate}": ${start.invalidExplanation}`);
  if (!Number.isInteger(days) || days <= 0)
    throw new RangeError(`days must be a positive integer, got ${days}`);
  const end = start.plus({ days });
  const startMs = start.toMillis();
  const stepMs = intervalMinutes * MS_PER_MINUTE;
  if (startMs % stepMs !== 0)
    throw new RangeError(`local midnight of ${startDate} is not aligned to ${intervalMinutes} min`);
  return { startMs, intervalMinutes, count: Math.round((end.toMillis() - startMs) / stepMs) };
}

/** Local calendar fields of an instant, computed once per call; cheap enough for per-interval use. */
export interface LocalTime {
  year: number;
  month: number; // 1–12
  day: number;
  /** 1 = Monday … 7 = Sunday (ISO). */
  weekday: number;
  /** Fractional hour of day, 0 ≤ h < 24. */
  hour: number;
  /** YYYY-MM-DD */
  date: string;
  /** Day of year, 1-based. */
  dayOfYear: number;
}

export function localTime(ms: number, zone: string): LocalTime {
  const d = DateTime.fromMillis(ms, { zone });
  return {
    year: d.year,
    month: d.month,
    day: d.day,
    weekday: d.weekday,
    hour: d.hour + d.minute / 60 + d.second / 3600,
    date: d.toISODate()!,
    dayOfYear: d.ordinal,
  };
}

/**
 * Precomputed local times for every interval of a grid. Luxon per interval costs seconds for a year,
 * so the zone offset is asked once per day and the fields come from plain UTC arithmetic; a day whose
 * offset changes (a daylight-saving switch) falls back to luxon for each of its intervals.
 */
export function localTimes(grid: TimeGrid, zone: string): LocalTime[] {
  const out = new Array<LocalTime>(grid.count);
  const offsetMinutesAt = (ms: number) => DateTime.fromMillis(ms, { zone }).offset;
  let i = 0;
  while (i < grid.count) {
    const dayStartMs = timeAt(grid, i);
    const offsetStart = offsetMinutesAt(dayStartMs);
    const perDay = Math.max(1, Math.round(MS_PER_DAY / intervalMs(grid)));
    const last = Math.min(grid.count, i + perDay) - 1;
    const offsetEnd = offsetMinutesAt(timeAt(grid, last));
    for (let k = i; k <= last; k++) {
      const ms = timeAt(grid, k);
      out[k] = offsetStart === offsetEnd ? fromOffset(ms, offsetStart) : localTime(ms, zone);
    }
    i = last + 1;
  }
  return out;
}

function fromOffset(ms: number, offsetMinutes: number): LocalTime {
  const d = new Date(ms + offsetMinutes * MS_PER_MINUTE);
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth() + 1;
  const day = d.getUTCDate();
  const dow = d.getUTCDay();
  return {
    year,
    month,
    day,
    weekday: dow === 0 ? 7 : dow,
    hour: d.getUTCHours() + d.getUTCMinutes() / 60 + d.getUTCSeconds() / 3600,
    date: `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`,
    dayOfYear: Math.floor((Date.UTC(year, month - 1, day) - Date.UTC(year, 0, 1)) / MS_PER_DAY) + 1,
  };
}

export function toIsoLocal(ms: number, zone: string): string {
  return DateTime.fromMillis(ms, { zone }).toISO({ suppressMilliseconds: true })!;
}
