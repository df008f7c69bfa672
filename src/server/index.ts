import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifyUnderPressure from '@fastify/under-pressure';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
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
import { LoopWatch } from './health.ts';
import { apiLogger } from './logging.ts';
import { ApiMetrics } from './metrics.ts';
import { isoIn } from './records.ts';
import { apiRegistry } from './registry.ts';
import { dataRoutes } from './routes/data.ts';
import { districtRoutes } from './routes/district.ts';
import { eventRoutes } from './routes/events.ts';
import { forecastRoutes } from './routes/forecast.ts';
import { plannerRoutes } from './routes/planner.ts';
import { jobRoutes } from './routes/jobs.ts';
import { ledgerRoutes } from './routes/ledger.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { overrideRoutes } from './routes/overrides.ts';
import { simulationRoutes } from './routes/simulations.ts';
import { STREAM_TOKEN_RECHECK_MS, streamRoutes } from './routes/stream.ts';
import { systemRoutes } from './routes/system.ts';
import { testbedRoutes } from './routes/testbed.ts';
import { tokenRoutes } from './routes/tokens.ts';
import {
  DEFAULT_SHEDDING,
  helmetOptions,
  PressureSpell,
  underPressureOptions,
  type SheddingLimits,
} from './security.ts';
import { SimulationManager, type SimulationManagerOptions } from './simulations.ts';
import { TokenCache, type TokenCacheOptions } from './token-cache.ts';

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
  /**
   * Behind a reverse proxy: take the client address and protocol from X-Forwarded-For and
   * X-Forwarded-Proto. `true` trusts every hop; better name the proxy: an address, a CIDR range or a
   * comma-separated list of them (`127.0.0.1`, `10.0.0.0/8`, `loopback`), or the number of hops.
   */
  trustProxy?: boolean | string | number;
  /** Serve HTTPS with this PEM certificate (chain) and key, files read at start. */
  tls?: { certFile: string; keyFile: string };
  /** Token checks remembered in memory (token-cache.ts); tests shorten the times. */
  tokenCache?: TokenCacheOptions;
  /** How often an open stream re-checks its token, wall ms (default STREAM_TOKEN_RECHECK_MS). */
  streamTokenRecheckMs?: number;
  /** Load shedding limits (security.ts), or false to switch it off (benchmarks comparing both). */
  shedding?: Partial<SheddingLimits> | false;
  simulations?: Pick<SimulationManagerOptions, 'maxConcurrent' | 'maxQueued' | 'timeoutMs'>;
}

