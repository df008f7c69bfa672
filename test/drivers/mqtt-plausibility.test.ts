import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import {
  MAX_CLOCK_AHEAD_MS,
  mqttConfigSchema,
  MqttDriver,
  startEmbeddedBroker,
  telemetryTopic,
} from '../../src/drivers/mqtt/index.ts';
import type { Measurement } from '../../src/drivers/types.ts';
import { testContext, waitFor } from './sunspec-helpers.ts';

// Telemetry the MQTT driver must not take as it comes: device clocks in 2030 or 1970, assets that
// do not exist, values outside a quantity's physical range. Over real sockets, against the embedded
// broker and (BITGRID_TEST_MQTT_URL) Mosquitto, with Debian's mosquitto_pub as a third-party
// publisher where it is installed.

const execFileAsync = promisify(execFile);
const MIN = 60_000;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const hasMosquittoPub = (() => {
  try {
    execFileSync('mosquitto_pub', ['--help'], { stdio: 'ignore' });
    return true;
  } catch (e) {
    // mosquitto_pub --help exits 1 after printing its usage; only a missing binary is ENOENT.
    return (e as NodeJS.ErrnoException).code !== 'ENOENT';
  }
})();

async function publisher(url: string): Promise<MqttClient> {
  const c = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  c.on('error', () => {});
  cleanups.push(() => c.endAsync().then(() => undefined));
  return c;
}

/** Publishes with mosquitto_pub (QoS 1), a client we did not write. */
async function mosquittoPub(url: string, topic: string, payload: string, retain = false) {
  const u = new URL(url);
  await execFileAsync('mosquitto_pub', [
    '-h',
    u.hostname,
    '-p',
    u.port || '1883',
    '-q',
    '1',
    '-t',
    topic,
    '-m',
    payload,
    ...(retain ? ['-r'] : []),
  ]);
}

async function startDriver(url: string, prefix: string, extra: object = {}) {
  const ctx = testContext();
  const driver = new MqttDriver(
    mqttConfigSchema.parse({
      id: 'meters',
      type: 'mqtt',
      url,
      topic_prefix: prefix,
      site: 'campus',
      subscribe: [{ asset: '+' }],
      timeout_ms: 2000,
      ...extra,
    }),
    ctx,
  );
  cleanups.push(() => driver.stop());
  await driver.start();
  expect(driver.status().health).toBe('online');
  return { driver, ctx };
}

const series = (ms: Measurement[], asset: string, name: string) =>
  ms.find((m) => m.assetId === asset && m.measurement === name);

