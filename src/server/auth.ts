import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor } from '../control/types.ts';
import type { AuditOutcome, JsonValue, Store, TokenRecord, TokenRole } from '../store/index.ts';
import { ApiError } from './errors.ts';
import { jsonSafe } from './json.ts';
import type { TokenCache } from './token-cache.ts';

// Who is asking, and may they. Three hooks on the root instance, in lifecycle order:
// - onRequest: identify the caller from `Authorization: Bearer <token>` (or `?token=` on the stream
//   routes, where browsers cannot set headers); nothing is refused yet, so the rate limiter (a
//   route-level onRequest hook, which runs after this one) can count per token;
// - preParsing: refuse — 401 without a valid token, 403 when the role is too low — before the body is
//   even read, so a refused request cannot change anything;
// - onSend: one audit entry per write by an authenticated caller, whatever its outcome.

/** What an endpoint needs: `public` (no token) or the least role. */
export type Access = 'public' | TokenRole;

const RANK: Record<TokenRole, number> = { viewer: 1, operator: 2, admin: 3 };

export function roleAtLeast(role: TokenRole, needed: TokenRole): boolean {
  return RANK[role] >= RANK[needed];
}

export interface AuditSpec {
  /** Verb, e.g. `override.set`, `token.revoke`. */
  action: string;
  /**
   * What it acted on, from what the request carries (which may be anything a client sent: it is
   * sanitised before it is written); the handler may refine it (request.auditTarget).
   */
  target: (req: FastifyRequest) => unknown;
}

export interface Identity {
  id: string;
  name: string;
  role: TokenRole;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
    /** Accept the token as `?token=` (WebSocket and SSE only). */
    queryToken?: boolean;
    audit?: AuditSpec;
  }
  interface FastifyRequest {
    auth?: Identity;
    /** Why identification failed, for the 401 message. */
    authProblem?: string;
    auditTarget?: string;
    auditDetails?: Record<string, unknown>;
    /**
     * Set once the write reached a component that audits it itself (LiveSystem.setOverride and
     * clearOverride do, by contract); the API then audits only attempts refused before the hand-over.
     */
    auditHandled?: boolean;
  }
}

/**
 * Hands the write to a component that audits it itself, what it refuses (a `refusal`) as well as what it
 * does, so the API does not audit it a second time.
 */
export async function handOverAudit<T>(
  req: FastifyRequest,
  refusal: abstract new (...args: never[]) => Error,
  write: () => Promise<T>,
): Promise<T> {
  try {
    const done = await write();
    req.auditHandled = true;
    return done;
  } catch (e) {
    if (e instanceof refusal) req.auditHandled = true;
    throw e;
  }
}

export function actorOf(req: FastifyRequest): Actor {
  if (!req.auth) throw new ApiError('BITGRID_ERR_UNAUTHENTICATED', 'authentication required');
  return { id: req.auth.id, role: req.auth.role };
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

export function presentedToken(req: FastifyRequest): { token?: string; problem?: string } {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const m = BEARER.exec(header);
    return m ? { token: m[1] } : { problem: 'the Authorization header must be "Bearer <token>"' };
  }
  if (req.routeOptions.config.queryToken) {
    const q = (req.query as Record<string, unknown> | undefined)?.token;
    if (typeof q === 'string' && q.length > 0) return { token: q };
  }
  return { problem: 'a bearer token is required (Authorization: Bearer <token>)' };
}

export interface AuthDeps {
  store: Store;
  now: () => number;
  /** Remembers successful checks for a bounded time (token-cache.ts). */
  tokens: TokenCache;
}

/**
 * Longest audit target kept, UTF-16 units: the store's limit for ids (ID_MAX_CHARS). Targets are ids
 * (`shared-battery`, `token:3f9c…`, `job:42`); a longer one is a client sending junk, which the log
 * keeps the start of, not all of.
 */
export const AUDIT_TARGET_MAX_CHARS = 200;

/** The JSON type of a value, as the audit log names a target that is not a string: `<number>` … */
function jsonTypeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'bigint' ? 'number' : typeof v;
}

/**
 * What the audit log records as a refused write's target: strings as sent (cut to
 * AUDIT_TARGET_MAX_CHARS, with `…`, control characters replaced), anything else as its JSON type in
 * angle brackets (`<number>`, `<object>`), so a malformed request is recorded instead of making the
 * audit write itself fail.
 */