/** A reply to a request Node's HTTP parser refused (bad request line or headers), in the envelope. */
function clientErrorReply(message: string): string {
  const body = JSON.stringify({ error: { code: 'BITGRID_ERR_BAD_REQUEST', message } });
  return (
    'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

/** `/api/tokens/:id` → a pattern matching `/api/tokens/3f9c…`, for telling 405 from 404. */
function routePattern(url: string): RegExp {
  const escaped = url
    .split('/')
    .map((seg) =>
      seg.startsWith(':') ? '[^/]+' : seg === '*' ? '.*' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('/');
  return new RegExp(`^${escaped}/?$`);
}

/** Fastify with the API's envelope for requests it refuses itself, TLS when configured, zod schemas. */
function createFastify(opts: ServerOptions) {
  if (opts.tls && (!opts.tls.certFile || !opts.tls.keyFile))
    throw new Error('TLS needs both a certificate file and a key file');
  const https = opts.tls
    ? { cert: readFileSync(opts.tls.certFile), key: readFileSync(opts.tls.keyFile) }
    : undefined;
  const fastifyOptions: FastifyServerOptions & { https?: { cert: Buffer; key: Buffer } } = {
    ...(opts.logger ? { loggerInstance: apiLogger(opts.logger) } : { logger: false }),
    bodyLimit: BODY_LIMIT_BYTES,
    // A hop count is valid (proxy-addr takes it) though Fastify's types leave it out.
    trustProxy: (opts.trustProxy ?? false) as FastifyServerOptions['trustProxy'],
    ...(https ? { https } : {}),
    // Fastify's own refusals (a bad URL, a parameter too long) in the API's envelope.
    frameworkErrors: (err, req, reply) => errorHandler(err, req, reply),
    // Requests Node cannot even parse: the envelope too, written on the socket.
    clientErrorHandler: (err, socket) => {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ECONNRESET' || code === 'EPIPE' || !socket.writable) {
        socket.destroy();
        return;
      }
      socket.end(clientErrorReply(`the request could not be parsed (${code ?? 'malformed'})`));
    },
    // Our own onRequest hook answers while closing, in the envelope (Fastify's has its own body).
    return503OnClosing: false,
  };
  const app = Fastify(fastifyOptions as FastifyServerOptions).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  return { app, https: Boolean(https) };
}

/** The server as createServer builds it: Fastify with zod schemas as its type provider. */
type ApiApp = ReturnType<typeof createFastify>['app'];

/**
 * What every request passes before its route: refused while closing, security headers, load
 * shedding, JSON bodies only, and a Bearer challenge on every 401. Returns the shedding limits in
 * force (undefined when shedding is off).
 */
async function installRequestGuards(
  app: ApiApp,
  opts: ServerOptions,
  https: boolean,
): Promise<SheddingLimits | undefined> {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async () => {
    if (closing) throw new ApiError('BITGRID_ERR_SHUTTING_DOWN', 'the server is stopping; retry shortly');
  });
  // Security headers on every reply, errors and the dashboard's files included (security.ts).
  await app.register(fastifyHelmet, helmetOptions(https));
  // Shedding comes before the token check: a shed request should cost as little as possible.
  const shedding = opts.shedding === false ? undefined : { ...DEFAULT_SHEDDING, ...opts.shedding };
  if (shedding) {
    const spell = new PressureSpell(shedding, () => app.isUnderPressure());
    await app.register(fastifyUnderPressure, underPressureOptions(shedding, spell));
    spell.start();
    app.addHook('onClose', async () => spell.stop());
  }
  // Bodies are JSON only: anything else is a 415, not a string that fails validation.
  app.removeContentTypeParser('text/plain');
  app.addHook('onSend', async (req, reply, payload) => {
    if (reply.statusCode === 401) reply.header('www-authenticate', 'Bearer realm="bitgrid"');
    return payload;
  });
  return shedding;
}

/**
 * What the routes share (RouteDeps): the simulation runs (interrupted ones from before a restart
 * marked failed), the token cache, the loop watch and the metrics, each stopped when the server closes.
 */
async function createRouteDeps(app: ApiApp, opts: ServerOptions, shedding: boolean): Promise<RouteDeps> {
  const now = opts.now ?? Date.now;
  const zone = opts.scenario.scenario.timezone;
  const sims = new SimulationManager({ store: opts.store, now, log: app.log, ...opts.simulations });
  const startedMs = Date.now();
  const tokens = new TokenCache(opts.tokenCache);
  const loopWatch = new LoopWatch(opts.live, startedMs);
  loopWatch.start();
  app.addHook('onClose', async () => loopWatch.stop());
  const metrics = new ApiMetrics({
    live: opts.live,
    eventLoop: shedding
      ? () => {
          const m = (
            app as unknown as { memoryUsage(): { eventLoopDelay: number; eventLoopUtilized: number } }
          ).memoryUsage();
          return { delayMs: m.eventLoopDelay, utilization: m.eventLoopUtilized };
        }
      : undefined,
  });
  metrics.install(app as unknown as FastifyInstance);
  try {
    const n = await sims.recoverInterrupted();
    if (n > 0) app.log.warn({ runs: n }, 'marked simulation runs interrupted by a restart as failed');
  } catch (e) {
    app.log.error({ err: e }, 'could not check for interrupted simulation runs');
  }
  app.addHook('onClose', async () => sims.close());
  return {
    live: opts.live,
    store: opts.store,
    scenario: opts.scenario,
    zone,
    iso: isoIn(zone),
    now,
    sims,
    version: API_VERSION,
    startedMs,
    tokens,
    streamTokenRecheckMs: opts.streamTokenRecheckMs ?? STREAM_TOKEN_RECHECK_MS,
    loopWatch,
    metrics,
  };
}

/** Which methods one API path takes. */
interface ApiPathMethods {
  pattern: RegExp;
  methods: Set<string>;
}

/**
 * Records the methods of every API path as routes are added (filled while routes register), so a
 * wrong method can be a 405 with Allow rather than a 404.
 */
function trackApiMethods(app: ApiApp): ApiPathMethods[] {
  const apiRoutes: ApiPathMethods[] = [];
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api') && route.url !== '/metrics') return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    let entry = apiRoutes.find((r) => r.pattern.source === routePattern(route.url).source);
    if (!entry) apiRoutes.push((entry = { pattern: routePattern(route.url), methods: new Set() }));
    for (const m of methods) entry.methods.add(m);
    if (entry.methods.has('GET')) entry.methods.add('HEAD');
  });
  return apiRoutes;
}

/** Every /api route: a bearer-token security requirement in the document when it is not public. */
function documentRouteAccess(app: ApiApp): void {
  app.addHook('onRoute', (route) => {
    const access = (route.config as { access?: string } | undefined)?.access;
    const guarded = route.url.startsWith('/api') || route.url === '/metrics';
    if (guarded && access && access !== 'public' && route.schema) {
      (route.schema as Record<string, unknown>).security = [{ bearerAuth: [] }];
      const role = `Needs a token with role **${access}** or higher.`;
      const d = (route.schema as { description?: string }).description;
      (route.schema as Record<string, unknown>).description = d ? `${d}\n\n${role}` : role;
    }
  });
}

