// The closed vocabulary of measurement names and stream keys (docs/measurements.md). Drivers emit
// these names, the store accepts only these, the control loop and the API read by them and the
// dashboard imports this file, so a misspelt name is a type error and an unknown one arriving at
// run time is refused with its name and where it came from. The strings are the wire format: they
// appear in the store, at the API and in the live stream unchanged.
//
// Signs follow docs/conventions.md: grid import +, PV production +, battery discharge +, loads and
// chargers consumption +. This file imports nothing, so the dashboard can bundle it as it is.

export interface MeasurementInfo {
  /** The unit the value is in; the name ends with it. */
  unit: string;
  /** What the value is, briefly. */
  meaning: string;
}

export const MEASUREMENTS = {
  power_kw: { unit: 'kW', meaning: 'active power in the asset’s natural sign' },
  reactive_power_kvar: { unit: 'kvar', meaning: 'reactive power at the inverter' },
  energy_kwh: { unit: 'kWh', meaning: 'energy register: imported, or produced by a PV inverter' },
  energy_export_kwh: { unit: 'kWh', meaning: 'export energy register of a charger (V2G)' },
  session_energy_kwh: {
    unit: 'kWh',
    meaning: 'energy delivered in one charging session so far (channel `tx:<transaction>`)',
  },
  soc_fraction: { unit: 'fraction', meaning: 'state of charge, 0–1' },
  soh_fraction: { unit: 'fraction', meaning: 'battery state of health, 0–1' },
  capacity_kwh: { unit: 'kWh', meaning: 'rated energy capacity the battery reports' },
  max_charge_kw: { unit: 'kW', meaning: 'largest charging power the battery allows now' },
  max_discharge_kw: { unit: 'kW', meaning: 'largest discharging power the battery allows now' },
  rated_power_kw: { unit: 'kW', meaning: 'rated active power the inverter reports' },
  power_limit_fraction: {
    unit: 'fraction',
    meaning: 'active power limit in force, fraction of rating (1: none)',
  },
  power_limit_kw: { unit: 'kW', meaning: 'active power limit in force (the rating when none)' },
  dc_power_kw: { unit: 'kW', meaning: 'DC input power of a PV inverter' },
  dc_voltage_v: { unit: 'V', meaning: 'battery DC voltage' },
  power_offered_kw: { unit: 'kW', meaning: 'power a charger offers the vehicle' },
  voltage_v: { unit: 'V', meaning: 'AC voltage (phase A, or line-to-neutral)' },
  current_a: { unit: 'A', meaning: 'AC current' },
  frequency_hz: { unit: 'Hz', meaning: 'grid frequency at the device' },
  temperature_c: { unit: '°C', meaning: 'device (cabinet) temperature' },
  online: { unit: '1/0', meaning: 'a charge point is connected (1) or not (0), at its last frame' },
  job_done_gpu_hours: {
    unit: 'GPU-hours',
    meaning: 'work done on one data-center training job (channel = job id), cumulative',
  },
  // What the control loop sent, stored beside what the device measured: `setpoint_<SetpointKind>`.
  setpoint_battery_power_kw: { unit: 'kW', meaning: 'battery power setpoint, discharge positive' },
  setpoint_pv_power_limit_kw: { unit: 'kW', meaning: 'PV active power limit (curtailment)' },
  setpoint_charging_limit_kw: { unit: 'kW', meaning: 'charging power limit; negative allows V2G' },
  setpoint_load_limit_kw: { unit: 'kW', meaning: 'load or import limit from demand response' },
  setpoint_gpu_power_cap_fraction: { unit: 'fraction', meaning: 'GPU power cap, fraction of TDP' },
  setpoint_job_gpus: { unit: 'GPUs', meaning: 'GPUs a training job may use now (channel = job id)' },
} as const satisfies Readonly<Record<string, MeasurementInfo>>;

/** A measurement name: one of MEASUREMENTS. */
export type MeasurementName = keyof typeof MEASUREMENTS;

export const MEASUREMENT_NAMES = Object.keys(MEASUREMENTS) as readonly MeasurementName[];

export function isMeasurementName(name: unknown): name is MeasurementName {
  return typeof name === 'string' && Object.hasOwn(MEASUREMENTS, name);
}

/**
 * Why `name` is not a measurement name, or undefined when it is one. One wording for every place
 * that refuses a name (store, API, drivers), with the nearest known names when it looks misspelt.
 */
export function unknownMeasurementProblem(name: unknown): string | undefined {
  if (isMeasurementName(name)) return undefined;
  const shown = typeof name === 'string' ? JSON.stringify(name) : String(name);
  const near = typeof name === 'string' ? nearNames(name) : [];
  const hint = near.length > 0 ? `; did you mean ${near.map((m) => `"${m}"`).join(' or ')}?` : '';
  return `unknown measurement ${shown}: not in the measurement vocabulary (docs/measurements.md)${hint}`;
}

/**
 * Known names a misspelt one was probably meant as: those it extends or abbreviates, up to case
 * (`power_kwh`, `soc`, `Power_KW`), else those with the same leading word (`soc_percent`).
 */
function nearNames(name: string): MeasurementName[] {
  const lower = name.toLowerCase();
  if (lower.length < 2) return [];
  const prefixed = MEASUREMENT_NAMES.filter((m) => lower.startsWith(m) || m.startsWith(lower));
  if (prefixed.length > 0) return prefixed;
  const head = (s: string) => s.split('_')[0];
  return MEASUREMENT_NAMES.filter((m) => head(m) === head(lower));
}

/** The setpoint kinds the vocabulary stores a `setpoint_…` measurement for. */
export type SetpointMeasurementKind = MeasurementName extends infer N
  ? N extends `setpoint_${infer K}`
    ? K
    : never
  : never;

/** The name a setpoint of this kind is stored under (`battery_power_kw` → `setpoint_battery_power_kw`). */
export function setpointMeasurement<K extends SetpointMeasurementKind>(kind: K): `setpoint_${K}` {
  return `setpoint_${kind}`;
}

/**
 * The key of one stream in the live state: the measurement name, or `name@channel` for a
 * sub-asset (a connector `power_kw@cp-1/2`, a session `session_energy_kwh@cp-1/tx:42`, a job
 * `job_done_gpu_hours@job-7`).
 */
export type StreamKey = MeasurementName | `${MeasurementName}@${string}`;

export function streamKey(measurement: MeasurementName, channel?: string): StreamKey {
  return channel ? `${measurement}@${channel}` : measurement;
}

/** The measurement name of a stream key (what is before `@`). */
export function measurementOfKey(key: StreamKey): MeasurementName {
  const at = key.indexOf('@');
  return (at < 0 ? key : key.slice(0, at)) as MeasurementName;
}

/**
 * The channel part naming one charging session: `tx:<id>` (the driver puts `<charger>/` before it
 * when chargers share an asset).
 */
export function sessionChannel(transactionId: string): string {
  return `tx:${transactionId}`;
}

/** Whether a stream key belongs to one charging session (its channel is `tx:<id>`, maybe after `<charger>/`). */
export function isSessionStreamKey(key: string): boolean {
  return SESSION_KEY.test(key);
}
const SESSION_KEY = /@(?:[^./]*\/)?tx:/;
