import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { ModbusError, ModbusTcpClient } from '../../src/drivers/modbus/client.ts';
import { sunspecModbusConfigSchema, SunSpecModbusDriver } from '../../src/drivers/sunspec/index.ts';
import type { Measurement } from '../../src/drivers/types.ts';
import type { BatteryConfig } from '../../src/sim/assets/battery.ts';
import {
  ModbusExceptionError,
  SunSpecBatteryTwin,
  SunSpecPvInverterTwin,
} from '../../src/twin/sunspec/index.ts';
import { testContext, waitFor } from './sunspec-helpers.ts';

const HOUR = 3_600_000;
const execFileAsync = promisify(execFile);

const battery: BatteryConfig = {
  id: 'bess',
  type: 'battery',
  capacity_kwh: 500,
  max_charge_kw: 250,
  max_discharge_kw: 250,
  round_trip_efficiency: 0.9,
  soc_min: 0.1,
  soc_max: 0.9,
  soc_initial: 0.5,
  degradation_cost_krw_per_kwh: 20,
};

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function value(ms: Measurement[], name: string): number | undefined {
  return ms.find((m) => m.measurement === name)?.value;
}

/** Starts the twin and a driver polling it on loopback; both are stopped after the test. */
async function connect<T extends { start(): Promise<number>; stop(): Promise<void> }>(
  ctx: ReturnType<typeof testContext>,
  twin: T,
  driver: object,
) {
  const port = await twin.start();
  cleanups.push(() => twin.stop());
  const config = sunspecModbusConfigSchema.parse({
    type: 'sunspec_modbus',
    host: '127.0.0.1',
    port,
    poll_ms: 100,
    timeout_ms: 500,
    reconnect_min_ms: 20,
    ...driver,
  });
  const modbus = new SunSpecModbusDriver(config, ctx);
  cleanups.push(() => modbus.stop());
  return { ctx, twin, driver: modbus, port };
}

async function pvSetup(
  opts: {
    availableKw?: number;
    baseAddress?: number;
    driver?: object;
    controls?: 123 | 704 | 'both';
    profile?: '1xx' | '7xx';
    ratedKw?: number;
  } = {},
) {
  const ctx = testContext();
  const twin = new SunSpecPvInverterTwin({
    ratedKw: opts.ratedKw ?? 100,
    availableKw: () => opts.availableKw ?? 63.456,
    now: ctx.now,
    baseAddress: opts.baseAddress,
    controls: opts.controls,
    profile: opts.profile,
  });
  return connect(ctx, twin, {
    id: 'factory-pv-inv',
    asset: 'factory-pv',
    unit_id: 1,
    reconnect_max_ms: 200,
    ...opts.driver,
  });
}

async function batterySetup(controls?: 124 | 704) {
  const ctx = testContext();
  const twin = new SunSpecBatteryTwin({ battery, now: ctx.now, controls });
  return connect(ctx, twin, { id: 'bess-pcs', asset: 'bess' });
}

/** A PV power-limit setpoint for the inverter under test. */
const limit = (value: number, validUntilMs?: number) => ({
  assetId: 'factory-pv',
  kind: 'pv_power_limit_kw' as const,
  value,
  ...(validUntilMs !== undefined ? { validUntilMs } : {}),
});

