import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { apiRegistry } from '../registry.ts';
import { GuardRejection } from '../../control/types.ts';
import { actorOf, AUDIT_TARGET_MAX_CHARS, handOverAudit } from '../auth.ts';
import type { RoutePluginOptions } from '../deps.ts';
import { ApiError, errorResponses } from '../errors.ts';
import { overrideOut } from '../records.ts';
import { overrideSchema } from '../schemas.ts';

/**
 * Longest override: one day. An override is a manual intervention that must come back to the
 * operator's attention; longer holds belong in the configuration, not here.
 */
export const OVERRIDE_MAX_MINUTES = 24 * 60;
/** Reasons are a sentence or two for the audit log. */
export const OVERRIDE_REASON_MAX_CHARS = 500;

export const SETPOINT_KINDS = [
  'battery_power_kw',
  'pv_power_limit_kw',
  'charging_limit_kw',
  'load_limit_kw',
] as const;

const newOverrideSchema = z
  .strictObject({
    // The store keeps ids of at most 200 characters; longer is no asset of any district.
    assetId: z.string().min(1).max(AUDIT_TARGET_MAX_CHARS),
    kind: z.enum(SETPOINT_KINDS),
    value: z
      .number()
      .register(apiRegistry, { description: 'kW, in the sign convention of the kind (battery discharge +)' }),
    channel: z.string().min(1).optional(),
    durationMinutes: z.number().positive().max(OVERRIDE_MAX_MINUTES),
    reason: z.string().trim().min(1).max(OVERRIDE_REASON_MAX_CHARS),
  })
  .register(apiRegistry, { id: 'NewOverride' });

export const overrideRoutes: FastifyPluginAsyncZod<RoutePluginOptions> = async (app, { deps }) => {
  app.get(
    '/overrides',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'Overrides in force',
        tags: ['control'],
        response: { 200: z.object({ overrides: z.array(overrideSchema) }), ...errorResponses(401, 403, 429) },
      },
    },
    async () => ({ overrides: deps.live.overrides().map((o) => overrideOut(o, deps.iso)) }),
  );

  app.post(
    '/overrides',
    {
      config: {
        access: 'operator',
        audit: {
          action: 'override.set',
          // Whatever the client sent as assetId (sanitised when audited); no assetId at all: `overrides`.
          target: (req) => {
            const b = req.body as Record<string, unknown> | undefined;
            return b && typeof b === 'object' && 'assetId' in b ? b.assetId : 'overrides';
          },
        },
      },
      schema: {
        summary: 'Hold an asset at a value for a while (checked by the safety guards)',
        tags: ['control'],
        body: newOverrideSchema,
        response: { 201: overrideSchema, ...errorResponses(400, 401, 403, 422, 429) },
      },
    },
    async (req, reply) => {
      const b = req.body;
      req.auditDetails = { kind: b.kind, value: b.value, durationMinutes: b.durationMinutes };
      const o = await handOverAudit(req, GuardRejection, () =>
        deps.live.setOverride(
          {
            assetId: b.assetId,
            kind: b.kind,
            value: b.value,
            channel: b.channel,
            durationMinutes: b.durationMinutes,
            reason: b.reason,
          },
          actorOf(req),
        ),
      );
      return reply.code(201).send(overrideOut(o, deps.iso));
    },
  );

  app.delete(
    '/overrides/:id',
    {
      config: {
        access: 'operator',
        audit: {
          action: 'override.clear',
          target: (req) => (req.params as { id?: string })?.id ?? 'overrides',
        },
      },
      schema: {
        summary: 'End an override now; the asset returns to automatic control',
        tags: ['control'],
        params: z.object({ id: z.string().min(1) }),
        response: {
          200: z.object({ id: z.string(), cleared: z.literal(true) }),
          ...errorResponses(401, 403, 404, 429),
        },
      },
    },
    async (req) => {
      const o = deps.live.overrides().find((x) => x.id === req.params.id);
      if (!o) throw new ApiError('BITGRID_ERR_NOT_FOUND', `no override "${req.params.id}" in force`, 'id');
      req.auditTarget = o.assetId;
      try {
        await handOverAudit(req, GuardRejection, () => deps.live.clearOverride(o.id, actorOf(req)));
      } catch (e) {
        // It expired or was cleared between the lookup and the call.
        if (e instanceof GuardRejection) throw new ApiError('BITGRID_ERR_NOT_FOUND', e.message, 'id');
        throw e;
      }
      return { id: o.id, cleared: true as const };
    },
  );
};
