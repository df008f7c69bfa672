import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { WebSocket } from 'ws';
import type { RouteDeps, RoutePluginOptions } from '../deps.ts';
import { presentedToken } from '../auth.ts';
import { ApiError, errorResponses } from '../errors.ts';
import { tokenQuery } from '../schemas.ts';
import { deltaToWire, snapshotToWire, withoutSessionMeasurements } from '../wire.ts';

// The live stream, over WebSocket (`/api/stream`) or Server-Sent Events (`/api/stream/sse`). Both send
// the full snapshot first, then one message per control cycle with the flat key deltas of
// LiveSystem.subscribe (keys renamed by the `…Ms` → ISO rule of wire.ts). `seq` counts messages on
// the connection; a gap means a message was lost and the client should reconnect for a fresh snapshot.

/** WebSocket pings keep idle connections open through proxies and detect dead peers. */
export const WS_PING_EVERY_MS = 30_000;
/** SSE comment lines, for the same reason (many proxies close a response idle for 30–60 s). */
export const SSE_KEEPALIVE_EVERY_MS = 15_000;
/** How long an EventSource waits before reconnecting, sent in the stream's `retry:` field. */
export const SSE_RETRY_MS = 2_000;
/**
 * A client this far behind (bytes queued in the socket) is dropped rather than buffered without
 * bound; it reconnects and gets a fresh snapshot. A snapshot of the reference district is ~10 kB.
 */
export const STREAM_MAX_BUFFERED_BYTES = 1 << 20;
/** Open streams re-check their token this often, so revoking a token ends its streams. */
export const STREAM_TOKEN_RECHECK_MS = 30_000;
/** WebSocket close code for a slow consumer (4000–4999: application-defined). */
export const WS_CLOSE_SLOW = 4008;
/** WebSocket close code for a revoked token. */
export const WS_CLOSE_REVOKED = 4001;

export type StreamMessage =
  | { type: 'snapshot'; seq: number; state: Record<string, unknown> }
  | { type: 'delta'; seq: number; changes: Record<string, unknown> };

/** A delta key of a per-session measurement (see isSessionStreamKey in src/model/measurements.ts). */
const SESSION_DELTA_KEY = /\.measurements\.[^.]*@(?:[^./]*\/)?tx:/;

function withoutSessionKeys(changes: Record<string, unknown>): Record<string, unknown> {
  for (const k of Object.keys(changes)) if (SESSION_DELTA_KEY.test(k)) delete changes[k];
  return changes;
}

/** Subscribes, sends the snapshot, and forwards every delta; returns the unsubscribe function. */
function feed(deps: RouteDeps, send: (m: StreamMessage) => void): () => void {
  let seq = 0;
  // Subscribe and snapshot in the same turn of the event loop: no delta can fall between them.
  const unsubscribe = deps.live.subscribe((delta) => {
    const changes = withoutSessionKeys(deltaToWire(delta, deps.zone));
    // A cycle that changed only session keys sends nothing: `seq` stays gapless.
    if (Object.keys(changes).length) send({ type: 'delta', seq: ++seq, changes });
  });
  send({
    type: 'snapshot',
    seq: 0,
    state: withoutSessionMeasurements(snapshotToWire(deps.live.snapshot(), deps.zone)),
  });
  return unsubscribe;
}

/**
 * Whether the stream's token still stands, through the same cache as every request: a revocation
 * through the API ends the stream at the next check, one made elsewhere once the cache asks the
 * store again, and a store outage does not end live views before the cache's stale bound.
 */
async function tokenStillValid(deps: RouteDeps, req: FastifyRequest): Promise<boolean> {
  if (!req.auth) return false;
  const { token } = presentedToken(req);
  if (!token) return false;
  const checked = await deps.tokens.check(token, (t) => deps.store.verifyToken(t, deps.now()));
  // Unavailable past the stale bound: the store has been gone too long to vouch for anyone.
  return checked.kind === 'valid' && checked.rec.id === req.auth.id;
}

/** How one kind of connection carries the stream. */
interface StreamTransport {
  /** Whether a message can be written now (false: it is skipped). */
  writable(): boolean;
  /** Bytes queued for the client. */
  buffered(): number;
  write(m: StreamMessage): void;
  keepAlive(): void;
  keepAliveEveryMs: number;
  close(code?: number, reason?: string): void;
}

/**
 * Feeds one client until it closes, its token no longer stands or it falls too far behind; returns the
 * stop function, which `streams` holds while the stream is open.
 */