export function sanitizeAuditTarget(v: unknown): string {
  if (typeof v !== 'string') return `<${jsonTypeOf(v)}>`;
  // eslint-disable-next-line no-control-regex
  const clean = v.replace(/[\u0000-\u001f\u007f]/g, '\uFFFD');
  if (clean.length === 0) return '<empty string>';
  if (clean.length <= AUDIT_TARGET_MAX_CHARS) return clean;
  // Cut in UTF-16 units (the store's measure), never through a surrogate pair.
  let cut = clean.slice(0, AUDIT_TARGET_MAX_CHARS - 1);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return cut + '…';
}

export function installAuth(app: FastifyInstance, deps: AuthDeps): void {
  // Fail closed: an /api route that forgot to declare its access would otherwise be open.
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api')) return;
    const config = (route.config ?? {}) as { access?: Access; audit?: AuditSpec };
    if (!config.access) throw new Error(`route ${route.method} ${route.url} declares no access level`);
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (methods.some((m) => m !== 'GET' && m !== 'HEAD') && !config.audit)
      throw new Error(`write route ${route.method} ${route.url} declares no audit action`);
  });

  app.addHook('onRequest', async (req) => {
    const access = req.routeOptions.config.access;
    if (!access || access === 'public') return;
    const { token, problem } = presentedToken(req);
    if (!token) {
      req.authProblem = problem;
      return;
    }
    const checked = await deps.tokens.check(token, (t) => deps.store.verifyToken(t, deps.now()));
    if (checked.kind === 'unavailable') {
      req.log.error({ err: checked.error }, 'token verification failed');
      throw new ApiError('BITGRID_ERR_STORE', 'cannot verify the token: store unavailable');
    }
    const rec: TokenRecord | undefined = checked.kind === 'valid' ? checked.rec : undefined;
    if (rec) {
      req.auth = { id: rec.id, name: rec.name, role: rec.role };
      // Every later line of this request says who asked (the id is public; the secret never is).
      req.log = req.log.child({ tokenId: rec.id, role: rec.role });
    } else req.authProblem = 'the token is not recognised or has been revoked';
  });

  app.addHook('preParsing', async (req, _reply, payload) => {
    const access = req.routeOptions.config.access;
    if (!access || access === 'public') return payload;
    if (!req.auth)
      throw new ApiError('BITGRID_ERR_UNAUTHENTICATED', req.authProblem ?? 'authentication required');
    if (!roleAtLeast(req.auth.role, access))
      throw new ApiError(
        'BITGRID_ERR_FORBIDDEN',
        `this needs the ${access} role; token ${req.auth.id} has ${req.auth.role}`,
      );
    return payload;
  });

  app.addHook('onSend', async (req, reply, payload) => {
    const spec = req.routeOptions.config.audit;
    // Unauthenticated attempts have no actor to record; rate-limited and load-shed ones would flood
    // the log at the moment it can least afford it.
    if (!spec || !req.auth || req.auditHandled || reply.statusCode === 429) return payload;
    if (req.apiError?.code === 'BITGRID_ERR_OVERLOADED') return payload;
    const status = reply.statusCode;
    const outcome: AuditOutcome = status < 400 ? 'ok' : status >= 500 ? 'failed' : 'denied';
    const details: Record<string, unknown> = { ...req.auditDetails, status };
    if (req.apiError) {
      details.error = req.apiError.code;
      details.message = req.apiError.message;
      if (req.apiError.field) details.field = req.apiError.field;
    }
    let target: string;
    try {
      target = sanitizeAuditTarget(req.auditTarget ?? spec.target(req));
    } catch {
      target = 'unknown';
    }
    try {
      await deps.store.appendAudit({
        timeMs: deps.now(),
        actor: req.auth.id,
        role: req.auth.role,
        action: spec.action,
        target,
        details: jsonSafe(details) as JsonValue,
        outcome,
      });
    } catch (e) {
      // The write itself has happened (or been refused); a lost audit entry is logged loudly.
      req.log.error({ err: e, action: spec.action, outcome }, 'audit write failed');
    }
    return payload;
  });
}
