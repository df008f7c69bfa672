import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/model/index.ts';
import {
  isMeasurementName,
  measurementOfKey,
  streamKey,
  type StreamKey,
} from '../../src/model/measurements.ts';
import { defaultRegistry } from '../../src/drivers/index.ts';
import type { Driver } from '../../src/drivers/types.ts';
import { connectChargePoints, startTwinDistrict, type TwinDistrict } from '../../src/twin/district.ts';

// What the drivers emit when they read the twin district over its real protocols (SunSpec/Modbus,
// MQTT, OCPP, OpenADR): every measurement name and stream key is in the vocabulary
// (src/model/measurements.ts). The type of Measurement.measurement says so at compile time; this
// checks the values that arrive over the wire at run time.

const H = 3_600_000;
const SPEED = 60;
/** Midday, when PV produces, buses are back at the depot and EVs are plugged in. */
const START_OFFSET_MS = 11.75 * H;
/** Reads per driver: enough for the chargers to boot and report meter values. */
const READ_ROUNDS = 20;
const READ_PAUSE_MS = 150;
const { scenario, baseDir } = loadScenarioFile();
const silent = { info() {}, warn() {}, error() {} };
let twin: TwinDistrict;
let drivers: Driver[] = [];
const keys = new Set<StreamKey>();

beforeAll(async () => {
  twin = await startTwinDistrict({
    scenario,
    baseDir,
    speed: SPEED,
    maxAcChargers: 2,
    startOffsetMs: START_OFFSET_MS,
  });
  const registry = defaultRegistry();
  const now = () => twin.clock.now();
  drivers = twin.devices.map((c) => registry.createDriver(c, { log: silent, now }));
  await Promise.all(drivers.map((d) => d.start()));
  await connectChargePoints(twin, 100);
  for (let round = 0; round < READ_ROUNDS; round++) {
    for (const d of drivers) for (const m of await d.read()) keys.add(streamKey(m.measurement, m.channel));
    await new Promise((r) => setTimeout(r, READ_PAUSE_MS));
  }
}, 60_000);

afterAll(async () => {
  await twin?.stop();
  await Promise.all(drivers.map((d) => d.stop().catch(() => undefined)));
}, 60_000);

describe('measurement names the drivers emit from the twin district', () => {
  it('are all in the vocabulary', () => {
    const names = new Set([...keys].map((k) => measurementOfKey(k)));
    expect([...names].filter((n) => !isMeasurementName(n))).toEqual([]);
    // The read covered every device type: SunSpec PV and battery, MQTT meters, OCPP chargers.
    for (const expected of ['power_kw', 'soc_fraction', 'energy_kwh', 'online', 'rated_power_kw'])
      expect(names, expected).toContain(expected);
    expect([...keys].some((k) => k.startsWith('power_kw@'))).toBe(true);
  });
});
