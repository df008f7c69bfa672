import { describe, expect, it } from 'vitest';
import { gridForLocalDays, localTime, localTimes, timeAt } from '../../src/model/index.ts';

describe('time grid', () => {
  it('starts at local midnight and covers whole local days', () => {
    const g = gridForLocalDays('2026-08-03', 7, 15, 'Asia/Seoul');
    expect(new Date(g.startMs).toISOString()).toBe('2026-08-02T15:00:00.000Z');
    expect(g.count).toBe(7 * 96);
  });

  it('has 23- and 25-hour days where the zone switches to and from daylight saving', () => {
    expect(gridForLocalDays('2026-03-08', 1, 15, 'America/New_York').count).toBe(92);
    expect(gridForLocalDays('2026-11-01', 1, 15, 'America/New_York').count).toBe(100);
  });

  it.each(['Asia/Seoul', 'America/New_York', 'Europe/Berlin', 'Asia/Kolkata'])(
    'fast local fields match luxon in %s',
    (zone) => {
      const g = gridForLocalDays('2026-01-01', 365, 30, zone);
      const fast = localTimes(g, zone);
      for (let i = 0; i < g.count; i += 7) expect(fast[i]).toEqual(localTime(timeAt(g, i), zone));
    },
  );

  it('refuses a bad start date', () => {
    expect(() => gridForLocalDays('2026-02-30', 1, 15, 'Asia/Seoul')).toThrow(/invalid start date/);
  });
});
