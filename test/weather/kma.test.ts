import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  KmaCsvError,
  loadScenarioWeather,
  parseKmaAsosCsv,
  type KmaImportReport,
} from '../../src/weather/index.ts';
import { kmaCsv, kstLabel, referenceScenario, withWeather, type KmaRow } from './helpers.ts';

const location = { latitudeDeg: 35.17, longitudeDeg: 126.89, altitudeM: 70 };
const fixture = readFileSync(new URL('./fixtures/kma-asos-156-sample.euckr.csv', import.meta.url));
/** 2024-05-01 00:00 KST. */
const DAY0 = Date.UTC(2024, 3, 30, 15);

/** A clean day of rows: 일시 01:00 … 24:00 as 00:00 of the next day, sun from 06 to 19 h. */
function day(dayStartMs: number, overrides: Record<number, Partial<KmaRow>> = {}): KmaRow[] {
  const rows: KmaRow[] = [];
  for (let h = 1; h <= 24; h++) {
    const sunny = h >= 7 && h <= 19;
    const mj = sunny ? +(3.2 * Math.sin((Math.PI * (h - 6.5)) / 13)).toFixed(2) : undefined;
    rows.push({
      time: kstLabel(dayStartMs, h),
      temperatureC: (15 + 6 * Math.sin((Math.PI * (h - 9)) / 12)).toFixed(1),
      windMPerS: 2.0,
      sunshineH: sunny ? 1 : undefined,
      irradiationMj: mj,
      cloudTenths: h % 3 === 0 ? 2 : undefined,
      ...overrides[h],
    });
  }
  return rows;
}

const sumMj = (rows: KmaRow[]) => rows.reduce((s, r) => s + (Number(r.irradiationMj) || 0), 0);

