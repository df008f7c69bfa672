import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadScenarioFile } from '../../src/model/load.ts';
import { prepareDistrict } from '../../src/sim/district.ts';
import {
  createDistrictForecaster,
  issueWeatherForecast,
  seriesToCsv,
  syntheticDataset,
} from '../../src/forecast/index.ts';

const H = 3_600_000;

describe('forecast weather for simulations', () => {
  const loaded = loadScenarioFile();
  const district = prepareDistrict(loaded.scenario, {
    start: '2025-04-01',
    days: 60,
    baseDir: loaded.baseDir,
  });
  const truth = district.weather;

  it('is seeded, not the truth, with temperature errors of 1–2 °C growing with lead', () => {
    const a = issueWeatherForecast(truth, truth.startMs + 17 * H, 48, { seed: 1 });
    const b = issueWeatherForecast(truth, truth.startMs + 17 * H, 48, { seed: 1 });
    expect(Array.from(a.cloudCover)).toEqual(Array.from(b.cloudCover));
    const steps = 4; // 15-min grid
    const rmseAt = (from: number, to: number) => {
      let se = 0;
      let n = 0;
      for (let d = 0; d < 55; d++) {
        const issueMs = truth.startMs + d * 24 * H + 17 * H;
        const f = issueWeatherForecast(truth, issueMs, 48, { seed: 7 });
        const off = (issueMs - truth.startMs) / (15 * 60_000);
        for (let j = from * steps; j < to * steps; j++) {
          se += (f.temperatureC[j] - truth.temperatureC[off + j]) ** 2;
          n++;
        }
      }
      return Math.sqrt(se / n);
    };
    const early = rmseAt(0, 12);
    const late = rmseAt(36, 48);
    expect(early).toBeGreaterThan(0.7);
    expect(late).toBeGreaterThan(early);
    expect(late).toBeLessThan(2.6);
    expect(a.cloudCover.some((c, j) => Math.abs(c - truth.cloudCover[68 + j]) > 0.05)).toBe(true);
    for (const s of a.sky) expect([1, 3, 4]).toContain(s);
  });

  it('the district adapter gives ordered quantiles per PV array and fixed load', () => {
    const run = prepareDistrict(loaded.scenario, { start: '2025-06-02', days: 2, baseDir: loaded.baseDir });
    const fc = createDistrictForecaster(run, { historyDays: 35 });
    const issueMs = run.grid.startMs + 17 * H;
    const f = fc.forecast(issueMs, 24);
    expect(f.count).toBe(96);
    expect(f.pv.map((u) => u.id)).toEqual(run.pv.map((u) => u.id));
    expect(f.loads.map((u) => u.id)).toEqual(run.loads.map((u) => u.id));
    for (const u of [...f.pv, ...f.loads])
      for (let j = 0; j < f.count; j++) {
        expect(u.p10[j]).toBeLessThanOrEqual(u.p50[j]);
        expect(u.p50[j]).toBeLessThanOrEqual(u.p90[j]);
      }
    // Midnight–04:00 next day: PV zero; next-day load forecasts near the simulated load.
    const j0 = 7 * 4;
    for (const u of f.pv) expect(u.p90[j0]).toBe(0);
    const i0 = (issueMs - run.grid.startMs) / (15 * 60_000);
    let err = 0;
    let tot = 0;
    run.loads.forEach((l, k) => {
      for (let j = 0; j < f.count; j++) {
        err += Math.abs(f.loads[k].p50[j] - l.kw[i0 + j]);
        tot += l.kw[i0 + j];
      }
    });
    expect(err / tot).toBeLessThan(0.15);
  }, 60_000);
});

describe('bitgrid backtest', () => {
  const BIN = resolve(import.meta.dirname, '../../bin/bitgrid.mjs');
  const run = (args: string[]) =>
    spawnSync(process.execPath, [BIN, ...args], {
      encoding: 'utf8',
      env: { ...process.env, BITGRID_DEBUG: '' },
    });
  const dir = mkdtempSync(join(tmpdir(), 'bitgrid-forecast-'));

  it('prints JSON with every model and the data report on stderr', () => {
    const file = join(dir, 'load.csv');
    writeFileSync(file, seriesToCsv(syntheticDataset({ target: 'load', year: 2025, days: 45 }), 'load'));
    const r = run(['backtest', '--data', file, '--target', 'load', '--json']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.target).toBe('load');
    expect(out.points).toBe(16 * 24);
    expect(out.models.map((m: { name: string }) => m.name)).toEqual([
      'auto',
      'load-ridge',
      'seasonal-naive-week',
      'seasonal-naive-day',
      'persistence',
    ]);
    for (const m of out.models)
      for (const k of ['mae', 'rmse', 'nmae', 'mape', 'skillVsSeasonalNaive', 'pinball', 'coverage80'])
        expect(typeof m[k]).toBe('number');
    // The automatic choice: which model at each refit, and why the latest.
    expect(Object.keys(out.choices.counts).every((n) => n !== 'auto')).toBe(true);
    expect(out.choices.latest.chosen).toMatch(
      /load-ridge|seasonal-naive-week|seasonal-naive-day|persistence/,
    );
    expect(out.choices.latest.reason).toMatch(/validation day/);
    expect(r.stderr).toMatch(/load.csv: 1080 rows/);
    expect(r.stderr).toMatch(/backtest: 16\/16 days/);
  }, 60_000);

  it('bad input: exit code 2 and a clear message, no stack trace', () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'when,load_kw\n1,2\n');
    const r = run(['backtest', '--data', bad, '--target', 'load']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no "timestamp" column/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(run(['backtest', '--data', bad, '--target', 'wind']).status).toBe(2);
    const short = join(dir, 'short.csv');
    writeFileSync(short, 'timestamp,load_kw\n2025-01-01T00:00:00+09:00,5\n2025-01-01T01:00:00+09:00,6\n');
    const s = run(['backtest', '--data', short, '--target', 'load']);
    expect(s.status).toBe(2);
    expect(s.stderr).toMatch(/not enough data/);
  }, 60_000);
});
