import type { Scenario } from '../model/schema.ts';
import type { SunSpecBatteryTwin, SunSpecPvInverterTwin } from './sunspec/index.ts';
import type { MqttMeterTwin } from './mqtt/index.ts';
import { ScaledClock, type TwinChargePoint } from './ocpp/index.ts';
import type { VtnTwin } from './openadr/index.ts';
import type { DatacenterTwin } from './datacenter/index.ts';
import type { EmbeddedBroker } from '../drivers/mqtt/index.ts';
import { TwinWorld } from './world.ts';
import type { DistrictContext, DistrictParts } from './district-parts.ts';
import { startSunSpecTwins } from './district-sunspec.ts';
import {
  createChargePoints,
  EV_ID_TOKEN,
  registerChargePoints,
  type DistrictChargers,
} from './district-chargers.ts';
import { startMqttTwins } from './district-mqtt.ts';
import { startVtnTwin } from './district-vtn.ts';
import { startWorldFeed, type FeedCounters, type TwinJobSubmission } from './district-feed.ts';

export { busIdToken } from './district-chargers.ts';
export type { TwinJobSubmission } from './district-feed.ts';

// The reference district as devices on loopback, living in the twin's own world (./world.ts): every
// PV array a SunSpec inverter, the battery a SunSpec battery, loads MQTT meters, the data center an
// MQTT device that runs the training jobs Bitgrid commands, the chargers OCPP 1.6J / 2.0.1 charge
// points that EVs and buses plug into as the world has them arrive, and an OpenADR VTN issuing
// prices. All run on one scaled clock, so a day can pass in minutes, and for as many days as it runs.
// `devices` are the driver configurations that connect Bitgrid to them, exactly as they would to real
// equipment. Nothing here hands Bitgrid the world's future: it learns of EVs, buses and jobs when they
// arrive, and of the weather and loads by measuring them.
//
// Each kind of device starts in a module of its own beside this one — district-sunspec.ts (PV and
// battery), district-chargers.ts (OCPP), district-mqtt.ts (meters, data centers), district-vtn.ts
// (prices) — and district-feed.ts hands them the world's arrivals; district-parts.ts is what they share.

export interface TwinDistrictOptions {
  scenario: Scenario;
  /** Folder the scenario's relative paths resolve against. */
  baseDir: string;
  /** First local day, YYYY-MM-DD; the scenario's default_start when omitted. */
  start?: string;
  /** Simulated ms per real ms. */
  speed: number;
  /** Seed of the world's draws (weather, loads, sessions, jobs, bus energy); DEFAULT_WORLD_SEED when omitted. */
  worldSeed?: number;
  /**
   * The data-center team submits each training job here at its submit time on the twin clock (the
   * live system: its job API). It may resolve to the id the job was given there: the data center then
   * takes setpoints and reports progress for the job under that id. A rejection is logged, not thrown.
   */
  submitJob?: (job: TwinJobSubmission) => Promise<string | void>;
  /** Most AC charge points to start on the campus (each a WebSocket client with two connectors). */
  maxAcChargers?: number;
  /** Meter publishing cadence, simulated seconds. */
  meterIntervalS?: number;
  /** Where the twin clock starts, after the first day's local midnight (ms of simulated time). */
  startOffsetMs?: number;
  log?: (msg: string, detail?: object) => void;
}

/** An EV plugged in by hand (tests): onto connector `connectorId` of charger `chargerId` of `assetId`. */
export interface TwinEvPlugIn {
  assetId: string;
  chargerId: string;
  connectorId: number;
  arrivalMs: number;
  departureMs: number;
  energyKwh: number;
  /** 2.0.1: the EV announces its departure and energy (NotifyEVChargingNeeds). */
  announce?: boolean;
}

