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

/**
 * What a site tells the feeder coordinator (src/fleet/coordinator.ts) about its import this cycle:
 * the import its plan asks for before any shared cap (`wantKw`), the part of it the site cannot shed
 * now (`inflexibleKw`: loads, PV, and everything but charging), its own import limit (connection or
 * contract, the tighter one), and what a kWh of the flexible part is worth to it.
 */
export const siteReportSchema = z
  .object({
    timeMs: z.number().int().min(0),
    wantKw: z.number().finite().min(0),
    inflexibleKw: z.number().finite().min(0),
    ownLimitKw: z.number().finite().min(0),
    valueKrwPerKwh: z.number().finite().positive(),
    /** The import measured when the report was made, kW (export negative). */
    importKw: z.number().finite(),
    /** The import limit the site held in that cycle (its own or a coordinated share), kW. */
    limitKw: z.number().finite().min(0),
  })
  .refine((r) => r.inflexibleKw <= r.wantKw + 1e-6, {
    message: 'inflexibleKw must not exceed wantKw',
    path: ['inflexibleKw'],
  });
export type SiteReportMessage = z.infer<typeof siteReportSchema>;

/** Steps of a schedule sent up: 48 hours of 15-minute steps, with room to spare. */
export const SCHEDULE_MAX_STEPS = 1_000;

/** The plan in force at a site (its newest adopted schedule), its grid side per step. */
export const scheduleMessageSchema = z
  .object({
    timeMs: z.number().int().min(0),
    scheduleId: z.number().int().min(0),
    strategy: id,
    madeMs: z.number().int().min(0),
    startMs: z.number().int().min(0),
    stepMinutes: z
      .number()
      .positive()
      .max(24 * 60),
    importKw: z.array(z.number().finite().min(0)).min(1).max(SCHEDULE_MAX_STEPS),
    exportKw: z.array(z.number().finite().min(0)).min(1).max(SCHEDULE_MAX_STEPS),
  })
  .refine((s) => s.importKw.length === s.exportKw.length, {
    message: 'importKw and exportKw must have one value per step',
    path: ['exportKw'],
  });
export type ScheduleMessage = z.infer<typeof scheduleMessageSchema>;

/** A site's KPIs so far today (its local day) and this month, sent up periodically. */
export const kpiMessageSchema = z.object({
  timeMs: z.number().int().min(0),
  /** The site's local calendar day the "today" figures belong to, YYYY-MM-DD. */
  day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  importKwh: z.number().finite().min(0),
  consumptionKwh: z.number().finite().min(0),
  pvKwh: z.number().finite().min(0),
  costKrw: z.number().finite(),
  selfSufficiency: z.number().finite().min(0).max(1),
  /** Share of today's consumption matched hour by hour by renewable supply (RE100), 0–1. */
  re100HourlyMatching: z.number().finite().min(0).max(1),
  monthPeakKw: z.number().finite().min(0),
  billingDemandKw: z.number().finite().min(0),
});
export type KpiMessage = z.infer<typeof kpiMessageSchema>;

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
  /** The site's share of a shared feeder or substation cap: its loop holds it as an import limit. */
  z.object({
    id,
    kind: z.literal('import_limit.set'),
    feederId: id,
    limitKw: z.number().finite().min(0),
    /** Backend wall clock when the share was decided, UTC ms (a later share replaces an earlier). */
    issuedMs: z.number().int().min(0),
    reason: z.string().min(1).max(500),
    /**
     * When the share holds, UTC ms (a share of an OpenADR event's interval, src/fleet/ven.ts); without
     * them it holds until replaced or cleared (a feeder's share).
     */
    startMs: z.number().int().min(0).optional(),
    endMs: z.number().int().min(0).optional(),
  }),
  /** The feeder no longer coordinates this site: its own limit alone applies again. */
  z.object({ id, kind: z.literal('import_limit.clear'), feederId: id, issuedMs: z.number().int().min(0) }),
]);
export type FleetCommand = z.infer<typeof commandSchema>;
