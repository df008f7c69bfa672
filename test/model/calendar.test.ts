import { describe, expect, it } from 'vitest';
import { dayKind, koreanHolidayCalendar } from '../../src/model/index.ts';

// Published 관공서 공휴일 (including 대체공휴일) for the years the reference schedules cover.
const HOLIDAYS: Record<number, string[]> = {
  2024: [
    '01-01',
    '02-09',
    '02-10',
    '02-11',
    '02-12',
    '03-01',
    '04-10',
    '05-05',
    '05-06',
    '05-15',
    '06-06',
    '08-15',
    '09-16',
    '09-17',
    '09-18',
    '10-01',
    '10-03',
    '10-09',
    '12-25',
  ],
  2025: [
    '01-01',
    '01-28',
    '01-29',
    '01-30',
    '03-01',
    '03-03',
    '05-05',
    '05-06',
    '06-03',
    '06-06',
    '08-15',
    '10-03',
    '10-05',
    '10-06',
    '10-07',
    '10-08',
    '10-09',
    '12-25',
  ],
  // 제헌절 (07-17) is a public holiday again from 2026, as date-holidays has it.
  2026: [
    '01-01',
    '02-16',
    '02-17',
    '02-18',
    '03-01',
    '03-02',
    '05-05',
    '05-24',
    '05-25',
    '06-03',
    '06-06',
    '07-17',
    '08-15',
    '08-17',
    '09-24',
    '09-25',
    '09-26',
    '10-03',
    '10-05',
    '10-09',
    '12-25',
  ],
};
// One-off days the national rules do not produce (elections, designated days) come from config.
const ONE_OFF = ['2024-04-10', '2024-10-01', '2025-01-27', '2025-06-03', '2026-06-03'];

describe('Korean holiday calendar', () => {
  const cal = koreanHolidayCalendar(ONE_OFF);
  for (const [year, days] of Object.entries(HOLIDAYS)) {
    it(`matches the published ${year} holidays`, () => {
      const expected = new Set(
        days.map((d) => `${year}-${d}`).concat(ONE_OFF.filter((d) => d.startsWith(year))),
      );
      const got: string[] = [];
      for (let t = Date.UTC(+year, 0, 1); t < Date.UTC(+year + 1, 0, 1); t += 86_400_000) {
        const date = new Date(t).toISOString().slice(0, 10);
        if (cal.isHoliday(date)) got.push(date);
      }
      expect(got.sort()).toEqual([...expected].sort());
    });
  }

  it('classifies days for tariffs and shifts', () => {
    expect(dayKind('2026-08-03', 1, cal)).toBe('weekday');
    expect(dayKind('2026-08-08', 6, cal)).toBe('saturday');
    expect(dayKind('2026-08-09', 7, cal)).toBe('sunday_holiday');
    expect(dayKind('2026-09-25', 5, cal)).toBe('sunday_holiday');
  });
});
