// MQTT ingest: an embedded aedes broker, one publisher on loopback sending telemetry at QoS 1 on
// the Bitgrid topic scheme, and the MQTT driver parsing, converting and storing it. Bounded in
// count and in time. Run alone with `npx tsx bench/mqtt-ingest.ts`.

import { pathToFileURL } from 'node:url';
import mqtt from 'mqtt';
import { mqttConfigSchema, MqttDriver, startEmbeddedBroker } from '../src/drivers/mqtt/index.ts';

const POINTS = 20_000;
const TIME_LIMIT_MS = 30_000;
const ASSETS = 50;
/** QoS 1 messages in flight at once from the publisher. */
const WINDOW = 200;

const quietLog = { info() {}, warn() {}, error() {} };

export async function benchMqttIngest(): Promise<{ pointsPerSecond: number; points: number }> {
  const broker = await startEmbeddedBroker({ port: 0 });
  const driver = new MqttDriver(
    mqttConfigSchema.parse({
      id: 'bench',
      type: 'mqtt',
      url: broker.url,
      site: 'bench',
      subscribe: [{ asset: '+' }],
    }),
    { log: quietLog, now: Date.now },
  );
  const publisher = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  publisher.on('error', () => {});
  try {
    await driver.start();
    if (driver.status().health !== 'online')
      throw new Error(`driver not online: ${driver.status().lastError}`);
    const topics = Array.from({ length: ASSETS }, (_, a) => `bitgrid/bench/meter-${a}/power`);
    const start = performance.now();
    const deadline = start + TIME_LIMIT_MS;
    let sent = 0;
    while (sent < POINTS && performance.now() < deadline) {
      const batch: Promise<unknown>[] = [];
      for (let k = 0; k < WINDOW && sent < POINTS; k++, sent++) {
        const topic = topics[sent % ASSETS];
        const body = JSON.stringify({ value: 1000 + (sent % 997), unit: 'W', ts: new Date().toISOString() });
        batch.push(publisher.publishAsync(topic, body, { qos: 1 }));
      }
      await Promise.all(batch);
    }
    while (driver.stats().accepted + driver.stats().malformed < sent && performance.now() < deadline)
      await new Promise((r) => setTimeout(r, 1));
    const seconds = (performance.now() - start) / 1000;
    const stats = driver.stats();
    if (stats.malformed > 0) throw new Error(`${stats.malformed} points refused as malformed`);
    return { pointsPerSecond: stats.accepted / seconds, points: stats.accepted };
  } finally {
    await publisher.endAsync().catch(() => {});
    await driver.stop();
    await broker.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await benchMqttIngest();
  console.log(`mqtt ingest: ${r.points} points, ${Math.round(r.pointsPerSecond)} points/s`);
}
