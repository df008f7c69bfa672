import type { MeterMeasurement } from './meter.ts';

// What a charger could have measured, checked at the CSMS where its rating is known: a value or a
// time no charger of that rating could produce is refused (or, for a time, replaced by the CSMS
// clock), counted by reason and logged once per charger and reason. docs/drivers.md (OCPP,
// "Plausibility") lists the rules.

/**
 * Headroom over a charger's rating before a reading counts as impossible: meters and power stages
 * briefly read above nameplate (measurement tolerance, control overshoot), not by half again. The
 * same figure as the control loop's last check (src/control/plausibility.ts RATING_MARGIN).
 */
export const RATING_MARGIN = 1.5;

/**
 * A charger clock this far ahead of the CSMS is wrong: NTP-synchronised chargers are within
 * seconds, and 5 minutes is well past any drift between syncs. Its readings take the CSMS time.
 */
export const MAX_CLOCK_AHEAD_MS = 5 * 60_000;

/**
 * A charger time this far behind the CSMS is an unset clock (an RTC reset to 1970 or its
 * firmware's build date), not a reading queued through an outage, which OCPP delivers within days.
 */
export const MAX_CLOCK_BEHIND_MS = 366 * 24 * 3_600_000;

/**
 * Longest an energy register can have counted: a charger's service life (10–15 years for DC
 * chargers) with room to spare, 30 years at full rating. A larger register is a broken value.
 */
export const REGISTER_LIFETIME_H = 30 * 8766;

/**
 * Slack on a register's step between two readings: registers sent in kWh with two decimals (a
 * common resolution) move in 10 Wh steps, so two readings close in time may differ by one step.
 */
export const REGISTER_RESOLUTION_KWH = 0.01;

const MS_PER_H = 3_600_000;

export type RefusalReason =
  /** NaN, ±Infinity, an empty or non-decimal string ("abc", "0x10"), an overflowing multiplier. */
  | 'not_finite'
  /** A unit that does not fit the measurand (Wh for power). */
  | 'wrong_unit'
  /** Beyond rating × margin, discharge on a charger that is not V2G, SoC outside 0–100 %. */
  | 'out_of_range'
  /** An energy register below its previous reading in the same transaction. */
  | 'register_backwards'
  /** An energy register that rose more than rating × elapsed time × margin. */
  | 'register_jump';

export const REFUSAL_REASONS: readonly RefusalReason[] = [
  'not_finite',
  'wrong_unit',
  'out_of_range',
  'register_backwards',
  'register_jump',
];

export interface ChargerRating {
  max_power_kw: number;
  v2g: boolean;
}

/** The range a measurement of this charger may take, in its Bitgrid unit. */
export function plausibleRange(m: MeterMeasurement, cp: ChargerRating): readonly [number, number] {
  const maxKw = cp.max_power_kw * RATING_MARGIN;
  switch (m) {
    case 'power_kw':
      return [cp.v2g ? -maxKw : 0, maxKw];
    case 'power_offered_kw':
      return [0, maxKw];
    case 'soc_fraction':
      return [0, 1];
    case 'energy_kwh':
    case 'energy_export_kwh':
      return [0, maxKw * REGISTER_LIFETIME_H];
  }
}

/**
 * Why a sample is refused, or undefined when it is plausible. `previous` is the register's last
 * accepted reading in the same transaction (only for energy registers), at or before this one.
 */
export function refusal(
  sample: { measurement: MeterMeasurement; value: number; timeMs: number },
  cp: ChargerRating,
  previous?: { value: number; timeMs: number },
): RefusalReason | undefined {
  if (!Number.isFinite(sample.value) || !Number.isFinite(sample.timeMs)) return 'not_finite';
  const [lo, hi] = plausibleRange(sample.measurement, cp);
  if (sample.value < lo || sample.value > hi) return 'out_of_range';
  if (previous && (sample.measurement === 'energy_kwh' || sample.measurement === 'energy_export_kwh')) {
    if (sample.value < previous.value) return 'register_backwards';
    const elapsedH = Math.max(0, sample.timeMs - previous.timeMs) / MS_PER_H;
    const maxStepKwh = cp.max_power_kw * RATING_MARGIN * elapsedH + REGISTER_RESOLUTION_KWH;
    if (sample.value - previous.value > maxStepKwh) return 'register_jump';
  }
  return undefined;
}
