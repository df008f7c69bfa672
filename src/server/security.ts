import type { FastifyHelmetOptions } from '@fastify/helmet';
import type { FastifyUnderPressureOptions } from '@fastify/under-pressure';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from './errors.ts';

// Response headers against the browser-side attacks a dashboard that keeps its token in
// sessionStorage must fear (script injection reading the token, framing, MIME sniffing, the URL
// leaking through Referer), and load shedding that keeps API traffic from starving the control loop,
// which runs on the same event loop.

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false: this route is answered even under pressure (health, metrics). Default: shed. */
    shedUnderPressure?: boolean;
  }
}

/**
 * The Content-Security-Policy: only the dashboard's own files may run or be fetched. The built
 * dashboard (web/dist) is one module script, its chunks and one stylesheet from `/assets`, talks to
 * `/api` over fetch, WebSocket and EventSource on the same origin, and draws with canvas and SVG.
 * `style-src 'unsafe-inline'` because the chart library (ECharts tooltips) sets style
 * attributes in markup they generate; styles cannot run code, scripts stay `'self'` only.
 * `img-src data: blob:` for the inline favicon and chart exports.
 */
export function cspDirectives(tls: boolean): Record<string, string[] | null> {
  return {
    'default-src': ["'self'"],
    'script-src': ["'self'"],
    'style-src': ["'self'", "'unsafe-inline'"],
    'img-src': ["'self'", 'data:', 'blob:'],
    'font-src': ["'self'", 'data:'],
    // 'self' covers ws:/wss: to the same host in CSP Level 3 browsers.
    'connect-src': ["'self'"],
    'object-src': ["'none'"],
    'base-uri': ["'none'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
    // Behind plain HTTP (loopback, or TLS ended at a proxy that then says so itself) upgrading
    // would break every subresource; with our own TLS it is right.
    'upgrade-insecure-requests': tls ? [] : null,
  };
}

/**
 * How long browsers should keep to HTTPS once they have seen it over TLS, s: 180 days, helmet's
 * default and the usual minimum for HSTS preload checks.
 */
export const HSTS_MAX_AGE_S = 180 * 24 * 3600;

export function helmetOptions(tls: boolean): FastifyHelmetOptions {
  return {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: cspDirectives(tls) },
    // The dashboard's only cross-origin need is none; these isolate it from other origins.
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    // COEP would refuse any future cross-origin asset without CORP for no gain here.
    crossOriginEmbedderPolicy: false,
    // URLs of the stream carry `?token=` in browsers: never send them onwards.
    referrerPolicy: { policy: 'no-referrer' },
    // Only meaningful over TLS; over plain HTTP browsers ignore it, proxies should set their own.
    strictTransportSecurity: tls ? { maxAge: HSTS_MAX_AGE_S, includeSubDomains: false } : false,
    xFrameOptions: { action: 'deny' },
    xContentTypeOptions: true,
  };
}

/**
 * Event loop delay (mean over a sample) past which API requests are shed, ms. The control cycle
 * runs every second at `--speed 60` and counts as late past half a period; a loop that waits 100 ms
 * on average between turns leaves a cycle, which awaits the drivers and the store many times,
 * close to that limit. Ordinary API load on the reference machine keeps it under 20 ms.
 */
export const SHED_EVENT_LOOP_DELAY_MS = 100;
/**
 * Event loop utilisation (0–1, over a sample) past which API requests are shed: saturation, where
 * every callback (the cycle's included) waits behind a queue. Lower limits shed in ordinary busy
 * moments: with the twin at 240× and a browser on the same two cores the loop sits above 0.9 for
 * seconds at a time while every cycle is still on time.
 */
export const SHED_EVENT_LOOP_UTILIZATION = 0.98;
/** How often the event loop is sampled, ms: a fraction of a control cycle, so shedding starts in time. */
export const SHED_SAMPLE_INTERVAL_MS = 250;
/** What a shed client is told to wait, s: a few samples, long enough for the pressure to pass. */
export const SHED_RETRY_AFTER_S = 2;
/**
 * Pressure must last this long before requests are shed, ms. A single long turn (a garbage
 * collection, the twin preparing its next day synchronously) is not API load and passes by itself;
 * shedding on it only fails a dashboard's sign-in. Load that lasts a second is load, and at
 * `--speed 60` shedding then starts within the next control period.
 */
export const SHED_SUSTAINED_MS = 1_000;

export interface SheddingLimits {
  maxEventLoopDelayMs: number;
  maxEventLoopUtilization: number;
  sampleIntervalMs: number;
  retryAfterS: number;
  sustainedMs: number;
}

export const DEFAULT_SHEDDING: SheddingLimits = {
  maxEventLoopDelayMs: SHED_EVENT_LOOP_DELAY_MS,
  maxEventLoopUtilization: SHED_EVENT_LOOP_UTILIZATION,
  sampleIntervalMs: SHED_SAMPLE_INTERVAL_MS,
  retryAfterS: SHED_RETRY_AFTER_S,
  sustainedMs: SHED_SUSTAINED_MS,
};

/** Since when the event loop has been over the limits, checked every sample; undefined: it is not. */
export class PressureSpell {
  private sinceMs?: number;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly limits: SheddingLimits,
    private readonly underPressure: () => boolean,
    private readonly wallNow: () => number = Date.now,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => this.check(), this.limits.sampleIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private check(): void {
    if (this.underPressure()) this.sinceMs ??= this.wallNow();
    else this.sinceMs = undefined;
  }

  /** True once the pressure has lasted `sustainedMs` (checked again now, so a spell that just ended does not count). */
  sustained(): boolean {
    this.check();
    return this.sinceMs !== undefined && this.wallNow() - this.sinceMs >= this.limits.sustainedMs;
  }
}

/**
 * Reads are shed; writes are not: they are few, rate-limited per token, and an operator's override
 * or a revocation is what is needed most when the system is in trouble.
 */
function shed(req: FastifyRequest): boolean {
  if (req.routeOptions.config?.shedUnderPressure === false) return false;
  return req.method === 'GET' || req.method === 'HEAD';
}

export function underPressureOptions(
  limits: SheddingLimits,
  spell: PressureSpell,
): FastifyUnderPressureOptions {
  return {
    maxEventLoopDelay: limits.maxEventLoopDelayMs,
    maxEventLoopUtilization: limits.maxEventLoopUtilization,
    // Per sample, not since start: a burst must show at once.
    eventLoopUtilizationMode: 'interval',
    sampleInterval: limits.sampleIntervalMs,
    retryAfter: limits.retryAfterS,
    pressureHandler: (req: FastifyRequest, reply: FastifyReply, type: string, value: number | undefined) => {
      if (!shed(req) || !spell.sustained()) return undefined;
      reply.header('retry-after', String(limits.retryAfterS));
      const what =
        type === 'eventLoopDelay'
          ? `event loop delay ${value?.toFixed(0)} ms over ${limits.maxEventLoopDelayMs} ms`
          : type === 'eventLoopUtilization'
            ? `event loop utilisation ${value?.toFixed(2)} over ${limits.maxEventLoopUtilization}`
            : type;
      // A rejected promise reaches the error handler: the usual envelope.
      return Promise.reject(
        new ApiError(
          'BITGRID_ERR_OVERLOADED',
          `the server is shedding load to keep the control loop on time (${what}); retry in ${limits.retryAfterS} s`,
        ),
      );
    },
  };
}
