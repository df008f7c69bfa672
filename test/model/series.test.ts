import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadScenarioFile, parseScenario } from '../../src/model/index.ts';
import { gridForLocalDays } from '../../src/model/time.ts';
import { InputError, readProfileCsv } from '../../src/sim/inputs/index.ts';
import { prepareDistrict } from '../../src/sim/district.ts';
import { problemsOf as refusals } from './helpers.ts';

const ZONE = 'Asia/Seoul';
const here = dirname(fileURLToPath(import.meta.url));
const EMHASS_FILE = join(here, '../../scenarios/emhass-week/district.yaml');
const grid = gridForLocalDays('2026-06-01', 1, 15, ZONE);
const price = { zone: ZONE, valueName: 'price_krw_per_kwh', allowNegative: true };

function refused(f: () => unknown): InputError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('expected the file to be refused');
}

describe('data series (time,value in local time)', () => {
  it('reads local times in the district zone, holds hourly values and keeps a negative price', () => {
    const text = ['time,value', '2026-06-01T00:00,110', '2026-06-01 01:00,-20', '2026-06-01T02:00,245'].join(
      '\n',
    );
    const r = readProfileCsv(text, 'price.csv', grid, price);
    // 00:00 local in Seoul is the grid's first interval; each hourly value holds for its hour.
    expect(Array.from(r.kw.slice(0, 9))).toEqual([110, 110, 110, 110, -20, -20, -20, -20, 245]);
    expect(r.report.issues.map((i) => i.kind)).not.toContain('negative-power');
  });

  it('an offset, when given, wins over the zone', () => {
    // 15:00 UTC on 31 May is 00:00 on 1 June in Seoul.
    const r = readProfileCsv('time,value\n2026-05-31T15:00:00Z,7\n', 'load.csv', grid, { zone: ZONE });
    expect(r.kw[0]).toBe(7);
  });

  it('refuses bad rows with file and line', () => {
    expect(
      refused(() =>
        readProfileCsv('time,value\n2026-06-01T00:00,1\n2026-06-01T25:00,2\n', 'a.csv', grid, price),
      ).message,
    ).toMatch(/^a\.csv:3: time: "2026-06-01T25:00" is not an ISO 8601 local time/);
    expect(
      refused(() => readProfileCsv('time,value\n2026-06-01T00:00,12 won\n', 'b.csv', grid, price)).message,
    ).toBe('b.csv:2: value (price_krw_per_kwh): "12 won" is not a number');
    expect(refused(() => readProfileCsv('when,value\n', 'c.csv', grid, price)).message).toMatch(
      /^c\.csv:1: no column "timestamp"/,
    );
    expect(
      refused(() => readProfileCsv('time,value\n2020-01-01T00:00,1\n', 'd.csv', grid, price)).message,
    ).toBe('d.csv: no reading inside the simulated period');
  });

  it('the EMHASS week takes its prices, load and PV from its series, and its deferrable loads', () => {
    const { scenario, baseDir } = loadScenarioFile(EMHASS_FILE);
    const d = prepareDistrict(scenario, { days: 7, baseDir });
    expect(d.grid.count).toBe(672);
    // Monday 1 June 2026: 11:00 is a peak hour (245), 03:00 light (110); export dips at midday.
    expect(d.prices.importPriceKrwPerKwh[11 * 4]).toBe(245);
    expect(d.prices.importPriceKrwPerKwh[3 * 4]).toBe(110);
    expect(d.prices.exportPriceKrwPerKwh[12 * 4]).toBe(80);
    const load = readFileSync(join(baseDir, 'load-kw.csv'), 'utf8').split('\n')[1].split(',');
    expect(d.loads[0].kw[0]).toBe(Number(load[1]));
    expect(d.deferrables!.map((u) => u.id)).toEqual(['precool', 'hot-water', 'van-charging', 'wash-line']);
    // Hot water [22, 7): the night before the run (its 00:00–07:00 part, pro rata 7/9 of 60 kWh) and
    // one window a night; the last one runs past the week and is not judged.
    const hw = d.deferrables![1].windows;
    expect(hw[0]).toMatchObject({ startIndex: 0, endIndex: 28, endsInRun: true });
    expect(hw[0].energyKwh).toBeCloseTo((60 * 7) / 9, 9);
    expect(hw[1]).toMatchObject({ startIndex: 88, endIndex: 124, energyKwh: 60 });
    expect(hw.at(-1)!.endsInRun).toBe(false);
  });
});

