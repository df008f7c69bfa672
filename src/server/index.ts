import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  createJsonSchemaTransform,
  createJsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { LiveSystem } from '../control/types.ts';
import type { LoadedScenario } from '../model/load.ts';
import type { Store } from '../store/index.ts';
import { installAuth } from './auth.ts';
import type { RouteDeps } from './deps.ts';
import { ApiError, errorHandler } from './errors.ts';
import { apiLogger } from './logging.ts';
import { isoIn } from './records.ts';
import { apiRegistry } from './registry.ts';
import { dataRoutes } from './routes/data.ts';
import { districtRoutes } from './routes/district.ts';
import { eventRoutes } from './routes/events.ts';
import { plannerRoutes } from './routes/planner.ts';
import { jobRoutes } from './routes/jobs.ts';
import { overrideRoutes } from './routes/overrides.ts';
import { simulationRoutes } from './routes/simulations.ts';
import { streamRoutes } from './routes/stream.ts';
import { systemRoutes } from './routes/system.ts';
import { tokenRoutes } from './routes/tokens.ts';
import { SimulationManager, type SimulationManagerOptions } from './simulations.ts';

// The HTTP API of the live system (`bitgrid serve`): REST under /api, the live stream over WebSocket
// and SSE, token auth with roles, rate limiting, an audit entry for every write, and the OpenAPI
// document generated from the same zod schemas that validate requests. docs/api.md describes it.

/**
 * Requests per token (or per address, without one) per window. A dashboard polling a few endpoints
 * every second stays well under 300 a minute; 1,200 leaves room for several tabs and scripts.
 */
export const DEFAULT_RATE_LIMIT = { max: 1_200, timeWindowMs: 60_000 };
/** Largest request body: an uploaded district file (SCENARIO_MAX_CHARS) as JSON, with room to spare. */
export const BODY_LIMIT_BYTES = 1 << 20;

/** Clients send nothing on the stream; anything large is refused by the WebSocket layer. */
export const WS_MAX_INCOMING_BYTES = 64 * 1024;

const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};
export const API_VERSION = packageJson.version;

export interface ServerOptions {
  live: LiveSystem;
  store: Store;
  /** The district the live system runs (for /api/district, KPIs and `current` simulations). */
  scenario: LoadedScenario;
  /** A pino logger; the API logs through a child of it with secrets redacted. Omitted: no logging. */
  logger?: Logger;
  /** Requests per window per token/address, or false to switch limiting off (benchmarks). */
  rateLimit?: { max: number; timeWindowMs: number } | false;
  /** Folder of the web dashboard, served at `/` (no token needed for the files themselves). */
  webRoot?: string;
  /** The clock for audit times, token use and "now" (default: the wall clock). */
  now?: () => number;
  /** Behind a reverse proxy: take the client address from X-Forwarded-For (for per-address limits). */
  trustProxy?: boolean;
  simulations?: Pick<SimulationManagerOptions, 'maxConcurrent' | 'maxQueued' | 'timeoutMs'>;
}

/**
 * Builds the server; the caller listens (`await app.listen({ host, port })`) and closes it
 * (`await app.close()`, which ends streams and simulation workers). The store stays open: the
 * caller owns it.
 */
