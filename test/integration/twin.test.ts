import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenarioFile } from '../../src/model/index.ts';
import { defaultRegistry } from '../../src/drivers/index.ts';
import type { Driver, Setpoint } from '../../src/drivers/types.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import type { MeasurementName } from '../../src/model/measurements.ts';
import { ControlLoop, type Dispatcher } from '../../src/control/loop.ts';
import { LiveController } from '../../src/live/controller.ts';
import { connectChargePoints, startTwinDistrict, type TwinDistrict } from '../../src/twin/district.ts';
import { createRandom } from '../../src/weather/index.ts';

// The whole live path on loopback for a simulated day: twin devices over SunSpec/Modbus, MQTT, OCPP
// and OpenADR, the real drivers, the control loop deciding with `rules` on the state it measures, and
// the SQLite store, on a clock running SPEED× real time (a day in three minutes). The twin plays its
// own world (weather, loads, arrivals), which the controller does not know. Checks at 09:30, when the PV ramps up and the campus EVs have
// arrived; then a fuzzed stream of setpoints and a killed device; then the rest of the day.

const SPEED = 480;
const CYCLE_SIM_MS = 120_000;
const STALE_SIM_MS = 600_000;
const H = 3_600_000;

const { scenario, baseDir } = loadScenarioFile();
const silent = { info() {}, warn() {}, error() {} };
const pvAssets = scenario.sites.flatMap((s) => s.assets).filter((a) => a.type === 'pv');
let dayStartMs = NaN;

let twin: TwinDistrict;
let drivers: Driver[];
let store: Store;
let loop: ControlLoop;
let controller: LiveController;
let active: Dispatcher;
/** Every connector of a twin charger (one or two). */
const conns = (cp: TwinDistrict['chargePoints'][number]) =>
  [1, 2].flatMap((i) => {
    try {
      return [cp.connector(i)];
    } catch {
      return [];
    }
  });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cycles = async (n: number) => {
  for (let k = 0; k < n; k++) {
    await loop.cycle();
    await sleep(CYCLE_SIM_MS / SPEED);
  }
};
/** Runs control cycles until the twin clock reaches `hour` of the simulated day. */
const runUntil = async (hour: number) => {
  while (twin.clock.now() < dayStartMs + hour * H) {
    await loop.cycle();
    await sleep(CYCLE_SIM_MS / SPEED);
  }
};

beforeAll(async () => {
  twin = await startTwinDistrict({ scenario, baseDir, speed: SPEED, log: () => {} });
  dayStartMs = twin.world.startMs;
  const registry = defaultRegistry();
  expect(registry.validateDeviceConfig(twin.devices)).toEqual([]);
  const now = () => twin.clock.now();
  drivers = twin.devices.map((c) => registry.createDriver(c, { log: silent, now }));
  await Promise.all(drivers.map((d) => d.start()));
  await connectChargePoints(twin, Math.max(20, 1000 / SPEED));
  store = await openStore(`sqlite:${join(mkdtempSync(join(tmpdir(), 'bitgrid-twin-')), 'twin.db')}`);
  controller = new LiveController({ scenario, baseDir, strategy: 'rules', store, now, log: silent });
  active = controller;
  loop = new ControlLoop({
    scenario,
    drivers,
    store,
    dispatcher: { name: 'switchable', requested: (img) => active.requested(img) },
    now,
    staleAfterMs: STALE_SIM_MS,
    log: silent,
  });
  await runUntil(9.5);
}, 240_000);

afterAll(async () => {
  const t0 = Date.now();
  // Devices first (so no charge point keeps reconnecting to a closing CSMS), then Bitgrid's side.
  await twin?.stop();
  await Promise.all((drivers ?? []).map((d) => d.stop().catch(() => undefined)));
  await store?.close();
  console.log(`twin teardown ${Date.now() - t0} ms`);
}, 120_000);

