import { describe, expect, it } from 'vitest';
import { validationIssues } from '../../src/forecast/select.ts';
import type { SiteSeries } from '../../src/forecast/index.ts';

// Which day-ahead issues the model choice replays, and which intervals each is scored on.

const H = 3_600_000;
const DAY = 24 * H;
/** 2026-03-01T00:00+09:00: a local midnight in Seoul. */
const START_MS = Date.parse('2026-03-01T00:00:00+09:00');
const series = (days: number): SiteSeries => ({
  startMs: START_MS,
  intervalMinutes: 60,
  count: days * 24,
  zone: 'Asia/Seoul',
  targetKw: new Float64Array(days * 24),
});

describe('validation issues', () => {
  it('next-day: one issue per whole local day, the day before at the issue hour, scored on that day', () => {
    const untilMs = START_MS + 20 * DAY + 13 * H; // day 20, 13:00
    const issues = validationIssues(series(21), untilMs, 3, 9, { horizonHours: 48 });
    expect(issues).toEqual(
      [17, 18, 19].map((d) => ({ issueMs: START_MS + (d - 1) * DAY + 9 * H, i0: d * 24, i1: (d + 1) * 24 })),
    );
  });

  it('next-day: leaves out the days the horizon does not reach to the end of', () => {
    // Issued at 09:00 the day before, the scored day ends 39 h later: a 36-hour horizon falls short.
    const untilMs = START_MS + 20 * DAY;
    expect(validationIssues(series(21), untilMs, 3, 9, { horizonHours: 36 })).toEqual([]);
    expect(validationIssues(series(21), untilMs, 3, 9, { horizonHours: 39 })).toHaveLength(3);
  });

  it('horizon: at the time of day of untilMs on each of the last days, scored up to the horizon or what is known', () => {
    const untilMs = START_MS + 20 * DAY + 13 * H;
    const issues = validationIssues(series(21), untilMs, 2, 0, { horizonHours: 30, score: 'horizon' });
    const at = (d: number) => d * 24 + 13;
    expect(issues).toEqual([
      { issueMs: START_MS + 18 * DAY + 13 * H, i0: at(18), i1: at(18) + 30 },
      // Issued a day before untilMs: only the 24 h up to untilMs are known.
      { issueMs: START_MS + 19 * DAY + 13 * H, i0: at(19), i1: at(20) },
    ]);
  });
});