describe('SunSpec PV inverter over Modbus TCP', () => {
  it('discovers the model chain and reads telemetry with scale factors applied', async () => {
    const { driver, twin } = await pvSetup();
    await driver.start();
    expect(driver.status().health).toBe('online');
    expect(driver.models?.map((m) => m.id)).toEqual([1, 103, 120, 121, 123]);
    expect(driver.models?.[0].address).toBe(40002);
    expect(driver.role).toBe('pv');
    expect(driver.identity).toEqual({
      manufacturer: 'Bitgrid',
      model: 'Bitgrid PV twin',
      serial: 'PV-TWIN-0001',
    });
    // W_SF = 1 for a 100 kW inverter: 63 456 W is carried as 6346 × 10¹.
    expect(twin.image.getRaw(103, 'W_SF')).toBe(1);
    const ms = await driver.read();
    expect(value(ms, 'power_kw')).toBeCloseTo(63.46, 6);
    expect(value(ms, 'frequency_hz')).toBeCloseTo(60, 6); // Hz_SF = −2
    expect(value(ms, 'voltage_v')).toBeCloseTo(230, 6); // V_SF = −1
    expect(value(ms, 'rated_power_kw')).toBe(100);
    expect(value(ms, 'power_limit_fraction')).toBe(1);
    expect(ms.every((m) => m.assetId === 'factory-pv')).toBe(true);
  });

  it.each([50000, 0])('finds "SunS" at base %i', async (baseAddress) => {
    const { driver } = await pvSetup({ baseAddress });
    await driver.start();
    expect(driver.status().health).toBe('online');
    expect(driver.models?.[0].address).toBe(baseAddress + 2);
  });

  it('integrates energy as the clock steps', async () => {
    const { driver, ctx } = await pvSetup({ availableKw: 50 });
    await driver.start();
    ctx.clock.advance(2 * HOUR);
    const ms = await driver.read();
    expect(value(ms, 'energy_kwh')).toBeCloseTo(100, 2);
    expect(ms[0].timeMs).toBe(ctx.clock.t);
  });

  it('writes an active-power limit (model 123) that the twin obeys, and reverts when it expires', async () => {
    const { driver, twin, ctx } = await pvSetup({ availableKw: 80 });
    await driver.start();
    expect(driver.accepts(limit(1))).toBe(true);
    expect(driver.accepts({ assetId: 'factory-pv', kind: 'battery_power_kw', value: 1 })).toBe(false);
    expect(driver.accepts({ assetId: 'other', kind: 'pv_power_limit_kw', value: 1 })).toBe(false);
    await driver.write(limit(30, ctx.clock.t + 15 * 60_000));
    expect(twin.image.get(123, 'WMaxLimPct')).toBeCloseTo(30, 6);
    expect(twin.image.getRaw(123, 'WMaxLim_Ena')).toBe(1);
    expect(twin.image.getRaw(123, 'WMaxLimPct_RvrtTms')).toBe(900);
    for (let i = 0; i < 10; i++) {
      ctx.clock.advance(60_000);
      const ms = await driver.read();
      expect(value(ms, 'power_kw')!).toBeLessThanOrEqual(30 + 1e-9);
      expect(value(ms, 'power_limit_kw')).toBeCloseTo(30, 6);
    }
    expect(twin.energyKwh).toBeCloseTo((30 * 10) / 60, 6);
    ctx.clock.advance(6 * 60_000); // past the 15 minutes
    const after = await driver.read();
    expect(value(after, 'power_kw')).toBeCloseTo(80, 6);
    expect(value(after, 'power_limit_fraction')).toBe(1);
  });

  it('writes the limit through model 704 (DER AC controls) when the device has no 123', async () => {
    const { driver, twin, ctx } = await pvSetup({ availableKw: 80, controls: 704 });
    await driver.start();
    expect(driver.models?.map((m) => m.id)).toEqual([1, 103, 120, 121, 704]);
    await driver.write(limit(25, ctx.clock.t + 60_000));
    expect(twin.image.getRaw(704, 'WMaxLimPctEna')).toBe(1);
    expect(twin.image.getRaw(704, 'WMaxLimPctRvrtTms')).toBe(60);
    ctx.clock.advance(30_000);
    const ms = await driver.read();
    expect(value(ms, 'power_kw')).toBeCloseTo(25, 6);
    expect(value(ms, 'power_limit_fraction')).toBeCloseTo(0.25, 6);
    ctx.clock.advance(60_000);
    expect(value(await driver.read(), 'power_kw')).toBeCloseTo(80, 6);
  });

  it('clamps a limit above the rating to 100 % and refuses a negative one without writing', async () => {
    const { driver, twin } = await pvSetup();
    await driver.start();
    await driver.write(limit(500));
    expect(twin.image.get(123, 'WMaxLimPct')).toBe(100);
    await expect(driver.write(limit(-5))).rejects.toThrow(/≥ 0/);
    await expect(driver.write(limit(NaN))).rejects.toThrow(/finite/);
    expect(twin.image.get(123, 'WMaxLimPct')).toBe(100);
    expect(driver.status().health).toBe('online');
  });

  it('survives a dropped connection: goes offline without throwing, recovers on the same port', async () => {
    const { driver, twin, port } = await pvSetup();
    await driver.start();
    expect(driver.status().health).toBe('online');
    await twin.stop();
    await expect(driver.read()).resolves.toEqual([]);
    await waitFor(() => driver.status().health === 'offline', 2000, 'offline');
    expect(driver.status().lastError).toMatch(/closed|ECONNREFUSED/);
    await expect(driver.write(limit(10))).rejects.toThrow(/offline/);
    await new Promise((r) => setTimeout(r, 150)); // a few failed reconnects with backoff
    expect(await twin.start()).toBe(port);
    await waitFor(() => driver.status().health === 'online', 3000, 'online again');
    const ms = await driver.read();
    expect(value(ms, 'power_kw')).toBeCloseTo(63.46, 6);
  });

  it('reports a device that never answers as offline, without throwing', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((s) => {
      sockets.add(s);
      s.on('error', () => {});
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    cleanups.push(async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    });
    const ctx = testContext();
    const driver = new SunSpecModbusDriver(
      sunspecModbusConfigSchema.parse({
        id: 'mute',
        type: 'sunspec_modbus',
        asset: 'pv',
        host: '127.0.0.1',
        port: (silent.address() as net.AddressInfo).port,
        timeout_ms: 100,
        reconnect_min_ms: 1000,
      }),
      ctx,
    );
    cleanups.push(() => driver.stop());
    await driver.start();
    expect(driver.status().health).toBe('offline');
    expect(driver.status().lastError).toMatch(/timed out/);
    await expect(driver.read()).resolves.toEqual([]);
  });

  it('reconnects with exponential backoff while the device keeps dropping the connection', async () => {
    const times: number[] = [];
    const rude = net.createServer((s) => {
      times.push(Date.now());
      s.on('error', () => {});
      s.destroy();
    });
    await new Promise<void>((r) => rude.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => rude.close(() => r())));
    const ctx = testContext();
    const driver = new SunSpecModbusDriver(
      sunspecModbusConfigSchema.parse({
        id: 'rude',
        type: 'sunspec_modbus',
        asset: 'pv',
        host: '127.0.0.1',
        port: (rude.address() as net.AddressInfo).port,
        timeout_ms: 200,
        reconnect_min_ms: 25,
        reconnect_max_ms: 200,
      }),
      ctx,
    );
    cleanups.push(() => driver.stop());
    await driver.start();
    await new Promise((r) => setTimeout(r, 1500));
    await driver.stop();
    expect(driver.status().health).toBe('stopped');
    // Delays 25, 50, 100, 200, 200 … ms: about 10 attempts in 1.5 s (a fixed 25 ms would give ~60).
    expect(times.length).toBeGreaterThanOrEqual(5);
    expect(times.length).toBeLessThanOrEqual(14);
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    expect(gaps[gaps.length - 1]).toBeGreaterThanOrEqual(150);
    expect(driver.status().lastError).toMatch(/closed|ECONNRESET/);
  });

  it('turns a Modbus exception during polling into degraded status, and recovers', async () => {
    const { driver, twin } = await pvSetup();
    await driver.start();
    const read = twin.image.read.bind(twin.image);
    twin.image.read = () => {
      throw new ModbusExceptionError(4, 'device failure');
    };
    await expect(driver.read()).resolves.toEqual([]);
    expect(driver.status().health).toBe('degraded');
    expect(driver.status().lastError).toMatch(/Modbus exception 04 \(server device failure\)/);
    twin.image.read = read;
    expect((await driver.read()).length).toBeGreaterThan(0);
    expect(driver.status().health).toBe('online');
  });

  it('marks a device without "SunS" degraded', async () => {
    const { driver } = await pvSetup({ driver: { base_address: 1000 } });
    await driver.start();
    expect(driver.status().health).toBe('degraded');
    expect(driver.status().lastError).toMatch(/no SunSpec marker/);
    await expect(driver.read()).resolves.toEqual([]);
  });
});

