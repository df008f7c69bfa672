import type { GridSignal } from '../types.ts';

// OpenADR 3 event intervals → GridSignal values in Bitgrid units.
//
// Unit assumptions (OpenADR 3 leaves units to the payloadDescriptor):
// - PRICE / EXPORT_PRICE: currency must be KRW (absent: KRW assumed); units KWH (default), MWH or WH.
// - GHG: the definition's g/kWh unless the descriptor says KG_PER_KWH, KG_PER_MWH or G_PER_MWH.
// - IMPORT_CAPACITY_LIMIT / EXPORT_CAPACITY_LIMIT: KW (default), W or MW → import_limit_kw /
//   export_limit_kw (both magnitudes, as the OpenADR definitions give them).
// - DISPATCH_SETPOINT (KW, W, MW): the requested import at the connection → import_target_kw, in
//   Bitgrid's sign (import positive, so a negative setpoint asks for export).
// - DISPATCH_SETPOINT_RELATIVE (KW, W, MW): a negative value is a load shed → shed_kw = -value; a
//   positive one (take more) has no GridSignal kind and is skipped with a warning.
// - SIMPLE (levels 0–3): a load shed only when the config maps levels to kW.
// Anything else is skipped with a warning, never guessed.

/** End time used for an open-ended interval (duration PT0S with no later interval). */
export const OPEN_END_MS = Number.MAX_SAFE_INTEGER;

const DURATION_RE =
  /^(-?)P(?=\d|T\d)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)([DW]))?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** ISO 8601 duration in ms; years are 365 days and months 30 days (nominal, UTC). */
export function parseDurationMs(iso: string): number {
  const m = DURATION_RE.exec(iso);
  if (!m) throw new Error(`bad ISO 8601 duration ${iso}`);
  const n = (s: string | undefined) => (s ? Number(s) : 0);
  const days = n(m[2]) * 365 + n(m[3]) * 30 + (m[5] === 'W' ? n(m[4]) * 7 : n(m[4]));
  const ms = ((days * 24 + n(m[6])) * 60 + n(m[7])) * 60_000 + n(m[8]) * 1000;
  return m[1] === '-' ? -ms : ms;
}

export interface IntervalPeriod {
  start: string;
  duration?: string;
  randomizeStart?: string;
}
export interface ValuesMap {
  type: string;
  values: unknown[];
}
export interface EventPayloadDescriptor {
  objectType?: string;
  payloadType: string;
  units?: string | null;
  currency?: string | null;
}
export interface OadrEvent {
  id?: string;
  programID: string;
  eventName?: string | null;
  modificationDateTime?: string;
  intervalPeriod?: IntervalPeriod;
  payloadDescriptors?: EventPayloadDescriptor[] | null;
  reportDescriptors?: Array<Record<string, unknown>> | null;
  targets?: ValuesMap[] | null;
  intervals: Array<{ id: number; intervalPeriod?: IntervalPeriod; payloads: ValuesMap[] }>;
}
export interface OadrProgram {
  id?: string;
  programName: string;
  payloadDescriptors?: Array<EventPayloadDescriptor | Record<string, unknown>> | null;
}

export interface TimedInterval {
  id: number;
  startMs: number;
  endMs: number;
  payloads: ValuesMap[];
}

/** Absolute start and end of each interval: own intervalPeriod, else consecutive from the event's. */
export function intervalTimes(event: OadrEvent): TimedInterval[] {
  const defaultDurationMs = event.intervalPeriod?.duration
    ? parseDurationMs(event.intervalPeriod.duration)
    : 0;
  let cursor = event.intervalPeriod ? Date.parse(event.intervalPeriod.start) : NaN;
  const timed: Array<{ id: number; startMs: number; durationMs: number; payloads: ValuesMap[] }> = [];
  for (const iv of event.intervals) {
    const startMs = iv.intervalPeriod ? Date.parse(iv.intervalPeriod.start) : cursor;
    const durationMs = iv.intervalPeriod?.duration
      ? parseDurationMs(iv.intervalPeriod.duration)
      : defaultDurationMs;
    if (!Number.isFinite(startMs)) continue;
    timed.push({ id: iv.id, startMs, durationMs, payloads: iv.payloads });
    cursor = startMs + durationMs;
  }
  return timed.map((t, i) => ({
    id: t.id,
    startMs: t.startMs,
    endMs: t.durationMs > 0 ? t.startMs + t.durationMs : (timed[i + 1]?.startMs ?? OPEN_END_MS),
    payloads: t.payloads,
  }));
}

const norm = (u: string | null | undefined) => (u ? u.toUpperCase().replace(/[^A-Z0-9]/g, '') : undefined);

/** Factor from `1/<unit of energy>` to 1/kWh. */
function perEnergyFactor(units: string | undefined): number | undefined {
  switch (units ?? 'KWH') {
    case 'KWH':
      return 1;
    case 'MWH':
      return 1e-3;
    case 'WH':
      return 1e3;
    default:
      return undefined;
  }
}

function powerFactor(units: string | undefined): number | undefined {
  switch (units ?? 'KW') {
    case 'KW':
      return 1;
    case 'W':
      return 1e-3;
    case 'MW':
      return 1e3;
    default:
      return undefined;
  }
}

