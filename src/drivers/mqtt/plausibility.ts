// What an MQTT reading may claim, checked at the edge. The driver knows no ratings (the control
// loop's check in src/control/plausibility.ts has them); it knows which assets exist when the
// `assets` key lists them, the physical range of a quantity, and the server clock.

import type { MeasurementName } from '../../model/measurements.ts';

/**
 * A device clock this far ahead of the server is wrong: NTP-synchronised meters are within
 * seconds, and 5 minutes is well past any drift between syncs. Its readings take the server time.
 * The same bound as the OCPP CSMS (src/drivers/ocpp/plausibility.ts).
 */
export const MAX_CLOCK_AHEAD_MS = 5 * 60_000;

/**
 * A device time this far behind the server is an unset clock (an RTC reset to 1970 or its
 * firmware's build date), not a reading delayed in transit. The same bound as the OCPP CSMS.
 */
export const MAX_CLOCK_BEHIND_MS = 366 * 24 * 3_600_000;

/** Absolute zero, °C: no thermometer reads below it. */
const ABSOLUTE_ZERO_C = -273.15;

/**
 * The range each measurement can physically take, where it has one independent of the asset:
 * a state of charge is a fraction, RMS voltage and frequency are magnitudes, work done on a job
 * only accumulates. Power and energy are signed and rated per asset, so they have none here.
 */
export const PHYSICAL_RANGE: Readonly<Partial<Record<MeasurementName, readonly [number, number]>>> = {
  soc_fraction: [0, 1],
  voltage_v: [0, Infinity],
  frequency_hz: [0, Infinity],
  temperature_c: [ABSOLUTE_ZERO_C, Infinity],
  job_done_gpu_hours: [0, Infinity],
};

export type MqttRefusalReason =
  /** The `assets` key is set and the topic names an asset not in it. */
  | 'unknown_asset'
  /** Outside PHYSICAL_RANGE (SoC 2.5, a negative voltage). */
  | 'out_of_range'
  /** A retained message replayed at subscription whose `ts` is implausibly old: when it was measured is unknown. */
  | 'retained_time_implausible';

export const MQTT_REFUSAL_REASONS: readonly MqttRefusalReason[] = [
  'unknown_asset',
  'out_of_range',
  'retained_time_implausible',
];

export type MqttRetimeReason = 'clock_ahead' | 'clock_behind';
export const MQTT_RETIME_REASONS: readonly MqttRetimeReason[] = ['clock_ahead', 'clock_behind'];
