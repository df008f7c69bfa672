import { GRID_ASSET_ID } from '../model/schema.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../drivers/mqtt/index.ts';
import { MqttMeterTwin } from './mqtt/index.ts';
import { DatacenterTwin } from './datacenter/index.ts';
import type { DistrictChargers } from './district-chargers.ts';
import { assetsOf, MIN_TIMER_MS, type DistrictContext } from './district-parts.ts';
import type { SunSpecTwins } from './district-sunspec.ts';

// The district's meters and data centers as MQTT devices on an embedded broker: a meter per load,
// the grid connection point's meter, and each data center running the training jobs it is given.

const DEFAULT_METER_INTERVAL_S = 60;

export interface MqttTwins {
  broker: EmbeddedBroker;
  meters: Map<string, MqttMeterTwin>;
  datacenters: Map<string, DatacenterTwin>;
}

/** Setpoints Bitgrid may publish, by site. */
type SiteSetpoints = Map<string, { asset: string; kinds: string[] }[]>;

interface MeterDef {
  site: string;
  asset: string;
  powerKw: (t: number) => number;
}

/** What the grid meter balances besides the loads and data centers. */
export interface GridNeighbours extends SunSpecTwins {
  chargers: DistrictChargers;
}

export async function startMqttTwins(
  ctx: DistrictContext,
  neighbours: GridNeighbours,
  meterIntervalS = DEFAULT_METER_INTERVAL_S,
): Promise<MqttTwins> {
  const broker = await startEmbeddedBroker({ port: 0 });
  ctx.parts.stoppers.push(() => broker.close());
  const intervalMs = Math.max(MIN_TIMER_MS, (meterIntervalS * 1000) / ctx.speed);
  const sites: SiteSetpoints = new Map();
  const datacenters = await startDatacenters(ctx, broker.url, intervalMs, sites);
  const meters = new Map<string, MqttMeterTwin>();
  for (const m of meterDefs(ctx, datacenters, neighbours)) {
    const twin = new MqttMeterTwin({
      url: broker.url,
      site: m.site,
      asset: m.asset,
      powerKw: m.powerKw,
      now: ctx.now,
      unit: 'kW',
    });
    await runPublisher(ctx, m.asset, twin, intervalMs);
    meters.set(m.asset, twin);
    if (!sites.has(m.site)) sites.set(m.site, []);
  }
  for (const [site, setpoints] of sites) ctx.parts.devices.push(mqttDevice(ctx, broker.url, site, setpoints));
  return { broker, meters, datacenters };
}

async function startDatacenters(
  ctx: DistrictContext,
  url: string,
  intervalMs: number,
  sites: SiteSetpoints,
): Promise<Map<string, DatacenterTwin>> {
  const { world } = ctx;
  const datacenters = new Map<string, DatacenterTwin>();
  for (const { siteId, a: cfg } of assetsOf(ctx.scenario, 'datacenter')) {
    const twin = new DatacenterTwin({
      url,
      site: siteId,
      asset: cfg.id,
      cfg,
      now: ctx.now,
      inferenceItKw: (t) => world.datacenterInferenceItKw(cfg.id, t),
      pue: (t) => world.datacenterPue(cfg.id, t),
      log: ctx.log,
    });
    await runPublisher(ctx, cfg.id, twin, intervalMs);
    datacenters.set(cfg.id, twin);
    sites.set(siteId, [
      ...(sites.get(siteId) ?? []),
      { asset: cfg.id, kinds: ['job_gpus', 'gpu_power_cap_fraction'] },
    ]);
  }
  return datacenters;
}

/** A meter per load, and the grid meter: the balance of everything the other twins do right now. */
function meterDefs(
  ctx: DistrictContext,
  datacenters: Map<string, DatacenterTwin>,
  { chargers, pv, battery }: GridNeighbours,
): MeterDef[] {
  const loads: MeterDef[] = assetsOf(ctx.scenario, 'load').map(({ siteId, a }) => ({
    site: siteId,
    asset: a.id,
    powerKw: (t: number) => ctx.world.loadKw(a.id, t),
  }));
  const gridKw = (t: number) => {
    let kw = 0;
    for (const m of loads) kw += m.powerKw(t);
    for (const dc of datacenters.values()) kw += dc.powerKw(t);
    for (const id of chargers.assetIds) kw += chargers.chargingKw(id);
    for (const twin of pv.values()) kw -= twin.outputKw(t);
    if (battery) kw -= battery.presentKw;
    return kw;
  };
  return [...loads, { site: 'district', asset: GRID_ASSET_ID, powerKw: gridKw }];
}

/** Connects, publishes once and then every intervalMs; killing it disconnects it. */
async function runPublisher(
  ctx: DistrictContext,
  assetId: string,
  twin: {
    connect(): Promise<void>;
    publish(): Promise<unknown>;
    start(intervalMs: number): void;
    stop(): Promise<void>;
  },
  intervalMs: number,
): Promise<void> {
  await twin.connect();
  await twin.publish();
  twin.start(intervalMs);
  ctx.parts.stoppers.push(() => twin.stop());
  ctx.parts.killers.set(assetId, {
    kill: () => twin.stop(),
    revive: async () => {
      await twin.connect();
      twin.start(intervalMs);
    },
  });
}

function mqttDevice(
  ctx: DistrictContext,
  url: string,
  site: string,
  setpoints: { asset: string; kinds: string[] }[],
): Record<string, unknown> {
  return {
    id: `mqtt-${site}`,
    type: 'mqtt',
    url,
    site,
    subscribe: [{ asset: '+', measurement: '+' }],
    // Only the district's own assets: a stray publisher cannot create series.
    assets: [GRID_ASSET_ID, ...ctx.scenario.sites.flatMap((x) => x.assets.map((a) => a.id))],
    ...(setpoints.length ? { setpoints } : {}),
  };
}
