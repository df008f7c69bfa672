import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/model/load.ts';
import { type Store } from '../../src/store/index.ts';
import { sqliteStorePerTest } from './helpers.ts';
import { ControlLoop } from '../../src/control/loop.ts';
import { GuardRejection } from '../../src/control/types.ts';
import { TestPlant } from '../live/plant.ts';

// Overrides the target cannot carry out are refused at once (and audited), not accepted and then
// refused by the device every cycle; a one-connector override keeps its connector across a restart.

const { scenario } = loadScenarioFile();
const T0 = Date.parse('2026-08-04T10:00:00+09:00');
const operator = { id: 'tok_op', role: 'operator' as const };
const chargers = [
  { assetId: 'campus-ev', chargerId: 'campus-ev-ac-001', connectors: 2, v2g: false },
  { assetId: 'campus-ev', chargerId: 'campus-ev-dc-001', connectors: 2, v2g: true },
];

describe('overrides checked against the device', () => {
  let store: Store;
  sqliteStorePerTest('bitgrid-ovr-', (s) => (store = s));
  const loop = (s: Store) =>
    new ControlLoop({
      scenario,
      drivers: [new TestPlant(scenario, () => T0)],
      store: s,
      dispatcher: { name: 'none', requested: () => [] },
      now: () => T0,
      staleAfterMs: 300_000,
      chargers,
    });
  const base = {
    assetId: 'campus-ev',
    kind: 'charging_limit_kw' as const,
    durationMinutes: 30,
    reason: 'test',
  };

  it('refuses discharge on a charger without V2G and a connector that does not exist', async () => {
    const l = loop(store);
    await expect(
      l.setOverride({ ...base, value: -5, channel: 'campus-ev-ac-001/1' }, operator),
    ).rejects.toBeInstanceOf(GuardRejection);
    await expect(
      l.setOverride({ ...base, value: 3, channel: 'campus-ev-ac-001/3' }, operator),
    ).rejects.toBeInstanceOf(GuardRejection);
    await expect(
      l.setOverride({ ...base, value: 3, channel: 'no-such-charger/1' }, operator),
    ).rejects.toBeInstanceOf(GuardRejection);
    const ok = await l.setOverride({ ...base, value: -20, channel: 'campus-ev-dc-001/2' }, operator);
    expect(ok.channel).toBe('campus-ev-dc-001/2');
    await l.close();
    const denied = await store.listAudit({ action: 'override.set' });
    expect(denied.filter((a) => a.outcome === 'denied').length).toBe(3);
  });

  it('keeps an override’s connector across a restart', async () => {
    const l = loop(store);
    await l.setOverride({ ...base, value: 4, channel: 'campus-ev-ac-001/2' }, operator);
    await l.close();
    const again = loop(store);
    await again.restore();
    const [o] = again.overrides();
    expect(o.channel).toBe('campus-ev-ac-001/2');
    expect(o.value).toBe(4);
  });

  it('sends a charger-wide override as its own setpoint even when the plan addresses connectors', async () => {
    const plant = new TestPlant(scenario, () => T0);
    plant.loadKw.set('campus-ev', 12); // the fleet reports, so it is not offline
    const l = new ControlLoop({
      scenario,
      drivers: [plant],
      store,
      dispatcher: {
        name: 'plan',
        requested: () => [
          { assetId: 'campus-ev', kind: 'charging_limit_kw', value: 7, channel: 'campus-ev-ac-001/1' },
        ],
      },
      now: () => T0,
      staleAfterMs: 300_000,
      chargers,
    });
    await l.setOverride({ ...base, value: 4, channel: 'campus-ev-ac-001' }, operator);
    await l.cycle();
    const sent = plant.written.filter((w) => w.kind === 'charging_limit_kw');
    expect(sent.find((w) => w.channel === 'campus-ev-ac-001')?.value).toBe(4);
    expect(sent.find((w) => w.channel === 'campus-ev-ac-001/1')?.value).toBe(7);
    await l.close();
  });
});
