import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/model/index.ts';
import { defaultRegistry } from '../../src/drivers/index.ts';
import type { ChargingSessionInfo, Driver } from '../../src/drivers/types.ts';
import {
  busIdToken,
  connectChargePoints,
  startTwinDistrict,
  type TwinDistrict,
  type TwinJobSubmission,
} from '../../src/twin/district.ts';

// The twin district in its own world, with Bitgrid's real OCPP CSMS driver on loopback: the device
// configurations validate, two-connector chargers take an EV on connector 2, 2.0.1 EVs announce
// their departure and energy, buses plug in with their fleet token and report SoC, and the data
// center's team submits the world's training jobs.

const H = 3_600_000;
const SPEED = 60;
/** Just before the first buses come back from their morning blocks (5:30 pull-out + ~6¼ h). */
const START_OFFSET_MS = 11.75 * H;
const { scenario, baseDir } = loadScenarioFile();
const silent = { info() {}, warn() {}, error() {} };
const submitted: TwinJobSubmission[] = [];
let twin: TwinDistrict;
let csms: Driver;

async function until(cond: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
const sessions = (): ChargingSessionInfo[] => csms.sessions?.() ?? [];

beforeAll(async () => {
  twin = await startTwinDistrict({
    scenario,
    baseDir,
    speed: SPEED,
    maxAcChargers: 2,
    startOffsetMs: START_OFFSET_MS,
    submitJob: async (job) => {
      submitted.push(job);
      return `api-job-${submitted.length}`;
    },
  });
  const registry = defaultRegistry();
  expect(registry.validateDeviceConfig(twin.devices)).toEqual([]);
  const now = () => twin.clock.now();
  csms = registry.createDriver(
    twin.devices.find((d) => d.type === 'ocpp'),
    { log: silent, now },
  );
  await csms.start();
  await connectChargePoints(twin, 100);
}, 60_000);

afterAll(async () => {
  await twin?.stop();
  await csms?.stop();
}, 60_000);

describe('twin district in its own world', () => {
  it('configures two-connector chargers, fleet tokens and the data center’s setpoints', () => {
    const ocpp = twin.devices.find((d) => d.type === 'ocpp') as {
      charge_points: { id: string; protocol: string; connectors: number }[];
      accepted_id_tokens: string[];
    };
    const ac = ocpp.charge_points.find((c) => c.id === 'campus-ev-ac-001')!;
    const dc = ocpp.charge_points.find((c) => c.id === 'campus-ev-dc-001')!;
    expect(ac).toMatchObject({ protocol: 'ocpp1.6', connectors: 2 });
    expect(dc).toMatchObject({ protocol: 'ocpp2.0.1', connectors: 2 });
    // Every twin charge point has as many connectors as the CSMS is told.
    for (const cp of twin.chargePoints) {
      const cfg = ocpp.charge_points.find((c) => c.id === cp.id)!;
      expect(() => cp.connector(cfg.connectors)).not.toThrow();
      expect(() => cp.connector(cfg.connectors + 1)).toThrow();
    }
    expect(ocpp.accepted_id_tokens).toContain(busIdToken('depot-buses', 0));
    expect(ocpp.accepted_id_tokens).toContain(busIdToken('depot-buses', 59));
    const mqttDc = twin.devices.find((d) => d.type === 'mqtt' && d.site === 'ai-datacenter');
    expect(mqttDc?.setpoints).toEqual([{ asset: 'dc-gpu', kinds: ['job_gpus', 'gpu_power_cap_fraction'] }]);
  });

  it('the data-center team submits the world’s jobs, and the data center answers to the ids given', async () => {
    await until(() => submitted.length > 0, 'a job submission');
    const job = submitted[0];
    expect(job.datacenterId).toBe('dc-gpu');
    expect(job.earliestStartMs).toBeLessThanOrEqual(twin.clock.now());
    expect(job.deadlineMs).toBeGreaterThan(job.earliestStartMs);
    expect(job.gpuHours).toBeGreaterThan(0);
    await until(() => twin.datacenters.get('dc-gpu')!.job(job.id)?.channel === 'api-job-1', 'the id given');
    expect(twin.counters.jobsSubmitted).toBe(submitted.length);
    expect(twin.datacenters.get('dc-gpu')!.powerKw()).toBeGreaterThan(0);
  });

  it('plugs an EV into connector 2 of a two-connector 1.6J charger, and a 2.0.1 EV announces its needs', async () => {
    const t = twin.clock.now();
    twin.plugInEv({
      assetId: 'campus-ev',
      chargerId: 'campus-ev-ac-001',
      connectorId: 2,
      arrivalMs: t,
      departureMs: t + 4 * H,
      energyKwh: 12,
    });
    const departureMs = t + 3 * H;
    twin.plugInEv({
      assetId: 'campus-ev',
      chargerId: 'campus-ev-dc-001',
      connectorId: 2,
      arrivalMs: t,
      departureMs,
      energyKwh: 30,
      announce: true,
    });
    await until(
      () => sessions().some((s) => s.chargerId === 'campus-ev-ac-001' && s.connectorId === 2),
      'the AC session on connector 2',
    );
    const ac = sessions().find((s) => s.chargerId === 'campus-ev-ac-001' && s.connectorId === 2)!;
    expect(ac.channel).toBe('campus-ev-ac-001/2');
    await until(
      () => sessions().some((s) => s.chargerId === 'campus-ev-dc-001' && s.energyRequestKwh !== undefined),
      'the announced DC session',
    );
    const dc = sessions().find((s) => s.chargerId === 'campus-ev-dc-001' && s.connectorId === 2)!;
    expect(dc.energyRequestKwh).toBeCloseTo(30, 3);
    expect(Math.abs(dc.departureMs! - departureMs)).toBeLessThan(1000);
    expect(() =>
      twin.plugInEv({
        assetId: 'campus-ev',
        chargerId: 'campus-ev-ac-001',
        connectorId: 3,
        arrivalMs: t,
        departureMs: t + H,
        energyKwh: 1,
      }),
    ).toThrow();
  }, 40_000);

  it('buses back from their blocks plug in with their fleet token and report their SoC', async () => {
    await until(
      () => sessions().some((s) => s.idToken?.startsWith('BUS-depot-buses-') && s.socFraction !== undefined),
      'a bus session with SoC',
      60_000,
    );
    const bus = sessions().find(
      (s) => s.idToken?.startsWith('BUS-depot-buses-') && s.socFraction !== undefined,
    )!;
    expect(bus.assetId).toBe('depot-buses');
    const busIndex = Number(bus.idToken!.slice('BUS-depot-buses-'.length));
    const soc = twin.world.busSocFraction('depot-buses', busIndex)!;
    // It came back with what the world's block took out of it.
    expect(bus.socFraction!).toBeGreaterThanOrEqual(soc - 0.01);
    expect(soc).toBeLessThan(0.8);
    expect(twin.counters.busStaysPlugged).toBeGreaterThan(0);
  }, 70_000);
});