export interface TwinDistrict {
  clock: ScaledClock;
  world: TwinWorld;
  devices: Record<string, unknown>[];
  pv: Map<string, SunSpecPvInverterTwin>;
  battery?: SunSpecBatteryTwin;
  meters: Map<string, MqttMeterTwin>;
  datacenters: Map<string, DatacenterTwin>;
  chargePoints: TwinChargePoint[];
  vtn: VtnTwin;
  broker: EmbeddedBroker;
  /** What the twin has done with the world's arrivals so far. */
  counters: FeedCounters;
  /** Plugs an EV in by hand (tests). */
  plugInEv(ev: TwinEvPlugIn): void;
  /** Stops one device (its socket goes away) — for watchdog tests. */
  kill(assetId: string): Promise<void>;
  /** Brings a killed device back on the same port. */
  revive(assetId: string): Promise<void>;
  stop(): Promise<void>;
}

const DEFAULT_MAX_AC_CHARGERS = 16;

export async function startTwinDistrict(opts: TwinDistrictOptions): Promise<TwinDistrict> {
  const ctx = startWorld(opts);
  const { pv, battery } = await startSunSpecTwins(ctx);
  const chargers = await createChargePoints(ctx, opts.maxAcChargers ?? DEFAULT_MAX_AC_CHARGERS);
  const { broker, meters, datacenters } = await startMqttTwins(
    ctx,
    { pv, battery, chargers },
    opts.meterIntervalS,
  );
  const { vtn, syncPrices } = await startVtnTwin(ctx);
  const counters = await startWorldFeed(ctx, {
    chargers,
    datacenters,
    syncPrices,
    submitJob: opts.submitJob,
  });
  registerChargePoints(ctx.parts, chargers);
  return {
    clock: ctx.clock,
    world: ctx.world,
    devices: ctx.parts.devices,
    pv,
    battery,
    meters,
    datacenters,
    chargePoints: chargers.all.map((p) => p.cp),
    vtn,
    broker,
    counters,
    plugInEv: (ev) => plugInEv(chargers, ev),
    ...switches(ctx.parts),
  };
}

/** The world at the first day and the clock at its start (plus startOffsetMs), nothing started yet. */
function startWorld(opts: TwinDistrictOptions): DistrictContext {
  const world = new TwinWorld({
    scenario: opts.scenario,
    baseDir: opts.baseDir,
    ...(opts.start !== undefined ? { start: opts.start } : {}),
    ...(opts.worldSeed !== undefined ? { worldSeed: opts.worldSeed } : {}),
  });
  const clock = new ScaledClock(world.startMs + (opts.startOffsetMs ?? 0), opts.speed);
  world.advanceTo(clock.now());
  return {
    scenario: opts.scenario,
    world,
    clock,
    now: () => clock.now(),
    speed: opts.speed,
    log: opts.log ?? (() => undefined),
    parts: { devices: [], stoppers: [], killers: new Map() },
  };
}

function plugInEv(chargers: DistrictChargers, ev: TwinEvPlugIn): void {
  const charger = chargers.all.find((p) => p.asset === ev.assetId && p.id === ev.chargerId);
  if (!charger) throw new Error(`no twin charger "${ev.chargerId}" of "${ev.assetId}"`);
  charger.cp.plugIn({
    connectorId: ev.connectorId,
    arrivalMs: ev.arrivalMs,
    departureMs: ev.departureMs,
    energyNeededKwh: ev.energyKwh,
    maxPowerKw: charger.maxKw,
    idTag: EV_ID_TOKEN,
    announce: ev.announce ?? false,
  });
}

function switches(parts: DistrictParts): Pick<TwinDistrict, 'kill' | 'revive' | 'stop'> {
  const killer = (assetId: string) => {
    const k = parts.killers.get(assetId);
    if (!k) throw new Error(`no twin device for asset "${assetId}"`);
    return k;
  };
  return {
    kill: async (assetId) => killer(assetId).kill(),
    revive: async (assetId) => killer(assetId).revive(),
    async stop() {
      for (const stop of parts.stoppers.reverse()) await stop().catch(() => undefined);
    },
  };
}
/** Connects and runs every charge point (after the CSMS driver listens). */
export async function connectChargePoints(t: TwinDistrict, tickMs: number): Promise<void> {
  await Promise.all(
    t.chargePoints.map(async (cp) => {
      await cp.start();
      cp.run(tickMs);
    }),
  );
}
