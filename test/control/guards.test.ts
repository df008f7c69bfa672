import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loadScenarioFile } from '../../src/model/index.ts';
import { Guards, limitImport } from '../../src/control/guards.ts';
import type { SetpointKind } from '../../src/drivers/types.ts';

const { scenario } = loadScenarioFile();
const guards = new Guards(scenario);

describe('guards', () => {
  // Table test: input, state, expected output and the limit that acted.
  it.each([
    {
      asset: 'shared-battery',
      kind: 'battery_power_kw',
      value: 9000,
      soc: 0.5,
      want: 5000,
      by: 'max_discharge_kw',
    },
    {
      asset: 'shared-battery',
      kind: 'battery_power_kw',
      value: -9000,
      soc: 0.5,
      want: -5000,
      by: 'max_charge_kw',
    },
    { asset: 'shared-battery', kind: 'battery_power_kw', value: 2000, soc: 0.1, want: 0, by: 'soc_min' },
    { asset: 'shared-battery', kind: 'battery_power_kw', value: -2000, soc: 0.96, want: 0, by: 'soc_max' },
    { asset: 'shared-battery', kind: 'battery_power_kw', value: 1234, soc: 0.5, want: 1234, by: undefined },
    { asset: 'shared-battery', kind: 'battery_power_kw', value: NaN, soc: 0.5, want: 0, by: 'not_finite' },
    {
      asset: 'factory-pv',
      kind: 'pv_power_limit_kw',
      value: 5000,
      soc: undefined,
      want: 2600,
      by: 'inverter_kw',
    },
    { asset: 'factory-pv', kind: 'pv_power_limit_kw', value: -10, soc: undefined, want: 0, by: 'zero' },
    {
      asset: 'depot-buses',
      kind: 'charging_limit_kw',
      value: 500,
      soc: undefined,
      want: 200,
      by: 'charger_kw',
    },
    {
      asset: 'campus-ev',
      kind: 'charging_limit_kw',
      value: -500,
      soc: undefined,
      want: -100,
      by: 'v2g max_power_kw',
    },
  ] as const)('$asset $kind $value at SoC $soc → $want ($by)', ({ asset, kind, value, soc, want, by }) => {
    const g = guards.apply({ assetId: asset, kind, value }, { socFraction: soc })!;
    expect(g.setpoint.value).toBe(want);
    expect(g.clampedBy).toBe(by);
  });

  it('gives no movement to a battery whose SoC is unknown', () => {
    expect(
      guards.apply({ assetId: 'shared-battery', kind: 'battery_power_kw', value: 100 }, {})!.setpoint.value,
    ).toBe(0);
  });

  it('applies only the safe value in safe mode', () => {
    const g = guards.apply(
      { assetId: 'shared-battery', kind: 'battery_power_kw', value: 3000 },
      { socFraction: 0.5, safe: true },
    )!;
    expect(g.setpoint.value).toBe(0);
    expect(g.clampedBy).toBe('safe_mode');
  });

  it('refuses setpoints for assets or kinds it has no limits for', () => {
    expect(guards.apply({ assetId: 'factory-load', kind: 'load_limit_kw', value: 1 }, {})).toBeUndefined();
    expect(
      guards.apply({ assetId: 'shared-battery', kind: 'pv_power_limit_kw', value: 1 }, { socFraction: 0.5 }),
    ).toBeUndefined();
  });

  it('never lets a fuzzed setpoint out of the configured limits', () => {
    const assets: [string, SetpointKind, number, number][] = [
      ['shared-battery', 'battery_power_kw', -5000, 5000],
      ['factory-pv', 'pv_power_limit_kw', 0, 2600],
      ['depot-buses', 'charging_limit_kw', -200, 200],
      ['campus-ev', 'charging_limit_kw', -100, 100],
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...assets),
        fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, 1e308, -1e308)),
        fc.option(fc.double({ min: 0, max: 1, noNaN: true })),
        fc.boolean(),
        ([asset, kind, lo, hi], value, soc, safe) => {
          const g = guards.apply({ assetId: asset, kind, value }, { socFraction: soc ?? undefined, safe });
          expect(g).toBeDefined();
          expect(Number.isFinite(g!.setpoint.value)).toBe(true);
          expect(g!.setpoint.value).toBeGreaterThanOrEqual(lo);
          expect(g!.setpoint.value).toBeLessThanOrEqual(hi);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('scales charging back to keep the import within the limit', () => {
    const sps = [
      { setpoint: { assetId: 'campus-ev', kind: 'charging_limit_kw' as const, value: 100 }, requested: 100 },
      {
        setpoint: { assetId: 'shared-battery', kind: 'battery_power_kw' as const, value: -3000 },
        requested: -3000,
      },
    ];
    const r = limitImport(sps, 16_500, 16_000);
    expect(r.reducedKw).toBe(500);
    expect(r.setpoints[0].setpoint.value).toBe(0);
    expect(r.setpoints[1].setpoint.value).toBe(-2600);
    expect(limitImport(sps, 15_000, 16_000).reducedKw).toBe(0);
  });
});
