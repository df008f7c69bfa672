import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const BIN = resolve(import.meta.dirname, '../../bin/bitgrid.mjs');
const run = (args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, BITGRID_DEBUG: '' },
  });

describe('bitgrid CLI', () => {
  it('validates the reference district', () => {
    const r = run(['validate', 'scenarios/gwangju.yaml']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/ok \(4 sites, 10 assets\)/);
  });

  it('refuses a bad district file with every error, exit code 2 and no stack trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bitgrid-cli-'));
    const bad = readFileSync('scenarios/gwangju.yaml', 'utf8')
      .replace('interval_minutes: 15', 'interval_minutes: 7')
      .replace('buses: 60', 'buses: -60')
      .replace('round_trip_efficiency: 0.90', 'round_trip_eficiency: 0.90');
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, bad);
    for (const cmd of [
      ['validate', file],
      ['simulate', '--scenario', file],
    ]) {
      const r = run(cmd);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/3 problem\(s\)|4 problem\(s\)/);
      expect(r.stderr).toMatch(/line \d+: interval_minutes: must be one of 5, 10, 15, 30, 60/);
      expect(r.stderr).toMatch(/sites\[2\]\.assets\[0\]\.buses/);
      expect(r.stderr).toMatch(/round_trip_eficiency/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('rejects bad arguments with exit code 2', () => {
    expect(run(['simulate', '--days', '0']).status).toBe(2);
    const r = run(['simulate', '--strategies', 'none,magic', '--days', '1']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown strategy "magic" \(available: none, rules/);
  });

  it('simulates a day and writes the report, KPIs and time series', () => {
    const out = mkdtempSync(join(tmpdir(), 'bitgrid-out-'));
    const r = run(['simulate', '--days', '1', '--strategies', 'none,rules', '--json', '--out', out]);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ days: 1, intervalMinutes: 15 });
    expect(doc.start).toBe('2026-08-03T00:00:00.000+09:00'.replace('.000', ''));
    expect(doc.results.map((x: { strategy: string }) => x.strategy)).toEqual(['none', 'rules']);
    for (const k of [
      'totalCostKrw',
      'energyCostKrw',
      'demandChargeKrw',
      'exportRevenueKrw',
      'peakImportKw',
      'selfSufficiency',
      'selfConsumption',
      're100AnnualShare',
      're100HourlyMatching',
      'co2Kg',
      'batteryCycles',
      'evUnmetKwh',
      'busUnmetKwh',
      'trainingDeadlineMisses',
    ])
      expect(typeof doc.results[0].kpis[k]).toBe('number');
    expect(existsSync(join(out, 'report.html'))).toBe(true);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect((html.match(/<svg /g) ?? []).length).toBeGreaterThanOrEqual(5);
    const csv = readFileSync(join(out, 'timeseries.csv'), 'utf8').trim().split('\n');
    expect(csv.length).toBe(1 + 2 * 96);
    expect(csv[1]).toMatch(/^2026-08-03T00:00:00\+09:00,none,/);
    expect(JSON.parse(readFileSync(join(out, 'kpis.json'), 'utf8')).results).toHaveLength(2);
    // jobs.csv: every submitted job once per strategy, its misses the KPI's.
    const jobs = readFileSync(join(out, 'jobs.csv'), 'utf8').trim().split('\n');
    expect(jobs[0]).toBe(
      'strategy,datacenter,job_id,gpus,gpu_hours,submit,deadline,started,finished,missed,late_hours,remaining_gpu_hours,priority',
    );
    const rows = jobs.slice(1).map((l) => l.split(','));
    for (const [k, name] of ['none', 'rules'].entries()) {
      const mine = rows.filter((c) => c[0] === name);
      expect(mine.length).toBeGreaterThan(0);
      expect(mine.filter((c) => c[9] === 'yes')).toHaveLength(doc.results[k].kpis.trainingDeadlineMisses);
      for (const c of mine) expect(c[5]).toMatch(/^2026-08-0[34]T\d\d:\d\d:00\+09:00$/);
    }

    // One strategy's rows replay as the data center's job trace: the same jobs, by the same names,
    // in the next run.
    const ruleRows = jobs.filter((l, i) => i === 0 || l.startsWith('rules,'));
    writeFileSync(join(out, 'trace.csv'), ruleRows.join('\n') + '\n');
    const out2 = join(out, 'replay');
    const replay = (trace: string, ...more: string[]) =>
      run(['simulate', '--days', '1', '--strategies', 'rules', '--job-trace', trace, ...more]);
    const r2 = replay(join(out, 'trace.csv'), '--json', '--out', out2);
    expect(r2.status, r2.stderr).toBe(0);
    const job = (c: string[]) => c.slice(2, 7).join(',');
    const replayed = readFileSync(join(out2, 'jobs.csv'), 'utf8').trim().split('\n').slice(1);
    expect(replayed.map((l) => job(l.split(',')))).toEqual(ruleRows.slice(1).map((l) => job(l.split(','))));
    // Named by the data center's id, the same.
    const r3 = replay(`dc-gpu=${join(out, 'trace.csv')}`, '--json');
    expect(r3.status, r3.stderr).toBe(0);
    expect(JSON.parse(r3.stdout).results[0].kpis).toEqual(JSON.parse(r2.stdout).results[0].kpis);

    // The whole jobs.csv holds each job once per strategy: refused, with the line and what to do.
    const both = replay(join(out, 'jobs.csv'));
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(
      /jobs\.csv:\d+: job_id "dc-gpu\/job-\d+" repeats line \d+ \(a jobs\.csv of several strategies: keep one strategy's rows\)/,
    );
    const missing = replay(join(out, 'no-such.csv'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/no-such\.csv.*cannot read file/);
    const noDc = replay(join(out, 'trace.csv'), '--scenario', 'scenarios/measured-carpark/district.yaml');
    expect(noDc.status).toBe(2);
    expect(noDc.stderr).toMatch(/--job-trace: .*district\.yaml has no data center/);
  });
});

describe('bitgrid validate: devices', () => {
  it('checks devices against the driver registry and names the valid types', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bitgrid-dev-'));
    const file = join(dir, 'devices.yaml');
    writeFileSync(
      file,
      readFileSync('scenarios/gwangju.yaml', 'utf8') +
        '\ndevices:\n  - { id: inv1, type: sunspec_modbus, asset: factory-pv, host: 127.0.0.1, port: 502 }\n  - { id: x, type: flux_capacitor }\n  - { id: inv2, type: sunspec_modbus, asset: factory-pv, host: 127.0.0.1, port: 502, colour: red }\n',
    );
    const r = run(['validate', file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /devices\[1\]\.type: unknown driver type "flux_capacitor" \(valid: mqtt, ocpp, openadr_ven, sunspec_modbus\)/,
    );
    expect(r.stderr).toMatch(/devices\[2\].*colour/);
    expect(r.stderr).not.toMatch(/devices\[0\]/);
  });
});
