import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { apiRegistry } from '../registry.ts';
import type { RoutePluginOptions } from '../deps.ts';
import { errorResponses } from '../errors.ts';

// GET /metrics for Prometheus. It needs a viewer token like every other read (a scrape config's
// `authorization: { credentials_file: … }`): the figures say which devices are down and when, and
// an address rule would let anything behind a same-host reverse proxy in. It is exempt from load
// shedding, because it is what shows the overload, and counted in the rate limit like any caller.

export const metricsRoutes: FastifyPluginAsyncZod<RoutePluginOptions> = async (app, { deps }) => {
  app.get(
    '/metrics',
    {
      config: { access: 'viewer', shedUnderPressure: false },
      schema: {
        summary:
          'Metrics in the Prometheus text format (control loop, store, telemetry, drivers, planner, HTTP)',
        tags: ['system'],
        response: {
          200: z.string().register(apiRegistry, { description: 'Prometheus text exposition format 0.0.4' }),
          ...errorResponses(401, 403, 429),
        },
      },
    },
    async (_req, reply) => {
      const text = await deps.metrics.text();
      return reply
        .type(deps.metrics.contentType)
        .serializer((x: unknown) => String(x))
        .send(text);
    },
  );
};
