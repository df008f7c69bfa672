import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DateTime } from 'luxon';
import { openStore, type TelemetryPoint } from '../../src/store/index.ts';

const BIN = resolve(import.meta.dirname, '../../bin/bitgrid.mjs');
const run = (args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, BITGRID_DEBUG: '' },
  });

const BILL = `# KEPCO bill for August 2026, read on the 15th
billing_month: 2026-08
meter_reading_day: 15
energy_kwh: { light: 12000, mid: 0, peak: 0 }
billing_demand_kw: 10000
charges_krw:
  demand_charge: 83200000
  energy_charge: 1392000
  climate_environment: 108000
  fuel_cost_adjustment: 60000
  vat: 8476000
  power_fund: 2288520
  total: 95524520
`;

describe('bitgrid reconcile', () => {
  it('prints the KEPCO bill beside the bill of the stored grid meter over the meter-reading period', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bitgrid-reconcile-'));
    const db = join(dir, 'store.db');
    const store = await openStore(`sqlite:${db}`);
    // 500 kW for one light-load hour (02–03 h) on each of the 31 days read on August 15: 15,500 kWh.
    const points: TelemetryPoint[] = [];
    for (
      let day = DateTime.fromISO('2026-07-15T02:00', { zone: 'Asia/Seoul' });
      day.month < 9 && !(day.month === 8 && day.day >= 15);
      day = day.plus({ days: 1 })
    )
      for (let m = 0; m < 60; m += 15)
        points.push({
          assetId: 'grid',
          measurement: 'power_kw',
          value: 500,
          timeMs: day.plus({ minutes: m }).toMillis(),
        });
    await store.appendTelemetry(points);
    await store.close();
    const bill = join(dir, 'bill.yaml');
    writeFileSync(bill, BILL);
    const r = run(['reconcile', '--bill', bill, '--db', `sqlite:${db}`]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(
      'Billing month 2026-08: 2026-07-15T00:00:00+09:00 to 2026-08-15T00:00:00+09:00 (meter-reading period)',
    );
    expect(r.stdout).toMatch(/Energy, light load\s+kWh\s+12,000\.0\s+15,500\.0\s+\+3,500\.0/);
    const json = run(['reconcile', '--bill', bill, '--db', `sqlite:${db}`, '--json']);
    const doc = JSON.parse(json.stdout);
    expect(doc.from).toBe('2026-07-15T00:00:00+09:00');
    const light = doc.lines.find((l: { component: string }) => l.component === 'energy_kwh.light');
    expect(light.difference).toBeCloseTo(3500, 6);
  });

  it('refuses a bad bill file with its line and exit code 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bitgrid-reconcile-'));
    const bill = join(dir, 'bill.yaml');
    writeFileSync(bill, BILL.replace('meter_reading_day: 15', 'meter_reading_day: 0'));
    const r = run(['reconcile', '--bill', bill, '--db', `sqlite:${join(dir, 'x.db')}`]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/bill\.yaml: 1 problem\(s\)\n\s+line 3: meter_reading_day: /);
  });
});
