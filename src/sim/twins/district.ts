import type { District } from '../district.ts';
import type { SimResult } from '../engine.ts';
import { SunSpecBatteryTwin, SunSpecPvInverterTwin } from './sunspec/index.ts';
import { MqttMeterTwin } from './mqtt/index.ts';
import { ScaledClock, TwinChargePoint, type EvSession as TwinEvSession } from './ocpp/index.ts';
import { VtnTwin } from './openadr/index.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../drivers/mqtt/index.ts';
import { chargerSlots } from '../assets/ev.ts';
import { GRID_ASSET_ID } from '../../control/loop.ts';

// The reference district as devices on loopback: every PV array a SunSpec inverter, the battery a
// SunSpec battery, loads and the data center MQTT meters, the chargers OCPP 1.6J / 2.0.1 charge
// points with the simulator's EV sessions and bus stays, and an OpenADR VTN issuing prices. All run
// on one scaled clock, so a day can pass in minutes. `devices` are the driver configurations that
// connect Bitgrid to them, exactly as they would to real equipment.

export interface TwinDistrictOptions {
  district: District;
  /** Result of the plan run (its data-center series feeds the data-center meter). */
  plan: SimResult;
  /** Simulated ms per real ms. */
  speed: number;
  /** Most AC chargers to start on the campus (each is a WebSocket client). */
  maxAcChargers?: number;
  /** Meter publishing cadence, simulated seconds. */
  meterIntervalS?: number;
  /** Where the twin clock starts, after the district's first interval (ms of simulated time). */
  startOffsetMs?: number;
}

export interface TwinDistrict {
  clock: ScaledClock;
  devices: Record<string, unknown>[];
  pv: Map<string, SunSpecPvInverterTwin>;
  battery?: SunSpecBatteryTwin;
  meters: Map<string, MqttMeterTwin>;
  chargePoints: TwinChargePoint[];
  vtn: VtnTwin;
  broker: EmbeddedBroker;
  /** Stops one device (its socket goes away) — for watchdog tests. */
  kill(assetId: string): Promise<void>;
  /** Brings a killed device back on the same port. */
  revive(assetId: string): Promise<void>;
  stop(): Promise<void>;
}

const DEFAULT_MAX_AC_CHARGERS = 16;
const DEVICE_POLL_SIM_MS = 30_000;
const MIN_POLL_MS = 50;
const DEFAULT_METER_INTERVAL_S = 60;
const OCPP_METER_INTERVAL_S = 60;
const VTN_CLIENT_ID = 'bitgrid-ven';
const VTN_PROGRAM = 'gwangju-dr';
/** How many cycles of the plan period the price event covers, hours. */
const PRICE_EVENT_HOURS = 48;

