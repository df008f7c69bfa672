import type { OadrEvent, TimedInterval } from './signals.ts';

// Reports a VEN owes an event (its reportDescriptors), built from measured power samples of one
// asset (the grid connection meter by default, import positive).
//
// What is produced: one report per event, after its last interval has ended (startInterval -1,
// the spec's default), with one value per event interval:
// - DEMAND: time-weighted mean power over the interval, each sample held until the next one (the
//   first also back to the interval start); KW (default), W or MW as the descriptor asks.
// - USAGE: that mean power times the interval length, i.e. energy; KWH (default), WH or MWH.
// An interval without samples is left out. Other payload types are not produced.

export interface PowerSample {
  timeMs: number;
  powerKw: number;
}

export interface ReportDescriptor {
  payloadType: string;
  readingType?: string | null;
  units?: string | null;
  startInterval?: number;
  numIntervals?: number;
  historical?: boolean;
  frequency?: number;
  repeat?: number;
}

/** Report payload types this VEN can answer from measured power. */
export const REPORTABLE_TYPES = ['DEMAND', 'USAGE'] as const;
type Reportable = (typeof REPORTABLE_TYPES)[number];

const MS_PER_HOUR = 3_600_000;

/** Factor from kW to the requested power unit (reportDescriptor `units`). */
const POWER_UNITS: Record<string, number> = { KW: 1, W: 1e3, MW: 1e-3 };
/** Factor from kWh to the requested energy unit. */
const ENERGY_UNITS: Record<string, number> = { KWH: 1, WH: 1e3, MWH: 1e-3 };
const DEFAULT_UNITS: Record<Reportable, string> = { DEMAND: 'KW', USAGE: 'KWH' };
/**
 * readingType says how a value was obtained (OpenADR 3 definitions): DEMAND is a MEAN over the
 * interval; USAGE is integrated from power samples, not read from an energy register, so ESTIMATED.
 */
const READING_TYPES: Record<Reportable, string> = { DEMAND: 'MEAN', USAGE: 'ESTIMATED' };

const normUnits = (u: string | null | undefined) =>
  u ? u.toUpperCase().replace(/[^A-Z0-9]/g, '') : undefined;

/** Time-weighted mean of the samples in [startMs, endMs), each held until the next. */
export function meanPowerKw(
  samples: readonly PowerSample[],
  startMs: number,
  endMs: number,
): number | undefined {
  if (!(endMs > startMs)) return undefined;
  const inside = samples.filter((s) => s.timeMs >= startMs && s.timeMs < endMs);
  if (inside.length === 0) return undefined;
  let weighted = 0;
  for (let i = 0; i < inside.length; i++) {
    const fromMs = i === 0 ? startMs : inside[i].timeMs;
    const toMs = inside[i + 1]?.timeMs ?? endMs;
    weighted += inside[i].powerKw * (toMs - fromMs);
  }
  return weighted / (endMs - startMs);
}

export type ReportBuild =
  | { report: object; warnings: string[] }
  | { report: undefined; reason: 'nothing-reportable' | 'no-samples'; warnings: string[] };

/** The report body (schema `report`) for an ended event, or why there is none. */
export function buildReport(
  event: OadrEvent & { id: string },
  intervals: readonly TimedInterval[],
  samples: readonly PowerSample[],
  opts: { clientName: string },
): ReportBuild {
  const warnings: string[] = [];
  const wanted = new Map<Reportable, { factor: number; units: string }>();
  for (const raw of (event.reportDescriptors ?? []) as unknown as ReportDescriptor[]) {
    const type = raw.payloadType as Reportable;
    if (!REPORTABLE_TYPES.includes(type)) {
      warnings.push(`openadr: report type ${String(raw.payloadType)} not produced (only DEMAND, USAGE)`);
      continue;
    }
    if (
      (raw.startInterval ?? -1) !== -1 ||
      (raw.frequency ?? -1) !== -1 ||
      (raw.repeat ?? 1) !== 1 ||
      raw.historical === false
    )
      warnings.push('openadr: report timing options ignored; one report at the end of the event');
    const units = normUnits(raw.units) ?? DEFAULT_UNITS[type];
    const factor = (type === 'DEMAND' ? POWER_UNITS : ENERGY_UNITS)[units];
    if (factor === undefined) {
      warnings.push(`openadr: ${type} report in units ${String(raw.units)} not produced`);
      continue;
    }
    if (!wanted.has(type)) wanted.set(type, { factor, units });
  }
  if (wanted.size === 0) return { report: undefined, reason: 'nothing-reportable', warnings };

  // numIntervals counts back from the end (historical, startInterval -1); -1 or absent: all.
  const numIntervals = Math.max(
    -1,
    ...((event.reportDescriptors ?? []) as unknown as ReportDescriptor[]).map((d) => d.numIntervals ?? -1),
  );
  const covered = numIntervals > 0 ? intervals.slice(-numIntervals) : intervals;
  const reportIntervals = [];
  for (const iv of covered) {
    const meanKw = meanPowerKw(samples, iv.startMs, iv.endMs);
    if (meanKw === undefined) continue;
    const hours = (iv.endMs - iv.startMs) / MS_PER_HOUR;
    reportIntervals.push({
      id: iv.id,
      intervalPeriod: {
        start: new Date(iv.startMs).toISOString(),
        duration: `PT${Math.round((iv.endMs - iv.startMs) / 1000)}S`,
      },
      payloads: [...wanted].map(([type, w]) => ({
        type,
        values: [round3((type === 'USAGE' ? meanKw * hours : meanKw) * w.factor)],
      })),
    });
  }
  if (reportIntervals.length === 0) return { report: undefined, reason: 'no-samples', warnings };
  return {
    warnings,
    report: {
      objectType: 'REPORT',
      programID: event.programID,
      eventID: event.id,
      clientName: opts.clientName,
      reportName: `${opts.clientName} ${event.id}`,
      payloadDescriptors: [...wanted].map(([type, w]) => ({
        objectType: 'REPORT_PAYLOAD_DESCRIPTOR',
        payloadType: type,
        readingType: READING_TYPES[type],
        units: w.units,
      })),
      // One meter for the whole district: the aggregate of every resource behind the connection.
      resources: [{ resourceName: 'AGGREGATED_REPORT', intervals: reportIntervals }],
    },
  };
}

/** Values in reports are rounded to 1/1000 of their unit (Wh, W): finer is below meter accuracy. */
const round3 = (x: number) => Math.round(x * 1000) / 1000;
