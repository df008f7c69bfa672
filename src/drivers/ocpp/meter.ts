// MeterValues from OCPP 1.6 (string values, `unit`) and 2.0.1 (numbers, `unitOfMeasure` with a
// power-of-ten multiplier) normalized to Bitgrid units: kW, kWh, fraction. Chargers report
// consumption positive, so a V2G charger exporting gives a negative power_kw.

import type { MeasurementName } from '../../model/measurements.ts';

export interface SampledValue16 {
  value: string;
  context?: string;
  format?: string;
  measurand?: string;
  phase?: string;
  location?: string;
  unit?: string;
}
export interface SampledValue201 {
  value: number;
  context?: string;
  measurand?: string;
  phase?: string;
  location?: string;
  unitOfMeasure?: { unit?: string; multiplier?: number };
}
export interface MeterValue {
  timestamp: string;
  sampledValue: Array<SampledValue16 | SampledValue201>;
}

export type MeterMeasurement = Extract<
  MeasurementName,
  'power_kw' | 'energy_kwh' | 'energy_export_kwh' | 'soc_fraction' | 'power_offered_kw'
>;

export interface MeterSample {
  measurement: MeterMeasurement;
  value: number;
  timeMs: number;
}

type Kind = 'power' | 'energy' | 'percent';

const MEASURANDS: Record<string, { kind: Kind; key: string }> = {
  'Energy.Active.Import.Register': { kind: 'energy', key: 'energy_import' },
  'Energy.Active.Export.Register': { kind: 'energy', key: 'energy_export' },
  'Power.Active.Import': { kind: 'power', key: 'power_import' },
  'Power.Active.Export': { kind: 'power', key: 'power_export' },
  'Power.Offered': { kind: 'power', key: 'power_offered' },
  SoC: { kind: 'percent', key: 'soc' },
};

const DEFAULT_UNIT: Record<Kind, string> = { power: 'W', energy: 'Wh', percent: 'Percent' };

/** Factor from the given unit to kW / kWh / fraction; undefined for a unit that does not fit the measurand. */
function unitFactor(kind: Kind, unit: string): number | undefined {
  const u = unit.trim();
  if (kind === 'power') return u === 'W' ? 1e-3 : u === 'kW' ? 1 : undefined;
  if (kind === 'energy') return u === 'Wh' ? 1e-3 : u === 'kWh' ? 1 : undefined;
  return u === 'Percent' ? 0.01 : undefined;
}

const PHASES_SUMMED = new Set(['L1', 'L2', 'L3', 'L1-N', 'L2-N', 'L3-N']);

/**
 * A 1.6 sampled value is a decimal string. `Number()` would read "" and " " as 0 and "0x10" as 16,
 * so only plain decimals (optionally with an exponent) are numbers here.
 */
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

export interface MeterHooks {
  /** The time a reading is stamped with, from the charger's timestamp (e.g. bounded by the CSMS clock). */
  timeOf?(timestamp: string): number;
  /** Told of each sampled value dropped because its number or unit is unusable. */
  refused?(
    reason: 'not_finite' | 'wrong_unit',
    detail: { measurand: string; value: unknown; unit: string },
  ): void;
}

export function normalizeMeterValues(
  meterValues: readonly MeterValue[],
  fallbackTimeMs: number,
  hooks: MeterHooks = {},
): MeterSample[] {
  const out: MeterSample[] = [];
  for (const mv of meterValues) {
    const parsed = Date.parse(mv.timestamp);
    const timeMs = hooks.timeOf
      ? hooks.timeOf(mv.timestamp)
      : Number.isFinite(parsed)
        ? parsed
        : fallbackTimeMs;
    const total = new Map<string, number>();
    const perPhase = new Map<string, number>();
    for (const sv of mv.sampledValue) {
      if ('format' in sv && sv.format === 'SignedData') continue;
      const measurand = sv.measurand ?? 'Energy.Active.Import.Register';
      const m = MEASURANDS[measurand];
      if (!m) continue;
      let raw: number;
      let unit: string;
      if (typeof sv.value === 'number') {
        const uom = (sv as SampledValue201).unitOfMeasure;
        raw = sv.value * 10 ** (uom?.multiplier ?? 0);
        unit = uom?.unit ?? DEFAULT_UNIT[m.kind];
      } else {
        raw = DECIMAL.test(sv.value.trim()) ? Number(sv.value) : NaN;
        unit = (sv as SampledValue16).unit ?? DEFAULT_UNIT[m.kind];
      }
      const factor = unitFactor(m.kind, unit);
      if (factor === undefined) {
        hooks.refused?.('wrong_unit', { measurand, value: sv.value, unit });
        continue;
      }
      const v = raw * factor;
      if (!Number.isFinite(v)) {
        hooks.refused?.('not_finite', { measurand, value: sv.value, unit });
        continue;
      }
      if (sv.phase === undefined) total.set(m.key, v);
      else if (PHASES_SUMMED.has(sv.phase) && m.kind !== 'percent')
        perPhase.set(m.key, (perPhase.get(m.key) ?? 0) + v);
    }
    const get = (key: string) => total.get(key) ?? perPhase.get(key);
    const imp = get('power_import');
    const exp = get('power_export');
    if (imp !== undefined || exp !== undefined)
      out.push({ measurement: 'power_kw', value: (imp ?? 0) - (exp ?? 0), timeMs });
    const e = get('energy_import');
    if (e !== undefined) out.push({ measurement: 'energy_kwh', value: e, timeMs });
    const ex = get('energy_export');
    if (ex !== undefined) out.push({ measurement: 'energy_export_kwh', value: ex, timeMs });
    const offered = get('power_offered');
    if (offered !== undefined) out.push({ measurement: 'power_offered_kw', value: offered, timeMs });
    const soc = total.get('soc');
    if (soc !== undefined) out.push({ measurement: 'soc_fraction', value: soc, timeMs });
  }
  return out;
}