const base = `
name: t
timezone: Asia/Seoul
interval_minutes: 15
default_start: "2026-06-01"
location: { latitude_deg: 35, longitude_deg: 127 }
climate: { annual_ghi_kwh_per_m2: 1300, annual_mean_temperature_c: 14, january_mean_temperature_c: 0, august_mean_temperature_c: 26 }
weather: { source: synthetic }
grid:
  voltage_kv: 22.9
  contract_demand_kw: 100
  import_limit_kw: 100
  export_limit_kw: 0
  tariff: { plan: industrial_b, voltage: high_a, option: II, climate_environment_krw_per_kwh: 9, fuel_cost_adjustment_krw_per_kwh: 5, vat_fraction: 0.1, power_fund_fraction: 0.027 }
  export_price: { profile: smp_2025 }
  emission_factor_kg_per_kwh: 0.4
  emission_factor_year: 2023
sites:
  - id: s
    name: s
    assets:
`;

function problemsOf(assets: string) {
  return refusals(base + assets).map((p) => `${p.path}: ${p.message}`);
}

describe('deferrable load and battery target in the district file', () => {
  it('refuses settings that cannot work, saying which and why', () => {
    const both = problemsOf(`
      - { id: d, type: deferrable_load, nominal_kw: 10, energy_kwh: 20, operating_hours: 2, windows: [[8, 18]] }`);
    expect(both.join('\n')).toMatch(/energy_kwh: give exactly one of energy_kwh and operating_hours/);
    const short = problemsOf(`
      - { id: d, type: deferrable_load, nominal_kw: 10, operating_hours: 3, windows: [[22, 0]] }`);
    expect(short).toEqual([
      'sites[0].assets[0].windows[0]: 30 kWh cannot be delivered at 10 kW in the 2 h of window [22, 0]',
    ]);
    const overlap = problemsOf(`
      - { id: d, type: deferrable_load, nominal_kw: 10, operating_hours: 1, windows: [[20, 2], [1, 5]] }`);
    expect(overlap.join('\n')).toMatch(/windows overlap/);
    const overshoot = problemsOf(`
      - { id: d, type: deferrable_load, nominal_kw: 10, energy_kwh: 5, min_on_hours: 1, windows: [[8, 18]] }`);
    expect(overshoot.join('\n')).toMatch(/a run of min_on_hours \(1 h\) at 10 kW exceeds the 5 kWh/);
    const target = problemsOf(`
      - { id: b, type: battery, capacity_kwh: 10, max_charge_kw: 5, max_discharge_kw: 5, round_trip_efficiency: 0.9, soc_min: 0.2, soc_max: 0.9, soc_initial: 0.5, degradation_cost_krw_per_kwh: 0, soc_target_end: 0.1 }`);
    expect(target.join('\n')).toMatch(
      /soc_target_end: soc_min \(0\.2\) must be at most soc_target_end \(0\.1\)/,
    );
  });

  it('accepts a window across midnight with hours, defaults on/off times and start cost to none', () => {
    const s = parseScenario(
      base +
        `
      - { id: d, type: deferrable_load, nominal_kw: 10, operating_hours: 3, windows: [[22, 6]] }`,
    );
    const a = s.sites[0].assets[0];
    expect(a).toMatchObject({ min_on_hours: 0, min_off_hours: 0, start_cost_krw: 0, semi_continuous: true });
  });
});