describe('SunSpec IEEE 1547 inverter (models 1, 701, 702, 704 only)', () => {
  it('reads 701 measurements and the 702 rating', async () => {
    const { driver, ctx } = await pvSetup({ profile: '7xx', ratedKw: 250, availableKw: 120 });
    await driver.start();
    expect(driver.models?.map((m) => m.id)).toEqual([1, 701, 702, 704]);
    expect(driver.role).toBe('pv');
    const ms = await driver.read();
    expect(value(ms, 'power_kw')).toBeCloseTo(120, 6);
    expect(value(ms, 'rated_power_kw')).toBe(250);
    expect(value(ms, 'voltage_v')).toBeCloseTo(230, 6);
    expect(value(ms, 'frequency_hz')).toBeCloseTo(60, 6);
    expect(value(ms, 'power_limit_fraction')).toBe(1);
    expect(value(ms, 'power_limit_kw')).toBe(250);
    ctx.clock.advance(HOUR);
    expect(value(await driver.read(), 'energy_kwh')).toBeCloseTo(120, 3);
    expect(driver.accepts(limit(10))).toBe(true);
  });

  it('curtails through 704 as a percentage of the 702 rating, and the limit reverts to none when it expires', async () => {
    const { driver, twin, ctx } = await pvSetup({ profile: '7xx', ratedKw: 250, availableKw: 120 });
    // Shipped with a reversion to 0 % (cease to energise): an expired Bitgrid limit must not leave
    // the inverter there.
    twin.image.set(704, 'WMaxLimPctRvrt', 0);
    twin.image.setRaw(704, 'WMaxLimPctEnaRvrt', 1);
    await driver.start();
    await driver.write(limit(30, ctx.clock.t + 15 * 60_000));
    // 30 kW of 250 kW = 12 %.
    expect(twin.image.get(704, 'WMaxLimPct')).toBeCloseTo(12, 6);
    expect(twin.image.getRaw(704, 'WMaxLimPctEna')).toBe(1);
    expect(twin.image.getRaw(704, 'WMaxLimPctRvrtTms')).toBe(900);
    // On expiry the limit becomes its reversion values: none.
    expect(twin.image.get(704, 'WMaxLimPctRvrt')).toBe(100);
    expect(twin.image.getRaw(704, 'WMaxLimPctEnaRvrt')).toBe(0);
    for (let i = 0; i < 10; i++) {
      ctx.clock.advance(60_000);
      const ms = await driver.read();
      expect(value(ms, 'power_kw')!).toBeLessThanOrEqual(30 + 1e-9);
      expect(value(ms, 'power_limit_kw')).toBeCloseTo(30, 6);
      expect(value(ms, 'power_limit_fraction')).toBeCloseTo(0.12, 6);
    }
    expect(twin.image.getRaw(701, 'InvSt')).toBe(4); // THROTTLED
    expect(twin.image.getRaw(704, 'WMaxLimPctRvrtRem')).toBe(300);
    expect(twin.energyKwh).toBeCloseTo((30 * 10) / 60, 6);
    ctx.clock.advance(6 * 60_000); // past the 15 minutes
    const after = await driver.read();
    expect(value(after, 'power_kw')).toBeCloseTo(120, 6);
    expect(value(after, 'power_limit_fraction')).toBe(1);
    expect(twin.image.getRaw(704, 'WMaxLimPctEna')).toBe(0);
    expect(twin.image.getRaw(701, 'InvSt')).toBe(3); // RUNNING
  });

  it('scales by the 702 WMax setting where the device is set below its rating', async () => {
    const { driver, twin } = await pvSetup({ profile: '7xx', ratedKw: 250, availableKw: 240 });
    await driver.start();
    twin.image.set(702, 'WMax', 200_000); // derated at commissioning
    await driver.write(limit(50));
    expect(twin.image.get(704, 'WMaxLimPct')).toBeCloseTo(25, 6);
    expect(twin.image.getRaw(704, 'WMaxLimPctRvrtTms')).toBe(0); // no expiry asked, none set
    const ms = await driver.read();
    expect(value(ms, 'power_kw')).toBeCloseTo(50, 6);
    expect(value(ms, 'power_limit_kw')).toBeCloseTo(50, 6);
  });

  it('holds the limit within 0…rating: above it 100 %, a negative one refused without writing', async () => {
    const { driver, twin } = await pvSetup({ profile: '7xx', ratedKw: 250, availableKw: 120 });
    await driver.start();
    await driver.write(limit(1000));
    expect(twin.image.get(704, 'WMaxLimPct')).toBe(100);
    await driver.write(limit(0));
    expect(twin.image.get(704, 'WMaxLimPct')).toBe(0);
    expect(value(await driver.read(), 'power_kw')).toBe(0);
    await expect(driver.write(limit(-5))).rejects.toThrow(/≥ 0/);
    await expect(driver.write(limit(10, 0))).rejects.toThrow(/expired/);
    expect(twin.image.get(704, 'WMaxLimPct')).toBe(0);
    expect(driver.status().health).toBe('online');
  });

  it('refuses to curtail, naming what is missing, when the device gives nothing to scale by', async () => {
    const { driver, twin } = await pvSetup({ profile: '7xx', availableKw: 50 });
    twin.image.setNotImplemented(702, 'WMax');
    twin.image.setNotImplemented(702, 'WMaxRtg');
    await driver.start();
    await expect(driver.write(limit(10))).rejects.toThrow(
      /no WMax \(702\), WMaxRtg \(702\), WMax \(121\), WRtg \(120\) to scale the model 704 limit/,
    );
    expect(twin.image.getRaw(704, 'WMaxLimPctEna')).toBe(0);
    expect(value(await driver.read(), 'power_kw')).toBeCloseTo(50, 6);
  });
});

