import { z } from 'zod';
import { assetIdSchema, deviceIdSchema } from '../registry.ts';

const SETPOINT_KINDS = [
  'battery_power_kw',
  'pv_power_limit_kw',
  'charging_limit_kw',
  'load_limit_kw',
  'gpu_power_cap_fraction',
  'job_gpus',
] as const;

/** One topic segment: no wildcards, separators or control characters. */
const segment = z.string().regex(/^[A-Za-z0-9_.-]+$/, 'must be letters, digits, "_", "." or "-"');

/** `devices[]` entry for MQTT telemetry/setpoints. Keys carry their unit. */
export const mqttConfigSchema = z
  .strictObject({
    id: deviceIdSchema,
    type: z.literal('mqtt'),
    /** Broker URL (mqtt:// or mqtts://). Omit to run an embedded broker (aedes) in-process. */
    url: z
      .string()
      .regex(/^(mqtts?|tcp|tls):\/\/[^\s]+$/, 'must be an mqtt:// or mqtts:// URL')
      .optional(),
    /** Embedded broker only: listen address (default 127.0.0.1) and port (default 1883; 0 = ephemeral). */
    broker_host: z.string().min(1).optional(),
    broker_port: z.number().int().min(0).max(65535).optional(),
    /** Topic root: `<topic_prefix>/<site>/<asset>/<measurement>`. */
    topic_prefix: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, 'must be "/"-separated segments without wildcards')
      .default('bitgrid'),
    site: segment,
    /** Telemetry to take in: an asset (or "+" for every asset) and a measurement (default "+"). */
    subscribe: z
      .array(
        z.strictObject({
          asset: z.union([assetIdSchema, z.literal('+')]),
          measurement: z.union([segment, z.literal('+')]).default('+'),
        }),
      )
      .min(1),
    /**
     * The assets that exist (the district's asset ids). When set, telemetry for any other asset is
     * refused and counted (`refused_unknown_asset`); omitted, every asset on the topics is taken.
     */
    assets: z.array(assetIdSchema).min(1).optional(),
    /** Setpoints this driver publishes, per asset. */
    setpoints: z
      .array(z.strictObject({ asset: assetIdSchema, kinds: z.array(z.enum(SETPOINT_KINDS)).min(1) }))
      .default([]),
    qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(1),
    client_id: z.string().min(1).max(128).optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    keepalive_s: z.number().int().min(0).max(65535).default(30),
    /** Connection attempt and publish acknowledgement timeout. */
    timeout_ms: z.number().int().min(10).max(120_000).default(5000),
    reconnect_min_ms: z.number().int().min(10).max(600_000).default(1000),
    reconnect_max_ms: z.number().int().min(10).max(3_600_000).default(60_000),
  })
  .superRefine((c, ctx) => {
    if (c.reconnect_min_ms > c.reconnect_max_ms)
      ctx.addIssue({
        code: 'custom',
        path: ['reconnect_min_ms'],
        message: 'must not exceed reconnect_max_ms',
      });
    for (const key of ['broker_host', 'broker_port'] as const)
      if (c.url !== undefined && c[key] !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: 'applies to the embedded broker only (omit url)',
        });
  });

export type MqttConfig = z.infer<typeof mqttConfigSchema>;
