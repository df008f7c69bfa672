import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { EVENT_SEVERITIES, LIST_MAX_ROWS } from '../../store/index.ts';
import { actorOf } from '../auth.ts';
import type { RoutePluginOptions } from '../deps.ts';
import { errorResponses } from '../errors.ts';
import { auditOut, eventOut } from '../records.ts';
import { auditEntrySchema, countParam, eventSchema, flagParam, instantParam } from '../schemas.ts';

/** Rows listed when no limit is given: a screenful plus scrolling. */
export const EVENTS_DEFAULT_LIMIT = 200;

const idParams = z.object({ id: z.coerce.number().int().positive() });

export const eventRoutes: FastifyPluginAsyncZod<RoutePluginOptions> = async (app, { deps }) => {
  app.get(
    '/events',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'Events (alarms, warnings, notices), newest first',
        tags: ['events'],
        querystring: z.object({
          from: instantParam.optional(),
          to: instantParam.optional(),
          minSeverity: z.enum(EVENT_SEVERITIES).optional(),
          asset: z.string().min(1).optional(),
          source: z.string().min(1).optional(),
          unacknowledged: flagParam.optional(),
          limit: countParam(LIST_MAX_ROWS).optional(),
        }),
        response: { 200: z.object({ events: z.array(eventSchema) }), ...errorResponses(400, 401, 403, 429) },
      },
    },
    async (req) => {
      const q = req.query;
      const rows = await deps.store.listEvents({
        fromMs: q.from,
        toMs: q.to,
        minSeverity: q.minSeverity,
        assetId: q.asset,
        source: q.source,
        unacknowledgedOnly: q.unacknowledged,
        limit: q.limit ?? EVENTS_DEFAULT_LIMIT,
      });
      return { events: rows.map((e) => eventOut(e, deps.iso)) };
    },
  );

  app.post(
    '/events/:id/ack',
    {
      config: {
        access: 'operator',
        audit: {
          action: 'event.ack',
          target: (req) => `event:${(req.params as { id?: unknown })?.id ?? '?'}`,
        },
      },
      schema: {
        summary: 'Acknowledge an event (acknowledging twice keeps the first acknowledgement)',
        tags: ['events'],
        params: idParams,
        response: { 200: eventSchema, ...errorResponses(400, 401, 403, 404, 429) },
      },
    },
    async (req) => {
      const e = await deps.store.acknowledgeEvent(req.params.id, actorOf(req).id, deps.now());
      return eventOut(e, deps.iso);
    },
  );

  app.get(
    '/audit',
    {
      config: { access: 'operator' },
      schema: {
        summary: 'The audit log: every write through the API and the control loop, newest first by default',
        tags: ['events'],
        querystring: z.object({
          from: instantParam.optional(),
          to: instantParam.optional(),
          actor: z.string().min(1).optional(),
          action: z.string().min(1).optional(),
          target: z.string().min(1).optional(),
          afterId: z.coerce.number().int().positive().optional(),
          beforeId: z.coerce.number().int().positive().optional(),
          order: z.enum(['asc', 'desc']).optional(),
          limit: countParam(LIST_MAX_ROWS).optional(),
        }),
        response: {
          200: z.object({ entries: z.array(auditEntrySchema) }),
          ...errorResponses(400, 401, 403, 429),
        },
      },
    },
    async (req) => {
      const q = req.query;
      const rows = await deps.store.listAudit({
        fromMs: q.from,
        toMs: q.to,
        actor: q.actor,
        action: q.action,
        target: q.target,
        afterId: q.afterId,
        beforeId: q.beforeId,
        order: q.order,
        limit: q.limit ?? EVENTS_DEFAULT_LIMIT,
      });
      return { entries: rows.map((a) => auditOut(a, deps.iso)) };
    },
  );
};
