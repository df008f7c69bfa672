import type { z } from 'zod';
import type { MeasurementName } from '../model/measurements.ts';

// The contract between the control loop and every protocol driver. Capabilities are small: a driver
// reads telemetry into the model's units and sign convention, and accepts setpoints it can apply.
// Signs (docs/conventions.md): grid import +, pv production +, battery discharge +, loads and
// chargers consumption +.

/** One measured value, already normalized to Bitgrid's units and signs at the driver edge. */
export interface Measurement {
  assetId: string;
  /** Name with unit, from the vocabulary in src/model/measurements.ts (`power_kw`, `soc_fraction` …). */
  measurement: MeasurementName;
  value: number;
  /** UTC epoch ms when the device measured it (or when it was read, if the device gives no time). */
  timeMs: number;
  /** Sub-asset, e.g. a charger's connector or an EV session's transaction id. */
  channel?: string;
}

export type SetpointKind =
  /** Battery power at the terminals, discharge positive. */
  | 'battery_power_kw'
  /** Upper limit of PV active power (curtailment). */
  | 'pv_power_limit_kw'
  /** Charging power limit for a charger or connector; negative allows discharge (V2G). */
  | 'charging_limit_kw'
  /** Load or import limit requested by a demand-response signal. */
  | 'load_limit_kw'
  /** Data center: GPU power cap for the training pool, fraction of TDP (0–1). */
  | 'gpu_power_cap_fraction'
  /** Data center: GPUs a training job may use now (channel = job id); 0 pauses it. */
  | 'job_gpus';

export interface Setpoint {
  assetId: string;
  kind: SetpointKind;
  value: number;
  channel?: string;
  /** Setpoint is valid until this time; the device should fall back to its safe default after. */
  validUntilMs?: number;
}

export type DriverHealth = 'starting' | 'online' | 'degraded' | 'offline' | 'stopped';

export interface DriverStatus {
  health: DriverHealth;
  /** Time of the last successful read, UTC epoch ms. */
  lastReadMs?: number;
  lastError?: string;
}

/**
 * A price, limit or event from the grid side (OpenADR), handed to the planner and the guards:
 * - import_limit_kw / export_limit_kw: hard caps on the connection's power for [startMs, endMs);
 * - import_target_kw: the import the grid operator asks for (DISPATCH_SETPOINT);
 * - shed_kw: reduce import by this much from its baseline (DISPATCH_SETPOINT_RELATIVE);
 * - price_krw_per_kwh, export_price_krw_per_kwh: prices that replace the tariff's in the window.
 */
export interface GridSignal {
  kind:
    | 'price_krw_per_kwh'
    | 'export_price_krw_per_kwh'
    | 'ghg_kg_per_kwh'
    | 'import_limit_kw'
    | 'export_limit_kw'
    | 'import_target_kw'
    | 'shed_kw';
  startMs: number;
  endMs: number;
  value: number;
  source: string;
  /** The grid-side event this came from (OpenADR event id), so updates and cancellations replace it. */
  eventId?: string;
}

/**
 * A charging session as the charger reports it (OCPP transaction), for the live planner. The
 * charging limit for it goes to `channel` (Setpoint.channel).
 */
export interface ChargingSessionInfo {
  assetId: string;
  /** Setpoint channel of the connector (1.6J) or EVSE (2.0.1) that holds the transaction. */
  channel: string;
  chargerId: string;
  /** Connector id (OCPP 1.6J) or EVSE id (OCPP 2.0.1). */
  connectorId: number;
  transactionId: string;
  /** When the transaction started (charger's report, bounded by the CSMS clock), UTC ms. */
  startMs: number;
  /** Energy delivered in this transaction so far, kWh (negative after net V2G discharge). */
  energyKwh: number;
  /** Present power, charging positive, kW. */
  powerKw?: number;
  /** Highest charging power of charger and EV together, kW. */
  maxPowerKw: number;
  /** Highest discharge power, kW: 0 unless the charger declared V2G (and the EV allows it). */
  maxDischargeKw: number;
  /** Departure the EV or driver announced (OCPP 2.0.1 NotifyEVChargingNeeds departureTime), UTC ms. */
  departureMs?: number;
  /** Energy the EV asked for (NotifyEVChargingNeeds energyAmount), kWh. */
  energyRequestKwh?: number;
  /** EV state of charge when the charger reports it, 0–1. */
  socFraction?: number;
  /** The id token that started the transaction (e.g. a fleet's vehicle id). */
  idToken?: string;
  /** Last time anything about this session was heard, UTC ms. */
  updatedMs: number;
}

export interface Driver {
  readonly id: string;
  readonly type: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): DriverStatus;
  /** Latest telemetry; never throws for device faults, which are reported through status(). */
  read(): Promise<Measurement[]>;
  /** Setpoints this driver can apply (asset ids and kinds). */
  accepts?(setpoint: Setpoint): boolean;
  /** Applies a setpoint; rejects with an error when the device refused it. */
  write?(setpoint: Setpoint): Promise<void>;
  /**
   * Every grid-side signal currently in force or announced (OpenADR), complete on each call: an
   * event that was cancelled or changed is gone or changed in the next call's answer.
   */
  signals?(): GridSignal[];
  /** Charging sessions in progress (OCPP). */
  sessions?(): ChargingSessionInfo[];
  /** The cycle's telemetry from every driver, for drivers that report it on (OpenADR reports). */
  ingest?(measurements: readonly Measurement[]): void;
}

export interface DriverContext {
  /** pino-compatible logger. */
  log: {
    info(o: object, msg?: string): void;
    warn(o: object, msg?: string): void;
    error(o: object, msg?: string): void;
  };
  now(): number;
}

export interface DriverFactory<C extends { id: string; type: string } = { id: string; type: string }> {
  /** Type name used in config `devices[].type`. */
  readonly type: string;
  readonly configSchema: z.ZodType<C>;
  create(config: C, ctx: DriverContext): Driver;
}
