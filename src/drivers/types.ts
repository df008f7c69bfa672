import type { z } from 'zod';

// The contract between the control loop and every protocol driver. Capabilities are small: a driver
// reads telemetry into the model's units and sign convention, and accepts setpoints it can apply.
// Signs (docs/conventions.md): grid import +, pv production +, battery discharge +, loads and
// chargers consumption +.

/** One measured value, already normalized to Bitgrid's units and signs at the driver edge. */
export interface Measurement {
  assetId: string;
  /** Name with unit, e.g. `power_kw`, `soc_fraction`, `energy_kwh`, `voltage_v`. */
  measurement: string;
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
  | 'load_limit_kw';

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

/** A price, limit or event from the grid side (OpenADR), handed to the optimizer. */
export interface GridSignal {
  kind: 'price_krw_per_kwh' | 'export_price_krw_per_kwh' | 'ghg_kg_per_kwh' | 'import_limit_kw' | 'shed_kw';
  startMs: number;
  endMs: number;
  value: number;
  source: string;
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
  /** Grid-side signals received since the last call (OpenADR). */
  signals?(): GridSignal[];
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
