import type { AssetOf, Scenario } from '../model/schema.ts';
import { SunSpecBatteryTwin, SunSpecPvInverterTwin } from './sunspec/index.ts';
import { MqttMeterTwin } from './mqtt/index.ts';
import { ScaledClock, TwinChargePoint } from './ocpp/index.ts';
import { VtnTwin } from './openadr/index.ts';
import { DatacenterTwin } from './datacenter/index.ts';
import { TwinWorld, type WorldBusStay } from './world.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../drivers/mqtt/index.ts';
import { chargerSlots } from '../sim/assets/ev.ts';
import { GRID_ASSET_ID } from '../model/schema.ts';

// The reference district as devices on loopback, living in the twin's own world (./world.ts): every
// PV array a SunSpec inverter, the battery a SunSpec battery, loads MQTT meters, the data center an
// MQTT device that runs the training jobs Bitgrid commands, the chargers OCPP 1.6J / 2.0.1 charge
// points that EVs and buses plug into as the world has them arrive, and an OpenADR VTN issuing
// prices. All run on one scaled clock, so a day can pass in minutes, and for as many days as it runs.
// `devices` are the driver configurations that connect Bitgrid to them, exactly as they would to real
// equipment. Nothing here hands Bitgrid the world's future: it learns of EVs, buses and jobs when they
// arrive, and of the weather and loads by measuring them.

export interface TwinJobSubmission {
  id: string;
  datacenterId: string;
  gpus: number;
  /** Work at full speed, GPU-hours. */
  gpuHours: number;
  earliestStartMs: number;
  deadlineMs: number;
}

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
  counters: {
    evSessionsPlugged: number;
    /** Sessions whose charger slot has no twin charge point (maxAcChargers). */
    evSessionsWithoutCharger: number;
    busStaysPlugged: number;
    busStaysWithoutCharger: number;
    jobsSubmitted: number;
    jobSubmitErrors: number;
  };
  /** Plugs an EV in by hand (tests). */
  plugInEv(ev: TwinEvPlugIn): void;
  /** Stops one device (its socket goes away) — for watchdog tests. */
  kill(assetId: string): Promise<void>;
  /** Brings a killed device back on the same port. */
  revive(assetId: string): Promise<void>;
  stop(): Promise<void>;
}

const DEFAULT_MAX_AC_CHARGERS = 16;
const DEVICE_POLL_SIM_MS = 30_000;
const MIN_POLL_MS = 50;
/** Shortest real-time period of the twin's timers, ms (below it the event loop only spins). */
const MIN_TIMER_MS = 20;
const DEFAULT_METER_INTERVAL_S = 60;
const OCPP_METER_INTERVAL_S = 60;
/**
 * The world is consulted every minute of simulated time: arrivals land on 15-minute interval
 * boundaries, so a minute's lateness is within a charger's own meter period.
 */
const WORLD_FEED_SIM_MS = 60_000;
/** EVs are handed to their charger this far ahead; the charger plugs them in at their arrival. */
const EV_FEED_AHEAD_SIM_MS = 2 * WORLD_FEED_SIM_MS;
/** Chargers that can share a pedestal do: two connectors each (a common AC wallbox and DC dispenser layout). */
const CONNECTORS_PER_PAIRED_CHARGER = 2;
const VTN_CLIENT_ID = 'bitgrid-ven';
const VTN_PROGRAM = 'gwangju-dr';
const EV_ID_TOKEN = 'TWIN';
const MINUTES_PER_HOUR = 60;

/** The id token a depot's bus presents at a charger (the CSMS accepts the fleet's tokens). */
export function busIdToken(depotId: string, busIndex: number): string {
  return `BUS-${depotId}-${busIndex}`;
}

interface CpSpec {
  id: string;
  asset: string;
  protocol: 'ocpp1.6' | 'ocpp2.0.1';
  maxKw: number;
  v2g: boolean;
  connectors: number;
  cp?: TwinChargePoint;
}

