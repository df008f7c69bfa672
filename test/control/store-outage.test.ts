import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/model/load.ts';
import { type Store } from '../../src/store/index.ts';
import { sqliteStorePerTest } from './helpers.ts';
import { ControlLoop } from '../../src/control/loop.ts';
import { LiveController } from '../../src/live/controller.ts';
import { TestPlant } from '../live/plant.ts';

// The store goes away (every write refused) while the loop runs: control goes on — setpoints are
// still written, health says the store is down — and once the store is
// back, no telemetry of the outage is missing and the events and audit entries raised meanwhile are
// written in order.

const loaded = loadScenarioFile();
const { scenario } = loaded;
const MIN = 60_000;
const T0 = Date.parse('2026-08-04T10:00:00+09:00');

/** A real store whose writes fail while `down` is set, as a database that stopped answering would. */
function flaky(store: Store): Store & { down: boolean } {
  const state = { down: false };
  const failing = new Set(['appendTelemetry', 'addEvent', 'appendAudit', 'addSchedule', 'addOverride']);
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'down') return state.down;
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        if (state.down && failing.has(String(prop)))
          return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
    set(target, prop, value) {
      if (prop === 'down') {
        state.down = Boolean(value);
        return true;
      }
      return Reflect.set(target, prop, value);
    },
  }) as Store & { down: boolean };
}

describe('control through a store outage', () => {
  let base: Store;
  sqliteStorePerTest('bitgrid-outage-', (s) => (base = s));

  it('keeps dispatching, then writes everything the outage held back', async () => {
    let t = T0;
    const store = flaky(base);
    const plant = new TestPlant(scenario, () => t);
    plant.loadKw.set('factory-load', 5000);
    plant.loadKw.set('campus-load', 2000);
    const controller = new LiveController({
      scenario,
      baseDir: loaded.baseDir,
      strategy: 'rules',
      store,
      now: () => t,
    });
    const loop = new ControlLoop({
      scenario,
      drivers: [plant],
      store,
      dispatcher: controller,
      now: () => t,
      staleAfterMs: 5 * MIN,
    });
    await loop.restore();
    for (let k = 0; k < 3; k++, t += MIN) await loop.cycle();

    store.down = true;
    const writtenBefore = plant.written.length;
    // During the outage an operator-visible event happens: the plant's battery stops reporting.
    const outageStart = t;
    for (let k = 0; k < 20; k++, t += MIN) {
      if (k === 5) plant.muted.add('shared-battery');
      await loop.cycle();
    }
    const h = loop.health();
    expect(h.cyclesFailed).toBe(0);
    expect(h.store.ok).toBe(false);
    expect(h.store.bufferedPoints).toBeGreaterThan(0);
    // Setpoints kept coming: every cycle wrote the battery and PV commands.
    expect(plant.written.length - writtenBefore).toBeGreaterThanOrEqual(20);
    expect(loop.snapshot().cycle).toBe(23);

    store.down = false;
    for (let k = 0; k < 3; k++, t += MIN) await loop.cycle();
    await loop.close();
    const grid = await base.readTelemetry({
      assetId: 'grid',
      measurement: 'power_kw',
      fromMs: outageStart,
      toMs: outageStart + 20 * MIN,
    });
    // One reading per cycle of the outage, none lost.
    expect(grid.length).toBe(20);
    const events = await base.listEvents({ assetId: 'shared-battery' });
    expect(events.some((e) => e.code === 'ASSET_SAFE_MODE')).toBe(true);
    const audit = await base.listAudit({ action: 'safe_mode.enter' });
    expect(audit.length).toBe(1);
    expect(loop.health().store.ok).toBe(true);
    expect(loop.health().store.droppedPoints).toBe(0);
  });
});
