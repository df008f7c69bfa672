import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { apiRegistry } from '../registry.ts';
import type { RoutePluginOptions } from '../deps.ts';
import { isoTime } from '../schemas.ts';

const healthSchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    version: z.string(),
    uptimeS: z.number(),
    time: isoTime,
    store: z.object({
      ok: z.boolean(),
      dialect: z.enum(['sqlite', 'postgres']),
      schemaVersion: z.number().int().optional(),
      error: z.string().optional(),
    }),
    simulations: z.object({ running: z.number().int(), queued: z.number().int() }),
  })
  .register(apiRegistry, { id: 'Health' });

export const systemRoutes: FastifyPluginAsyncZod<RoutePluginOptions> = async (app, { deps }) => {
  app.get(
    '/health',
    {
      config: { access: 'public' },
      schema: {
        summary: 'Liveness and store health (no token needed)',
        tags: ['system'],
        response: { 200: healthSchema, 503: healthSchema },
      },
    },
    async (_req, reply) => {
      const store: z.infer<typeof healthSchema>['store'] = { ok: true, dialect: deps.store.dialect };
      try {
        store.schemaVersion = await deps.store.schemaVersion();
      } catch (e) {
        store.ok = false;
        store.error = (e as Error).message;
      }
      const now = deps.now();
      return reply.code(store.ok ? 200 : 503).send({
        status: store.ok ? 'ok' : 'degraded',
        version: deps.version,
        uptimeS: Math.round((Date.now() - deps.startedMs) / 1000),
        time: deps.iso(now),
        store,
        simulations: { running: deps.sims.activeCount, queued: deps.sims.queuedCount },
      });
    },
  );

  app.get(
    '/openapi.json',
    {
      config: { access: 'public' },
      schema: { summary: 'This API described as OpenAPI 3', tags: ['system'], hide: true },
    },
    async (_req, reply) => reply.type('application/json; charset=utf-8').send(JSON.stringify(app.swagger())),
  );
};