export async function startTwinDistrict(opts: TwinDistrictOptions): Promise<TwinDistrict> {
  const scenario = opts.scenario;
  const log = opts.log ?? (() => undefined);
  const world = new TwinWorld({
    scenario,
    baseDir: opts.baseDir,
    ...(opts.start !== undefined ? { start: opts.start } : {}),
    ...(opts.worldSeed !== undefined ? { worldSeed: opts.worldSeed } : {}),
  });
  const clock = new ScaledClock(world.startMs + (opts.startOffsetMs ?? 0), opts.speed);
  world.advanceTo(clock.now());
  // Device polling keeps pace with the clock: a poll every DEVICE_POLL_SIM_MS of simulated time.
  const pollMs = Math.max(MIN_POLL_MS, Math.round(DEVICE_POLL_SIM_MS / opts.speed));
  const now = () => clock.now();
  const assets = scenario.sites.flatMap((site) => site.assets.map((a) => ({ siteId: site.id, a })));
  const pvAssets = assets.filter((x) => x.a.type === 'pv') as { siteId: string; a: AssetOf<'pv'> }[];
  const batteryAssets = assets.filter((x) => x.a.type === 'battery') as {
    siteId: string;
    a: AssetOf<'battery'>;
  }[];
  const loadAssets = assets.filter((x) => x.a.type === 'load') as { siteId: string; a: AssetOf<'load'> }[];
  const evAssets = assets.filter((x) => x.a.type === 'ev_chargers') as {
    siteId: string;
    a: AssetOf<'ev_chargers'>;
  }[];
  const depotAssets = assets.filter((x) => x.a.type === 'bus_depot') as {
    siteId: string;
    a: AssetOf<'bus_depot'>;
  }[];
  const dcAssets = assets.filter((x) => x.a.type === 'datacenter') as {
    siteId: string;
    a: AssetOf<'datacenter'>;
  }[];
  const devices: Record<string, unknown>[] = [];
  const stoppers: (() => Promise<void>)[] = [];
  const killers = new Map<string, { kill: () => Promise<void>; revive: () => Promise<void> }>();

  // PV inverters and the battery over Modbus/SunSpec.
  const pv = new Map<string, SunSpecPvInverterTwin>();
  for (const { a: unit } of pvAssets) {
    const twin = new SunSpecPvInverterTwin({
      port: 0,
      now,
      ratedKw: unit.inverter_kw ?? unit.capacity_kwp,
      availableKw: (t) => world.pvAvailableKw(unit.id, t),
      serialNumber: `PV-${unit.id}`,
    });
    const port = await twin.start();
    pv.set(unit.id, twin);
    devices.push({
      id: `${unit.id}-inverter`,
      type: 'sunspec_modbus',
      asset: unit.id,
      role: 'pv',
      host: '127.0.0.1',
      port,
      unit_id: 1,
      poll_ms: pollMs,
      timeout_ms: 1000,
      reconnect_min_ms: 100,
      reconnect_max_ms: 1000,
    });
    stoppers.push(() => twin.stop());
    killers.set(unit.id, { kill: () => twin.stop(), revive: async () => void (await twin.start()) });
  }
  let battery: SunSpecBatteryTwin | undefined;
  for (const { a: unit } of batteryAssets.slice(0, 1)) {
    battery = new SunSpecBatteryTwin({ port: 0, now, battery: unit, serialNumber: `BAT-${unit.id}` });
    const twin = battery;
    const port = await twin.start();
    devices.push({
      id: `${unit.id}-bms`,
      type: 'sunspec_modbus',
      asset: unit.id,
      role: 'battery',
      host: '127.0.0.1',
      port,
      unit_id: 1,
      poll_ms: pollMs,
      timeout_ms: 1000,
      reconnect_min_ms: 100,
      reconnect_max_ms: 1000,
    });
    stoppers.push(() => twin.stop());
    killers.set(unit.id, { kill: () => twin.stop(), revive: async () => void (await twin.start()) });
  }

  // Chargers over OCPP. Campus charger slots of the same kind pair up into two-connector chargers;
  // each slot maps to (charger, connector) so the world's sessions land where it put them.
  const specs: CpSpec[] = [];
  const evSlotTarget = new Map<string, ({ spec: CpSpec; connectorId: number } | undefined)[]>();
  const maxAc = opts.maxAcChargers ?? DEFAULT_MAX_AC_CHARGERS;
  for (const { a: unit } of evAssets) {
    const slots = chargerSlots(unit);
    const targets: ({ spec: CpSpec; connectorId: number } | undefined)[] = new Array(slots.length);
    let acChargers = 0;
    const numberOfKind = { ac: 0, dc: 0 };
    for (let k = 0; k < slots.length;) {
      const slot = slots[k];
      const same = (j: number) =>
        j < slots.length &&
        slots[j].kind === slot.kind &&
        slots[j].protocol === slot.protocol &&
        slots[j].maxPowerKw === slot.maxPowerKw &&
        slots[j].v2g === slot.v2g;
      let connectors = 1;
      while (connectors < CONNECTORS_PER_PAIRED_CHARGER && same(k + connectors)) connectors++;
      const n = ++numberOfKind[slot.kind];
      if (slot.kind !== 'ac' || acChargers++ < maxAc) {
        const spec: CpSpec = {
          id: `${unit.id}-${slot.kind}-${String(n).padStart(3, '0')}`,
          asset: unit.id,
          protocol: slot.protocol === 'ocpp16j' ? 'ocpp1.6' : 'ocpp2.0.1',
          maxKw: slot.maxPowerKw,
          v2g: slot.v2g,
          connectors,
        };
        specs.push(spec);
        for (let c = 0; c < connectors; c++) targets[k + c] = { spec, connectorId: c + 1 };
      }
      k += connectors;
    }
    evSlotTarget.set(unit.id, targets);
  }
  const depotChargers = new Map<string, CpSpec[]>();
  for (const { a: dep } of depotAssets) {
    const list: CpSpec[] = [];
    for (let c = 0; c < dep.chargers; c++)
      list.push({
        id: `${dep.id}-${String(c + 1).padStart(3, '0')}`,
        asset: dep.id,
        protocol: 'ocpp2.0.1',
        maxKw: dep.charger_kw,
        v2g: c < dep.v2g_chargers,
        connectors: 1,
      });
    specs.push(...list);
    depotChargers.set(dep.id, list);
  }
  // The CSMS is Bitgrid's side: it listens on a port picked now, and the charge points connect to it
  // once the driver has started (see connectChargePoints).
  const ocppPort = await freePort();
  devices.push({
    id: 'csms',
    type: 'ocpp',
    host: '127.0.0.1',
    port: ocppPort,
    charge_points: specs.map((p) => ({
      id: p.id,
      asset: p.asset,
      protocol: p.protocol,
      max_power_kw: p.maxKw,
      v2g: p.v2g,
      connectors: p.connectors,
    })),
    accepted_id_tokens: [
      EV_ID_TOKEN,
      ...depotAssets.flatMap(({ a: dep }) =>
        Array.from({ length: dep.buses }, (_, b) => busIdToken(dep.id, b)),
      ),
    ],
    // Well inside the loop's default stale limit (300 s), so an idle charger still shows it is there.
    heartbeat_interval_s: 60,
  });
  const chargePoints: TwinChargePoint[] = [];
  for (const p of specs) {
    p.cp = new TwinChargePoint({
      id: p.id,
      endpoint: `ws://127.0.0.1:${ocppPort}`,
      protocol: p.protocol,
      maxPowerKw: p.maxKw,
      v2g: p.v2g,
      connectors: p.connectors,
      meterIntervalS: OCPP_METER_INTERVAL_S,
      clock,
      reconnectDelayMs: 500,
      log,
    });
    chargePoints.push(p.cp);
  }
  const chargingKw = (asset: string) => {
    let kw = 0;
    for (const p of specs)
      if (p.asset === asset) for (let c = 1; c <= p.connectors; c++) kw += p.cp!.connector(c).powerKw;
    return kw;
  };

  // Meters and the data center over MQTT, on an embedded broker.
  const broker = await startEmbeddedBroker({ port: 0 });
  stoppers.push(() => broker.close());
  const meterIntervalMs = Math.max(
    MIN_TIMER_MS,
    ((opts.meterIntervalS ?? DEFAULT_METER_INTERVAL_S) * 1000) / opts.speed,
  );
  const datacenters = new Map<string, DatacenterTwin>();
  const sites = new Map<string, { asset: string; kinds: string[] }[]>();
  for (const { siteId, a: cfg } of dcAssets) {
    const twin = new DatacenterTwin({
      url: broker.url,
      site: siteId,
      asset: cfg.id,
      cfg,
      now,
      inferenceItKw: (t) => world.datacenterInferenceItKw(cfg.id, t),
      pue: (t) => world.datacenterPue(cfg.id, t),
      log,
    });
    await twin.connect();
    await twin.publish();
    twin.start(meterIntervalMs);
    datacenters.set(cfg.id, twin);
    stoppers.push(() => twin.stop());
    killers.set(cfg.id, {
      kill: () => twin.stop(),
      revive: async () => {
        await twin.connect();
        twin.start(meterIntervalMs);
      },
    });
    sites.set(siteId, [
      ...(sites.get(siteId) ?? []),
      { asset: cfg.id, kinds: ['job_gpus', 'gpu_power_cap_fraction'] },
    ]);
  }
  const meters = new Map<string, MqttMeterTwin>();
  const meterDefs: { site: string; asset: string; powerKw: (t: number) => number }[] = loadAssets.map(
    ({ siteId, a }) => ({ site: siteId, asset: a.id, powerKw: (t: number) => world.loadKw(a.id, t) }),
  );
  meterDefs.push({
    site: 'district',
    asset: GRID_ASSET_ID,
    // The connection point sees the balance of everything the other twins do right now.
    powerKw: (t: number) => {
      let kw = 0;
      for (const m of meterDefs) if (m.asset !== GRID_ASSET_ID) kw += m.powerKw(t);
      for (const dc of datacenters.values()) kw += dc.powerKw(t);
      for (const { a } of evAssets) kw += chargingKw(a.id);
      for (const { a } of depotAssets) kw += chargingKw(a.id);
      for (const twin of pv.values()) kw -= twin.outputKw(t);
      if (battery) kw -= battery.presentKw;
      return kw;
    },
  });
  for (const m of meterDefs) {
    const twin = new MqttMeterTwin({
      url: broker.url,
      site: m.site,
      asset: m.asset,
      powerKw: m.powerKw,
      now,
      unit: 'kW',
    });
    await twin.connect();
    await twin.publish();
    twin.start(meterIntervalMs);
    meters.set(m.asset, twin);
    stoppers.push(() => twin.stop());
    killers.set(m.asset, {
      kill: () => twin.stop(),
      revive: async () => {
        await twin.connect();
        twin.start(meterIntervalMs);
      },
    });
    if (!sites.has(m.site)) sites.set(m.site, []);
  }
  for (const [site, setpoints] of sites)
    devices.push({
      id: `mqtt-${site}`,
      type: 'mqtt',
      url: broker.url,
      site,
      subscribe: [{ asset: '+', measurement: '+' }],
      // Only the district's own assets: a stray publisher cannot create series.
      assets: [GRID_ASSET_ID, ...opts.scenario.sites.flatMap((x) => x.assets.map((a) => a.id))],
      ...(setpoints.length ? { setpoints } : {}),
    });

  // OpenADR: a VTN with the import price as a PRICE event per day the world has prepared, renewed
  // as it prepares more and withdrawn when it forgets a day.
  const secret = 'twin-secret-' + Math.random().toString(36).slice(2);
  const vtn = new VtnTwin({ clients: { [VTN_CLIENT_ID]: secret }, now, discovery: true });
  await vtn.start(0);
  stoppers.push(() => vtn.stop());
  vtn.createProgram({ programName: VTN_PROGRAM, id: VTN_PROGRAM });
  const priceEvents = new Map<string, string>();
  const syncPrices = async () => {
    const days = world.days();
    const held = new Set(days.map((d) => d.date));
    for (const [date, id] of priceEvents)
      if (!held.has(date)) {
        priceEvents.delete(date);
        await vtn.deleteEvent(id);
      }
    for (const d of days) {
      if (priceEvents.has(d.date)) continue;
      const perHour = Math.max(1, Math.round(MINUTES_PER_HOUR / d.intervalMinutes));
      const hours = Math.floor(d.importPriceKrwPerKwh.length / perHour);
      const event = await vtn.issuePriceEvent({
        programID: VTN_PROGRAM,
        startMs: d.startMs,
        intervalMinutes: MINUTES_PER_HOUR,
        pricesKrwPerKwh: Array.from({ length: hours }, (_, h) => d.importPriceKrwPerKwh[h * perHour]),
        eventName: `price-${d.date}`,
      });
      priceEvents.set(d.date, String((event as { id: unknown }).id));
    }
  };
  await syncPrices();
  devices.push({
    id: 'kepco-vtn',
    type: 'openadr_ven',
    vtn_url: vtn.url,
    client_id: VTN_CLIENT_ID,
    client_secret: secret,
    ven_name: 'bitgrid-gwangju',
    poll_interval_s: 5,
    subscribe: true,
  });

  // The world's arrivals, fed to the devices as the clock reaches them.
  const counters = {
    evSessionsPlugged: 0,
    evSessionsWithoutCharger: 0,
    busStaysPlugged: 0,
    busStaysWithoutCharger: 0,
    jobsSubmitted: 0,
    jobSubmitErrors: 0,
  };
  const depotCfg = new Map(depotAssets.map(({ a }) => [a.id, a]));
  const onCharger: { stay: WorldBusStay; cp: TwinChargePoint; socFraction: number }[] = [];
  let evFedUntil = clock.now();
  let staysFedUntil = world.startMs;
  let jobsFedUntil = world.startMs;
  const feed = async () => {
    const t = clock.now();
    world.advanceTo(t);
    // Buses leaving their chargers take the SoC the charger last reported.
    for (let k = onCharger.length - 1; k >= 0; k--) {
      const x = onCharger[k];
      const snap = x.cp.connector(1);
      if (snap.evPresent && snap.socFraction !== undefined) x.socFraction = snap.socFraction;
      if (t >= x.stay.plug!.unplugMs) {
        world.busCharged(x.stay.depotId, x.stay.busIndex, x.socFraction);
        onCharger.splice(k, 1);
      }
    }
    const evTo = t + EV_FEED_AHEAD_SIM_MS;
    for (const s of world.evSessions(evFedUntil, evTo)) {
      const target = evSlotTarget.get(s.assetId)?.[s.chargerIndex];
      if (!target) {
        counters.evSessionsWithoutCharger++;
        continue;
      }
      target.spec.cp!.plugIn({
        connectorId: target.connectorId,
        arrivalMs: s.arrivalMs,
        departureMs: s.departureMs,
        energyNeededKwh: s.energyKwh,
        maxPowerKw: s.maxPowerKw,
        v2g: s.maxDischargeKw > 0,
        idTag: EV_ID_TOKEN,
        // An ISO 15118 EV on a 2.0.1 charger tells its departure and need; a 1.6J charger cannot.
        announce: target.spec.protocol === 'ocpp2.0.1',
      });
      counters.evSessionsPlugged++;
    }
    evFedUntil = Math.max(evFedUntil, evTo);
    // Buses come back at their arrival: their SoC is known only then, from what they left with.
    for (const stay of world.busStays(staysFedUntil, t + 1)) {
      const cfg = depotCfg.get(stay.depotId)!;
      const soc = world.busArrives(stay);
      const spec = stay.plug ? depotChargers.get(stay.depotId)?.[stay.plug.chargerIndex] : undefined;
      if (!stay.plug || !spec) {
        counters.busStaysWithoutCharger++;
        continue;
      }
      spec.cp!.plugIn({
        connectorId: 1,
        arrivalMs: stay.plug.plugMs,
        departureMs: stay.plug.unplugMs,
        // The bus takes what fills it to soc_max (the twin's charger meters the battery's energy).
        energyNeededKwh: Math.max(0, cfg.soc_max - soc) * cfg.battery_kwh,
        maxPowerKw: cfg.charger_kw,
        v2g: spec.v2g,
        idTag: busIdToken(stay.depotId, stay.busIndex),
        announce: true,
        batteryKwh: cfg.battery_kwh,
        initialSocFraction: soc,
      });
      onCharger.push({ stay, cp: spec.cp!, socFraction: soc });
      counters.busStaysPlugged++;
    }
    staysFedUntil = Math.max(staysFedUntil, t + 1);
    // The data center's team submits its jobs at their submit time.
    for (const job of world.trainingJobs(jobsFedUntil, t + 1)) {
      datacenters.get(job.datacenterId)?.addJob(job);
      counters.jobsSubmitted++;
      if (opts.submitJob)
        opts
          .submitJob({
            id: job.id,
            datacenterId: job.datacenterId,
            gpus: job.gpus,
            gpuHours: job.gpuHours,
            earliestStartMs: job.submitMs,
            deadlineMs: job.deadlineMs,
          })
          .then((given) => {
            if (typeof given === 'string' && given !== job.id)
              datacenters.get(job.datacenterId)?.setJobChannel(job.id, given);
          })
          .catch((err: unknown) => {
            counters.jobSubmitErrors++;
            log('training job submission failed', { jobId: job.id, err: String(err) });
          });
    }
    jobsFedUntil = Math.max(jobsFedUntil, t + 1);
    await syncPrices();
  };
  let feeding: Promise<void> = Promise.resolve();
  const runFeed = () =>
    (feeding = feeding
      .then(feed)
      .catch((err: unknown) => log('twin world feed failed', { err: String(err) })));
  await runFeed();
  const feedTimer = setInterval(runFeed, Math.max(MIN_TIMER_MS, WORLD_FEED_SIM_MS / opts.speed));
  feedTimer.unref();
  stoppers.push(async () => {
    clearInterval(feedTimer);
    await feeding;
  });

  for (const cp of chargePoints) stoppers.push(() => cp.stop());
  for (const p of specs)
    if (!killers.has(p.asset))
      killers.set(p.asset, {
        kill: async () => {
          for (const q of specs) if (q.asset === p.asset) q.cp!.dropConnection();
        },
        revive: async () => {},
      });

  return {
    clock,
    world,
    devices,
    pv,
    battery,
    meters,
    datacenters,
    chargePoints,
    vtn,
    broker,
    counters,
    plugInEv(ev) {
      const spec = specs.find((p) => p.asset === ev.assetId && p.id === ev.chargerId);
      if (!spec) throw new Error(`no twin charger "${ev.chargerId}" of "${ev.assetId}"`);
      spec.cp!.plugIn({
        connectorId: ev.connectorId,
        arrivalMs: ev.arrivalMs,
        departureMs: ev.departureMs,
        energyNeededKwh: ev.energyKwh,
        maxPowerKw: spec.maxKw,
        idTag: EV_ID_TOKEN,
        announce: ev.announce ?? false,
      });
    },
    async kill(assetId) {
      const k = killers.get(assetId);
      if (!k) throw new Error(`no twin device for asset "${assetId}"`);
      await k.kill();
    },
    async revive(assetId) {
      const k = killers.get(assetId);
      if (!k) throw new Error(`no twin device for asset "${assetId}"`);
      await k.revive();
    },
    async stop() {
      for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
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

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}
