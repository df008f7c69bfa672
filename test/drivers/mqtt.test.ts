import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import {
  mqttConfigSchema,
  MqttDriver,
  parseTelemetry,
  startEmbeddedBroker,
} from '../../src/drivers/mqtt/index.ts';
import type { Measurement } from '../../src/drivers/types.ts';
import { MqttMeterTwin } from '../../src/twin/mqtt/index.ts';
import { testContext, waitFor } from './sunspec-helpers.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const value = (ms: Measurement[], asset: string, name: string): number | undefined =>
  ms.find((m) => m.assetId === asset && m.measurement === name)?.value;

async function publisher(url: string): Promise<MqttClient> {
  const c = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  c.on('error', () => {});
  cleanups.push(() => c.endAsync().then(() => undefined));
  return c;
}

function uniquePrefix(): string {
  return `bitgrid-test-${process.pid}-${randomBytes(4).toString('hex')}`;
}

async function startDriver(url: string | undefined, prefix: string, extra: object = {}) {
  const ctx = testContext();
  const driver = new MqttDriver(
    mqttConfigSchema.parse({
      id: 'meters',
      type: 'mqtt',
      ...(url ? { url } : { broker_port: 0 }),
      topic_prefix: prefix,
      site: 'campus',
      subscribe: [{ asset: '+' }],
      setpoints: [{ asset: 'bess', kinds: ['battery_power_kw'] }],
      reconnect_min_ms: 20,
      reconnect_max_ms: 200,
      timeout_ms: 2000,
      ...extra,
    }),
    ctx,
  );
  cleanups.push(() => driver.stop());
  await driver.start();
  return { driver, ctx };
}

