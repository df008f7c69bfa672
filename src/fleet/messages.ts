import { z } from 'zod';

// What travels between edges and the backend, as JSON. The backend checks every message it takes:
// a malformed one is counted and set aside, never stored and never allowed to block the stream.

/** Points per telemetry message: a control cycle of a large district fits; a message stays < 1 MB. */
export const TELEMETRY_BATCH_MAX_POINTS = 2_000;

const id = z.string().min(1).max(200);

export const telemetryPointSchema = z.object({
  assetId: id,
  measurement: id,
  channel: id.optional(),
  timeMs: z.number().int().min(0),
  value: z.number().finite(),
});
export type TelemetryPointMessage = z.infer<typeof telemetryPointSchema>;

export const telemetryMessageSchema = z.object({
  points: z.array(telemetryPointSchema).min(1).max(TELEMETRY_BATCH_MAX_POINTS),
});

export const eventMessageSchema = z.object({
  timeMs: z.number().int().min(0),
  severity: z.enum(['info', 'warning', 'alarm', 'critical']),
  code: id,
  message: z.string().max(2_000),
  assetId: id.optional(),
});
export type EventMessage = z.infer<typeof eventMessageSchema>;

/** Commands from the backend to one edge; each carries an id the edge reports back on. */
export const commandSchema = z.discriminatedUnion('kind', [
  z.object({
    id,
    kind: z.literal('override.set'),
    override: z.object({
      assetId: id,
      kind: id,
      value: z.number().finite(),
      channel: id.optional(),
      durationMinutes: z
        .number()
        .positive()
        .max(7 * 24 * 60),
      reason: z.string().min(1).max(500),
    }),
  }),
  z.object({ id, kind: z.literal('override.clear'), overrideId: id }),
]);
export type FleetCommand = z.infer<typeof commandSchema>;
