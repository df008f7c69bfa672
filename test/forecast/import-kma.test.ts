import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { addAsosObservations, dayAheadColumns, parseKmaShortRange } from '../../src/forecast/import-kma.ts';
import { parseForecastCsv, seriesToCsv } from '../../src/forecast/index.ts';

const fixture = (name: string) =>
  readFileSync(resolve(import.meta.dirname, '../fixtures/forecast', name), 'utf8');

describe('KMA importers', () => {
  it('reads 단기예보 JSON, skips unused categories and reports missing-value sentinels', () => {
    const { issues, report } = parseKmaShortRange(fixture('kma-vilage-sample.json'));
    expect(issues.map((i) => i.baseMs)).toEqual([
      Date.parse('2025-05-01T14:00:00+09:00'),
      Date.parse('2025-05-01T17:00:00+09:00'),
    ]);
    expect(issues[0].availableMs).toBe(Date.parse('2025-05-01T14:10:00+09:00'));
    expect(report.dropped[0]).toMatch(/WSD fcstValue "-999"/);
    expect(report.used).toBe(34);
  });

  it('gives each interval the forecast available at its day-ahead issue time, never a later one', () => {
    const { issues } = parseKmaShortRange(fixture('kma-vilage-sample.json'));
    const { series } = parseForecastCsv(fixture('target-load-may.csv'), { target: 'load' });
    // At 17:00 the 17:00 base is not out yet (17:10): the 14:00 base is used.
    const fc = dayAheadColumns(issues, series, 17);
    expect(fc.issueMs[0]).toBe(Date.parse('2025-05-01T14:10:00+09:00'));
    expect(Array.from(fc.temperatureC.slice(0, 4))).toEqual([15, 16, 17, 18]);
    expect(fc.sky[0]).toBe(1);
    // Precipitation type: none at 00:00, rain at 01:00, not forecast after.
    expect(Array.from(fc.ptyCode.slice(0, 3))).toEqual([0, 1, NaN]);
    expect(Number.isNaN(fc.temperatureC[4])).toBe(true);
    // Issued at 18:00 the 17:00 base is available.
    const later = dayAheadColumns(issues, series, 18);
    expect(later.sky[1]).toBe(4);
    expect(later.temperatureC[1]).toBe(17);
    // Round trip through the CSV keeps the issue time.
    series.forecast = fc;
    const again = parseForecastCsv(seriesToCsv(series, 'load'), { target: 'load' }).series;
    expect(again.forecast!.issueMs[2]).toBe(fc.issueMs[2]);
    expect(again.forecast!.popPercent[2]).toBe(30);
  });

  it('refuses broken forecast files with a clear message', () => {
    expect(() =>
      parseKmaShortRange('{"response":{"header":{"resultCode":"03","resultMsg":"NO_DATA"}}}'),
    ).toThrow(/API error 03: NO_DATA/);
    expect(() => parseKmaShortRange('baseDate,baseTime\n1,2')).toThrow(/no "category" column/);
    expect(() => parseKmaShortRange('{oops')).toThrow(/JSON is not valid/);
  });

  it('adds ASOS observations on the target grid through the weather parser', () => {
    const { series } = parseForecastCsv(fixture('target-load-may.csv'), { target: 'load' });
    const report = addAsosObservations(series, fixture('kma-asos-sample.csv'), {
      latitudeDeg: 35.17,
      longitudeDeg: 126.89,
      altitudeM: 70,
    });
    expect(report.rowsUsed).toBe(5);
    expect(series.temperatureC![1]).toBeGreaterThan(10);
    expect(series.temperatureC![1]).toBeLessThan(12.1);
    expect(series.ghiWPerM2![1]).toBe(0);
  });
});