// Debian's mbpoll, a Modbus master we did not write, against the 7xx twin: it finds the layout a
// real IEEE 1547 inverter has and its 704 limit acts, and the driver reports a limit set by it.
const MBPOLL = ['/usr/bin/mbpoll', '/usr/local/bin/mbpoll'].find((f) => existsSync(f));
describe.skipIf(!MBPOLL)('SunSpec 7xx twin against mbpoll (third-party Modbus master)', () => {
  const mbpoll = async (port: number, address: number, count: number, write: number[] = []) => {
    const args = ['-m', 'tcp', '-p', String(port), '-a', '1', '-0', '-1', '-t', '4', '-r', String(address)];
    const { stdout } = await execFileAsync(MBPOLL!, [
      ...args,
      ...(write.length ? [] : ['-c', String(count)]),
      '127.0.0.1',
      ...write.map(String),
    ]);
    return [...stdout.matchAll(/^\[(\d+)\]:\s+(-?\d+)/gm)].map((m) => Number(m[2]));
  };

  it('reads "SunS" and the model chain, and a 704 limit it writes curtails the inverter', async () => {
    const { driver, twin, port } = await pvSetup({ profile: '7xx', ratedKw: 100, availableKw: 80 });
    expect(await mbpoll(port, 40000, 4)).toEqual([0x5375, 0x6e53, 1, 66]);
    const a701 = 40002 + 2 + 66;
    expect(await mbpoll(port, a701, 2)).toEqual([701, 153]);
    const a702 = a701 + 2 + 153;
    expect(await mbpoll(port, a702, 2)).toEqual([702, 50]);
    const a704 = a702 + 2 + 50;
    expect((await mbpoll(port, a704, 1))[0]).toBe(704);
    // WMaxLimPctEna = 1, WMaxLimPct = 40.0 % (WMaxLimPct_SF −1), in one FC 16 request.
    await mbpoll(port, a704 + 14, 2, [1, 400]);
    expect(twin.outputKw()).toBeCloseTo(40, 6);
    // 701 W: 40 000 W as 4000 × 10^W_SF (W_SF = 1 for a 100 kW inverter).
    expect(await mbpoll(port, a701 + 116, 1)).toEqual([1]);
    expect(await mbpoll(port, a701 + 10, 1)).toEqual([4000]);
    await driver.start();
    const ms = await driver.read();
    expect(value(ms, 'power_limit_kw')).toBeCloseTo(40, 6);
    expect(value(ms, 'power_kw')).toBeCloseTo(40, 6);
  });
});

