import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { apiRegistry } from '../registry.ts';
import type { LiveHealth } from '../../control/types.ts';
import type { RoutePluginOptions } from '../deps.ts';
import type { Iso } from '../records.ts';
import { isoTime } from '../schemas.ts';

/** The live system's report at the API: the wall time of the last cycle as an ISO time (wire rule). */
function liveHealthOut(h: LiveHealth, iso: Iso) {
  const { lastCycleEndWallMs, ...rest } = h;
  return {
    ...rest,
    ...(lastCycleEndWallMs !== undefined ? { lastCycleEnd: iso(lastCycleEndWallMs) } : {}),
  };
}

const liveHealthSchema = z
  .object({
    cycles: z.number().int(),
    lastCycleEnd: isoTime
      .optional()
      .register(apiRegistry, { description: 'when the last control cycle ended (wall clock)' }),
    cyclePeriodWallMs: z.number(),
    cycleDurationMs: z.object({ last: z.number(), p50: z.number(), p99: z.number(), max: z.number() }),
    cyclesLate: z.number().int(),
    cyclesFailed: z.number().int(),
    store: z.object({
      ok: z.boolean().register(apiRegistry, { description: 'false while the store refuses writes' }),
      lastError: z.string().optional(),
      bufferedPoints: z.number().int(),
      droppedPoints: z.number().int(),
    }),
    telemetry: z.object({ accepted: z.number().int(), rejected: z.record(z.string(), z.number().int()) }),
    drivers: z.array(
      z.object({ id: z.string(), type: z.string(), health: z.string(), lastError: z.string().optional() }),
    ),
  })
  .register(apiRegistry, {
    id: 'LiveHealth',
    description: "The control loop's own report: cycle timing, the store's writes, telemetry, drivers",
  });

const healthSchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    version: z.string(),
    uptimeS: z.number(),
    time: isoTime,
    store: z.object({
      ok: z.boolean().register(apiRegistry, {
        description: 'the store answers reads and (as the live system sees it) takes writes',
      }),
      dialect: z.enum(['sqlite', 'postgres']),
      schemaVersion: z.number().int().optional(),
      error: z.string().optional(),
    }),
    problems: z
      .array(z.string())
      .register(apiRegistry, { description: 'why the status is `degraded`; empty when it is `ok`' }),
    live: liveHealthSchema.optional(),
    simulations: z.object({ running: z.number().int(), queued: z.number().int() }),
  })
  .register(apiRegistry, { id: 'Health' });

export const systemRoutes: FastifyPluginAsyncZod<RoutePluginOptions> = async (app, { deps }) => {
  app.get(
    '/health',
    {
      // Outside the rate limit and the load shedding: a probe must always get the truth.
      config: { access: 'public', rateLimit: false, shedUnderPressure: false },
      schema: {
        summary: 'Liveness, store and control-loop health (no token needed)',
        tags: ['system'],
        response: { 200: healthSchema, 503: healthSchema },
      },
    },
    async (_req, reply) => {
      const store: z.infer<typeof healthSchema>['store'] = { ok: true, dialect: deps.store.dialect };
      const problems: string[] = [];
      try {
        store.schemaVersion = await deps.store.schemaVersion();
      } catch (e) {
        store.ok = false;
        store.error = (e as Error).message;
        problems.push(`the store cannot be read: ${store.error}`);
      }
      const { health: h, problems: loopProblems } = deps.loopWatch.assess();
      problems.push(...loopProblems);
      if (h && !h.store.ok) {
        store.ok = false;
        store.error ??= h.store.lastError ?? 'the store refuses writes';
      }
      const now = deps.now();
      const degraded = problems.length > 0;
      return reply.code(degraded ? 503 : 200).send({
        status: degraded ? 'degraded' : 'ok',
        version: deps.version,
        uptimeS: Math.round((Date.now() - deps.startedMs) / 1000),
        time: deps.iso(now),
        store,
        problems,
        ...(h ? { live: liveHealthOut(h, deps.iso) } : {}),
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
