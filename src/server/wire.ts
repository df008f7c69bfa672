import { DateTime, Duration } from 'luxon';
import type { LiveSnapshot } from '../control/types.ts';
import { toIsoLocal } from '../model/time.ts';
import { isSessionStreamKey } from '../model/measurements.ts';

// How live data looks on the wire. Inside, times are UTC epoch ms in fields named `…Ms`; at the API
// every such field becomes an ISO 8601 string with the district's offset under the name without the
// suffix (`timeMs` → `time`, `expiresMs` → `expires`). Arrays of things with ids (sites, assets) are
// objects keyed by id, the same rule the control loop uses to name delta keys, so a delta key such as
// `assets.factory-pv.measurements.power_kw.value` addresses one value of the snapshot.

const MS_FIELD = /^(.*[a-z0-9])Ms$/;

/** A `…Ms` field name and its value as they appear at the API. */
export function wireField(key: string, value: unknown, zone: string): [string, unknown] {
  const m = MS_FIELD.exec(key);
  if (m && typeof value === 'number' && Number.isFinite(value)) return [m[1], toIsoLocal(value, zone)];
  if (m && value === null) return [m[1], null];
  return [key, value];
}

/** Converts a value for the wire: `…Ms` fields to ISO, arrays of id-bearing objects to id-keyed objects. */
export function toWire(value: unknown, zone: string): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const keyed = value.length > 0 && value.every((v) => v !== null && typeof v === 'object' && 'id' in v);
    if (!keyed) return value.map((v) => toWire(v, zone));
    const out: Record<string, unknown> = {};
    for (const v of value) out[String((v as { id: unknown }).id)] = toWire(v, zone);
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    const [wk, wv] = wireField(k, v, zone);
    out[wk] = wk === k ? toWire(wv, zone) : wv;
  }
  return out;
}

export function snapshotToWire(s: LiveSnapshot, zone: string): Record<string, unknown> {
  const out = toWire(s, zone) as Record<string, unknown>;
  // An empty list is still a keyed collection: deltas may add keys to it.
  for (const k of ['sites', 'assets']) if (Array.isArray(out[k])) out[k] = {};
  return out;
}

/** Renames the last segment of each delta key by the `…Ms` rule; removed values arrive as null. */
export function deltaToWire(delta: Record<string, unknown>, zone: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(delta)) {
    const dot = key.lastIndexOf('.');
    const [last, value] = wireField(key.slice(dot + 1), v === undefined ? null : v, zone);
    out[key.slice(0, dot + 1) + last] = value;
  }
  return out;
}

/** An ISO 8601 instant with an offset (or Z) → UTC ms; undefined when it is not one. */
export function parseInstant(text: string): number | undefined {
  // An offset is required: a local time without one is ambiguous at the boundary.
  if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(text)) return undefined;
  const d = DateTime.fromISO(text, { setZone: true });
  return d.isValid ? d.toMillis() : undefined;
}

/** An ISO 8601 duration (`PT15M`, `PT1H`, `P1D`) → ms; undefined when it is not one or not positive. */
export function parseDurationMs(text: string): number | undefined {
  const d = Duration.fromISO(text);
  if (!d.isValid) return undefined;
  // Months and years have no fixed length; a bucket must.
  if (d.years || d.quarters || d.months) return undefined;
  const ms = d.as('milliseconds');
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

/**
 * Drops measurements on a per-transaction channel (`session_energy_kwh@<charger>/tx:<id>`, or
 * `@tx:<id>` on a single-charger asset, isSessionStreamKey): one key per charging session, kept in
 * the live state for an hour after its last reading. The stream leaves them out so what a client
 * holds stays bounded by the district's assets and connectors; sessions are read from
 * /api/charging-sessions.
 */
export function withoutSessionMeasurements(state: Record<string, unknown>): Record<string, unknown> {
  const assets = state.assets as Record<string, { measurements?: Record<string, unknown> }> | undefined;
  for (const a of Object.values(assets ?? {}))
    if (a?.measurements)
      for (const k of Object.keys(a.measurements)) if (isSessionStreamKey(k)) delete a.measurements[k];
  return state;
}