describe('SunSpec inverter with both 123 and 704', () => {
  it('auto: reads and writes the limit through 123 only, cycle after cycle', async () => {
    const { driver, twin, ctx } = await pvSetup({ controls: 'both', availableKw: 90 });
    await driver.start();
    expect(driver.models?.map((m) => m.id)).toEqual([1, 103, 120, 121, 123, 702, 704]);
    const seen: number[] = [];
    for (const kw of [30, 80, 45, 100]) {
      await driver.write(limit(kw, ctx.clock.t + 5 * 60_000));
      ctx.clock.advance(60_000);
      const ms = await driver.read();
      seen.push(value(ms, 'power_kw')!);
      expect(value(ms, 'power_limit_kw')).toBeCloseTo(kw, 6);
      // 704 is never touched: had one write gone there, the lower of the two limits would hold.
      expect(twin.image.getRaw(704, 'WMaxLimPctEna')).toBe(0);
      expect(twin.image.get(704, 'WMaxLimPct')).toBe(100);
      expect(twin.image.getRaw(704, 'WMaxLimPctRvrtTms')).toBe(0);
      expect(twin.image.get(123, 'WMaxLimPct')).toBeCloseTo(kw, 6);
    }
    expect(seen.map((x) => Math.round(x * 1000) / 1000)).toEqual([30, 80, 45, 90]);
    expect(ctx.logs.find((l) => l.msg === 'SunSpec device discovered')?.obj).toMatchObject({
      pvLimitModel: 123,
    });
  });

  it('pv_limit_model 704: reads and writes through 704 only, scaled by 702', async () => {
    const { driver, twin, ctx } = await pvSetup({
      controls: 'both',
      availableKw: 90,
      driver: { pv_limit_model: '704' },
    });
    await driver.start();
    for (const kw of [20, 70]) {
      await driver.write(limit(kw, ctx.clock.t + 5 * 60_000));
      ctx.clock.advance(60_000);
      const ms = await driver.read();
      expect(value(ms, 'power_kw')).toBeCloseTo(kw, 6);
      expect(value(ms, 'power_limit_kw')).toBeCloseTo(kw, 6);
      expect(twin.image.getRaw(123, 'WMaxLim_Ena')).toBe(0);
      expect(twin.image.get(123, 'WMaxLimPct')).toBe(100);
    }
    // A 123 limit set by someone else is not what this driver reports or writes.
    twin.image.setRaw(123, 'WMaxLim_Ena', 1);
    twin.image.set(123, 'WMaxLimPct', 10);
    expect(value(await driver.read(), 'power_limit_kw')).toBeCloseTo(70, 6);
  });
});

