import type { Scenario } from '../model/schema.ts';

// Whether an operator's override names something that can carry it, before it is stored. The guards
// check the value against the asset's limits; this checks the target: a channel that names no
// charger or connector of the asset, a channel on an asset that has none, or a discharge (negative
// charging limit) on chargers that cannot discharge. Each of those would be accepted, stored, and
// then refused by the driver every cycle until it expired.

/** A charger as the OCPP drivers' configuration declares it (`charge_points[]`). */
export interface OverrideCharger {
  assetId: string;
  chargerId: string;
  /** Connectors (1.6J) or EVSEs (2.0.1), numbered from 1. */
  connectors: number;
  v2g: boolean;
}

export interface OverrideTarget {
  assetId: string;
  kind: string;
  value: number;
  channel?: string;
}

export interface OverrideCheckContext {
  scenario: Scenario;
  chargers: OverrideCharger[];
}

export type OverrideCheckResult = { ok: true } | { ok: false; field: string; message: string };

type AssetType = Scenario['sites'][number]['assets'][number]['type'];

/**
 * Setpoint kinds that address a part of an asset through their channel, by asset type. Chargers:
 * `<charger id>` or `<charger id>/<connector>`; the data center: a training job's id (the job book
 * knows those, not this check).
 */
const CHANNEL_KINDS: Partial<Record<AssetType, readonly string[]>> = {
  ev_chargers: ['charging_limit_kw'],
  bus_depot: ['charging_limit_kw'],
  datacenter: ['job_gpus'],
};

const CHARGER_ASSET_TYPES: readonly AssetType[] = ['ev_chargers', 'bus_depot'];

/** Charger ids listed in a message before it is cut short (a depot has dozens). */
const MAX_LISTED_CHARGERS = 5;

/** A connector number as OCPP writes it: a whole number from 1, no sign or leading zero. */
const CONNECTOR_NUMBER = /^[1-9][0-9]*$/;

export function checkOverrideTarget(o: OverrideTarget, ctx: OverrideCheckContext): OverrideCheckResult {
  const asset = ctx.scenario.sites.flatMap((s) => s.assets).find((a) => a.id === o.assetId);
  if (!asset) return refuse('assetId', `unknown asset "${o.assetId}"`);
  if (!Number.isFinite(o.value)) return refuse('value', `value must be a finite number (got ${o.value})`);

  const channelKinds = CHANNEL_KINDS[asset.type] ?? [];
  if (o.channel !== undefined && !channelKinds.includes(o.kind)) {
    return refuse(
      'channel',
      channelKinds.length === 0
        ? `asset "${asset.id}" (${asset.type}) has no channels; omit channel to hold the whole asset`
        : `${o.kind} on asset "${asset.id}" (${asset.type}) takes no channel (only ${channelKinds.join(', ')} does)`,
    );
  }
  if (!CHARGER_ASSET_TYPES.includes(asset.type) || o.kind !== 'charging_limit_kw') return { ok: true };

  const chargers = ctx.chargers.filter((c) => c.assetId === asset.id);
  let target: OverrideCharger | undefined;
  if (o.channel !== undefined) {
    const named = resolveChargerChannel(o.channel, asset.id, chargers, ctx.chargers);
    if (!named.ok) return named;
    target = named.charger;
  }

  if (o.value < 0) {
    if (target && !target.v2g)
      return refuse(
        'value',
        `negative charging limit ${o.value} kW (discharge) on charger "${target.chargerId}", which is not V2G-capable`,
      );
    if (!target && !assetCanDischarge(asset, chargers))
      return refuse(
        'value',
        `negative charging limit ${o.value} kW (discharge) on asset "${asset.id}", none of whose chargers is V2G-capable`,
      );
  }
  return { ok: true };
}

function resolveChargerChannel(
  channel: string,
  assetId: string,
  chargers: OverrideCharger[],
  all: OverrideCharger[],
): { ok: true; charger: OverrideCharger } | { ok: false; field: string; message: string } {
  const slash = channel.indexOf('/');
  const chargerId = slash < 0 ? channel : channel.slice(0, slash);
  const connector = slash < 0 ? undefined : channel.slice(slash + 1);
  const charger = chargers.find((c) => c.chargerId === chargerId);
  if (!charger) {
    const elsewhere = all.find((c) => c.chargerId === chargerId);
    const known =
      chargers.length === 0
        ? `asset "${assetId}" has no chargers configured`
        : `chargers of "${assetId}": ${listIds(chargers)}`;
    return refuse(
      'channel',
      `channel "${channel}" names no charger of asset "${assetId}"` +
        (elsewhere ? ` ("${chargerId}" belongs to "${elsewhere.assetId}")` : '') +
        ` (${known}; channel is "<charger id>" or "<charger id>/<connector>")`,
    );
  }
  if (connector !== undefined) {
    const n = CONNECTOR_NUMBER.test(connector) ? Number(connector) : NaN;
    if (!(n >= 1 && n <= charger.connectors))
      return refuse(
        'channel',
        `channel "${channel}": charger "${chargerId}" has connector${charger.connectors === 1 ? '' : 's'} ` +
          `1${charger.connectors > 1 ? `…${charger.connectors}` : ''}, not "${connector}" ` +
          `(use "${chargerId}" for the whole charger)`,
      );
  }
  return { ok: true, charger };
}

/**
 * Whether some charger of the asset can discharge: the configured chargers when the OCPP drivers
 * list any for it, else what the district file declares (the same source as the guards).
 */
function assetCanDischarge(
  asset: Scenario['sites'][number]['assets'][number],
  chargers: OverrideCharger[],
): boolean {
  if (chargers.length > 0) return chargers.some((c) => c.v2g);
  if (asset.type === 'ev_chargers') return asset.chargers.some((c) => c.v2g);
  if (asset.type === 'bus_depot') return asset.v2g_chargers > 0;
  return false;
}

function listIds(chargers: OverrideCharger[]): string {
  const ids = chargers.slice(0, MAX_LISTED_CHARGERS).map((c) => c.chargerId);
  const more = chargers.length - ids.length;
  return ids.join(', ') + (more > 0 ? ` and ${more} more` : '');
}

function refuse(field: string, message: string): { ok: false; field: string; message: string } {
  return { ok: false, field, message };
}