export async function createServer(opts: ServerOptions): Promise<FastifyInstance> {
  const now = opts.now ?? Date.now;
  const zone = opts.scenario.scenario.timezone;
  const app = Fastify({
    ...(opts.logger ? { loggerInstance: apiLogger(opts.logger) } : { logger: false }),
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: opts.trustProxy ?? false,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  // Bodies are JSON only: anything else is a 415, not a string that fails validation.
  app.removeContentTypeParser('text/plain');
  app.addHook('onSend', async (req, reply, payload) => {
    if (reply.statusCode === 401) reply.header('www-authenticate', 'Bearer realm="bitgrid"');
    return payload;
  });

  const sims = new SimulationManager({ store: opts.store, now, log: app.log, ...opts.simulations });
  const deps: RouteDeps = {
    live: opts.live,
    store: opts.store,
    scenario: opts.scenario,
    zone,
    iso: isoIn(zone),
    now,
    sims,
    version: API_VERSION,
    startedMs: Date.now(),
  };
  try {
    const n = await sims.recoverInterrupted();
    if (n > 0) app.log.warn({ runs: n }, 'marked simulation runs interrupted by a restart as failed');
  } catch (e) {
    app.log.error({ err: e }, 'could not check for interrupted simulation runs');
  }
  app.addHook('onClose', async () => sims.close());

  // Every /api route: a bearer-token security requirement in the document when it is not public.
  app.addHook('onRoute', (route) => {
    const access = (route.config as { access?: string } | undefined)?.access;
    if (route.url.startsWith('/api') && access && access !== 'public' && route.schema) {
      (route.schema as Record<string, unknown>).security = [{ bearerAuth: [] }];
      const role = `Needs a token with role **${access}** or higher.`;
      const d = (route.schema as { description?: string }).description;
      (route.schema as Record<string, unknown>).description = d ? `${d}\n\n${role}` : role;
    }
  });
  installAuth(app as unknown as FastifyInstance, { store: opts.store, now });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Bitgrid API',
        description: 'The HTTP API of a live Bitgrid district (`bitgrid serve`). See docs/api.md.',
        version: API_VERSION,
      },
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            description: 'An API token (`bitgrid token create`), `bgt_…`',
          },
        },
      },
      tags: [
        { name: 'system' },
        { name: 'district' },
        { name: 'live' },
        { name: 'data' },
        { name: 'events' },
        { name: 'control' },
        { name: 'simulations' },
        { name: 'admin' },
      ],
    },
    transform: createJsonSchemaTransform({ schemaRegistry: apiRegistry }),
    transformObject: createJsonSchemaTransformObject({ schemaRegistry: apiRegistry }),
  });

  if (opts.rateLimit !== false) {
    const limit = opts.rateLimit ?? DEFAULT_RATE_LIMIT;
    await app.register(fastifyRateLimit, {
      global: true,
      max: limit.max,
      timeWindow: limit.timeWindowMs,
      // Runs after the auth hook has identified the caller: one budget per token, else per address.
      keyGenerator: (req) => (req.auth ? `token:${req.auth.id}` : `ip:${req.ip}`),
      errorResponseBuilder: (_req, ctx) =>
        new ApiError(
          'BITGRID_ERR_RATE_LIMITED',
          `rate limit of ${ctx.max} requests per ${ctx.after} window exceeded; retry in ${ctx.after}`,
        ),
    });
  }

  // Ahead of @fastify/websocket's own preClose, which closes sockets without a code: clients should
  // learn that the server is going away (1001) and reconnect, not see an abnormal close.
  app.addHook('preClose', async () => {
    for (const client of app.websocketServer?.clients ?? []) client.close(1001, 'server closing');
  });
  await app.register(fastifyWebsocket, { options: { maxPayload: WS_MAX_INCOMING_BYTES } });

  const plugins = [
    systemRoutes,
    districtRoutes,
    streamRoutes,
    dataRoutes,
    eventRoutes,
    overrideRoutes,
    jobRoutes,
    plannerRoutes,
    tokenRoutes,
    simulationRoutes,
  ];
  for (const plugin of plugins) await app.register(plugin, { prefix: '/api', deps });

  const indexHtml = opts.webRoot ? join(opts.webRoot, 'index.html') : undefined;
  if (opts.webRoot) await app.register(fastifyStatic, { root: opts.webRoot, prefix: '/' });
  app.setNotFoundHandler((req, reply) => {
    // The dashboard routes in the browser: unknown non-API pages get its index.
    if (indexHtml && req.method === 'GET' && !req.url.startsWith('/api') && existsSync(indexHtml))
      return reply.sendFile('index.html');
    return errorHandler(
      new ApiError('BITGRID_ERR_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`),
      req,
      reply,
    );
  });

  return app as unknown as FastifyInstance;
}

export { ApiError, ERROR_CODES, type ApiErrorCode } from './errors.ts';
export type { Access, Identity } from './auth.ts';
export { REDACT_PATHS, redactUrl } from './logging.ts';
