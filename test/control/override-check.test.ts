import { describe, expect, it } from 'vitest';
import { checkOverrideTarget, type OverrideCharger } from '../../src/control/override-check.ts';
import { loadScenarioFile } from '../../src/model/index.ts';
import type { Scenario } from '../../src/model/schema.ts';

// The reference district with chargers laid out as its twin configures them (src/twin/district.ts):
// campus AC chargers with two connectors (not V2G), campus DC chargers with two EVSEs (V2G), and
// single-connector depot chargers of which the first ten are V2G.
const { scenario } = loadScenarioFile();

const DEPOT_CHARGERS = 30;
const DEPOT_V2G_CHARGERS = 10;
const pad = (n: number) => String(n).padStart(3, '0');
const chargers: OverrideCharger[] = [
  ...[1, 2, 3].map((n) => ({
    assetId: 'campus-ev',
    chargerId: `campus-ev-ac-${pad(n)}`,
    connectors: 2,
    v2g: false,
  })),
  ...[1, 2].map((n) => ({
    assetId: 'campus-ev',
    chargerId: `campus-ev-dc-${pad(n)}`,
    connectors: 2,
    v2g: true,
  })),
  ...Array.from({ length: DEPOT_CHARGERS }, (_, i) => ({
    assetId: 'depot-buses',
    chargerId: `depot-buses-${pad(i + 1)}`,
    connectors: 1,
    v2g: i < DEPOT_V2G_CHARGERS,
  })),
];
const ctx = { scenario, chargers };

const charging = (assetId: string, value: number, channel?: string) => ({
  assetId,
  kind: 'charging_limit_kw',
  value,
  ...(channel !== undefined ? { channel } : {}),
});

