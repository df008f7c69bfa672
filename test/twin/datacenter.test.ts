import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { loadScenarioFile, type AssetOf } from '../../src/model/index.ts';
import { mqttConfigSchema, MqttDriver, startEmbeddedBroker } from '../../src/drivers/mqtt/index.ts';
import { ManualClock } from '../../src/twin/ocpp/index.ts';
import { DatacenterTwin, JOB_DONE_MEASUREMENT } from '../../src/twin/datacenter/index.ts';
import { datacenterLayout, throughputAtCap, trainingItKw } from '../../src/sim/assets/datacenter.ts';

// The data-center twin on a real embedded broker, commanded by Bitgrid's own MQTT driver: a job given
// GPUs does work at the physics' rate, stops on 0 and when its setpoint expires, and the facility's
// power follows (inference IT + training IT) × PUE.

const H = 3_600_000;
const START_MS = Date.UTC(2026, 7, 3, 0, 0);
const INFERENCE_IT_KW = 1500;
const PUE = 1.3;
const { scenario } = loadScenarioFile();
const cfg = scenario.sites
  .flatMap((s) => s.assets)
  .find((a) => a.type === 'datacenter') as AssetOf<'datacenter'>;
const layout = datacenterLayout(cfg);
const silent = { info() {}, warn() {}, error() {} };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function setup() {
  const broker = await startEmbeddedBroker({ port: 0 });
  cleanups.push(() => broker.close());
  const clock = new ManualClock(START_MS);
  const twin = new DatacenterTwin({
    url: broker.url,
    site: 'ai-datacenter',
    asset: cfg.id,
    cfg,
    now: () => clock.now(),
    inferenceItKw: () => INFERENCE_IT_KW,
    pue: () => PUE,
  });
  await twin.connect();
  cleanups.push(() => twin.stop());
  const driver = new MqttDriver(
    mqttConfigSchema.parse({
      id: 'mqtt-ai-datacenter',
      type: 'mqtt',
      url: broker.url,
      site: 'ai-datacenter',
      subscribe: [{ asset: '+', measurement: 'power' }],
      setpoints: [{ asset: cfg.id, kinds: ['job_gpus', 'gpu_power_cap_fraction'] }],
      timeout_ms: 2000,
    }),
    { log: silent, now: () => clock.now() },
  );
  await driver.start();
  cleanups.push(() => driver.stop());
  // A listener of the job reports (the driver names measurements from the topic segment).
  const done = new Map<string, { value: number; ts: string }>();
  const sub: MqttClient = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  cleanups.push(() => sub.endAsync().then(() => undefined));
  sub.on('message', (_topic, payload) => {
    const o = JSON.parse(payload.toString()) as { value: number; channel: string; ts: string };
    done.set(o.channel, o);
  });
  await sub.subscribeAsync(`bitgrid/ai-datacenter/${cfg.id}/${JOB_DONE_MEASUREMENT}`);
  let setpoints = 0;
  const command = async (kind: 'job_gpus' | 'gpu_power_cap_fraction', value: number, extra = {}) => {
    await driver.write({ assetId: cfg.id, kind, value, ...extra });
    setpoints++;
    await until(() => twin.counters.setpoints >= setpoints, `setpoint ${kind}=${value} at the twin`);
  };
  /** Moves the clock, publishes, and returns the job's reported work once it has arrived. */
  const reportAfter = async (ms: number, jobId: string) => {
    clock.advance(ms);
    const before = twin.counters.published;
    await twin.publish();
    expect(twin.counters.published).toBe(before + 1);
    const ts = new Date(clock.now()).toISOString();
    await until(() => done.get(jobId)?.ts === ts, `a report of ${jobId} at ${ts}`);
    return done.get(jobId)!.value;
  };
  return { twin, driver, clock, command, reportAfter };
}

