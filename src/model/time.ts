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
export function gridForLocalDays(startDate: string, days: number, intervalMinutes: number, zone: string): TimeGrid {
  const start = DateTime.fromISO(startDate, { zone });
  if (!start.isValid) throw new RangeError(`invalid start date "${startDate}": ${start.invalidExplanation}`);
  if (!Number.isInteger(days) || days <= 0) throw new RangeError(`days must be a positive integer, got ${days}`);
  const end = start.plus({ days });
  const startMs = start.toMillis();
  const stepMs = intervalMinutes * MS_PER_MINUTE;
  if (startMs % stepMs !== 0) throw new RangeError(`local midnight of ${startDate} is not aligned to ${intervalMinutes} min`);
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

/** Precomputed local times for every interval of a grid: luxon is too slow to call per asset per step. */
export function localTimes(grid: TimeGrid, zone: string): LocalTime[] {
  const out = new Array<LocalTime>(grid.count);
  for (let i = 0; i < grid.count; i++) out[i] = localTime(timeAt(grid, i), zone);
  return out;
}

export function toIsoLocal(ms: number, zone: string): string {
  return DateTime.fromMillis(ms, { zone }).toISO({ suppressMilliseconds: true })!;
}
