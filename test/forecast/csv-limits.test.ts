import { describe, expect, it } from 'vitest';
import {
  DATA_LAST_YEAR,
  ForecastDataError,
  MAX_ROW_GAP_DAYS,
  MAX_SERIES_INTERVALS,
  parseForecastCsv,
} from '../../src/forecast/csv.ts';

// A row dated far from the others used to make the reader build a grid out to it (minutes of work and
// gigabytes for one row in 2100). The span is now checked before any grid exists: these files are
// refused with the line at fault, after reading a handful of rows.

function hourlyCsv(extra: string[]): string {
  const rows = ['timestamp,load_kw'];
  for (let h = 0; h < 48; h++) rows.push(`${new Date(Date.UTC(2025, 0, 1, h)).toISOString()},${500 + h}`);
  return [...rows, ...extra].join('\n') + '\n';
}

function refusal(text: string): ForecastDataError {
  try {
    parseForecastCsv(text, { target: 'load', file: 'site.csv' });
  } catch (e) {
    expect(e).toBeInstanceOf(ForecastDataError);
    return e as ForecastDataError;
  }
  throw new Error('expected the file to be refused');
}

describe('forecast CSV time span', () => {
  it('refuses a row dated 2100, naming its line', () => {
    const e = refusal(hourlyCsv(['2100-01-01T00:00:00+09:00,510']));
    expect(e.message).toMatch(/^site\.csv: line 50: /);
    expect(e.message).toContain(`1970–${DATA_LAST_YEAR}`);
  });

  it('refuses an extended-year timestamp (+275760) or drops it as unreadable, never builds a grid to it', () => {
    const text = hourlyCsv(['+275760-09-13T00:00:00Z,510']);
    let result: ReturnType<typeof parseForecastCsv> | undefined;
    try {
      result = parseForecastCsv(text, { target: 'load' });
    } catch (e) {
      expect((e as Error).message).toMatch(/line 50/);
    }
    if (result) expect(result.series.count).toBe(48);
  });

  it('refuses a row more than a year after the one before it, naming both lines', () => {
    const e = refusal(hourlyCsv(['2027-06-01T00:00:00Z,510']));
    expect(e.message).toMatch(/line 50 \(2027-06-01.*\) is \d+ days after line 49/);
    expect(e.message).toContain(`${MAX_ROW_GAP_DAYS} days`);
  });

  it('refuses a row far before the rest in the same way, whatever the order in the file', () => {
    const e = refusal(hourlyCsv(['1999-01-01T00:00:00Z,510']));
    expect(e.message).toMatch(/line 2 \(2025-01-01.*\) is \d+ days after line 50/);
  });

  it('refuses a span of more intervals than a file may hold, even with every gap short', () => {
    // One-minute rows every 300 days: each gap is allowed, the grid between them is not.
    const rows = ['timestamp,load_kw'];
    const t0 = Date.UTC(2000, 0, 1);
    for (let k = 0; k < 5; k++) {
      rows.push(`${new Date(t0 + k * 300 * 86_400_000).toISOString()},1`);
      rows.push(`${new Date(t0 + k * 300 * 86_400_000 + 60_000).toISOString()},1`);
      rows.push(`${new Date(t0 + k * 300 * 86_400_000 + 120_000).toISOString()},1`);
    }
    const e = refusal(rows.join('\n'));
    expect(e.message).toMatch(/lines 2 to 16 span \d+ intervals of 1 min/);
    expect(e.message).toContain(String(MAX_SERIES_INTERVALS));
  });

  it('still reads a file with an ordinary outage of a few weeks', () => {
    const { series } = parseForecastCsv(hourlyCsv(['2025-02-01T00:00:00Z,510']), { target: 'load' });
    expect(series.count).toBe(31 * 24 + 1);
  });
});
