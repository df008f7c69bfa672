import { describe, expect, it } from 'vitest';
import { ControlLoop, SESSION_VALUE_RETENTION_MS } from '../../src/control/loop.ts';
import type { Driver, Measurement } from '../../src/drivers/types.ts';
import { loadScenarioFile } from '../../src/model/load.ts';
import { type Store } from '../../src/store/index.ts';
import { sqliteStorePerTest } from './helpers.ts';

// The live state is bounded: each charging session adds its energy under a channel of its own
// (`session_energy_kwh@<charger>/tx:<id>`), and a system that runs for months must not keep one key
// per session ever charged. A finished session's energy stays for SESSION_VALUE_RETENTION_MS after
// its last reading, then leaves the live state (and the stream says so with a null).

const { scenario } = loadScenarioFile();
const MIN = 60_000;
const T0 = Date.parse('2026-08-04T10:00:00+09:00');

describe('live state bounds', () => {
  let store: Store;
  sqliteStorePerTest('bitgrid-bounds-', (s) => (store = s));

  it('keeps finished sessions for the retention period only', async () => {
    let t = T0;
    let tx = 0;
    // A charger that finishes one short session every cycle, and a grid meter.
    const chargers: Driver = {
      id: 'csms',
      type: 'test',
      start: async () => undefined,
      stop: async () => undefined,
      status: () => ({ health: 'online', lastReadMs: t }),
      read: async (): Promise<Measurement[]> => [
        { assetId: 'grid', measurement: 'power_kw', value: 5_000, timeMs: t },
        { assetId: 'campus-ev', measurement: 'power_kw', value: 7, timeMs: t },
        {
          assetId: 'campus-ev',
          measurement: 'session_energy_kwh',
          value: 3.5,
          timeMs: t,
          channel: `cp-1/tx:${++tx}`,
        },
      ],
      accepts: () => false,
      write: async () => undefined,
    };
    const loop = new ControlLoop({
      scenario,
      drivers: [chargers],
      store,
      dispatcher: { name: 'test', requested: () => [] },
      now: () => t,
      staleAfterMs: 5 * MIN,
    });
    const deltas: Record<string, unknown>[] = [];
    loop.subscribe((d) => deltas.push(d));
    const cycles = 3 * (SESSION_VALUE_RETENTION_MS / MIN);
    for (let k = 0; k < cycles; k++, t += MIN) await loop.cycle();
    await loop.close();

    const sessionKeys = Object.keys(
      loop.snapshot().assets.find((a) => a.id === 'campus-ev')!.measurements,
    ).filter((k) => k.startsWith('session_energy_kwh@'));
    // One session a minute: those of the last hour (and the one at its edge), not all of them.
    expect(tx).toBe(cycles);
    expect(sessionKeys.length).toBeLessThanOrEqual(SESSION_VALUE_RETENTION_MS / MIN + 1);
    expect(sessionKeys.length).toBeGreaterThanOrEqual(SESSION_VALUE_RETENTION_MS / MIN);
    expect(sessionKeys).toContain(`session_energy_kwh@cp-1/tx:${tx}`);
    expect(sessionKeys).not.toContain('session_energy_kwh@cp-1/tx:1');
    // The stream told its clients to drop the first session's key.
    const dropped = deltas.find(
      (d) => d['assets.campus-ev.measurements.session_energy_kwh@cp-1/tx:1.value'] === null,
    );
    expect(dropped).toBeDefined();
    // The store keeps every session's energy, the first one included.
    for (const id of [1, tx]) {
      const stored = await store.readTelemetry({
        assetId: 'campus-ev',
        measurement: 'session_energy_kwh',
        channel: `cp-1/tx:${id}`,
        fromMs: T0,
        toMs: t,
      });
      expect(stored.map((p) => p.value)).toEqual([3.5]);
    }
  });
});
