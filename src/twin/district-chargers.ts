import type { AssetOf } from '../model/schema.ts';
import { chargerSlots } from '../sim/assets/ev.ts';
import { TwinChargePoint } from './ocpp/index.ts';
import { assetsOf, type DistrictContext, type DistrictParts } from './district-parts.ts';

// The district's chargers as OCPP 1.6J / 2.0.1 charge points. Campus charger slots of the same kind
// pair up into two-connector chargers, and each slot maps to (charger, connector) so the world's
// sessions land where it put them; every depot charger is a 2.0.1 charger with one connector.

const OCPP_METER_INTERVAL_S = 60;
/** Chargers that can share a pedestal do: two connectors each (a common AC wallbox and DC dispenser layout). */
const CONNECTORS_PER_PAIRED_CHARGER = 2;
/** The id token the world's EVs present (the CSMS accepts it). */
export const EV_ID_TOKEN = 'TWIN';

/** The id token a depot's bus presents at a charger (the CSMS accepts the fleet's tokens). */
export function busIdToken(depotId: string, busIndex: number): string {
  return `BUS-${depotId}-${busIndex}`;
}

interface ChargerSpec {
  id: string;
  asset: string;
  protocol: 'ocpp1.6' | 'ocpp2.0.1';
  maxKw: number;
  v2g: boolean;
  connectors: number;
}

export interface DistrictCharger extends ChargerSpec {
  cp: TwinChargePoint;
}

/** Where a campus charger slot is: on connector `connectorId` of `charger`. */
export interface SlotTarget {
  charger: DistrictCharger;
  connectorId: number;
}

export interface DistrictChargers {
  /** Campus chargers first, then depot chargers, asset by asset. */
  all: DistrictCharger[];
  /** By EV asset, by the world's charger index; undefined for a slot without a charge point (maxAcChargers). */
  slotTargets: Map<string, (SlotTarget | undefined)[]>;
  /** By depot id. */
  depots: Map<string, { cfg: AssetOf<'bus_depot'>; chargers: DistrictCharger[] }>;
  /** The EV and depot assets, in the scenario's order. */
  assetIds: string[];
  /** What the chargers of one asset draw now, kW. */
  chargingKw(assetId: string): number;
}

type Place = (spec: ChargerSpec) => DistrictCharger;

/**
 * Lays the chargers out and makes their charge points; they connect once the CSMS driver listens
 * (connectChargePoints). The CSMS is Bitgrid's side, on a port picked here.
 */
export async function createChargePoints(
  ctx: DistrictContext,
  maxAcChargers: number,
): Promise<DistrictChargers> {
  const ocppPort = await freePort();
  const place: Place = (spec) => ({
    ...spec,
    cp: new TwinChargePoint({
      id: spec.id,
      endpoint: `ws://127.0.0.1:${ocppPort}`,
      protocol: spec.protocol,
      maxPowerKw: spec.maxKw,
      v2g: spec.v2g,
      connectors: spec.connectors,
      meterIntervalS: OCPP_METER_INTERVAL_S,
      clock: ctx.clock,
      reconnectDelayMs: 500,
      log: ctx.log,
    }),
  });
  const evAssets = assetsOf(ctx.scenario, 'ev_chargers');
  const depotAssets = assetsOf(ctx.scenario, 'bus_depot');
  const all: DistrictCharger[] = [];
  const slotTargets = new Map<string, (SlotTarget | undefined)[]>();
  for (const { a: unit } of evAssets) {
    const campus = campusChargers(unit, maxAcChargers, place);
    all.push(...campus.chargers);
    slotTargets.set(unit.id, campus.targets);
  }
  const depots = new Map<string, { cfg: AssetOf<'bus_depot'>; chargers: DistrictCharger[] }>();
  for (const { a: dep } of depotAssets) {
    const chargers = depotChargers(dep, place);
    all.push(...chargers);
    depots.set(dep.id, { cfg: dep, chargers });
  }
  ctx.parts.devices.push(
    csmsDevice(
      ocppPort,
      all,
      depotAssets.map((x) => x.a),
    ),
  );
  return {
    all,
    slotTargets,
    depots,
    assetIds: [...evAssets, ...depotAssets].map((x) => x.a.id),
    chargingKw: (assetId) => {
      let kw = 0;
      for (const p of all)
        if (p.asset === assetId) for (let c = 1; c <= p.connectors; c++) kw += p.cp.connector(c).powerKw;
      return kw;
    },
  };
}

/** Campus slots of one EV asset: neighbours of the same kind share a charger, up to maxAc AC chargers. */
function campusChargers(
  unit: AssetOf<'ev_chargers'>,
  maxAc: number,
  place: Place,
): { chargers: DistrictCharger[]; targets: (SlotTarget | undefined)[] } {
  const slots = chargerSlots(unit);
  const chargers: DistrictCharger[] = [];
  const targets: (SlotTarget | undefined)[] = new Array(slots.length);
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
      const charger = place({
        id: `${unit.id}-${slot.kind}-${String(n).padStart(3, '0')}`,
        asset: unit.id,
        protocol: slot.protocol === 'ocpp16j' ? 'ocpp1.6' : 'ocpp2.0.1',
        maxKw: slot.maxPowerKw,
        v2g: slot.v2g,
        connectors,
      });
      chargers.push(charger);
      for (let c = 0; c < connectors; c++) targets[k + c] = { charger, connectorId: c + 1 };
    }
    k += connectors;
  }
  return { chargers, targets };
}

function depotChargers(dep: AssetOf<'bus_depot'>, place: Place): DistrictCharger[] {
  return Array.from({ length: dep.chargers }, (_, c) =>
    place({
      id: `${dep.id}-${String(c + 1).padStart(3, '0')}`,
      asset: dep.id,
      protocol: 'ocpp2.0.1',
      maxKw: dep.charger_kw,
      v2g: c < dep.v2g_chargers,
      connectors: 1,
    }),
  );
}

function csmsDevice(
  port: number,
  chargers: DistrictCharger[],
  depots: AssetOf<'bus_depot'>[],
): Record<string, unknown> {
  return {
    id: 'csms',
    type: 'ocpp',
    host: '127.0.0.1',
    port,
    charge_points: chargers.map((p) => ({
      id: p.id,
      asset: p.asset,
      protocol: p.protocol,
      max_power_kw: p.maxKw,
      v2g: p.v2g,
      connectors: p.connectors,
    })),
    accepted_id_tokens: [
      EV_ID_TOKEN,
      ...depots.flatMap((dep) => Array.from({ length: dep.buses }, (_, b) => busIdToken(dep.id, b))),
    ],
    // Well inside the loop's default stale limit (300 s), so an idle charger still shows it is there.
    heartbeat_interval_s: 60,
  };
}

/**
 * The charge points stop first (they were registered last), and killing a charger asset drops
 * its chargers' connections, which they re-establish on their own.
 */
export function registerChargePoints(parts: DistrictParts, chargers: DistrictChargers): void {
  for (const p of chargers.all) parts.stoppers.push(() => p.cp.stop());
  for (const p of chargers.all)
    if (!parts.killers.has(p.asset))
      parts.killers.set(p.asset, {
        kill: async () => {
          for (const q of chargers.all) if (q.asset === p.asset) q.cp.dropConnection();
        },
        revive: async () => {},
      });
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