describe('data-center twin over MQTT', () => {
  it('runs a commanded job at the physics rate, stops on 0 and when its setpoint expires', async () => {
    const { twin, driver, clock, command, reportAfter } = await setup();
    const job = { id: 'dc-gpu/2026-08-03/job-0', gpus: 128, gpuHours: 128 * 10 };
    twin.addJob(job);
    expect(await reportAfter(H, job.id)).toBe(0); // submitted, no GPUs given yet

    await command('job_gpus', 128, { channel: job.id, validUntilMs: clock.now() + 10 * H });
    expect(await reportAfter(2 * H, job.id)).toBeCloseTo(128 * 2, 6);
    expect(twin.job(job.id)!.runningGpus).toBe(128);

    // Capped at 0.6 of full power: work at 0.6^exponent of full speed, less dynamic power.
    await command('gpu_power_cap_fraction', 0.6, { validUntilMs: clock.now() + 10 * H });
    const capped = await reportAfter(H, job.id);
    expect(capped - 128 * 2).toBeCloseTo(128 * throughputAtCap(cfg, 0.6), 6);
    const expectedKw = (INFERENCE_IT_KW + trainingItKw(cfg, layout, 128 * 0.6)) * PUE;
    expect(twin.powerKw()).toBeCloseTo(expectedKw, 6);
    // The driver hears the same power on the normal telemetry topic.
    await until(async () => {
      const m = (await driver.read()).find((x) => x.assetId === cfg.id && x.measurement === 'power_kw');
      return m !== undefined && Math.abs(m.value - expectedKw) < 1e-6;
    }, 'the power reading at the driver');

    // 0 pauses it: no more work, and the training pool draws idle power only.
    await command('job_gpus', 0, { channel: job.id, validUntilMs: clock.now() + 10 * H });
    expect(await reportAfter(H, job.id)).toBeCloseTo(capped, 6);
    expect(twin.powerKw()).toBeCloseTo((INFERENCE_IT_KW + trainingItKw(cfg, layout, 0)) * PUE, 6);

    // A setpoint that expires half an hour in stops the job then.
    await command('gpu_power_cap_fraction', 1, { validUntilMs: clock.now() + 10 * H });
    await command('job_gpus', 64, { channel: job.id, validUntilMs: clock.now() + H / 2 });
    expect(await reportAfter(2 * H, job.id)).toBeCloseTo(capped + 64 * 0.5, 6);
    expect(twin.job(job.id)!.runningGpus).toBe(0);
  });

  it('never runs a job past its work, nor more GPUs than it or the pool has', async () => {
    const { twin, clock, command, reportAfter } = await setup();
    const a = { id: 'a', gpus: layout.trainingGpus, gpuHours: 10 };
    const b = { id: 'b', gpus: 64, gpuHours: 1000 };
    twin.addJob(a);
    twin.addJob(b);
    await command('job_gpus', layout.trainingGpus * 2, { channel: 'a', validUntilMs: clock.now() + 10 * H });
    await command('job_gpus', 64, { channel: 'b', validUntilMs: clock.now() + 10 * H });
    expect(twin.job('a')!.runningGpus).toBe(layout.trainingGpus);
    expect(twin.job('b')!.runningGpus).toBe(0); // the pool is full
    expect(await reportAfter(H, 'a')).toBeCloseTo(10, 9); // done in the first minutes
    expect(twin.job('a')!.finished).toBe(true);
    expect(twin.job('b')!.runningGpus).toBe(64); // the pool freed up
    // b took the GPUs a left the moment a finished, a's work / its GPUs into the first hour.
    const aFinishH = a.gpuHours / layout.trainingGpus;
    expect(await reportAfter(H, 'b')).toBeCloseTo(64 * (2 - aFinishH), 3);
    // The total of work done is the two jobs' progress.
    expect(twin.workDoneGpuHours).toBeCloseTo(twin.job('a')!.doneGpuHours + twin.job('b')!.doneGpuHours, 9);
    expect(twin.workDoneGpuHours).toBeCloseTo(10 + 64 * (2 - aFinishH), 3);
  });
});