describe('serve --twin: the live path on loopback', () => {
  it('stores telemetry from every device type', async () => {
    const latest = await store.latestTelemetry();
    const has = (asset: string, measurement: string) =>
      latest.some((v) => v.assetId === asset && v.measurement === measurement);
    expect(has('factory-pv', 'power_kw')).toBe(true); // SunSpec inverter
    expect(has('shared-battery', 'soc_fraction')).toBe(true); // SunSpec battery
    expect(has('factory-load', 'power_kw')).toBe(true); // MQTT meter
    expect(has('grid', 'power_kw')).toBe(true); // MQTT grid meter
    expect(latest.some((v) => v.assetId === 'campus-ev' && v.measurement === 'power_kw' && v.channel)).toBe(
      true,
    ); // OCPP
    const pv = await store.readTelemetry({
      assetId: 'factory-pv',
      measurement: 'power_kw',
      fromMs: 0,
      toMs: Date.UTC(2100, 0),
    });
    expect(pv.length).toBeGreaterThan(20);
    expect(Math.max(...pv.map((p) => p.value))).toBeGreaterThan(100); // the sun came up
    expect(loop.snapshot().assets.filter((a) => a.mode === 'safe')).toEqual([]);
  });

  it('receives the grid operator price over OpenADR', () => {
    const ven = drivers.find((d) => d.type === 'openadr_ven')!;
    expect(ven.status().health).toBe('online');
  });

  it('applies the schedule through the protocols', async () => {
    const snap = loop.snapshot();
    const battery = snap.assets.find((a) => a.id === 'shared-battery')!;
    expect(battery.setpoint?.kind).toBe('battery_power_kw');
    expect(twin.battery!.requestedKw).toBeCloseTo(battery.setpoint!.value, 0);
    // EVs have arrived and their chargers follow the charging profiles sent to them.
    const charging = twin.chargePoints.flatMap(conns).filter((c) => c.evPresent);
    expect(charging.length).toBeGreaterThan(0);
    const limited = charging.filter((c) => c.limitKw < 100);
    expect(limited.length).toBeGreaterThan(0);
    for (const c of charging) expect(c.powerKw).toBeLessThanOrEqual(c.limitKw + 1e-6);
    const written = await store.latestTelemetry({
      assetId: 'campus-ev',
      measurement: 'setpoint_charging_limit_kw',
    });
    expect(written.length).toBeGreaterThan(0);
  });

  it('holds every limit under a fuzzed stream of setpoints', async () => {
    const rng = createRandom(42);
    const wild = () => {
      const r = rng.next();
      return r < 0.1 ? NaN : r < 0.2 ? Infinity : r < 0.3 ? -Infinity : (rng.next() - 0.5) * 1e6;
    };
    const evChannels = twin.chargePoints.map((cp) => cp.id);
    active = {
      name: 'fuzz',
      requested: () => {
        const out: Setpoint[] = [{ assetId: 'shared-battery', kind: 'battery_power_kw', value: wild() }];
        for (const p of pvAssets) out.push({ assetId: p.id, kind: 'pv_power_limit_kw', value: wild() });
        for (const id of evChannels.slice(0, 6))
          out.push({
            assetId: id.startsWith('depot') ? 'depot-buses' : 'campus-ev',
            kind: 'charging_limit_kw',
            value: wild(),
            channel: `${id}/1`,
          });
        return out;
      },
    };
    for (let k = 0; k < 30; k++) {
      await cycles(1);
      expect(Math.abs(twin.battery!.requestedKw)).toBeLessThanOrEqual(5000);
      for (const [id, t] of twin.pv)
        expect(t.limitKw).toBeLessThanOrEqual(
          (pvAssets.find((p) => p.id === id) as { inverter_kw: number }).inverter_kw + 1e-6,
        );
      for (const cp of twin.chargePoints)
        for (const c of conns(cp)) {
          expect(c.powerKw).toBeLessThanOrEqual(Math.max(c.limitKw, 0) + 1e-6);
          // No profile installed reads as an unlimited connector; an installed one is within the rating.
          if (Number.isFinite(c.limitKw))
            expect(c.limitKw).toBeLessThanOrEqual(
              cp.id.includes('-ac-') ? 7 : cp.id.startsWith('depot') ? 200 : 100,
            );
        }
    }
    const sps = await store.readTelemetry({
      assetId: 'shared-battery',
      measurement: 'setpoint_battery_power_kw',
      fromMs: 0,
      toMs: Date.UTC(2100, 0),
    });
    for (const s of sps) expect(Math.abs(s.value)).toBeLessThanOrEqual(5000);
    active = controller;
  }, 120_000);

  it('puts a killed device into safe mode and brings it back', async () => {
    await twin.kill('shared-battery');
    let mode = '';
    for (let k = 0; k < 40 && mode !== 'safe'; k++) {
      await cycles(1);
      mode = loop.snapshot().assets.find((a) => a.id === 'shared-battery')!.mode;
    }
    expect(mode).toBe('safe');
    // The loop commands the safe value; the unreachable device falls back by its own revert timer.
    expect(loop.snapshot().assets.find((a) => a.id === 'shared-battery')!.setpoint?.value).toBe(0);
    await twin.revive('shared-battery');
    for (let k = 0; k < 60 && mode !== 'auto'; k++) {
      await cycles(1);
      mode = loop.snapshot().assets.find((a) => a.id === 'shared-battery')!.mode;
    }
    expect(mode).toBe('auto');
    const events = await store.listEvents({});
    const codes = events.filter((e) => e.assetId === 'shared-battery').map((e) => e.code);
    expect(codes).toContain('ASSET_SAFE_MODE');
    expect(codes).toContain('ASSET_RECOVERED');
    const audit = await store.listAudit({});
    expect(audit.some((a) => a.action === 'safe_mode.enter' && a.target === 'shared-battery')).toBe(true);
  }, 120_000);

  it('runs the rest of the day: PV from dawn to dusk, EVs and buses charged, nothing left in safe mode', async () => {
    await runUntil(23.75);
    const all = { fromMs: dayStartMs, toMs: dayStartMs + 24 * H };
    const hourly = (q: { assetId: string; measurement: MeasurementName }) =>
      store.readTelemetry({ ...q, ...all, bucketMs: H, aggregate: 'mean' });
    const pv = await hourly({ assetId: 'factory-pv', measurement: 'power_kw' });
    const byHour = new Map(pv.map((p) => [Math.floor((p.timeMs - dayStartMs) / H), p.value]));
    expect(byHour.get(12) ?? 0).toBeGreaterThan(200);
    expect(byHour.get(2) ?? 0).toBe(0);
    expect(byHour.get(22) ?? 0).toBe(0);
    const grid = await hourly({ assetId: 'grid', measurement: 'power_kw' });
    expect(grid.length).toBeGreaterThanOrEqual(23);
    // Every campus EV left; the chargers delivered energy over the day.
    expect(
      twin.chargePoints.filter((cp) => cp.id.startsWith('campus') && conns(cp).some((c) => c.evPresent)),
    ).toEqual([]);
    const delivered = twin.chargePoints
      .filter((cp) => cp.id.startsWith('campus'))
      .reduce((x, cp) => x + conns(cp).reduce((y, c) => y + c.energyKwh, 0), 0);
    expect(delivered).toBeGreaterThan(100);
    const depot = twin.chargePoints
      .filter((cp) => cp.id.startsWith('depot'))
      .reduce((x, cp) => x + conns(cp).reduce((y, c) => y + c.energyKwh, 0), 0);
    expect(depot).toBeGreaterThan(100);
    expect(loop.snapshot().assets.filter((a) => a.mode === 'safe')).toEqual([]);
  }, 300_000);
});
