import { DateTime } from 'luxon';
import { MS_PER_DAY, MS_PER_HOUR, MS_PER_MINUTE } from '../model/time.ts';

// Local calendar fields without a luxon call per interval (luxon costs ≈ 13 µs a call, ≈ 0.5 s for a year at
// 15 min). The zone offset is looked up once per UTC day and reused when it is the same at both ends of that
// day; on a day with an offset change every instant is looked up exactly.

export interface LocalDay {
  /** Days since 1970-01-01 in local time. */
  index: number;
  year: number;
  month: number;
  day: number;
  /** 1 = Monday … 7 = Sunday (ISO). */
  weekday: number;
  /** YYYY-MM-DD */
  date: string;
}

export class LocalClock {
  private readonly offsets = new Map<number, number>();
  private readonly monthBounds = new Map<number, { startMs: number; endMs: number }>();

  constructor(readonly zone: string) {
    if (!DateTime.fromMillis(0, { zone }).isValid) throw new RangeError(`unknown IANA time zone "${zone}"`);
  }

  offsetMs(timeMs: number): number {
    const utcDay = Math.floor(timeMs / MS_PER_DAY);
    let offset = this.offsets.get(utcDay);
    if (offset === undefined) {
      const a = this.exactOffsetMs(utcDay * MS_PER_DAY);
      const b = this.exactOffsetMs((utcDay + 1) * MS_PER_DAY - 1);
      offset = a === b ? a : NaN;
      this.offsets.set(utcDay, offset);
    }
    return Number.isNaN(offset) ? this.exactOffsetMs(timeMs) : offset;
  }

  /** Local day index and local hour 0–23 of an instant. */
  split(timeMs: number): { dayIndex: number; hour: number } {
    const localMs = timeMs + this.offsetMs(timeMs);
    const dayIndex = Math.floor(localMs / MS_PER_DAY);
    return { dayIndex, hour: Math.floor((localMs - dayIndex * MS_PER_DAY) / MS_PER_HOUR) };
  }

  static day(dayIndex: number): LocalDay {
    const d = new Date(dayIndex * MS_PER_DAY);
    const weekday = ((((dayIndex + 3) % 7) + 7) % 7) + 1; // 1970-01-01 was a Thursday
    return {
      index: dayIndex,
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      weekday,
      date: d.toISOString().slice(0, 10),
    };
  }

  /** UTC bounds of a local calendar month. */
  month(year: number, month: number): { startMs: number; endMs: number } {
    const key = year * 12 + month - 1;
    let bounds = this.monthBounds.get(key);
    if (!bounds) {
      const start = DateTime.fromObject({ year, month, day: 1 }, { zone: this.zone });
      bounds = { startMs: start.toMillis(), endMs: start.plus({ months: 1 }).toMillis() };
      this.monthBounds.set(key, bounds);
    }
    return bounds;
  }

  private exactOffsetMs(timeMs: number): number {
    return DateTime.fromMillis(timeMs, { zone: this.zone }).offset * MS_PER_MINUTE;
  }
}
