import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { apiRegistry } from '../registry.ts';
import type { RouteDeps, RoutePluginOptions } from '../deps.ts';
import { ApiError, errorResponses } from '../errors.ts';
import { instantParam, isoTime } from '../schemas.ts';

// The live planner: what decides now and from which schedule, and the charging sessions as it plans
// them. A fleet operator tells the departure and energy of a session whose charger cannot (OCPP 1.6J,
// or 2.0.1 without NotifyEVChargingNeeds); until then the planner assumes what the site's own history
// (or the district file) suggests.

/** The most energy one session may ask for, kWh: above any bus or car battery on the market. */
export const SESSION_ENERGY_MAX_KWH = 1000;

const plannerSchema = z
  .object({
    strategy: z.string(),
    mode: z.enum(['schedule', 'rules', 'direct']).register(apiRegistry, {
      description:
        'schedule: following the newest plan; rules: no valid plan covers now, rules decide; direct: a strategy without plans decides every cycle',
    }),
    scheduleId: z.number().int().nullable(),
    scheduleMadeAt: isoTime.nullable(),
    solving: z.boolean(),
    lastSolve: z
      .object({ at: isoTime, status: z.string(), solveMs: z.number(), reason: z.string() })
      .nullable(),
    counters: z.record(z.string(), z.number()),
  })
  .register(apiRegistry, { id: 'PlannerStatus' });

const sessionSchema = z
  .object({
    key: z.string(),
    assetId: z.string(),
    channel: z.string(),
    arrival: isoTime,
    departure: isoTime,
    energyKwh: z.number(),
    deliveredKwh: z.number(),
  })
  .register(apiRegistry, { id: 'PlannedChargingSession' });

const needsSchema = z
  .strictObject({
    assetId: z.string().min(1),
    channel: z
      .string()
      .min(1)
      .register(apiRegistry, { description: 'the connector or EVSE, e.g. campus-ev-ac-001/2' }),
    departure: instantParam.optional(),
    energyKwh: z.number().positive().max(SESSION_ENERGY_MAX_KWH).optional(),
  })
  .refine((b) => b.departure !== undefined || b.energyKwh !== undefined, {
    message: 'give departure, energyKwh or both',
    path: ['departure'],
  })
  .register(apiRegistry, { id: 'SessionNeeds' });

function planner(deps: RouteDeps) {
  const p = deps.live.planner;
  if (!p) throw new ApiError('BITGRID_ERR_PLANNER_UNAVAILABLE', 'this live system has no planner');
  return p;
}

export const plannerRoutes: FastifyPluginAsyncZod<RoutePluginOptions> = async (app, { deps }) => {
  app.get(
    '/planner',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'What decides now: the strategy, the schedule in force, the last re-plan',
        tags: ['control'],
        response: { 200: plannerSchema, ...errorResponses(401, 403, 429, 503) },
      },
    },
    async () => {
      const s = planner(deps).status();
      return {
        strategy: s.strategy,
        mode: s.mode,
        scheduleId: s.scheduleId ?? null,
        scheduleMadeAt: s.scheduleMadeMs !== undefined ? deps.iso(s.scheduleMadeMs) : null,
        solving: s.solving,
        lastSolve: s.lastSolve
          ? {
              at: deps.iso(s.lastSolve.atMs),
              status: s.lastSolve.status,
              solveMs: s.lastSolve.solveMs,
              reason: s.lastSolve.reason,
            }
          : null,
        counters: s.counters,
      };
    },
  );

  app.get(
    '/charging-sessions',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'Charging sessions in progress, with the departure and energy the planner works to',
        tags: ['control'],
        response: {
          200: z.object({ sessions: z.array(sessionSchema) }),
          ...errorResponses(401, 403, 429, 503),
        },
      },
    },
    async () => ({
      sessions: planner(deps)
        .sessions()
        .map((s) => ({
          key: s.key,
          assetId: s.assetId,
          channel: s.channel,
          arrival: deps.iso(s.arrivalMs),
          departure: deps.iso(s.departureMs),
          energyKwh: s.energyKwh,
          deliveredKwh: s.deliveredKwh,
        })),
    }),
  );

  app.put(
    '/charging-sessions/needs',
    {
      config: {
        access: 'operator',
        audit: {
          action: 'session.needs',
          target: (req) => (req.body as { assetId?: string } | undefined)?.assetId ?? 'sessions',
        },
      },
      schema: {
        summary: "Tell a session's departure and energy (for chargers that cannot)",
        tags: ['control'],
        body: needsSchema,
        response: { 200: z.object({ ok: z.literal(true) }), ...errorResponses(400, 401, 403, 404, 429, 503) },
      },
    },
    async (req) => {
      const b = req.body;
      if (b.departure !== undefined && b.departure <= deps.now())
        throw new ApiError('BITGRID_ERR_VALIDATION', 'departure must be in the future', 'departure');
      req.auditDetails = {
        channel: b.channel,
        energyKwh: b.energyKwh ?? null,
        departureMs: b.departure ?? null,
      };
      const ok = await planner(deps).setSessionNeeds(b.assetId, b.channel, {
        departureMs: b.departure,
        energyKwh: b.energyKwh,
      });
      if (!ok)
        throw new ApiError(
          'BITGRID_ERR_NOT_FOUND',
          `no charging session on ${b.assetId} ${b.channel}`,
          'channel',
        );
      return { ok: true as const };
    },
  );
};
