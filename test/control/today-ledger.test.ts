import { describe, expect, it } from 'vitest';
import { ControlLoop } from '../../src/control/loop.ts';
import type { Driver, Measurement } from '../../src/drivers/types.ts';
import { ledgerFromTelemetry } from '../../src/ledger/index.ts';
import { loadScenarioFile } from '../../src/model/load.ts';
import { type Store } from '../../src/store/index.ts';
import { sqliteStorePerTest } from './helpers.ts';

// One definition of hourly RE100 matching: the live state's figure for today (the dashboard's
// overview) is the ledger's (GET /api/ledger) for the same day, from the same meters — PV surplus
// charged into the battery and discharged later counts as clean, in its clock hour.

const { scenario } = loadScenarioFile();
const MIN = 60_000;
const DAY_START = Date.parse('2026-08-04T00:00:00+09:00');
const T0 = Date.parse('2026-08-04T10:00:00+09:00');

describe("today's RE100 matching", () => {
  let store: Store;
  sqliteStorePerTest('bitgrid-today-', (s) => (store = s));

  it('is the ledger of the same day, from the same meters', async () => {
    const pvIds = scenario.sites
      .flatMap((s) => s.assets)
      .filter((a) => a.type === 'pv')
      .map((a) => a.id);
    const battery = scenario.sites.flatMap((s) => s.assets).find((a) => a.type === 'battery')!;
    let t = T0;
    let socFraction = 0.4;
    // Three hours: PV above the load at midday (surplus charged into the battery), then the battery
    // discharging against the load in the afternoon.
    const meters: Driver = {
      id: 'meters',
      type: 'test',
      start: async () => undefined,
      stop: async () => undefined,
      status: () => ({ health: 'online', lastReadMs: t }),
      read: async (): Promise<Measurement[]> => {
        const k = (t - T0) / MIN;
        const loadKw = 6_000 + 500 * Math.sin(k / 20);
        const pvKw = k < 90 ? 7_000 : 2_000;
        const batteryKw = k < 90 ? -800 : 1_200;
        socFraction += (-batteryKw / battery.capacity_kwh) * (1 / 60);
        const gridKw = loadKw - pvKw - batteryKw;
        return [
          { assetId: 'grid', measurement: 'power_kw', value: gridKw, timeMs: t },
          ...pvIds.map((id): Measurement => ({
            assetId: id,
            measurement: 'power_kw',
            value: pvKw / pvIds.length,
            timeMs: t,
          })),
          { assetId: battery.id, measurement: 'power_kw', value: batteryKw, timeMs: t },
          { assetId: battery.id, measurement: 'soc_fraction', value: socFraction, timeMs: t },
        ];
      },
      accepts: () => false,
      write: async () => undefined,
    };
    const loop = new ControlLoop({
      scenario,
      drivers: [meters],
      store,
      dispatcher: { name: 'test', requested: () => [] },
      now: () => t,
      staleAfterMs: 5 * MIN,
    });
    for (let k = 0; k < 180; k++, t += MIN) await loop.cycle();
    const live = loop.snapshot().today.re100HourlyMatching;
    await loop.close();
    const ledger = await ledgerFromTelemetry(store, scenario, DAY_START, t - MIN + 1);
    expect(ledger.totals.hourlyMatchingShare).toBeGreaterThan(0.3);
    expect(live).toBeCloseTo(ledger.totals.hourlyMatchingShare, 6);
  });
});
