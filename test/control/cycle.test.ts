import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/model/load.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { ControlLoop } from '../../src/control/loop.ts';
import type { Driver, Setpoint } from '../../src/drivers/types.ts';
import { TestPlant } from '../live/plant.ts';

// One control cycle on fake drivers, step by step: what a dispatcher asks for is narrowed to the
// device's limits before it is written, a device that stops reporting goes to its safe mode (and
// back), and a driver that fails does not stop the cycle for the others.

const { scenario } = loadScenarioFile();
const T0 = Date.parse('2026-08-04T10:00:00+09:00');
const MIN = 60_000;
const BATTERY = 'shared-battery';
const battery = scenario.sites
  .flatMap((s) => s.assets)
  .find((a) => a.id === BATTERY && a.type === 'battery') as {
  max_discharge_kw: number;
  max_charge_kw: number;
};

/** A dispatcher that asks for whatever the test sets. */
function asking() {
  const d = { setpoints: [] as Setpoint[], name: 'test', requested: () => d.setpoints };
  return d;
}

/** A driver whose every read fails, as a device whose link is down. */
class BrokenDriver implements Driver {
  readonly id = 'broken';
  readonly type = 'test';
  reads = 0;
  async start() {}
  async stop() {}
  status() {
    return { health: 'offline' as const };
  }
  async read(): Promise<never> {
    this.reads++;
    throw new Error('ETIMEDOUT reading holding registers');
  }
  accepts() {
    return false;
  }
  async write() {}
  signals() {
    return [];
  }
  sessions() {
    return [];
  }
}

describe('the control cycle on fake drivers', () => {
  let dir: string;
  let store: Store;
  let t: number;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bitgrid-cycle-'));
    store = await openStore(`sqlite:${join(dir, 'c.db')}`);
    t = T0;
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const loopOf = (drivers: Driver[], dispatcher = asking()) =>
    new ControlLoop({ scenario, drivers, store, dispatcher, now: () => t, staleAfterMs: 5 * MIN });

  it('writes a requested battery power only within the battery’s limits', async () => {
    const plant = new TestPlant(scenario, () => t);
    const dispatcher = asking();
    const loop = loopOf([plant], dispatcher);
    dispatcher.setpoints = [
      { assetId: BATTERY, kind: 'battery_power_kw', value: 3 * battery.max_discharge_kw },
    ];
    await loop.cycle();
    dispatcher.setpoints = [
      { assetId: BATTERY, kind: 'battery_power_kw', value: -3 * battery.max_charge_kw },
    ];
    t += MIN;
    await loop.cycle();
    await loop.close();
    const written = plant.written.filter((s) => s.assetId === BATTERY && s.kind === 'battery_power_kw');
    expect(written.length).toBeGreaterThanOrEqual(2);
    for (const s of written) {
      expect(s.value).toBeLessThanOrEqual(battery.max_discharge_kw);
      expect(s.value).toBeGreaterThanOrEqual(-battery.max_charge_kw);
    }
    expect(Math.max(...written.map((s) => s.value))).toBeGreaterThan(0);
    expect(Math.min(...written.map((s) => s.value))).toBeLessThan(0);
  });

  it('puts a battery that stops reporting into safe mode, holds it at 0 kW, and lets it out when it reports again', async () => {
    const plant = new TestPlant(scenario, () => t);
    const dispatcher = asking();
    dispatcher.setpoints = [{ assetId: BATTERY, kind: 'battery_power_kw', value: 1000 }];
    const loop = loopOf([plant], dispatcher);
    await loop.cycle();
    plant.muted.add(BATTERY);
    for (let k = 0; k < 7; k++) {
      t += MIN;
      await loop.cycle();
    }
    const inSafeMode = plant.written.filter((s) => s.assetId === BATTERY).at(-1);
    expect(inSafeMode?.value).toBe(0);
    expect(loop.snapshot().assets.find((a) => a.id === BATTERY)?.mode).toBe('safe');

    plant.muted.delete(BATTERY);
    t += MIN;
    await loop.cycle();
    await loop.close();
    expect(loop.snapshot().assets.find((a) => a.id === BATTERY)?.mode).not.toBe('safe');
    expect(plant.written.filter((s) => s.assetId === BATTERY).at(-1)?.value).toBe(1000);
    const audit = await store.listAudit({ action: 'safe_mode.enter' });
    expect(audit.some((a) => a.target === BATTERY)).toBe(true);
  });

  it('goes on with the other drivers when one fails every read', async () => {
    const plant = new TestPlant(scenario, () => t);
    plant.loadKw.set('factory-load', 4000);
    const broken = new BrokenDriver();
    const loop = loopOf([broken, plant]);
    for (let k = 0; k < 3; k++, t += MIN) await loop.cycle();
    await loop.close();
    expect(broken.reads).toBe(3);
    expect(loop.health().cyclesFailed).toBe(0);
    const grid = await store.readTelemetry({ assetId: 'grid', measurement: 'power_kw', fromMs: T0, toMs: t });
    expect(grid).toHaveLength(3);
    expect(grid[0].value).toBe(4000);
  });
});
