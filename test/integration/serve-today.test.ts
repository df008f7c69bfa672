import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import mqtt from 'mqtt';
import { startServe } from '../../src/cli/serve.ts';
import { REFERENCE_SCENARIO_FILE } from '../../src/model/load.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/drivers/mqtt/index.ts';

// Plain `serve` (no twin) with a device list: a grid meter and the battery's SoC over MQTT on a
// broker of the test's own. It runs on the wall clock and plans for today, from today's clock, not
// from the district file's `default_start`.

const MIN = 60_000;
let broker: EmbeddedBroker;
let running: Awaited<ReturnType<typeof startServe>>;
let dir: string;
let publisher: mqtt.MqttClient;

beforeAll(async () => {
  broker = await startEmbeddedBroker({ port: 0 });
  dir = mkdtempSync(join(tmpdir(), 'bitgrid-today-'));
  // The reference district with a device list, in a folder of its own (paths resolve beside it).
  const yaml = readFileSync(REFERENCE_SCENARIO_FILE, 'utf8');
  const file = join(dir, 'district.yaml');
  writeFileSync(
    file,
    `${yaml}\ndevices:\n  - { id: site-meters, type: mqtt, url: "${broker.url}", site: district, subscribe: [{ asset: "+", measurement: "+" }] }\n`,
  );
  expect(dirname(file)).toBe(dir);
  publisher = await mqtt.connectAsync(broker.url);
  const ts = new Date().toISOString();
  await publisher.publishAsync(
    'bitgrid/district/grid/power',
    JSON.stringify({ value: 7600, unit: 'kW', ts }),
    { retain: true },
  );
  await publisher.publishAsync(
    'bitgrid/district/shared-battery/soc',
    JSON.stringify({ value: 55, unit: '%', ts }),
    {
      retain: true,
    },
  );
  process.env.BITGRID_LOG_LEVEL ??= 'error';
  running = await startServe({
    scenario: file,
    port: 0,
    host: '127.0.0.1',
    speed: 1,
    strategy: 'optimal',
    db: `sqlite:${join(dir, 'live.db')}`,
    // Control every 5 s of wall time, so the test sees a re-plan once the meters have reported.
    cycleS: 5,
    staleS: 300,
    replanMin: 15,
  });
}, 120_000);

afterAll(async () => {
  await running?.stop();
  await publisher?.endAsync();
  await broker?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('serve without a twin', () => {
  it('plans for today from the wall clock and the measured state', async () => {
    // A plan is made at the first cycle, and made again once the battery has reported its SoC.
    const soc = (r: { payload: unknown }) =>
      (r.payload as { inputs: { batterySocKwh: number[] } }).inputs.batterySocKwh[0];
    const end = Date.now() + 90_000;
    let s = await running.store.listSchedules({ strategy: 'optimal' });
    while (!s.some((r) => Math.abs(soc(r) - 0.55 * 12_000) < 10) && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 250));
      s = await running.store.listSchedules({ strategy: 'optimal' });
    }
    s = s.filter((r) => Math.abs(soc(r) - 0.55 * 12_000) < 10);
    expect(s.length, 'a schedule made from the reported SoC').toBeGreaterThan(0);
    const now = Date.now();
    // The horizon starts in the interval of now (15-minute grid) and reaches 24 h ahead.
    expect(s[0].startMs).toBeLessThanOrEqual(now);
    expect(now - s[0].startMs).toBeLessThan(15 * MIN + 90_000);
    expect(s[0].endMs - s[0].startMs).toBe(24 * 60 * MIN);
    const snap = running.loop.snapshot();
    expect(Math.abs(snap.timeMs - now)).toBeLessThan(2 * MIN);
    expect(snap.grid.importKw).toBeCloseTo(7600, 3);
  }, 120_000);

  it('keeps controlling while its API worker is down, and starts the API again on the same address', async () => {
    const worker = running.apiWorker;
    expect(worker, 'serve runs its API in a worker thread').toBeDefined();
    const address = running.address;
    const restarted = worker!.nextStart();
    const cyclesBefore = running.loop.health().cycles;
    await worker!.worker()!.terminate();
    const down = await fetch(`${address}/api/health`).catch(() => undefined);
    expect(down, 'nothing answers while the worker is down').toBeUndefined();
    // At least one control cycle (every 5 s) ends while no API runs.
    const end = Date.now() + 30_000;
    while (running.loop.health().cycles <= cyclesBefore && Date.now() < end)
      await new Promise((r) => setTimeout(r, 100));
    expect(running.loop.health().cycles).toBeGreaterThan(cyclesBefore);
    await restarted;
    const health = await fetch(`${address}/api/health`);
    expect(health.status).toBe(200);
    const body = (await health.json()) as { live: { cycles: number } };
    expect(body.live.cycles).toBeGreaterThan(cyclesBefore);
  }, 60_000);
});
