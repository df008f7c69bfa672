import { z } from 'zod';
import { assetIdSchema, deviceIdSchema } from '../registry.ts';

/** `devices[]` entry for a SunSpec device over Modbus TCP. Keys carry their unit. */
export const sunspecModbusConfigSchema = z
  .strictObject({
    id: deviceIdSchema,
    type: z.literal('sunspec_modbus'),
    /** Bitgrid asset (pv or battery) the device's telemetry and setpoints belong to. */
    asset: assetIdSchema,
    /** What the device is for Bitgrid; omitted → battery when model 802 or 124 is found, else pv. */
    role: z.enum(['pv', 'battery']).optional(),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(502),
    unit_id: z.number().int().min(0).max(255).default(1),
    /** Pin the SunSpec base address instead of probing 40000, 50000, 0. */
    base_address: z.number().int().min(0).max(65533).optional(),
    poll_ms: z.number().int().min(50).max(3_600_000).default(1000),
    /** Per request (and per connection attempt). */
    timeout_ms: z.number().int().min(10).max(60_000).default(2000),
    /** Reconnect backoff: first delay, doubled per failed attempt up to the maximum. */
    reconnect_min_ms: z.number().int().min(10).max(600_000).default(1000),
    reconnect_max_ms: z.number().int().min(10).max(3_600_000).default(60_000),
    /** Timeouts in a row after which the connection is dropped and re-established. */
    max_consecutive_timeouts: z.number().int().min(1).max(100).default(2),
    /** Which model carries the PV active-power limit: auto = 123 if present, else 704. */
    pv_limit_model: z.enum(['auto', '123', '704']).default('auto'),
    /** Which model carries the battery power setpoint: auto = 124 if present, else 704. */
    battery_control_model: z.enum(['auto', '124', '704']).default('auto'),
    /** Sign of model 802 `W` on this device (SunSpec leaves it open; the twin uses discharge +). */
    battery_dc_power_sign: z.enum(['discharge_positive', 'charge_positive']).default('discharge_positive'),
  })
  .refine((c) => c.reconnect_min_ms <= c.reconnect_max_ms, {
    message: 'must not exceed reconnect_max_ms',
    path: ['reconnect_min_ms'],
  });

export type SunSpecModbusConfig = z.infer<typeof sunspecModbusConfigSchema>;
