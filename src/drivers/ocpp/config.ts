import { z } from 'zod';
import { assetIdSchema, deviceIdSchema } from '../registry.ts';

export const OCPP_PROTOCOLS = ['ocpp1.6', 'ocpp2.0.1'] as const;
export type OcppProtocol = (typeof OCPP_PROTOCOLS)[number];

export const chargePointConfigSchema = z
  .strictObject({
    /** OCPP identity: the last path segment of the WebSocket URL and the basic-auth user name. */
    id: z
      .string()
      .min(1)
      .max(48)
      .regex(/^[^:/\s]+$/, 'no colon, slash or space (OCPP identity)'),
    /** Bitgrid asset this charger belongs to (district config). */
    asset: assetIdSchema,
    protocol: z.enum(OCPP_PROTOCOLS),
    /** Security profile 1/2: HTTP basic-auth password, hashed with scrypt at start and never kept in clear. */
    password: z.string().min(8).max(64).optional(),
    /** The same, already hashed: `scrypt$N$r$p$salt_b64$hash_b64` (see hashPassword()). */
    password_scrypt: z.string().startsWith('scrypt$').optional(),
    max_power_kw: z.number().positive(),
    /** Bidirectional: negative charging limits (discharge) are refused unless true. */
    v2g: z.boolean().default(false),
    /** Connectors (1.6) or EVSEs (2.0.1), numbered from 1. */
    connectors: z.number().int().min(1).max(32).default(1),
    /** Unit of the charging profiles sent to this charger. */
    charging_rate_unit: z.enum(['W', 'A']).default('W'),
    /** Used to convert kW to A when charging_rate_unit is A. */
    voltage_v: z.number().positive().default(230),
    phases: z.number().int().min(1).max(3).default(3),
  })
  .refine((cp) => !(cp.password && cp.password_scrypt), {
    message: 'give password or password_scrypt, not both',
  });

export const ocppConfigSchema = z
  .strictObject({
    id: deviceIdSchema,
    type: z.literal('ocpp'),
    /**
     * Interface to listen on: loopback unless configured, so a CSMS is not reachable from the
     * network (where chargers without a password would be admitted) until someone decides it is.
     */
    host: z.string().min(1).default('127.0.0.1'),
    /** 0 picks a free port (tests). */
    port: z.number().int().min(0).max(65535),
    /** Security profile 2: serve wss:// with this certificate (TLS >= 1.2). */
    tls: z
      .strictObject({
        cert_file: z.string().min(1),
        key_file: z.string().min(1),
      })
      .optional(),
    charge_points: z.array(chargePointConfigSchema).min(1),
    /** Id tags (1.6) / id tokens (2.0.1) answered Accepted; any other is Invalid. */
    accepted_id_tokens: z.array(z.string().min(1).max(36)).default([]),
    heartbeat_interval_s: z.number().int().min(10).max(86_400).default(300),
    /** Time a CSMS-initiated call (SetChargingProfile …) may take before it is treated as failed. */
    call_timeout_s: z.number().positive().max(300).default(30),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    cfg.charge_points.forEach((cp, i) => {
      if (seen.has(cp.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['charge_points', i, 'id'],
          message: `duplicate charge point id ${cp.id}`,
        });
      }
      seen.add(cp.id);
    });
  });

export type OcppConfig = z.output<typeof ocppConfigSchema>;
export type OcppConfigInput = z.input<typeof ocppConfigSchema>;
export type ChargePointConfig = z.output<typeof chargePointConfigSchema>;
