import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loadScenarioFile } from '../../src/model/load.ts';
import { MAX_CLOCK_AHEAD_MS, PlausibilityCheck } from '../../src/control/plausibility.ts';
import type { Measurement } from '../../src/drivers/types.ts';

// The loop's last check on telemetry, from any protocol: unknown assets, impossible values and
// future times never reach the process image or the store.

const { scenario } = loadScenarioFile();
const NOW = Date.parse('2026-08-04T10:00:00+09:00');
const m = (over: Partial<Measurement>): Measurement => ({
  assetId: 'factory-pv',
  measurement: 'power_kw',
  value: 1000,
  timeMs: NOW,
  ...over,
});

describe('plausibility of telemetry', () => {
  const check = new PlausibilityCheck(scenario);

  it.each([
    ['an asset the district does not have', m({ assetId: 'ghost-meter' }), 'unknown_asset'],
    ['a power far beyond the inverter', m({ value: 1e305 }), 'out_of_range'],
    ['NaN', m({ value: NaN }), 'not_finite'],
    [
      'a state of charge of 2.5',
      m({ assetId: 'shared-battery', measurement: 'soc_fraction', value: 2.5 }),
      'out_of_range',
    ],
    [
      '999,999,999 kW on a 7 kW connector',
      m({ assetId: 'campus-ev', channel: 'campus-ev-ac-001/1', value: 999_999_999 }),
      'out_of_range',
    ],
    [
      'discharge on a depot with no V2G beyond its chargers',
      m({ assetId: 'depot-buses', channel: 'depot-buses-001/1', value: -1e6 }),
      'out_of_range',
    ],
    ['a reading two days old', m({ timeMs: NOW - 2 * 86_400_000 }), 'too_old'],
  ])('refuses %s', (_, input, reason) => {
    expect(check.check(input, NOW)).toBe(reason);
  });

  it('keeps a reading stamped in the future, at the server time', () => {
    const r = check.check(m({ timeMs: Date.parse('2030-01-01T00:00:00Z') }), NOW);
    expect(r).toEqual(m({ timeMs: NOW }));
    // A clock a little ahead (within the allowed skew) keeps its own time.
    const small = check.check(m({ timeMs: NOW + MAX_CLOCK_AHEAD_MS / 2 }), NOW);
    expect(small).toEqual(m({ timeMs: NOW + MAX_CLOCK_AHEAD_MS / 2 }));
  });

  it('accepts what real devices report', () => {
    for (const ok of [
      m({}),
      m({ assetId: 'shared-battery', measurement: 'soc_fraction', value: 0.61 }),
      m({ assetId: 'shared-battery', measurement: 'power_kw', value: -4999 }),
      m({ assetId: 'grid', measurement: 'power_kw', value: 9300 }),
      m({ assetId: 'campus-ev', channel: 'campus-ev-dc-001/1', value: -80 }),
      m({
        assetId: 'campus-ev',
        measurement: 'session_energy_kwh',
        channel: 'campus-ev-ac-001/1',
        value: 12.5,
      }),
    ])
      expect(check.check(ok, NOW)).toEqual(ok);
  });

  it('never lets a non-finite or out-of-range power through, whatever the input', () => {
    const fresh = new PlausibilityCheck(scenario);
    const assets = [
      'grid',
      'factory-pv',
      'shared-battery',
      'factory-load',
      'dc-gpu',
      'campus-ev',
      'depot-buses',
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...assets),
        fc.oneof(fc.double(), fc.constantFrom(1e308, -1e308, Infinity, NaN)),
        fc.integer({ min: -10 * 86_400_000, max: 10 * 86_400_000 }),
        (assetId, value, dtMs) => {
          const r = fresh.check(m({ assetId, value, timeMs: NOW + dtMs }), NOW);
          if (typeof r === 'string') return;
          expect(Number.isFinite(r.value)).toBe(true);
          expect(Math.abs(r.value)).toBeLessThan(1e6);
          expect(r.timeMs).toBeLessThanOrEqual(NOW + MAX_CLOCK_AHEAD_MS);
        },
      ),
    );
    const total = fresh.accepted + Object.values(fresh.rejected).reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(0);
  });
});
