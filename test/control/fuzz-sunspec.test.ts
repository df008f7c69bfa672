import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/model/load.ts';
import { openStore } from '../../src/store/index.ts';
import { ControlLoop } from '../../src/control/loop.ts';
import { defaultRegistry } from '../../src/drivers/index.ts';
import { SunSpecBatteryTwin } from '../../src/twin/sunspec/index.ts';
import { createRandom } from '../../src/weather/index.ts';
import { RATING_MARGIN } from '../../src/control/plausibility.ts';

// Implausible telemetry over Modbus/SunSpec: a battery whose registers say anything — SoC far past
// 100 %, power in the gigawatts, random scale factors — read by the real driver over a loopback
// socket into the control loop. Nothing implausible reaches the loop's state or the store.

const { scenario } = loadScenarioFile();
const battery = scenario.sites.flatMap((s) => s.assets).find((a) => a.type === 'battery')!;
if (battery.type !== 'battery') throw new Error('the reference district has a battery');
const ROUNDS = 60;

/** A battery twin whose measurement registers are overwritten with random values after each refresh. */
class FuzzedBattery extends SunSpecBatteryTwin {
  fuzz?: () => void;
  protected override refresh(): void {
    super.refresh();
    this.fuzz?.();
  }
}

describe('fuzzed SunSpec telemetry through the loop', () => {
  it('never lets an impossible SoC or power into the state or the store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bitgrid-fuzz-'));
    const store = await openStore(`sqlite:${join(dir, 'f.db')}`);
    let t = Date.parse('2026-08-04T10:00:00+09:00');
    const now = () => t;
    const twin = new FuzzedBattery({ port: 0, now, battery, serialNumber: 'FUZZ-1' });
    const port = await twin.start();
    const rng = createRandom(7);
    const int16 = () => Math.floor(rng.next() * 65536) - 32768;
    twin.fuzz = () => {
      const r = rng.next();
      if (r < 0.3) twin.image.setRaw(802, 'SoC', Math.floor(rng.next() * 65535));
      if (r < 0.6) twin.image.setRaw(802, 'W', int16());
      if (r < 0.2) twin.image.setRaw(802, 'W_SF', Math.floor(rng.next() * 20) - 10);
      if (r > 0.9) twin.image.setRaw(802, 'SoC_SF', Math.floor(rng.next() * 20) - 10);
    };
    const silent = { info() {}, warn() {}, error() {} };
    const driver = defaultRegistry().createDriver(
      {
        id: 'bms',
        type: 'sunspec_modbus',
        asset: battery.id,
        role: 'battery',
        host: '127.0.0.1',
        port,
        unit_id: 1,
        poll_ms: 50,
        timeout_ms: 1000,
        reconnect_min_ms: 50,
        reconnect_max_ms: 200,
      },
      { log: silent, now },
    );
    await driver.start();
    const loop = new ControlLoop({
      scenario,
      drivers: [driver],
      store,
      dispatcher: { name: 'none', requested: () => [] },
      now,
      staleAfterMs: 300_000,
    });
    const maxKw = Math.max(battery.max_charge_kw, battery.max_discharge_kw) * RATING_MARGIN;
    try {
      for (let k = 0; k < ROUNDS; k++) {
        await new Promise((r) => setTimeout(r, 60));
        t += 60_000;
        await loop.cycle();
        const m = loop.snapshot().assets.find((a) => a.id === battery.id)!.measurements;
        if (m.soc_fraction) expect(m.soc_fraction.value).toBeGreaterThanOrEqual(0);
        if (m.soc_fraction) expect(m.soc_fraction.value).toBeLessThanOrEqual(1);
        if (m.power_kw) expect(Math.abs(m.power_kw.value)).toBeLessThanOrEqual(maxKw);
      }
      await loop.close();
      const all = { fromMs: 0, toMs: Date.UTC(2100, 0) };
      const soc = await store.readTelemetry({ assetId: battery.id, measurement: 'soc_fraction', ...all });
      const kw = await store.readTelemetry({ assetId: battery.id, measurement: 'power_kw', ...all });
      for (const p of soc) expect(p.value >= 0 && p.value <= 1).toBe(true);
      for (const p of kw) expect(Math.abs(p.value)).toBeLessThanOrEqual(maxKw);
      // The fuzz did reach the loop and was refused there, counted by reason.
      expect(loop.health().telemetry.rejected.out_of_range ?? 0).toBeGreaterThan(0);
      expect(soc.length + kw.length).toBeGreaterThan(0);
    } finally {
      await driver.stop();
      await twin.stop();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