function ghgFactor(units: string | undefined): number | undefined {
  switch (units) {
    case undefined:
    case 'GKWH':
    case 'GPERKWH':
    case 'GCO2KWH':
    case 'GCO2PERKWH':
      return 1e-3;
    case 'KGKWH':
    case 'KGPERKWH':
    case 'KGCO2PERKWH':
      return 1;
    case 'KGMWH':
    case 'KGPERMWH':
      return 1e-3;
    case 'GMWH':
    case 'GPERMWH':
      return 1e-6;
    default:
      return undefined;
  }
}

export interface SignalOptions {
  source: string;
  /** kW shed for SIMPLE levels 0..3. */
  simpleLevelShedKw?: readonly number[];
  warn?: (msg: string, detail: object) => void;
}

/**
 * Payload descriptors by payload type: the program's, with the event's fields laid over them, so an
 * event that only restates `units` keeps the program's `currency` (and the other way round).
 */
function descriptorsOf(
  event: OadrEvent,
  program: OadrProgram | undefined,
): Map<string, EventPayloadDescriptor> {
  const descriptors = new Map<string, EventPayloadDescriptor>();
  for (const d of [...(program?.payloadDescriptors ?? []), ...(event.payloadDescriptors ?? [])]) {
    const desc = d as EventPayloadDescriptor;
    if (typeof desc.payloadType !== 'string') continue;
    if (desc.objectType !== undefined && desc.objectType !== 'EVENT_PAYLOAD_DESCRIPTOR') continue;
    const prev = descriptors.get(desc.payloadType);
    const merged: EventPayloadDescriptor = { ...prev, payloadType: desc.payloadType };
    if (desc.units != null) merged.units = desc.units;
    if (desc.currency != null) merged.currency = desc.currency;
    descriptors.set(desc.payloadType, merged);
  }
  return descriptors;
}

export function eventToSignals(
  event: OadrEvent,
  program: OadrProgram | undefined,
  opts: SignalOptions,
): GridSignal[] {
  const descriptors = descriptorsOf(event, program);
  const source = `${opts.source}:${event.id ?? event.eventName ?? event.programID}`;
  const warned = new Set<string>();
  const warn = (msg: string, detail: object) => {
    if (warned.has(msg)) return;
    warned.add(msg);
    opts.warn?.(msg, { eventId: event.id, ...detail });
  };
  const out: GridSignal[] = [];
  for (const iv of intervalTimes(event)) {
    for (const p of iv.payloads) {
      const raw = p.values[0];
      if (typeof raw !== 'number' || !Number.isFinite(raw)) continue;
      const d = descriptors.get(p.type);
      const units = norm(d?.units);
      const push = (kind: GridSignal['kind'], value: number) =>
        out.push({
          kind,
          startMs: iv.startMs,
          endMs: iv.endMs,
          value,
          source,
          ...(event.id !== undefined ? { eventId: event.id } : {}),
        });
      const power = (kind: GridSignal['kind'], sign: 1 | -1, what: string) => {
        const f = powerFactor(units);
        if (f === undefined) warn(`openadr: ${what} skipped, unknown units`, { units: d?.units });
        else push(kind, sign * raw * f);
      };
      switch (p.type) {
        case 'PRICE':
        case 'EXPORT_PRICE': {
          const currency = norm(d?.currency) ?? 'KRW';
          const f = perEnergyFactor(units);
          if (currency !== 'KRW' || f === undefined) {
            warn('openadr: price skipped, only KRW per KWH/MWH/WH is understood', {
              currency,
              units: d?.units,
            });
            break;
          }
          push(p.type === 'PRICE' ? 'price_krw_per_kwh' : 'export_price_krw_per_kwh', raw * f);
          break;
        }
        case 'GHG': {
          const f = ghgFactor(units);
          if (f === undefined) warn('openadr: GHG skipped, unknown units', { units: d?.units });
          else push('ghg_kg_per_kwh', raw * f);
          break;
        }
        case 'IMPORT_CAPACITY_LIMIT':
          power('import_limit_kw', 1, 'import limit');
          break;
        case 'EXPORT_CAPACITY_LIMIT':
          power('export_limit_kw', 1, 'export limit');
          break;
        case 'DISPATCH_SETPOINT':
          power('import_target_kw', 1, 'dispatch setpoint');
          break;
        case 'DISPATCH_SETPOINT_RELATIVE':
          if (raw < 0) power('shed_kw', -1, 'relative dispatch');
          else if (raw > 0)
            warn('openadr: positive relative dispatch (take more) has no grid signal, skipped', {
              value: raw,
            });
          break;
        case 'SIMPLE': {
          const kw = opts.simpleLevelShedKw?.[raw];
          if (kw === undefined)
            warn('openadr: SIMPLE level ignored, no simple_level_shed_kw configured', { level: raw });
          else if (kw > 0) push('shed_kw', kw);
          break;
        }
        default:
          warn('openadr: payload type not mapped to a grid signal', { type: p.type });
      }
    }
  }
  return out;
}
