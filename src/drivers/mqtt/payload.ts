// Bitgrid's MQTT telemetry format and the unit conversion at the edge.
//
//   topic    <prefix>/<site>/<asset>/<measurement>          e.g. bitgrid/campus/factory-meter/power
//   payload  { "value": 1234.5, "unit": "W", "ts": "2026-06-01T12:00:00+09:00" }
//
// <measurement> is a quantity (`power`) or its Bitgrid name (`power_kw`); the value is converted
// from the payload's unit to Bitgrid's (W → kW, Wh → kWh, % → fraction …). `ts` is optional
// (receive time is used then) but must carry a UTC offset when present.

import type { MeasurementName } from '../../model/measurements.ts';

export interface Quantity {
  /** Bitgrid measurement name, with its unit. */
  measurement: MeasurementName;
  /** Accepted payload units and the factor to Bitgrid's unit. */
  units: Readonly<Record<string, number>>;
}

export const QUANTITIES: Readonly<Record<string, Quantity>> = {
  power: { measurement: 'power_kw', units: { W: 1e-3, kW: 1, MW: 1e3 } },
  reactive_power: { measurement: 'reactive_power_kvar', units: { var: 1e-3, kvar: 1, Mvar: 1e3 } },
  energy: { measurement: 'energy_kwh', units: { Wh: 1e-3, kWh: 1, MWh: 1e3 } },
  soc: { measurement: 'soc_fraction', units: { '%': 0.01, fraction: 1 } },
  voltage: { measurement: 'voltage_v', units: { V: 1, kV: 1e3 } },
  current: { measurement: 'current_a', units: { A: 1, kA: 1e3 } },
  frequency: { measurement: 'frequency_hz', units: { Hz: 1 } },
  temperature: { measurement: 'temperature_c', units: { '°C': 1, C: 1 } },
  /** A data center's cumulative work on one training job (channel = job id), GPU-hours. */
  job_done_gpu_hours: { measurement: 'job_done_gpu_hours', units: { GPUh: 1 } },
};

const BY_SEGMENT = new Map<string, Quantity>();
for (const [name, q] of Object.entries(QUANTITIES)) {
  BY_SEGMENT.set(name, q);
  BY_SEGMENT.set(q.measurement, q);
}

export function quantityOf(segment: string): Quantity | undefined {
  return BY_SEGMENT.get(segment);
}

/** ISO 8601 date-time with an explicit offset (Z or ±hh:mm). */
const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

export function parseIsoWithOffset(ts: string): number | undefined {
  if (!ISO_WITH_OFFSET.test(ts)) return undefined;
  const ms = Date.parse(ts);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Formats epoch ms as ISO 8601 with an offset (UTC, `Z`). */
export function isoWithOffset(ms: number): string {
  return new Date(ms).toISOString();
}

export type ParseResult =
  | {
      ok: true;
      measurement: MeasurementName;
      value: number;
      /** The payload's `ts`, else the receive time. */
      timeMs: number;
      /** Whether `ts` was given (the device's clock) rather than taken from the receive time. */
      stamped: boolean;
      channel?: string;
    }
  | { ok: false; reason: string };

/** Validates and converts one telemetry payload for the topic's measurement segment. */
export function parseTelemetry(segment: string, payload: Buffer | string, receivedMs: number): ParseResult {
  const q = quantityOf(segment);
  if (!q) return { ok: false, reason: `unknown measurement "${segment}"` };
  let data: unknown;
  try {
    data = JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8'));
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    return { ok: false, reason: 'payload is not a JSON object' };
  const o = data as Record<string, unknown>;
  if (!('value' in o) || o.value === undefined) return { ok: false, reason: 'missing value' };
  if (typeof o.value !== 'number') return { ok: false, reason: 'value is not a number' };
  if (!Number.isFinite(o.value)) return { ok: false, reason: 'value is not finite' };
  if (typeof o.unit !== 'string') return { ok: false, reason: 'missing unit' };
  const factor = q.units[o.unit];
  if (factor === undefined)
    return {
      ok: false,
      reason: `wrong unit "${o.unit}" for ${segment} (expected ${Object.keys(q.units).join(', ')})`,
    };
  let timeMs = receivedMs;
  if (o.ts !== undefined) {
    const t = typeof o.ts === 'string' ? parseIsoWithOffset(o.ts) : undefined;
    if (t === undefined) return { ok: false, reason: 'ts is not ISO 8601 with an offset' };
    timeMs = t;
  }
  if (o.channel !== undefined && typeof o.channel !== 'string')
    return { ok: false, reason: 'channel is not a string' };
  const value = o.value * factor;
  return {
    ok: true,
    measurement: q.measurement,
    value: value === 0 ? 0 : value,
    timeMs,
    stamped: o.ts !== undefined,
    ...(typeof o.channel === 'string' ? { channel: o.channel } : {}),
  };
}

export interface TopicParts {
  site: string;
  asset: string;
  measurement: string;
}

/** Splits `<prefix>/<site>/<asset>/<measurement>`; undefined for anything else. */
export function parseTelemetryTopic(prefix: string, topic: string): TopicParts | undefined {
  const pre = prefix.split('/');
  const parts = topic.split('/');
  if (parts.length !== pre.length + 3) return undefined;
  for (let i = 0; i < pre.length; i++) if (parts[i] !== pre[i]) return undefined;
  const [site, asset, measurement] = parts.slice(pre.length);
  return { site, asset, measurement };
}

export function telemetryTopic(prefix: string, site: string, asset: string, measurement: string): string {
  return `${prefix}/${site}/${asset}/${measurement}`;
}

export function setpointTopic(prefix: string, site: string, asset: string, kind: string): string {
  return `${prefix}/${site}/${asset}/set/${kind}`;
}