/** The same behaviour against any broker. */
function brokerSuite(getUrl: () => Promise<string>) {
  it('ingests telemetry on bitgrid/<site>/<asset>/<measurement> with unit conversion at the edge', async () => {
    const url = await getUrl();
    const prefix = uniquePrefix();
    const { driver, ctx } = await startDriver(url, prefix);
    expect(driver.status().health).toBe('online');
    const meter = new MqttMeterTwin({
      url,
      site: 'campus',
      asset: 'factory-meter',
      topicPrefix: prefix,
      powerKw: (t) => 1200 + ((t / 60_000) % 60),
      now: ctx.now,
    });
    await meter.connect();
    cleanups.push(() => meter.stop());
    const first = await meter.publish();
    ctx.clock.advance(15 * 60_000);
    const second = await meter.publish();
    const pub = await publisher(url);
    await pub.publishAsync(`${prefix}/campus/bess/soc`, JSON.stringify({ value: 55.5, unit: '%' }), {
      qos: 1,
    });
    await pub.publishAsync(
      `${prefix}/campus/bess/power_kw`,
      JSON.stringify({ value: -40, unit: 'kW', ts: '2026-06-01T12:00:00+09:00' }),
      { qos: 1 },
    );
    await waitFor(() => driver.stats().accepted >= 6, 5000, 'six accepted points');
    const ms = await driver.read();
    expect(value(ms, 'factory-meter', 'power_kw')).toBeCloseTo(second.powerKw, 9);
    expect(second.powerKw).not.toBe(first.powerKw);
    expect(ms.find((m) => m.measurement === 'power_kw' && m.assetId === 'factory-meter')?.timeMs).toBe(
      second.timeMs,
    );
    expect(value(ms, 'factory-meter', 'energy_kwh')).toBeCloseTo((first.powerKw * 15) / 60, 6);
    expect(value(ms, 'bess', 'soc_fraction')).toBeCloseTo(0.555, 9);
    const bess = ms.find((m) => m.assetId === 'bess' && m.measurement === 'power_kw')!;
    expect(bess.value).toBe(-40);
    expect(bess.timeMs).toBe(Date.parse('2026-06-01T03:00:00Z'));
    expect(driver.stats().malformed).toBe(0);
    expect(driver.status().lastReadMs).toBe(ctx.clock.t);
    // Clear the meter's retained messages so the broker is left as found.
    for (const m of ['power', 'energy'])
      await pub.publishAsync(`${prefix}/campus/factory-meter/${m}`, '', { qos: 1, retain: true });
  });

  it('counts and logs malformed payloads with topic and reason, and keeps going', async () => {
    const url = await getUrl();
    const prefix = uniquePrefix();
    const { driver, ctx } = await startDriver(url, prefix);
    const pub = await publisher(url);
    const bad: [string, string][] = [
      ['power', 'not json {'],
      ['power', '[1,2]'],
      ['power', JSON.stringify({ unit: 'kW' })],
      ['power', JSON.stringify({ value: '12', unit: 'kW' })],
      ['power', '{"value": 1e400, "unit": "kW"}'],
      ['power', JSON.stringify({ value: null, unit: 'kW' })],
      ['power', JSON.stringify({ value: 5, unit: 'V' })],
      ['power', JSON.stringify({ value: 5 })],
      ['power', JSON.stringify({ value: 5, unit: 'kW', ts: '2026-06-01T12:00:00' })],
      ['power', JSON.stringify({ value: 5, unit: 'kW', ts: 'yesterday' })],
      ['flux', JSON.stringify({ value: 5, unit: 'kW' })],
    ];
    for (const [m, payload] of bad)
      await pub.publishAsync(`${prefix}/campus/meter-a/${m}`, payload, { qos: 1 });
    await pub.publishAsync(`${prefix}/campus/meter-a/power`, JSON.stringify({ value: 7500, unit: 'W' }), {
      qos: 1,
    });
    await waitFor(() => driver.stats().received >= bad.length + 1, 5000, 'all messages');
    const stats = driver.stats();
    expect(stats.malformed).toBe(bad.length);
    expect(stats.accepted).toBe(1);
    expect(stats.malformedByReason).toMatchObject({
      'not JSON': 1,
      'payload is not a JSON object': 1,
      'missing value': 1,
      'value is not a number': 2,
      'value is not finite': 1,
      'wrong unit "V" for power (expected W, kW, MW)': 1,
      'missing unit': 1,
      'ts is not ISO 8601 with an offset': 2,
      'unknown measurement "flux"': 1,
    });
    const warned = ctx.logs.filter((l) => l.msg === 'malformed MQTT telemetry ignored');
    expect(warned).toHaveLength(bad.length);
    expect(warned[0].obj).toMatchObject({ topic: `${prefix}/campus/meter-a/power`, reason: 'not JSON' });
    expect(value(await driver.read(), 'meter-a', 'power_kw')).toBe(7.5);
    expect(driver.status().health).toBe('online');
  });

  it('publishes setpoints retained at QoS 1 on bitgrid/<site>/<asset>/set/<kind>', async () => {
    const url = await getUrl();
    const prefix = uniquePrefix();
    const { driver, ctx } = await startDriver(url, prefix);
    expect(driver.accepts({ assetId: 'bess', kind: 'battery_power_kw', value: 1 })).toBe(true);
    expect(driver.accepts({ assetId: 'bess', kind: 'pv_power_limit_kw', value: 1 })).toBe(false);
    await driver.write({
      assetId: 'bess',
      kind: 'battery_power_kw',
      value: -120.5,
      validUntilMs: ctx.clock.t + 900_000,
    });
    await expect(driver.write({ assetId: 'pv', kind: 'pv_power_limit_kw', value: 1 })).rejects.toThrow(
      /not configured/,
    );
    await expect(
      driver.write({ assetId: 'bess', kind: 'battery_power_kw', value: Infinity }),
    ).rejects.toThrow(/finite/);
    // A subscriber that arrives later still gets the last setpoint (retained).
    const sub = await publisher(url);
    const got = new Promise<{ topic: string; payload: string; retain: boolean; qos: number }>((resolve) =>
      sub.on('message', (topic, payload, packet) =>
        resolve({ topic, payload: payload.toString(), retain: packet.retain, qos: packet.qos }),
      ),
    );
    await sub.subscribeAsync(`${prefix}/campus/+/set/#`, { qos: 1 });
    const msg = await got;
    expect(msg.topic).toBe(`${prefix}/campus/bess/set/battery_power_kw`);
    expect(msg.retain).toBe(true);
    expect(msg.qos).toBe(1);
    expect(JSON.parse(msg.payload)).toEqual({
      value: -120.5,
      unit: 'kW',
      ts: new Date(ctx.clock.t).toISOString(),
      valid_until: new Date(ctx.clock.t + 900_000).toISOString(),
    });
    // Clear the retained message so the broker is left as found.
    await sub.publishAsync(msg.topic, '', { qos: 1, retain: true });
  });
}