describe('KMA ASOS hourly CSV import', () => {
  it('reads the portal layout in EUC-KR and in UTF-8 identically', () => {
    const euc = parseKmaAsosCsv(fixture, { location });
    expect(euc.report.encoding).toBe('euc-kr');
    expect(euc.report.station).toEqual({ id: 156, name: '광주' });
    const utf8 = parseKmaAsosCsv(Buffer.from(new TextDecoder('euc-kr').decode(fixture), 'utf8'), {
      location,
    });
    expect(utf8.report.encoding).toBe('utf-8');
    expect(Array.from(utf8.series.ghiWPerM2)).toEqual(Array.from(euc.series.ghiWPerM2));
    // Default grid: hourly from 00:00 KST of the first day (the hour ending at the first 일시).
    expect(euc.series.startMs).toBe(DAY0);
    expect(euc.series.intervalMinutes).toBe(60);
    expect(euc.series.count).toBe(72);
    expect(euc.report.rowsUsed).toBe(72);
    expect(euc.report.nightZeroHours).toBeGreaterThan(20);
  });

  it('keeps the observed energy: hourly 일사 in MJ/m² becomes the mean W/m² of that hour', () => {
    const rows = day(DAY0);
    const r = parseKmaAsosCsv(kmaCsv(rows), { location });
    // 일시 13:00 is the hour 12:00–13:00 KST, i.e. interval index 12.
    expect(r.series.ghiWPerM2[12]).toBeCloseTo((Number(rows[12].irradiationMj) * 1e6) / 3600, 6);
    const whPerM2 = r.series.ghiWPerM2.reduce((s, v) => s + v, 0);
    expect(whPerM2).toBeCloseTo((sumMj(rows) * 1e6) / 3600, 3);
    // Temperature is the reading at 일시: the interval mean is between the two readings around it.
    expect(r.series.temperatureC[12]).toBeCloseTo(
      (Number(rows[11].temperatureC) + Number(rows[12].temperatureC)) / 2,
      6,
    );
    expect(r.series.windSpeedMPerS?.[12]).toBeCloseTo(2, 6);
    expect(r.series.dhiWPerM2[12]).toBeGreaterThan(0);
    expect(r.series.dhiWPerM2[12]).toBeLessThan(r.series.ghiWPerM2[12]);
    expect(r.series.dniWPerM2[12]).toBeGreaterThan(0);
  });

  it('resamples to 15 minutes: same energy per hour, zero before sunrise', () => {
    const rows = day(DAY0);
    const grid = { startMs: DAY0, intervalMinutes: 15, count: 96 };
    const r = parseKmaAsosCsv(kmaCsv(rows), { location, grid });
    expect(r.series.count).toBe(96);
    for (let h = 0; h < 24; h++) {
      const mean =
        (r.series.ghiWPerM2[4 * h] +
          r.series.ghiWPerM2[4 * h + 1] +
          r.series.ghiWPerM2[4 * h + 2] +
          r.series.ghiWPerM2[4 * h + 3]) /
        4;
      expect(mean).toBeCloseTo((Number(rows[h].irradiationMj ?? 0) * 1e6) / 3600, 6);
    }
    // 05:00–06:00 is blank (twilight, read as 0); sunrise on 1 May is about 05:45 KST.
    expect(r.series.ghiWPerM2[20]).toBe(0);
    expect(r.report.nightZeroHours).toBe(11);
    // Within the 07:00–08:00 hour the morning ramps up.
    expect(r.series.ghiWPerM2[4 * 7 + 3]).toBeGreaterThan(r.series.ghiWPerM2[4 * 7]);
  });

  it('reports duplicates, unparsable numbers, missing rows, and fills short gaps', () => {
    const rows = day(DAY0, {
      10: { temperatureC: 'abc' },
      11: { irradiationMj: '' }, // blank by day: missing, to be filled
      14: { windMPerS: '-3' }, // impossible value
    });
    rows.splice(15, 1); // 일시 16:00 missing entirely
    rows.splice(5, 0, { ...rows[5] }); // duplicate of 일시 06:00
    const text = kmaCsv(rows);
    const r = parseKmaAsosCsv(text, { location });
    const rep: KmaImportReport = r.report;
    expect(rep.droppedRows).toHaveLength(1);
    expect(rep.droppedRows[0].reason).toMatch(/duplicate 일시/);
    expect(rep.droppedRows[0].line).toBe(8); // header is line 1, 일시 01:00 line 2, the copy follows line 7
    expect(rep.unparsable.map((u) => `${u.column}:${u.value}`)).toEqual([
      '기온:abc',
      '풍속:-3 (outside 0–75)',
    ]);
    expect(rep.unparsable[0].line).toBe(12);
    expect(rep.missingHours).toBe(1);
    const filledCols = rep.filled.map((f) => `${f.column}@${f.from}/${f.hours}`);
    expect(filledCols).toContain(`일사@${kstLabel(DAY0, 11)}/1`);
    expect(filledCols).toContain(`일사@${kstLabel(DAY0, 16)}/1`);
    expect(filledCols).toContain(`기온@${kstLabel(DAY0, 10)}/1`);
    // The filled 11:00 hour lies between its neighbours.
    const g = r.hourly.ghiWPerM2;
    expect(g[10]).toBeGreaterThan(Math.min(g[9], g[11]) * 0.8);
    expect(g[10]).toBeLessThan(Math.max(g[9], g[11]) * 1.2);
    expect(Number.isFinite(r.series.temperatureC[9])).toBe(true);
  });

  it('estimates irradiance from sunshine hours where 일사 is not measured', () => {
    const rows = day(DAY0).map((r) => ({ ...r, irradiationMj: undefined }));
    const r = parseKmaAsosCsv(kmaCsv(rows), { location });
    expect(r.report.notes.join(' ')).toMatch(/일조/);
    expect(r.report.filled.some((f) => f.method === 'sunshine-estimate')).toBe(true);
    const noon = r.series.ghiWPerM2[12];
    expect(noon).toBeGreaterThan(500);
    expect(noon).toBeLessThan(1000);
    expect(r.series.ghiWPerM2[2]).toBe(0);
  });

  it('refuses unusable files with a clear error', () => {
    expect(() => parseKmaAsosCsv('', { location })).toThrow(KmaCsvError);
    expect(() => parseKmaAsosCsv('a,b,c\n1,2,3\n', { location })).toThrow(/일시/);
    const bad = kmaCsv(day(DAY0).map((r) => ({ ...r, time: 'yesterday' })));
    expect(() => parseKmaAsosCsv(bad, { location })).toThrow(/no usable rows.*line 2.*yesterday/);
    expect(() => parseKmaAsosCsv(kmaCsv(day(DAY0)), { location, station: 108 })).toThrow(
      /no usable rows.*156.*108/,
    );
    // A long daytime hole in 일사 is not invented.
    const holes: Record<number, Partial<KmaRow>> = {};
    for (let h = 8; h <= 17; h++) holes[h] = { irradiationMj: '', sunshineH: '' };
    expect(() => parseKmaAsosCsv(kmaCsv(day(DAY0, holes)), { location })).toThrow(/일사 is missing for 10 h/);
    expect(parseKmaAsosCsv(kmaCsv(day(DAY0, holes)), { location, maxGapHours: 12 }).series.count).toBe(24);
    // A grid outside the file.
    expect(() =>
      parseKmaAsosCsv(kmaCsv(day(DAY0)), {
        location,
        grid: { startMs: DAY0, intervalMinutes: 15, count: 200 },
      }),
    ).toThrow(/covers 2024-05-01 00:00 – 2024-05-02 00:00 KST/);
  });

  it('loadScenarioWeather reads a kma_asos_csv scenario relative to its folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bitgrid-kma-'));
    writeFileSync(join(dir, 'gwangju-2024.csv'), fixture);
    const s = withWeather(referenceScenario(), { source: 'kma_asos_csv', path: 'gwangju-2024.csv' });
    const grid = { startMs: DAY0 + 86_400_000, intervalMinutes: 15, count: 96 };
    let report: KmaImportReport | undefined;
    const w = loadScenarioWeather(s, dir, grid, { onKmaReport: (r) => (report = r) });
    expect(w.count).toBe(96);
    expect(report?.station?.id).toBe(156);
    const whPerM2 = w.ghiWPerM2.reduce((a, v) => a + v / 4, 0);
    expect(whPerM2).toBeGreaterThan(1000);
    const missing = withWeather(referenceScenario(), { source: 'kma_asos_csv', path: 'nope.csv' });
    expect(() => loadScenarioWeather(missing, dir, grid)).toThrow(/cannot read weather file/);
  });
});