describe('SunSpec twin refuses malformed writes with Modbus exceptions', () => {
  async function rawClient() {
    const ctx = testContext();
    const twin = new SunSpecPvInverterTwin({ ratedKw: 100, availableKw: () => 50, now: ctx.now });
    const port = await twin.start();
    cleanups.push(() => twin.stop());
    const client = new ModbusTcpClient({ host: '127.0.0.1', port, unitId: 1, timeoutMs: 1000 });
    await client.connect();
    cleanups.push(() => client.close());
    return { client, twin };
  }

  async function exceptionOf(p: Promise<unknown>): Promise<number | undefined> {
    try {
      await p;
    } catch (e) {
      expect(e).toBeInstanceOf(ModbusError);
      return (e as ModbusError).exceptionCode;
    }
    throw new Error('expected a Modbus exception');
  }

  it('02 for a read-only register, an unmapped address or a partial point; 03 for an out-of-range value', async () => {
    const { client, twin } = await rawClient();
    const w = twin.image.modelAddress(103) + 14; // 103.W (read-only)
    expect(await exceptionOf(client.writeRegisters(w, [1]))).toBe(2);
    expect(await exceptionOf(client.readHoldingRegisters(30000, 2))).toBe(2);
    expect(await exceptionOf(client.readHoldingRegisters(twin.image.end - 1, 2))).toBe(2);
    const c123 = twin.image.modelAddress(123);
    // WMaxLimPct with SF −1: 1500 = 150 % → illegal data value.
    expect(await exceptionOf(client.writeRegisters(c123 + 5, [1500]))).toBe(3);
    // WMaxLim_Ena = 7 is not a defined enum value.
    expect(await exceptionOf(client.writeRegisters(c123 + 9, [7]))).toBe(3);
    // The scale factor itself is read-only.
    expect(await exceptionOf(client.writeRegisters(c123 + 23, [0]))).toBe(2);
    // A valid write goes through and nothing of the refused ones stuck.
    await client.writeRegisters(c123 + 5, [455]);
    expect(twin.image.get(123, 'WMaxLimPct')).toBeCloseTo(45.5, 6);
    expect(twin.image.getRaw(123, 'WMaxLim_Ena')).toBe(0);
  });
});