/** The OpenAPI document, generated from the routes' zod schemas (docs/openapi.json). */
async function registerOpenApi(app: ApiApp): Promise<void> {
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
}

/** One request budget per token, else per address (ServerOptions.rateLimit; false: none). */
async function registerRateLimit(app: ApiApp, rateLimit: ServerOptions['rateLimit']): Promise<void> {
  if (rateLimit === false) return;
  const limit = rateLimit ?? DEFAULT_RATE_LIMIT;
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

/** WebSocket support for the live stream, with a going-away close for its clients on shutdown. */
async function registerWebsocket(app: ApiApp): Promise<void> {
  // Ahead of @fastify/websocket's own preClose, which closes sockets without a code: clients should
  // learn that the server is going away (1001) and reconnect, not see an abnormal close.
  app.addHook('preClose', async () => {
    for (const client of app.websocketServer?.clients ?? []) client.close(1001, 'server closing');
  });
  await app.register(fastifyWebsocket, { options: { maxPayload: WS_MAX_INCOMING_BYTES } });
}

/** Every route plugin under /api, and /metrics. */
async function registerRoutes(app: ApiApp, deps: RouteDeps): Promise<void> {
  const plugins = [
    systemRoutes,
    districtRoutes,
    streamRoutes,
    dataRoutes,
    eventRoutes,
    overrideRoutes,
    jobRoutes,
    plannerRoutes,
    forecastRoutes,
    tokenRoutes,
    simulationRoutes,
    ledgerRoutes,
    testbedRoutes,
  ];
  for (const plugin of plugins) await app.register(plugin, { prefix: '/api', deps });
  await app.register(metricsRoutes, { deps });
}

/**
 * The dashboard's files at `/` (when there is a webRoot), its index for the pages it routes in the
 * browser, and for anything else a 405 with Allow (a known path, another method) or a 404.
 */
async function registerDashboardAndNotFound(
  app: ApiApp,
  webRoot: string | undefined,
  apiRoutes: readonly ApiPathMethods[],
): Promise<void> {
  const indexHtml = webRoot ? join(webRoot, 'index.html') : undefined;
  if (webRoot) await app.register(fastifyStatic, { root: webRoot, prefix: '/' });
  app.setNotFoundHandler((req, reply) => {
    // The dashboard routes in the browser: unknown non-API pages get its index.
    if (indexHtml && req.method === 'GET' && !req.url.startsWith('/api') && existsSync(indexHtml))
      return reply.sendFile('index.html');
    const path = req.url.split('?')[0];
    const allowed = new Set<string>();
    for (const r of apiRoutes) if (r.pattern.test(path)) for (const m of r.methods) allowed.add(m);
    if (allowed.size > 0 && !allowed.has(req.method)) {
      reply.header('allow', [...allowed].sort().join(', '));
      return errorHandler(
        new ApiError(
          'BITGRID_ERR_METHOD_NOT_ALLOWED',
          `${path} takes ${[...allowed].sort().join(', ')}, not ${req.method}`,
        ),
        req,
        reply,
      );
    }
    return errorHandler(new ApiError('BITGRID_ERR_NOT_FOUND', `no route ${req.method} ${path}`), req, reply);
  });
}

/**
 * Builds the server; the caller listens (`await app.listen({ host, port })`) and closes it
 * (`await app.close()`, which ends streams and simulation workers). The store stays open: the
 * caller owns it. Hooks run in the order they are added, so the steps below keep their order.
 */
export async function createServer(opts: ServerOptions): Promise<FastifyInstance> {
  const { app, https } = createFastify(opts);
  const shedding = await installRequestGuards(app, opts, https);
  const deps = await createRouteDeps(app, opts, shedding !== undefined);
  documentRouteAccess(app);
  const apiRoutes = trackApiMethods(app);
  installAuth(app as unknown as FastifyInstance, { store: opts.store, now: deps.now, tokens: deps.tokens });
  await registerOpenApi(app);
  await registerRateLimit(app, opts.rateLimit);
  await registerWebsocket(app);
  await registerRoutes(app, deps);
  await registerDashboardAndNotFound(app, opts.webRoot, apiRoutes);
  return app as unknown as FastifyInstance;
}

export { ApiError, ERROR_CODES, type ApiErrorCode } from './errors.ts';
export type { Access, Identity } from './auth.ts';
export { REDACT_PATHS, redactUrl } from './logging.ts';