describe('MQTT driver with the embedded aedes broker', () => {
  brokerSuite(async () => {
    const broker = await startEmbeddedBroker({ port: 0 });
    cleanups.push(() => broker.close());
    return broker.url;
  });

  it('runs its own embedded broker when no url is configured', async () => {
    const prefix = uniquePrefix();
    const { driver } = await startDriver(undefined, prefix);
    expect(driver.status().health).toBe('online');
    expect(driver.url).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    const pub = await publisher(driver.url!);
    await pub.publishAsync(`${prefix}/campus/pv/power`, JSON.stringify({ value: 0.25, unit: 'MW' }), {
      qos: 1,
    });
    await waitFor(() => driver.stats().accepted === 1, 3000, 'one point');
    expect(value(await driver.read(), 'pv', 'power_kw')).toBe(250);
  });

  it('survives the broker going away and recovers when it returns on the same port', async () => {
    let broker = await startEmbeddedBroker({ port: 0 });
    const port = broker.port;
    cleanups.push(() => broker.close());
    const prefix = uniquePrefix();
    const { driver } = await startDriver(broker.url, prefix);
    expect(driver.status().health).toBe('online');
    await broker.close();
    await waitFor(() => driver.status().health === 'offline', 3000, 'offline');
    await expect(driver.read()).resolves.toEqual([]);
    await expect(driver.write({ assetId: 'bess', kind: 'battery_power_kw', value: 1 })).rejects.toThrow(
      /not connected/,
    );
    await new Promise((r) => setTimeout(r, 100));
    broker = await startEmbeddedBroker({ port });
    await waitFor(() => driver.status().health === 'online', 5000, 'online again');
    const pub = await publisher(broker.url);
    await pub.publishAsync(`${prefix}/campus/meter/power`, JSON.stringify({ value: 3, unit: 'kW' }), {
      qos: 1,
    });
    await waitFor(() => driver.stats().accepted === 1, 3000, 'telemetry after reconnect');
  });

  it('reports an unreachable broker as offline from start() without throwing', async () => {
    const broker = await startEmbeddedBroker({ port: 0 });
    const url = broker.url;
    await broker.close();
    const { driver } = await startDriver(url, uniquePrefix(), { timeout_ms: 300 });
    expect(driver.status().health).toBe('offline');
    expect(driver.status().lastError).toMatch(/ECONNREFUSED|closed/);
  });
});

const mosquittoUrl = process.env.BITGRID_TEST_MQTT_URL;
describe.skipIf(!mosquittoUrl)(
  `MQTT driver against ${mosquittoUrl ?? 'Mosquitto (BITGRID_TEST_MQTT_URL unset)'}`,
  () => {
    brokerSuite(async () => mosquittoUrl!);
  },
);

describe('telemetry payload parser', () => {
  it('converts units and accepts Bitgrid names as the measurement segment', () => {
    expect(parseTelemetry('energy', JSON.stringify({ value: 1500, unit: 'Wh' }), 0)).toMatchObject({
      ok: true,
      measurement: 'energy_kwh',
      value: 1.5,
    });
    expect(parseTelemetry('soc_fraction', JSON.stringify({ value: 0.4, unit: 'fraction' }), 0)).toMatchObject(
      {
        measurement: 'soc_fraction',
        value: 0.4,
      },
    );
    expect(parseTelemetry('power', JSON.stringify({ value: -0, unit: 'W' }), 5)).toEqual({
      ok: true,
      measurement: 'power_kw',
      value: 0,
      timeMs: 5,
      stamped: false,
    });
    expect(
      parseTelemetry(
        'power',
        JSON.stringify({ value: 1, unit: 'kW', ts: '2026-01-01T00:00:00.123Z', channel: 'c1' }),
        0,
      ),
    ).toEqual({
      ok: true,
      measurement: 'power_kw',
      value: 1,
      timeMs: Date.parse('2026-01-01T00:00:00.123Z'),
      stamped: true,
      channel: 'c1',
    });
  });
});