function serveStream(
  deps: RouteDeps,
  req: FastifyRequest,
  streams: Set<(code?: number, reason?: string) => void>,
  t: StreamTransport,
) {
  let closed = false;
  const stop = (code?: number, reason?: string) => {
    if (closed) return;
    closed = true;
    unsubscribe();
    clearInterval(timer);
    clearInterval(recheck);
    streams.delete(stop);
    t.close(code, reason);
  };
  const send = (m: StreamMessage) => {
    if (closed || !t.writable()) return;
    if (t.buffered() > STREAM_MAX_BUFFERED_BYTES) {
      req.log.warn({ buffered: t.buffered() }, 'stream client too slow; closing');
      stop(WS_CLOSE_SLOW, 'too slow: reconnect for a fresh snapshot');
      return;
    }
    t.write(m);
  };
  const timer = setInterval(() => t.keepAlive(), t.keepAliveEveryMs);
  timer.unref();
  const recheck = setInterval(async () => {
    if (!closed && !(await tokenStillValid(deps, req))) stop(WS_CLOSE_REVOKED, 'token revoked');
  }, deps.streamTokenRecheckMs);
  recheck.unref();
  const unsubscribe = feed(deps, send);
  streams.add(stop);
  return stop;
}

export const streamRoutes: FastifyPluginAsyncZod<RoutePluginOptions> = async (app, { deps }) => {
  const streams = new Set<(code?: number, reason?: string) => void>();
  // Open SSE responses would keep the HTTP server from closing; WebSockets get 1001 (see index.ts).
  app.addHook('preClose', async () => {
    for (const stop of [...streams]) stop();
  });

  app.route({
    method: 'GET',
    url: '/stream',
    config: { access: 'viewer', queryToken: true },
    schema: {
      summary: 'Live stream over WebSocket: a snapshot message, then delta messages',
      description:
        'Upgrade to WebSocket (a plain GET gets 426). Authenticate with `Authorization: Bearer <token>` or, from a browser, `?token=<token>`. ' +
        'Messages are JSON: `{"type":"snapshot","seq":0,"state":{…}}` then `{"type":"delta","seq":n,"changes":{"flat.key":value}}`.',
      tags: ['live'],
      querystring: tokenQuery,
      response: errorResponses(401, 403, 426, 429),
    },
    handler: async () => {
      throw new ApiError(
        'BITGRID_ERR_UPGRADE_REQUIRED',
        'this endpoint speaks WebSocket: send an Upgrade request (or use /api/stream/sse)',
      );
    },
    wsHandler: (socket: WebSocket, req) => {
      const stop = serveStream(deps, req, streams, {
        writable: () => socket.readyState === socket.OPEN,
        buffered: () => socket.bufferedAmount,
        write: (m) => socket.send(JSON.stringify(m)),
        keepAlive: () => {
          if (socket.readyState === socket.OPEN) socket.ping();
        },
        keepAliveEveryMs: WS_PING_EVERY_MS,
        // 1001 "going away": the server is closing (or the peer already went).
        close: (code = 1001, reason = 'server closing') => {
          if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING)
            socket.close(code, reason);
        },
      });
      socket.on('close', () => stop());
      socket.on('error', () => stop());
      // Clients have nothing to say on this stream; whatever they send is ignored.
      socket.on('message', () => undefined);
    },
  });

  app.get(
    '/stream/sse',
    {
      config: { access: 'viewer', queryToken: true },
      schema: {
        summary: 'Live stream as Server-Sent Events: a `snapshot` event, then `delta` events',
        description:
          'text/event-stream. Authenticate with `Authorization: Bearer <token>` or, for EventSource, `?token=<token>`. ' +
          'Events: `event: snapshot` with `data: {"seq":0,"state":{…}}`, then `event: delta` with `data: {"seq":n,"changes":{…}}`; the SSE `id` is `seq`.',
        tags: ['live'],
        querystring: tokenQuery,
        response: errorResponses(401, 403, 429),
      },
    },
    (req, reply) => {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        // nginx buffers responses unless told not to.
        'x-accel-buffering': 'no',
      });
      res.write(`retry: ${SSE_RETRY_MS}\n\n`);
      const stop = serveStream(deps, req, streams, {
        writable: () => true,
        buffered: () => res.writableLength,
        write: (m) => {
          const { type, ...data } = m;
          res.write(`event: ${type}\nid: ${m.seq}\ndata: ${JSON.stringify(data)}\n\n`);
        },
        keepAlive: () => res.write(': keep-alive\n\n'),
        keepAliveEveryMs: SSE_KEEPALIVE_EVERY_MS,
        close: () => res.end(),
      });
      req.raw.on('close', stop);
      res.on('error', stop);
    },
  );
};