function suite(getUrl: () => Promise<string>) {
  const prefix = () => `bitgrid-test-${process.pid}-${randomBytes(4).toString('hex')}`;

  it('a reading stamped 2030 takes the server time, warns once, and does not freeze the series', async () => {
    const url = await getUrl();
    const p = prefix();
    const { driver, ctx } = await startDriver(url, p);
    const pub = await publisher(url);
    const topic = telemetryTopic(p, 'campus', 'factory-meter', 'power');
    const send = async (kw: number, ts: string) => {
      const before = driver.stats().received;
      await pub.publishAsync(topic, JSON.stringify({ value: kw, unit: 'kW', ts }), { qos: 1 });
      await waitFor(() => driver.stats().received > before, 3000, 'reading received');
    };
    await send(100, '2030-01-01T00:00:00Z');
    let m = series(await driver.read(), 'factory-meter', 'power_kw');
    expect(m).toMatchObject({ value: 100, timeMs: ctx.now() });
    // The next current reading is taken, though an earlier one claimed a later time.
    ctx.clock.advance(MIN);
    await send(120, new Date(ctx.now() - 1000).toISOString());
    m = series(await driver.read(), 'factory-meter', 'power_kw');
    expect(m).toMatchObject({ value: 120, timeMs: ctx.now() - 1000 });
    // Again a bad clock, then a good one: counted each time, warned about once.
    ctx.clock.advance(MIN);
    await send(130, '2030-06-01T00:00:00Z');
    ctx.clock.advance(MIN);
    await send(140, new Date(ctx.now()).toISOString());
    m = series(await driver.read(), 'factory-meter', 'power_kw');
    expect(m).toMatchObject({ value: 140, timeMs: ctx.now() });
    expect(driver.counters()).toMatchObject({ retimed_clock_ahead: 2, accepted: 4 });
    expect(ctx.logs.filter((l) => /clock implausible/.test(l.msg ?? ''))).toHaveLength(1);
    // Within the skew a time ahead is held at the server's, so it holds nothing back either.
    ctx.clock.advance(MIN);
    await send(150, new Date(ctx.now() + MAX_CLOCK_AHEAD_MS / 2).toISOString());
    expect(series(await driver.read(), 'factory-meter', 'power_kw')).toMatchObject({
      value: 150,
      timeMs: ctx.now(),
    });
    expect(driver.counters().retimed_clock_ahead).toBe(2);
  });

  it('an old reading is still refused behind a newer good one (out-of-order delivery)', async () => {
    const url = await getUrl();
    const p = prefix();
    const { driver, ctx } = await startDriver(url, p);
    const pub = await publisher(url);
    const topic = telemetryTopic(p, 'campus', 'factory-meter', 'power');
    const now = ctx.now();
    await pub.publishAsync(topic, JSON.stringify({ value: 5, unit: 'kW', ts: new Date(now).toISOString() }), {
      qos: 1,
    });
    await pub.publishAsync(
      topic,
      JSON.stringify({ value: 4, unit: 'kW', ts: new Date(now - MIN).toISOString() }),
      { qos: 1 },
    );
    await waitFor(() => driver.stats().received === 2, 3000, 'two readings');
    expect(series(await driver.read(), 'factory-meter', 'power_kw')).toMatchObject({ value: 5, timeMs: now });
  });

  it('telemetry for an asset not in `assets` is refused and counted', async () => {
    const url = await getUrl();
    const p = prefix();
    const { driver, ctx } = await startDriver(url, p, { assets: ['factory-meter', 'grid'] });
    const pub = await publisher(url);
    const ts = new Date(ctx.now()).toISOString();
    for (const asset of ['factory-meter', 'ghost', 'ghost', 'grid'])
      await pub.publishAsync(
        telemetryTopic(p, 'campus', asset, 'power'),
        JSON.stringify({ value: 1, unit: 'kW', ts }),
        { qos: 1 },
      );
    await waitFor(() => driver.stats().received === 4, 3000, 'four readings');
    const ms = await driver.read();
    expect(ms.map((m) => m.assetId).sort()).toEqual(['factory-meter', 'grid']);
    expect(driver.counters()).toMatchObject({ refused_unknown_asset: 2, accepted: 2 });
    expect(ctx.logs.filter((l) => (l.obj as { reason?: string }).reason === 'unknown_asset')).toHaveLength(1);
    expect(driver.status().lastError).toBe('telemetry for ghost refused (unknown_asset)');
  });

  it.skipIf(!hasMosquittoPub)(
    'mosquitto_pub: SoC 250 % and a negative voltage refused, a good SoC taken, a retained 1970 reading refused',
    async () => {
      const url = await getUrl();
      const p = prefix();
      // Retained before the driver subscribes: replayed to it with the retain flag.
      const oldTopic = telemetryTopic(p, 'campus', 'bess', 'temperature');
      await mosquittoPub(
        url,
        oldTopic,
        JSON.stringify({ value: 20, unit: 'C', ts: '1970-01-01T00:00:00Z' }),
        true,
      );
      cleanups.push(() => mosquittoPub(url, oldTopic, '', true)); // clear the retained message
      const { driver, ctx } = await startDriver(url, p, { assets: ['bess'] });
      await waitFor(() => driver.stats().received === 1, 3000, 'retained reading');
      expect(driver.counters().refused_retained_time_implausible).toBe(1);
      const ts = new Date(ctx.now()).toISOString();
      const pubBess = (point: string, reading: object) =>
        mosquittoPub(url, telemetryTopic(p, 'campus', 'bess', point), JSON.stringify(reading));
      await pubBess('soc', { value: 250, unit: '%', ts });
      await pubBess('voltage', { value: -400, unit: 'V', ts });
      await pubBess('soc', { value: 55, unit: '%', ts });
      // Live (not retained) with an unset clock: the server time, counted.
      await pubBess('temperature', { value: 21, unit: 'C', ts: '1970-01-01T00:00:00Z' });
      await waitFor(() => driver.stats().received === 5, 3000, 'five readings');
      const ms = await driver.read();
      expect(ms.map((m) => [m.measurement, m.value, m.timeMs]).sort()).toEqual([
        ['soc_fraction', 0.55, ctx.now()],
        ['temperature_c', 21, ctx.now()],
      ]);
      expect(driver.counters()).toMatchObject({
        refused_out_of_range: 2,
        refused_retained_time_implausible: 1,
        retimed_clock_behind: 1,
        accepted: 2,
      });
    },
  );
}

describe('MQTT plausibility with the embedded broker', () => {
  suite(async () => {
    const broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0 });
    cleanups.push(() => broker.close());
    return broker.url;
  });
});

const mosquittoUrl = process.env.BITGRID_TEST_MQTT_URL;
describe.skipIf(!mosquittoUrl)(`MQTT plausibility against ${mosquittoUrl ?? 'Mosquitto (unset)'}`, () => {
  suite(async () => mosquittoUrl!);
});
