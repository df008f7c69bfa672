import { describe, expect, it } from 'vitest';
import { KMA_LAST_YEAR, KMA_MAX_ROW_GAP_DAYS, KmaCsvError, parseKmaAsosCsv } from '../../src/weather/kma.ts';
import { kmaCsv, type KmaRow } from './helpers.ts';

// A KMA file with one mistyped date used to make the reader build an hourly grid (and a 5-minute
// clear-sky series) out to it. The span is checked first: refused with the line, no grid built.

const location = { latitudeDeg: 35.17, longitudeDeg: 126.89, altitudeM: 70 };

function day(): KmaRow[] {
  return Array.from({ length: 24 }, (_, h) => ({
    time: `2024-05-01 ${String(h).padStart(2, '0')}:00`,
    temperatureC: 15 + h / 4,
    sunshineH: h >= 7 && h <= 18 ? 1 : '',
    irradiationMj: h >= 7 && h <= 18 ? 2 : '',
  }));
}

function refusal(rows: KmaRow[]): KmaCsvError {
  try {
    parseKmaAsosCsv(kmaCsv(rows), { location });
  } catch (e) {
    expect(e).toBeInstanceOf(KmaCsvError);
    return e as KmaCsvError;
  }
  throw new Error('expected the file to be refused');
}

describe('KMA ASOS CSV time span', () => {
  it('refuses an observation dated 2100, naming its line', () => {
    const e = refusal([...day(), { time: '2100-05-01 00:00', temperatureC: 15 }]);
    expect(e.message).toMatch(/line 26: 일시 2100-05-01 00:00 is outside the plausible years/);
    expect(e.message).toContain(String(KMA_LAST_YEAR));
  });

  it('refuses an observation more than a year from the others, naming both lines', () => {
    const e = refusal([{ time: '2020-01-01 00:00', temperatureC: 1 }, ...day()]);
    expect(e.message).toMatch(/line 3 \(2024-05-01 00:00.*\) is \d+ days after line 2 \(2020-01-01 00:00/);
    expect(e.message).toContain(`${KMA_MAX_ROW_GAP_DAYS} days`);
  });

  it('still reads a day of observations', () => {
    const r = parseKmaAsosCsv(kmaCsv(day()), { location });
    expect(r.report.rowsUsed).toBe(24);
  });
});
