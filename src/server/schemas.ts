import { z } from 'zod';
import { apiRegistry } from './registry.ts';
import { parseDurationMs, parseInstant } from './wire.ts';
import { MEASUREMENT_NAMES, unknownMeasurementProblem } from '../model/measurements.ts';
import {
  ACTOR_ROLES,
  AUDIT_OUTCOMES,
  EVENT_SEVERITIES,
  JOB_STATUSES,
  SCHEDULE_STATUSES,
  SIM_RUN_STATUSES,
  TOKEN_ROLES,
} from '../store/index.ts';

// Zod schemas shared by the routes. Request schemas validate (every problem → 400 naming the field);
// response schemas serialize and document (docs/openapi.json is generated from them). Times at the
// API are ISO 8601 strings with the district's offset.

export const INSTANT_HINT = 'an ISO 8601 time with offset, e.g. 2026-08-03T00:00:00+09:00';

/** A query or body instant → UTC ms. */
export const instantParam = z
  .string()
  .transform((s, ctx) => {
    const ms = parseInstant(s);
    if (ms === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `must be ${INSTANT_HINT} (got ${JSON.stringify(s.slice(0, 40))})`,
      });
      return z.NEVER;
    }
    return ms;
  })
  .register(apiRegistry, { description: `ISO 8601 time with offset (or Z), e.g. 2026-08-03T00:00:00+09:00` });

/** A measurement name from the vocabulary (docs/measurements.md); any other is a 400 that names it. */
export const measurementNameParam = z
  .enum(MEASUREMENT_NAMES, { error: (issue) => unknownMeasurementProblem(issue.input) })
  .register(apiRegistry, {
    description: 'a measurement name (docs/measurements.md), e.g. power_kw, soc_fraction',
  });

/** An ISO 8601 duration → ms. */
export const durationParam = z
  .string()
  .transform((s, ctx) => {
    const ms = parseDurationMs(s);
    if (ms === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `must be a positive ISO 8601 duration such as PT15M, PT1H or P1D (got ${JSON.stringify(s.slice(0, 40))})`,
      });
      return z.NEVER;
    }
    return ms;
  })
  .register(apiRegistry, { description: 'ISO 8601 duration without months or years, e.g. PT15M, PT1H, P1D' });

/** A positive whole number given as a query string. */
export const countParam = (max: number) => z.coerce.number().int().min(1).max(max);

/** `true`/`false` in a query string. */
export const flagParam = z.enum(['true', 'false']).transform((v) => v === 'true');

export const isoTime = z.string().register(apiRegistry, {
  description: 'ISO 8601 with the district offset',
  example: '2026-08-03T14:15:00+09:00',
});

export const tokenQuery = z.object({
  token: z.string().optional().register(apiRegistry, {
    description: 'API token, for WebSocket and EventSource clients that cannot set an Authorization header',
  }),
});

// ---- live state (the wire form: id-keyed objects, ISO times; see wire.ts)

export const assetModeSchema = z.enum(['auto', 'override', 'safe', 'offline']);

export const measuredValueSchema = z.object({ value: z.number(), time: isoTime });

export const setpointSchema = z.looseObject({
  assetId: z.string(),
  kind: z.string(),
  value: z.number(),
  channel: z.string().optional(),
  validUntil: isoTime.optional(),
});

export const assetLiveSchema = z
  .looseObject({
    id: z.string(),
    siteId: z.string(),
    type: z.string(),
    mode: assetModeSchema,
    measurements: z.record(z.string(), measuredValueSchema).register(apiRegistry, {
      description:
        'latest value per stream key: a measurement name (docs/measurements.md) or `name@channel` (`power_kw`, `soc_fraction`, `power_kw@channel` …)',
    }),
    setpoint: setpointSchema.optional(),
    reason: z.string().optional(),
  })
  .register(apiRegistry, { id: 'AssetLiveState' });

export const liveStateSchema = z
  .looseObject({
    time: isoTime,
    districtName: z.string(),
    sites: z.record(z.string(), z.object({ id: z.string(), name: z.string() })),
    assets: z.record(z.string(), assetLiveSchema).register(apiRegistry, { description: 'keyed by asset id' }),
    grid: z.looseObject({
      importKw: z.number(),
      exportKw: z.number(),
      monthPeakKw: z.number(),
      billingDemandKw: z.number(),
    }),
    today: z.looseObject({
      costKrw: z.number(),
      importKwh: z.number(),
      pvKwh: z.number(),
      consumptionKwh: z.number(),
      selfSufficiency: z.number(),
      re100HourlyMatching: z.number(),
    }),
    strategy: z.string(),
    cycle: z.number(),
  })
  .register(apiRegistry, { id: 'LiveState' });

// ---- records

export const overrideSchema = z
  .object({
    id: z.string(),
    assetId: z.string(),
    kind: z.string(),
    value: z.number(),
    channel: z.string().optional(),
    start: isoTime,
    expires: isoTime,
    createdBy: z.string(),
    reason: z.string(),
  })
  .register(apiRegistry, { id: 'Override' });

