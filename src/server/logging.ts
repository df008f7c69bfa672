import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';

// Secrets never reach the log: Authorization headers and cookies are redacted wherever a logged object
// carries them, and the `token` query parameter (WebSocket/SSE) is cut out of every logged URL.

export const REDACTED = '[REDACTED]';

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["sec-websocket-protocol"]',
  'headers.authorization',
  'headers.cookie',
  'authorization',
  'token',
  '*.token',
  'req.query.token',
];

/** What `serve`'s own logger (control process and API worker alike) never writes out. */
export const SERVE_LOG_REDACT = ['*.client_secret', '*.password', '*.token', 'req.headers.authorization'];

/** The URL with the value of every `token` query parameter replaced. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]token=)[^&#]*/gi, `$1${encodeURIComponent(REDACTED)}`);
}

function reqSerializer(req: FastifyRequest | Record<string, unknown>) {
  // Anything logged under `req` passes here, not only fastify requests: keep only safe fields.
  const r = req as Partial<FastifyRequest>;
  return {
    method: r.method,
    url: typeof r.url === 'string' ? redactUrl(r.url) : undefined,
    remoteAddress: r.ip,
  };
}

/** A child of the caller's logger with the API's redaction and request serializer. */
export function apiLogger(base: Logger): Logger {
  return base.child(
    { component: 'api' },
    {
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      serializers: { req: reqSerializer as never },
    },
  );
}
