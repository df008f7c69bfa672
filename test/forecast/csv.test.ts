import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  ForecastDataError,
  formatImportReport,
  parseForecastCsv,
  seriesToCsv,
} from '../../src/forecast/index.ts';

const fixture = (name: string) =>
  readFileSync(resolve(import.meta.dirname, '../fixtures/forecast', name), 'utf8');
const H = 3_600_000;

describe('forecasting CSV import', () => {
  const { series, report } = parseForecastCsv(fixture('messy-pv.csv'), {
    target: 'pv',
    file: 'messy-pv.csv',
  });
  const issue = (kind: string) => report.issues.find((i) => i.kind === kind);
  const at = (iso: string) => Math.round((Date.parse(iso) - series.startMs) / H);

  it('builds an hourly grid from the first to the last timestamp', () => {
    expect(series.intervalMinutes).toBe(60);
    expect(series.startMs).toBe(Date.parse('2025-05-01T00:00:00+09:00'));
    expect(series.count).toBe(21);
  });

  it('sorts non-monotonic rows and drops duplicates, reporting both', () => {
    expect(issue('non-monotonic-timestamp')?.count).toBe(1);
    expect(issue('duplicate-timestamp')?.count).toBe(1);
    expect(issue('duplicate-timestamp')?.examples[0]).toMatch(/line 10 repeats line 9/);
    expect(series.targetKw[at('2025-05-01T04:00:00+09:00')]).toBe(0);
    expect(series.targetKw[at('2025-05-01T07:00:00+09:00')]).toBeCloseTo(210.4);
  });

  it('sets small night negatives to 0, drops large negatives and spikes', () => {
    expect(series.targetKw[0]).toBe(0);
    expect(issue('pv-night-negative')?.count).toBe(3);
    expect(Number.isNaN(series.targetKw[at('2025-05-01T10:00:00+09:00')])).toBe(true);
    expect(issue('negative-value')?.examples[0]).toMatch(/-350/);
    expect(Number.isNaN(series.targetKw[at('2025-05-01T15:00:00+09:00')])).toBe(true);
    expect(issue('spike')?.count).toBe(1);
  });

  it('treats text and NaN as missing and says where', () => {
    expect(issue('text-in-number')?.examples[0]).toMatch(/line 11: pv_kw = "about 400"/);
    expect(Number.isNaN(series.targetKw[at('2025-05-01T08:00:00+09:00')])).toBe(true);
    expect(Number.isNaN(series.targetKw[1])).toBe(true);
  });

  it('drops rows without a UTC offset and leaves the missing hour missing', () => {
    expect(issue('bad-timestamp')?.examples[0]).toMatch(/line 15: "2025-05-01 12:00"/);
    expect(Number.isNaN(series.targetKw[at('2025-05-01T12:00:00+09:00')])).toBe(true);
    expect(Number.isNaN(series.targetKw[at('2025-05-01T13:00:00+09:00')])).toBe(true);
    // 01 (NaN), 02 (blank), 08 (text), 10 (negative), 12, 13 (absent), 15 (spike)
    expect(issue('missing-target')?.count).toBe(7);
  });

  it('interpolates short weather gaps, rejects bad SKY codes and forecasts without an issue time', () => {
    expect(series.temperatureC![at('2025-05-01T05:00:00+09:00')]).toBeCloseTo((12.5 + 13.0) / 2);
    expect(issue('filled-gap')).toBeDefined();
    expect(issue('bad-sky-code')?.examples[0]).toMatch(/fc_sky = 7/);
    const i16 = at('2025-05-01T16:00:00+09:00');
    expect(Number.isNaN(series.forecast!.temperatureC[i16])).toBe(true);
    expect(issue('forecast-without-issue-time')?.count).toBe(1);
    expect(series.forecast!.issueMs[0]).toBe(Date.parse('2025-04-30T17:00:00+09:00'));
    expect(issue('unknown-column')?.examples[0]).toMatch(/inverter_serial/);
  });

  it('formats a readable report', () => {
    const text = formatImportReport(report);
    expect(text).toMatch(/messy-pv.csv: 21 rows → 21 intervals of 60 min/);
    expect(text).toMatch(/spike: 1 — value dropped/);
  });

  it('turns a cumulative meter register into kW, dropping the interval of a reset and a conflicting duplicate', () => {
    const r = parseForecastCsv(fixture('meter-register-load.csv'), { target: 'load' });
    const kw = Array.from(r.series.targetKw);
    expect(r.series.intervalMinutes).toBe(15);
    expect(kw[0]).toBeCloseTo(1000);
    expect(kw[2]).toBeCloseTo(1040);
    expect(Number.isNaN(kw[3])).toBe(true); // 1760 → 12 kWh: reset
    expect(kw[4]).toBeCloseTo(1000);
    expect(kw[5]).toBeCloseTo(992);
    expect(r.report.issues.find((i) => i.kind === 'meter-reset')?.examples[0]).toMatch(/1760 → 12/);
    expect(r.report.issues.find((i) => i.kind === 'conflicting-duplicate')?.count).toBe(1);
  });

  it('refuses unusable files with a clear error, never a crash', () => {
    expect(() => parseForecastCsv(fixture('no-timestamp.csv'), { target: 'load', file: 'x.csv' })).toThrow(
      /x.csv: no "timestamp" column/,
    );
    expect(() => parseForecastCsv(fixture('one-row-semicolon.csv'), { target: 'load' })).toThrow(
      ForecastDataError,
    );
    expect(() => parseForecastCsv(fixture('header-only.csv'), { target: 'pv' })).toThrow(
      /fewer than two rows/,
    );
    expect(() => parseForecastCsv(fixture('messy-pv.csv'), { target: 'load' })).toThrow(/needs "load_kw"/);
    expect(() => parseForecastCsv('', { target: 'load' })).toThrow(/empty/);
  });

  it('reads the KMA precipitation type, refusing unknown codes with the line, and writes it back', () => {
    const csv = [
      'timestamp,pv_kw,fc_issue_time,fc_sky,fc_pty',
      '2025-05-02T10:00:00+09:00,100,2025-05-01T17:00:00+09:00,4,1',
      '2025-05-02T11:00:00+09:00,90,2025-05-01T17:00:00+09:00,4,7',
      '2025-05-02T12:00:00+09:00,300,2025-05-01T17:00:00+09:00,1,0',
    ].join('\n');
    const r = parseForecastCsv(csv, { target: 'pv' });
    expect(Array.from(r.series.forecast!.ptyCode)).toEqual([1, NaN, 0]);
    const bad = r.report.issues.find((i) => i.kind === 'bad-pty-code')!;
    expect(bad.count).toBe(1);
    expect(bad.examples[0]).toMatch(/line 3: fc_pty = 7/);
    const again = parseForecastCsv(seriesToCsv(r.series, 'pv'), { target: 'pv' }).series;
    expect(Array.from(again.forecast!.ptyCode)).toEqual([1, NaN, 0]);
  });

  it('writes what it reads', () => {
    const again = parseForecastCsv(seriesToCsv(series, 'pv'), { target: 'pv' }).series;
    expect(again.count).toBe(series.count);
    for (let i = 0; i < series.count; i++) {
      if (Number.isNaN(series.targetKw[i])) expect(Number.isNaN(again.targetKw[i])).toBe(true);
      else expect(again.targetKw[i]).toBeCloseTo(series.targetKw[i], 2);
    }
  });
});