export const eventSchema = z
  .object({
    id: z.number().int(),
    time: isoTime,
    severity: z.enum(EVENT_SEVERITIES),
    source: z.string(),
    code: z.string(),
    message: z.string(),
    assetId: z.string().optional(),
    acknowledged: z.boolean(),
    acknowledgedBy: z.string().optional(),
    acknowledgedAt: isoTime.optional(),
  })
  .register(apiRegistry, { id: 'Event' });

export const auditEntrySchema = z
  .object({
    id: z.number().int(),
    time: isoTime,
    actor: z.string().register(apiRegistry, { description: 'token id, or `system`' }),
    role: z.enum(ACTOR_ROLES),
    action: z.string(),
    target: z.string(),
    details: z.unknown(),
    outcome: z.enum(AUDIT_OUTCOMES),
  })
  .register(apiRegistry, { id: 'AuditEntry' });

export const tokenRoleSchema = z.enum(TOKEN_ROLES);

export const tokenRecordSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: tokenRoleSchema,
    created: isoTime,
    lastUsed: isoTime.optional(),
    revoked: isoTime.optional(),
  })
  .register(apiRegistry, { id: 'TokenRecord' });

export const simRunSchema = z
  .object({
    id: z.string(),
    status: z.enum(SIM_RUN_STATUSES),
    progress: z.number().min(0).max(1),
    params: z.unknown(),
    result: z
      .unknown()
      .optional()
      .register(apiRegistry, { description: 'the runSummary document (KPIs per strategy) once done' }),
    error: z.string().optional(),
    created: isoTime,
    updated: isoTime,
  })
  .register(apiRegistry, { id: 'SimulationRun' });

export const forecastSchema = z
  .object({
    id: z.number().int(),
    issued: isoTime,
    assetId: z.string(),
    target: z.string(),
    model: z.string(),
    start: isoTime,
    end: isoTime,
    intervalMinutes: z.number(),
    quantiles: z.record(z.string(), z.array(z.number())).register(apiRegistry, {
      description: 'values per quantile (`p10`, `p50`, `p90` …), one per interval',
    }),
  })
  .register(apiRegistry, { id: 'Forecast' });

/** What a schedule and a schedule version both say of it. */
const scheduleFields = {
  id: z.number().int(),
  created: isoTime,
  start: isoTime,
  end: isoTime,
  strategy: z.string(),
  status: z.enum(SCHEDULE_STATUSES),
};

export const scheduleSchema = z
  .object({ ...scheduleFields, payload: z.unknown() })
  .register(apiRegistry, { id: 'Schedule' });

export const scheduleVersionSchema = z
  .object({
    ...scheduleFields,
    intervalMinutes: z.number().optional(),
    solveMs: z.number().optional().register(apiRegistry, { description: 'how long the solver took, ms' }),
    objectiveKrw: z
      .number()
      .optional()
      .register(apiRegistry, { description: "the optimizer's objective value, KRW" }),
    warmStarted: z
      .boolean()
      .optional()
      .register(apiRegistry, { description: "the solve started from the last re-plan's simplex basis" }),
    rootIterations: z
      .number()
      .optional()
      .register(apiRegistry, { description: 'simplex iterations of the root LP relaxation' }),
    inputs: z
      .unknown()
      .optional()
      .register(apiRegistry, { description: 'what the plan was made from, as the planner summarised it' }),
  })
  .register(apiRegistry, { id: 'ScheduleVersion' });

export const jobStatusSchema = z.enum(JOB_STATUSES);

export const plannedIntervalSchema = z
  .object({
    start: isoTime,
    end: isoTime,
    gpus: z.number().int(),
    powerCapFraction: z.number().register(apiRegistry, {
      description: "GPU power cap as a fraction of full power (the GPUs' speed follows it)",
    }),
  })
  .register(apiRegistry, { id: 'PlannedJobInterval' });

export const jobSchema = z
  .object({
    id: z.string(),
    datacenterId: z.string(),
    name: z.string(),
    gpus: z.number().int(),
    gpuHours: z.number().register(apiRegistry, { description: 'work at full GPU speed, GPU-hours' }),
    earliestStart: isoTime,
    deadline: isoTime,
    priority: z.number().int(),
    interruptible: z.boolean(),
    status: jobStatusSchema,
    doneGpuHours: z.number(),
    submitted: isoTime,
    submittedBy: z.string().register(apiRegistry, { description: 'token id, or `system`' }),
    finished: isoTime.optional(),
    updated: isoTime,
    plannedIntervals: z.array(plannedIntervalSchema).register(apiRegistry, {
      description: "the live planner's intervals for the job (empty when it has none planned)",
    }),
    expectedFinish: isoTime.optional().register(apiRegistry, {
      description: 'when the plan expects the job to be done',
    }),
  })
  .register(apiRegistry, { id: 'DatacenterJob' });