describe('SunSpec battery over Modbus TCP', () => {
  it('reads SoC, power and ratings from models 802/124', async () => {
    const { driver } = await batterySetup();
    await driver.start();
    expect(driver.models?.map((m) => m.id)).toEqual([1, 124, 802]);
    expect(driver.role).toBe('battery');
    const ms = await driver.read();
    expect(value(ms, 'soc_fraction')).toBeCloseTo(0.5, 6);
    expect(value(ms, 'power_kw')).toBe(0);
    expect(value(ms, 'capacity_kwh')).toBe(500);
    expect(value(ms, 'max_charge_kw')).toBe(250);
    expect(value(ms, 'max_discharge_kw')).toBe(250);
    expect(driver.accepts({ assetId: 'bess', kind: 'battery_power_kw', value: 1 })).toBe(true);
    expect(driver.accepts({ assetId: 'bess', kind: 'pv_power_limit_kw', value: 1 })).toBe(false);
  });

  it('discharges on a positive setpoint: SoC falls, power is reported discharge-positive', async () => {
    const { driver, twin, ctx } = await batterySetup();
    await driver.start();
    await driver.write({ assetId: 'bess', kind: 'battery_power_kw', value: 100 });
    expect(twin.image.getRaw(124, 'StorCtl_Mod')).toBe(3);
    const ms0 = await driver.read();
    expect(value(ms0, 'power_kw')).toBeCloseTo(100, 6);
    ctx.clock.advance(HOUR);
    const ms = await driver.read();
    const eta = Math.sqrt(0.9);
    expect(value(ms, 'soc_fraction')).toBeCloseTo(0.5 - 100 / eta / 500, 3);
    expect(value(ms, 'power_kw')).toBeCloseTo(100, 6);
  });

  it('charges on a negative setpoint and never goes beyond soc_max; discharge stops at soc_min', async () => {
    const { driver, twin, ctx } = await batterySetup();
    await driver.start();
    await driver.write({ assetId: 'bess', kind: 'battery_power_kw', value: -200 });
    let prev = twin.socFraction;
    for (let h = 0; h < 4; h++) {
      ctx.clock.advance(HOUR / 2);
      const ms = await driver.read();
      const soc = value(ms, 'soc_fraction')!;
      expect(soc).toBeGreaterThanOrEqual(prev - 1e-9);
      expect(soc).toBeLessThanOrEqual(0.9 + 1e-9);
      expect(value(ms, 'power_kw')!).toBeLessThanOrEqual(0);
      prev = soc;
    }
    expect(twin.socFraction).toBeCloseTo(0.9, 6);
    expect(value(await driver.read(), 'power_kw')).toBe(0);
    // A setpoint beyond the rating is clamped by the device's physics.
    await driver.write({ assetId: 'bess', kind: 'battery_power_kw', value: 1000 });
    expect(value(await driver.read(), 'power_kw')!).toBeLessThanOrEqual(250 + 1e-9);
    ctx.clock.advance(10 * HOUR);
    const ms = await driver.read();
    expect(value(ms, 'soc_fraction')).toBeCloseTo(0.1, 6);
    expect(value(ms, 'power_kw')).toBe(0);
    expect(twin.socFraction).toBeGreaterThanOrEqual(0.1 - 1e-12);
  });

  it('a setpoint with validUntilMs reverts to idle when it expires', async () => {
    const { driver, twin, ctx } = await batterySetup();
    await driver.start();
    await driver.write({
      assetId: 'bess',
      kind: 'battery_power_kw',
      value: 50,
      validUntilMs: ctx.clock.t + 60_000,
    });
    expect(twin.image.getRaw(124, 'InOutWRte_RvrtTms')).toBe(60);
    ctx.clock.advance(10 * 60_000);
    const ms = await driver.read();
    expect(value(ms, 'power_kw')).toBe(0);
    expect(twin.throughputKwh).toBeCloseTo(50 / 60, 6);
    await expect(
      driver.write({ assetId: 'bess', kind: 'battery_power_kw', value: 50, validUntilMs: ctx.clock.t - 1 }),
    ).rejects.toThrow(/expired/);
  });

  it('controls power through model 704 WSet, and an out-of-range WSet comes back as exception 03', async () => {
    const { driver, twin, ctx } = await batterySetup(704);
    await driver.start();
    expect(driver.models?.map((m) => m.id)).toEqual([1, 802, 704]);
    expect(driver.role).toBe('battery');
    await driver.write({ assetId: 'bess', kind: 'battery_power_kw', value: -125 });
    expect(twin.image.get(704, 'WSet')).toBe(-125000);
    ctx.clock.advance(HOUR);
    const ms = await driver.read();
    expect(value(ms, 'power_kw')).toBeCloseTo(-125, 6);
    expect(value(ms, 'soc_fraction')).toBeCloseTo(0.5 + (125 * Math.sqrt(0.9)) / 500, 3);
    // 400 kW is beyond the 250 kW rating: the device refuses it, the write rejects, status says why.
    await expect(driver.write({ assetId: 'bess', kind: 'battery_power_kw', value: 400 })).rejects.toThrow(
      /Modbus exception 03 \(illegal data value\)/,
    );
    expect(driver.status()).toMatchObject({
      health: 'degraded',
      lastError: expect.stringMatching(/exception 03/),
    });
    expect(twin.image.get(704, 'WSet')).toBe(-125000);
    await driver.read();
    expect(driver.status().health).toBe('online');
  });

  it('refuses out-of-range storage control values with exception 03', async () => {
    const { twin } = await batterySetup();
    const client = new ModbusTcpClient({ host: '127.0.0.1', port: twin.port, unitId: 1, timeoutMs: 1000 });
    await client.connect();
    cleanups.push(() => client.close());
    const a = twin.image.modelAddress(124);
    // OutWRte (SF −2) = 150 %.
    await expect(client.writeRegisters(a + 12, [15000])).rejects.toMatchObject({ exceptionCode: 3 });
    // StorCtl_Mod bit 2 is not defined.
    await expect(client.writeRegisters(a + 5, [4])).rejects.toMatchObject({ exceptionCode: 3 });
    // SoC (802) is a measurement.
    await expect(client.writeRegisters(twin.image.modelAddress(802) + 11, [5000])).rejects.toMatchObject({
      exceptionCode: 2,
    });
  });
});
