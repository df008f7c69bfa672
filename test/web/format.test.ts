import { beforeAll, describe, expect, it } from 'vitest';

// The dashboard's formats in Korean (its default language): dates as "8월 3일", 24-hour times,
// durations in words, and chart times on the district's clock whatever the machine's zone.

// Imported at run time by URL: the web code has its own TypeScript settings (DOM, JSON modules) and
// is kept out of the root program that type-checks the tests.
const WEB = new URL('../../web/src/', import.meta.url).href;
let day: (t: number, zone: string) => string;
let duration: (minutes: number) => string;
let hourMinute: (t: number, zone: string) => string;
let krwShort: (v: number) => string;
let time: (t: string | number, zone?: string, withDate?: boolean) => string;
let timeAxis: () => { axisLabel: { formatter: (v: number) => string } };
let wallClock: (zone: string) => (ms: number) => number;
beforeAll(async () => {
  ({ day, duration, hourMinute, krwShort, time } = await import(`${WEB}format.ts`));
  ({ timeAxis, wallClock } = await import(`${WEB}charts.ts`));
});

const SEOUL = 'Asia/Seoul';
const MIDNIGHT_SEOUL = Date.parse('2026-08-03T00:00:00+09:00');

describe('dashboard formats (Korean)', () => {
  it('writes dates and times the Korean way on the district clock', () => {
    expect(day(MIDNIGHT_SEOUL, SEOUL)).toBe('8월 3일');
    expect(time('2026-08-03T13:05:09+09:00', SEOUL, true)).toBe('8월 3일 13:05');
    expect(time('2026-08-03T00:05:09+09:00', SEOUL)).toBe('00:05:09');
    expect(time('not a time', SEOUL)).toBe('—');
  });

  it('writes durations in words, never as ISO 8601', () => {
    expect(duration(5)).toBe('5분');
    expect(duration(60)).toBe('1시간');
    expect(duration(720)).toBe('12시간');
    expect(duration(1440)).toBe('1일');
  });

  it('writes money on axes in 만 units', () => {
    expect(krwShort(1_200_000)).toBe('₩120만');
  });

  it('puts chart times on the district wall clock: midnight ticks show the date', () => {
    const wall = wallClock(SEOUL);
    expect(wall(MIDNIGHT_SEOUL)).toBe(Date.parse('2026-08-03T00:00:00Z'));
    const label = timeAxis().axisLabel.formatter;
    expect(label(wall(MIDNIGHT_SEOUL))).toBe('8월 3일');
    expect(label(wall(Date.parse('2026-08-03T13:00:00+09:00')))).toBe('13:00');
    expect(hourMinute(wall(Date.parse('2026-08-03T13:00:00+09:00')), 'UTC')).toBe('13:00');
  });

  it('follows a zone with daylight saving through the year', () => {
    const wall = wallClock('America/New_York');
    expect(wall(Date.parse('2026-07-01T12:00:00Z'))).toBe(Date.parse('2026-07-01T08:00:00Z'));
    expect(wall(Date.parse('2026-01-01T12:00:00Z'))).toBe(Date.parse('2026-01-01T07:00:00Z'));
  });
});
