import Holidays from 'date-holidays';

// Korean public holidays ("관공서의 공휴일에 관한 규정") including substitute holidays, from the
// date-holidays package (lunar dates computed), widened to the three-day 설날 and 추석 spans that
// the package lists by one day only: 설날 by its main day (lunar 1/1), 추석 by the first day of its
// span (lunar 8/14) — checked against the published calendars in test/model/calendar.test.ts.
// Elections and one-off designated days come from config.

const cache = new Map<number, Set<string>>();

function nationalHolidays(year: number): Set<string> {
  let set = cache.get(year);
  if (set) return set;
  set = new Set<string>();
  const hd = new Holidays('KR');
  for (const h of hd.getHolidays(year)) {
    if (h.type !== 'public') continue;
    const date = h.date.slice(0, 10);
    set.add(date);
    const isSubstitute = 'substitute' in h && Boolean(h.substitute);
    if (h.name === '설날' && !isSubstitute) {
      set.add(shiftDate(date, -1));
      set.add(shiftDate(date, 1));
    }
    if (h.name === '추석' && !isSubstitute) {
      set.add(shiftDate(date, 1));
      set.add(shiftDate(date, 2));
    }
  }
  cache.set(year, set);
  return set;
}

function shiftDate(date: string, days: number): string {
  const d = new Date(date + 'T00:00:00Z');
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

export interface HolidayCalendar {
  /** True on national public holidays and configured extra holidays (local date YYYY-MM-DD). */
  isHoliday(date: string): boolean;
}

export function koreanHolidayCalendar(extraHolidays: readonly string[] = []): HolidayCalendar {
  const extra = new Set(extraHolidays);
  return {
    isHoliday(date: string): boolean {
      return extra.has(date) || nationalHolidays(Number(date.slice(0, 4))).has(date);
    },
  };
}

export type DayKind = 'weekday' | 'saturday' | 'sunday_holiday';

/** Sundays and public holidays are one kind for both tariffs and work schedules. */
export function dayKind(date: string, weekday: number, calendar: HolidayCalendar): DayKind {
  if (weekday === 7 || calendar.isHoliday(date)) return 'sunday_holiday';
  if (weekday === 6) return 'saturday';
  return 'weekday';
}
