import { describe, expect, it } from 'vitest';
import { CsvSyntaxError, readCsvRows } from '../../src/weather/csv.ts';
import { KmaCsvError, parseKmaAsosCsv } from '../../src/weather/kma.ts';
import { ForecastDataError, parseForecastCsv } from '../../src/forecast/csv.ts';
import { KMA_HEADER, kmaLine, type KmaRow } from './helpers.ts';

// Quoted cells may hold the separator and line breaks (RFC 4180): a re-saved KMA file or a meter
// export with a free-text column has them. Rows and problems are still named by the file's line.

const location = { latitudeDeg: 35.17, longitudeDeg: 126.89, altitudeM: 70 };

describe('readCsvRows', () => {
  it('keeps a quoted comma and line break inside one cell and numbers rows by the line they start on', () => {
    const rows = readCsvRows('\uFEFFa,b,c\r\n1,"two, and\r\nthree",3\r\n\r\n4,"say ""hi""",6\n   \n7,8,9');
    expect(rows).toEqual([
      { line: 1, cells: ['a', 'b', 'c'] },
      { line: 2, cells: ['1', 'two, and\nthree', '3'] },
      { line: 5, cells: ['4', 'say "hi"', '6'] },
      { line: 7, cells: ['7', '8', '9'] },
    ]);
  });

  it('refuses a quote that is never closed, naming the line of its row', () => {
    try {
      readCsvRows('a,b\n1,2\n\n3,"open\n4,5\n');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CsvSyntaxError);
      expect((e as CsvSyntaxError).line).toBe(4);
      expect((e as Error).message).toMatch(/^line 4: a quoted cell .* is never closed/);
    }
  });
});

function kmaDay(): KmaRow[] {
  return Array.from({ length: 24 }, (_, h) => ({
    time: `2024-05-01 ${String(h).padStart(2, '0')}:00`,
    temperatureC: 15 + h / 4,
    sunshineH: h >= 7 && h <= 18 ? 1 : '',
    irradiationMj: h >= 7 && h <= 18 ? 2 : '',
  }));
}

describe('KMA ASOS reader with quoted cells', () => {
  it('reads a station name holding a comma and a line break, and reports later rows by their line', () => {
    const lines = kmaDay().map(kmaLine);
    // Row 1 (line 2) gets a two-line station name; the next row's 일시 is broken (line 4 of the file).
    lines[0] = lines[0].replace('광주', '"광주, 북구\n(관측소)"');
    lines[1] = lines[1].replace('2024-05-01 01:00', '2024-05-01 1시');
    const text = [KMA_HEADER.join(','), ...lines].join('\r\n') + '\r\n';
    const r = parseKmaAsosCsv(text, { location });
    expect(r.report.station).toEqual({ id: 156, name: '광주, 북구\n(관측소)' });
    expect(r.report.rowsRead).toBe(24);
    expect(r.report.droppedRows).toEqual([
      { line: 4, reason: '일시 "2024-05-01 1시" is not a date-time (expected e.g. 2024-01-01 01:00)' },
    ]);
    expect(r.report.rowsUsed).toBe(23);
  });

  it('refuses a quote never closed with the line of the row it opens in', () => {
    const lines = kmaDay().map(kmaLine);
    lines[5] = lines[5].replace('광주', '"광주');
    const text = [KMA_HEADER.join(','), ...lines].join('\n');
    expect(() => parseKmaAsosCsv(text, { location })).toThrow(KmaCsvError);
    expect(() => parseKmaAsosCsv(text, { location })).toThrow(
      /^KMA CSV line 7: a quoted cell .* never closed/,
    );
  });
});

describe('forecasting CSV with quoted cells', () => {
  const header = 'timestamp,load_kw,note';
  const row = (h: number, kw: string, note = '') =>
    `2025-05-01T${String(h).padStart(2, '0')}:00:00+09:00,${kw},${note}`;

  it('reads a note holding a comma and a line break, and names later problems by their line', () => {
    const text = [
      header,
      row(0, '100', '"meter swapped, see\nwork order 17"'),
      row(1, '110'),
      row(2, 'n/a?'),
      row(3, '120'),
    ].join('\n');
    const { series, report } = parseForecastCsv(text, { target: 'load' });
    expect(report.rows).toBe(4);
    expect(series.count).toBe(4);
    expect(Array.from(series.targetKw)).toEqual([100, 110, NaN, 120]);
    const text_ = report.issues.find((i) => i.kind === 'text-in-number');
    expect(text_?.examples).toEqual(['line 5: load_kw = "n/a?"']);
    expect(report.issues.find((i) => i.kind === 'unknown-column')?.examples).toEqual(['column "note"']);
  });

  it('splits a ; separated file at ; only: a quoted decimal comma is reported, not split', () => {
    const text = 'timestamp;load_kw\n2025-05-01T00:00:00+09:00;"1,5"\n2025-05-01T01:00:00+09:00;2\n';
    const { series, report } = parseForecastCsv(text, { target: 'load' });
    expect(report.issues.find((i) => i.kind === 'text-in-number')?.examples).toEqual([
      'line 2: load_kw = "1,5"',
    ]);
    expect(Array.from(series.targetKw)).toEqual([NaN, 2]);
  });

  it('refuses a quote never closed, naming the file and line', () => {
    const text = [header, row(0, '100'), row(1, '110', '"unfinished'), row(2, '120')].join('\n');
    expect(() => parseForecastCsv(text, { target: 'load', file: 'site.csv' })).toThrow(ForecastDataError);
    expect(() => parseForecastCsv(text, { target: 'load', file: 'site.csv' })).toThrow(
      /^site\.csv: line 3: a quoted cell .* never closed/,
    );
  });
});