export async function startTwinDistrict(opts: TwinDistrictOptions): Promise<TwinDistrict> {
  const d = opts.district;
  const clock = new ScaledClock(d.grid.startMs + (opts.startOffsetMs ?? 0), opts.speed);
  // Device polling keeps pace with the clock: a poll every DEVICE_POLL_SIM_MS of simulated time.
  const pollMs = Math.max(MIN_POLL_MS, Math.round(DEVICE_POLL_SIM_MS / opts.speed));
  const now = () => clock.now();
  const idx = (t: number) =>
    Math.max(
      0,
      Math.min(d.grid.count - 1, Math.floor((t - d.grid.startMs) / (d.grid.intervalMinutes * 60_000))),
    );
  const devices: Record<string, unknown>[] = [];
  const stoppers: (() => Promise<void>)[] = [];
  const killers = new Map<string, { kill: () => Promise<void>; revive: () => Promise<void> }>();

  // PV inverters and the battery over Modbus/SunSpec.
  const pv = new Map<string, SunSpecPvInverterTwin>();
  for (const unit of d.pv) {
    const twin = new SunSpecPvInverterTwin({
      port: 0,
      now,
      ratedKw: unit.cfg.inverter_kw ?? unit.cfg.capacity_kwp,
      availableKw: (t) => unit.availableKw[idx(t)],
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
  for (const unit of d.batteries.slice(0, 1)) {
    battery = new SunSpecBatteryTwin({ port: 0, now, battery: unit.cfg, serialNumber: `BAT-${unit.id}` });
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

  // Chargers over OCPP: campus EVs (DC 2.0.1 and a share of the AC 1.6J) and the bus depot (2.0.1).
  const chargePoints: TwinChargePoint[] = [];
  const cpConfigs: Record<string, unknown>[] = [];
  const cpAssets: { asset: string; cp: TwinChargePoint }[] = [];
  const maxAc = opts.maxAcChargers ?? DEFAULT_MAX_AC_CHARGERS;
  const pendingCps: {
    id: string;
    asset: string;
    protocol: 'ocpp1.6' | 'ocpp2.0.1';
    maxKw: number;
    v2g: boolean;
    sessions: TwinEvSession[];
  }[] = [];
  for (const unit of d.ev) {
    const slots = chargerSlots(unit.cfg);
    let ac = 0;
    slots.forEach((slot, k) => {
      if (slot.kind === 'ac' && ac++ >= maxAc) return;
      const sessions = unit.sessions
        .filter((x) => x.chargerIndex === k)
        .map((x) => ({
          arrivalMs: x.arrivalMs,
          departureMs: x.departureMs,
          energyNeededKwh: x.energyKwh,
          maxPowerKw: x.maxPowerKw,
          v2g: x.maxDischargeKw > 0,
          idTag: 'TWIN',
        }));
      pendingCps.push({
        id: `${unit.id}-${slot.kind}-${String(k + 1).padStart(3, '0')}`,
        asset: unit.id,
        protocol: slot.protocol === 'ocpp16j' ? 'ocpp1.6' : 'ocpp2.0.1',
        maxKw: slot.maxPowerKw,
        v2g: slot.v2g,
        sessions,
      });
    });
  }
  for (const dep of d.depots) {
    // Each stay at the depot between blocks is a charging session on the first free charger.
    const freeAt = new Array<number>(dep.cfg.chargers).fill(-Infinity);
    const sessions: TwinEvSession[][] = Array.from({ length: dep.cfg.chargers }, () => []);
    const stays: { arrivalMs: number; departureMs: number; energyKwh: number }[] = [];
    dep.plan.blocksByBus.forEach((blocks) => {
      for (let b = 0; b + 1 < blocks.length; b++)
        stays.push({
          arrivalMs: blocks[b].endMs,
          departureMs: blocks[b + 1].startMs,
          energyKwh: blocks[b].energyKwh / dep.cfg.charging_efficiency,
        });
    });
    stays.sort((a, b) => a.arrivalMs - b.arrivalMs);
    for (const st of stays) {
      let best = 0;
      for (let c = 1; c < freeAt.length; c++) if (freeAt[c] < freeAt[best]) best = c;
      if (freeAt[best] > st.arrivalMs) continue;
      freeAt[best] = st.departureMs;
      sessions[best].push({
        arrivalMs: st.arrivalMs,
        departureMs: st.departureMs,
        energyNeededKwh: st.energyKwh,
        maxPowerKw: dep.cfg.charger_kw,
        v2g: best < dep.cfg.v2g_chargers,
        idTag: 'BUS',
      });
    }
    for (let c = 0; c < dep.cfg.chargers; c++)
      pendingCps.push({
        id: `${dep.id}-${String(c + 1).padStart(3, '0')}`,
        asset: dep.id,
        protocol: 'ocpp2.0.1',
        maxKw: dep.cfg.charger_kw,
        v2g: c < dep.cfg.v2g_chargers,
        sessions: sessions[c],
      });
  }
  // The CSMS is Bitgrid's side: it listens on a port picked now, and the charge points connect to it
  // once the driver has started (see connectChargePoints).
  const ocppPort = await freePort();
  devices.push({
    id: 'csms',
    type: 'ocpp',
    host: '127.0.0.1',
    port: ocppPort,
    charge_points: pendingCps.map((p) => ({
      id: p.id,
      asset: p.asset,
      protocol: p.protocol,
      max_power_kw: p.maxKw,
      v2g: p.v2g,
    })),
    accepted_id_tokens: ['TWIN', 'BUS'],
    heartbeat_interval_s: 300,
  });
  for (const p of pendingCps) {
    const cp = new TwinChargePoint({
      id: p.id,
      endpoint: `ws://127.0.0.1:${ocppPort}`,
      protocol: p.protocol,
      maxPowerKw: p.maxKw,
      v2g: p.v2g,
      sessions: p.sessions,
      meterIntervalS: OCPP_METER_INTERVAL_S,
      clock,
      reconnectDelayMs: 500,
    });
    chargePoints.push(cp);
    cpAssets.push({ asset: p.asset, cp });
  }
  cpConfigs.push(...pendingCps);

  // Meters over MQTT, on an embedded broker.
  const broker = await startEmbeddedBroker({ port: 0 });
  stoppers.push(() => broker.close());
  const meters = new Map<string, MqttMeterTwin>();
  const chargingKw = (asset: string) => {
    let kw = 0;
    for (const x of cpAssets) if (x.asset === asset) kw += x.cp.connector(1).powerKw;
    return kw;
  };
  const dcSeries = new Map(d.datacenters.map((u) => [u.id, opts.plan.series.byAsset.get(u.id)!]));
  const meterDefs: { site: string; asset: string; powerKw: (t: number) => number }[] = [
    ...d.loads.map((u) => ({ site: u.siteId, asset: u.id, powerKw: (t: number) => u.kw[idx(t)] })),
    ...d.datacenters.map((u) => ({
      site: u.siteId,
      asset: u.id,
      powerKw: (t: number) => dcSeries.get(u.id)![idx(t)],
    })),
  ];
  meterDefs.push({
    site: 'district',
    asset: GRID_ASSET_ID,
    // The connection point sees the balance of everything the other twins do right now.
    powerKw: (t: number) => {
      let kw = 0;
      for (const m of meterDefs) if (m.asset !== GRID_ASSET_ID) kw += m.powerKw(t);
      for (const u of d.ev) kw += chargingKw(u.id);
      for (const u of d.depots) kw += chargingKw(u.id);
      for (const twin of pv.values()) kw -= twin.outputKw(t);
      if (battery) kw -= battery.presentKw;
      return kw;
    },
  });
  const meterIntervalMs = ((opts.meterIntervalS ?? DEFAULT_METER_INTERVAL_S) * 1000) / opts.speed;
  const sites = new Set<string>();
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
    twin.start(Math.max(50, meterIntervalMs));
    meters.set(m.asset, twin);
    stoppers.push(() => twin.stop());
    killers.set(m.asset, {
      kill: () => twin.stop(),
      revive: async () => {
        await twin.connect();
        twin.start(Math.max(50, meterIntervalMs));
      },
    });
    sites.add(m.site);
  }
  for (const site of sites)
    devices.push({
      id: `mqtt-${site}`,
      type: 'mqtt',
      url: broker.url,
      site,
      subscribe: [{ asset: '+', measurement: '+' }],
    });

  // OpenADR: a VTN with the day-ahead import price as a PRICE event.
  const secret = 'twin-secret-' + Math.random().toString(36).slice(2);
  const vtn = new VtnTwin({ clients: { [VTN_CLIENT_ID]: secret }, now, discovery: true });
  await vtn.start(0);
  stoppers.push(() => vtn.stop());
  vtn.createProgram({ programName: VTN_PROGRAM, id: VTN_PROGRAM });
  const hours = Math.min(PRICE_EVENT_HOURS, Math.floor((d.grid.count * d.grid.intervalMinutes) / 60));
  const perHour = Math.round(60 / d.grid.intervalMinutes);
  await vtn.issuePriceEvent({
    programID: VTN_PROGRAM,
    startMs: d.grid.startMs,
    intervalMinutes: 60,
    pricesKrwPerKwh: Array.from({ length: hours }, (_, h) => d.prices.importPriceKrwPerKwh[h * perHour]),
  });
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

  for (const cp of chargePoints) stoppers.push(() => cp.stop());
  for (const x of cpAssets)
    if (!killers.has(x.asset))
      killers.set(x.asset, {
        kill: async () => {
          for (const y of cpAssets) if (y.asset === x.asset) y.cp.dropConnection();
        },
        revive: async () => {},
      });

  return {
    clock,
    devices,
    pv,
    battery,
    meters,
    chargePoints,
    vtn,
    broker,
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