describe('checkOverrideTarget', () => {
  it('accepts whole-asset, charger-wide and connector overrides that name what exists', () => {
    for (const o of [
      charging('campus-ev', 3),
      charging('campus-ev', 3, 'campus-ev-ac-002'),
      charging('campus-ev', 3, 'campus-ev-ac-002/2'),
      charging('campus-ev', -20, 'campus-ev-dc-001/1'),
      charging('campus-ev', -20, 'campus-ev-dc-002'),
      charging('campus-ev', -20), // some campus chargers are V2G
      charging('depot-buses', -150, 'depot-buses-010'),
      charging('depot-buses', 0, 'depot-buses-030/1'),
      { assetId: 'shared-battery', kind: 'battery_power_kw', value: -500 },
      { assetId: 'factory-pv', kind: 'pv_power_limit_kw', value: 100 },
      { assetId: 'dc-gpu', kind: 'job_gpus', value: 0, channel: 'job-42' },
    ])
      expect(checkOverrideTarget(o, ctx), JSON.stringify(o)).toEqual({ ok: true });
  });

  it('accepts every channel a charging session is reported on', () => {
    for (const c of chargers)
      for (let n = 1; n <= c.connectors; n++)
        expect(checkOverrideTarget(charging(c.assetId, 1, `${c.chargerId}/${n}`), ctx)).toEqual({ ok: true });
  });

  it('refuses a discharge on a charger that is not V2G, on a V2G asset', () => {
    expect(checkOverrideTarget(charging('campus-ev', -5, 'campus-ev-ac-001/1'), ctx)).toEqual({
      ok: false,
      field: 'value',
      message:
        'negative charging limit -5 kW (discharge) on charger "campus-ev-ac-001", which is not V2G-capable',
    });
    expect(checkOverrideTarget(charging('campus-ev', -5, 'campus-ev-ac-003'), ctx)).toMatchObject({
      ok: false,
      field: 'value',
    });
    expect(checkOverrideTarget(charging('depot-buses', -100, 'depot-buses-011'), ctx)).toMatchObject({
      ok: false,
      field: 'value',
      message: expect.stringMatching(/"depot-buses-011", which is not V2G-capable/),
    });
    // Zero is no discharge.
    expect(checkOverrideTarget(charging('campus-ev', 0, 'campus-ev-ac-001/1'), ctx)).toEqual({ ok: true });
  });

  it('refuses an asset-wide discharge when none of the asset’s chargers is V2G', () => {
    // The district file says ten depot chargers are V2G, but the installed ones are not: the
    // configured chargers decide.
    const installed = chargers.map((c) => (c.assetId === 'depot-buses' ? { ...c, v2g: false } : c));
    expect(checkOverrideTarget(charging('depot-buses', -50), { scenario, chargers: installed })).toEqual({
      ok: false,
      field: 'value',
      message:
        'negative charging limit -50 kW (discharge) on asset "depot-buses", none of whose chargers is V2G-capable',
    });
    // Without a configured charger the district file decides.
    const noV2g = withoutV2g(scenario);
    expect(checkOverrideTarget(charging('campus-ev', -1), { scenario: noV2g, chargers: [] })).toMatchObject({
      ok: false,
      field: 'value',
    });
    expect(checkOverrideTarget(charging('campus-ev', -1), { scenario, chargers: [] })).toEqual({ ok: true });
  });

  it('refuses a channel that names no charger or connector of the asset, and says what does', () => {
    const r = checkOverrideTarget(charging('campus-ev', 3, 'campus-ev-ac-009'), ctx);
    expect(r).toMatchObject({ ok: false, field: 'channel' });
    expect(!r.ok && r.message).toMatch(/names no charger of asset "campus-ev"/);
    expect(!r.ok && r.message).toMatch(/campus-ev-ac-001, campus-ev-ac-002/);
    // A charger of another asset.
    expect(checkOverrideTarget(charging('campus-ev', 3, 'depot-buses-001'), ctx)).toMatchObject({
      ok: false,
      field: 'channel',
      message: expect.stringMatching(/"depot-buses-001" belongs to "depot-buses"/),
    });
    // The depot's long list is cut short.
    expect(checkOverrideTarget(charging('depot-buses', 3, 'nope'), ctx)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/depot-buses-005 and 25 more/),
    });
    for (const channel of [
      'campus-ev-ac-001/3',
      'campus-ev-ac-001/0',
      'campus-ev-ac-001/',
      'campus-ev-ac-001/01',
      'campus-ev-ac-001/1/2',
      'campus-ev-ac-001/x',
      'depot-buses-001/2',
    ]) {
      const assetId = channel.startsWith('depot') ? 'depot-buses' : 'campus-ev';
      const res = checkOverrideTarget(charging(assetId, 3, channel), ctx);
      expect(res, channel).toMatchObject({ ok: false, field: 'channel' });
      expect(!res.ok && res.message, channel).toMatch(/has connectors? 1/);
    }
    // A bare connector number is not one of the forms.
    expect(checkOverrideTarget(charging('campus-ev', 3, '1'), ctx)).toMatchObject({
      ok: false,
      field: 'channel',
    });
    // No charger configured for the asset: no channel can name one.
    expect(
      checkOverrideTarget(charging('campus-ev', 3, 'campus-ev-ac-001'), { scenario, chargers: [] }),
    ).toMatchObject({
      ok: false,
      field: 'channel',
      message: expect.stringMatching(/has no chargers configured/),
    });
  });

  it('refuses a channel on an asset kind that has none', () => {
    expect(
      checkOverrideTarget(
        { assetId: 'shared-battery', kind: 'battery_power_kw', value: 100, channel: 'rack-1' },
        ctx,
      ),
    ).toEqual({
      ok: false,
      field: 'channel',
      message: 'asset "shared-battery" (battery) has no channels; omit channel to hold the whole asset',
    });
    expect(
      checkOverrideTarget({ assetId: 'factory-pv', kind: 'pv_power_limit_kw', value: 10, channel: '1' }, ctx),
    ).toMatchObject({ ok: false, field: 'channel' });
    // The data center's jobs are channels of job_gpus, not of its power cap.
    expect(
      checkOverrideTarget(
        { assetId: 'dc-gpu', kind: 'gpu_power_cap_fraction', value: 0.8, channel: 'job-42' },
        ctx,
      ),
    ).toMatchObject({
      ok: false,
      field: 'channel',
      message: expect.stringMatching(/gpu_power_cap_fraction .* takes no channel \(only job_gpus does\)/),
    });
  });

  it('refuses an unknown asset and a value that is not a number', () => {
    expect(checkOverrideTarget(charging('campus-ev-2', 3), ctx)).toEqual({
      ok: false,
      field: 'assetId',
      message: 'unknown asset "campus-ev-2"',
    });
    expect(checkOverrideTarget(charging('campus-ev', NaN, 'campus-ev-ac-001'), ctx)).toMatchObject({
      ok: false,
      field: 'value',
    });
  });
});

function withoutV2g(s: Scenario): Scenario {
  return {
    ...s,
    sites: s.sites.map((site) => ({
      ...site,
      assets: site.assets.map((a) =>
        a.type === 'ev_chargers' ? { ...a, chargers: a.chargers.map((c) => ({ ...c, v2g: false })) } : a,
      ),
    })),
  };
}
