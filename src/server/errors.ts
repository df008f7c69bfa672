import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { apiRegistry } from './registry.ts';
import { JobError } from '../control/jobs.ts';
import { GuardRejection } from '../control/types.ts';
import { ConfigError } from '../model/load.ts';
import { StoreError } from '../store/index.ts';

// Every error the API sends is `{ error: { code, message, field? } }` with a stable code, so clients
// branch on the code and never on the wording.

export const ERROR_CODES = {
  /** 400: a parameter, query value or body field is missing or wrong; `field` names it. */
  BITGRID_ERR_VALIDATION: 400,
  /** 400: the body is not parseable (bad JSON, empty body with a JSON content type). */
  BITGRID_ERR_BAD_REQUEST: 400,
  /** 400: an uploaded district file is invalid; the message lists every problem with its line. */
  BITGRID_ERR_CONFIG: 400,
  /** 401: no token, a malformed Authorization header, or a token that is unknown or revoked. */
  BITGRID_ERR_UNAUTHENTICATED: 401,
  /** 403: the token's role is below what the endpoint needs. */
  BITGRID_ERR_FORBIDDEN: 403,
  /** 404: no such route, asset, event, override, token, simulation or job. */
  BITGRID_ERR_NOT_FOUND: 404,
  /** 405: the path exists, but not for this method; the Allow header lists the methods it takes. */
  BITGRID_ERR_METHOD_NOT_ALLOWED: 405,
  /** 409: the request does not fit the record's state (cancelling a job that is already done or cancelled). */
  BITGRID_ERR_CONFLICT: 409,
  /** 413: the body is larger than the server accepts. */
  BITGRID_ERR_PAYLOAD_TOO_LARGE: 413,
  /** 414: a path parameter longer than the router accepts. */
  BITGRID_ERR_URI_TOO_LONG: 414,
  /** 415: a body with a content type other than application/json. */
  BITGRID_ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  /** 426: a plain GET on the WebSocket endpoint. */
  BITGRID_ERR_UPGRADE_REQUIRED: 426,
  /** 422: a safety guard refused an override (outside the asset's limits); `field` names the input. */
  BITGRID_ERR_GUARD: 422,
  /** 429: too many requests for this token (or address, without one); see the Retry-After header. */
  BITGRID_ERR_RATE_LIMITED: 429,
  /** 503: the simulation queue is full; try again when a run has finished. */
  BITGRID_ERR_SIM_BUSY: 503,
  /** 503: the live system keeps no job book, so training jobs cannot be listed or submitted here. */
  BITGRID_ERR_JOBS_UNAVAILABLE: 503,
  /** 503: the live system runs without a planner (a bare loop), so there is no plan or session to show. */
  BITGRID_ERR_PLANNER_UNAVAILABLE: 503,
  /** 503: the store cannot be reached or refused the operation for a reason other than the input. */
  BITGRID_ERR_STORE: 503,
  /**
   * 503: the server is shedding load to keep the control loop on time (event loop delay or
   * utilisation past its limit); see the Retry-After header.
   */
  BITGRID_ERR_OVERLOADED: 503,
  /** 503: the server is stopping; retry against the restarted one. */
  BITGRID_ERR_SHUTTING_DOWN: 503,
  /** 500: a bug; the message says nothing more and the log has the details. */
  BITGRID_ERR_INTERNAL: 500,
} as const;

export type ApiErrorCode = keyof typeof ERROR_CODES;

export class ApiError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
    this.statusCode = ERROR_CODES[code];
  }
}

export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(ERROR_CODES) as [ApiErrorCode, ...ApiErrorCode[]]),
      message: z.string(),
      field: z.string().optional(),
    }),
  })
  .register(apiRegistry, { id: 'Error' });

export type ErrorBody = z.infer<typeof errorBodySchema>;

/** The error replies a route can give, for its OpenAPI entry. */
export function errorResponses(
  ...statuses: (400 | 401 | 403 | 404 | 405 | 409 | 413 | 414 | 415 | 422 | 426 | 429 | 503)[]
) {
  const out: Record<number, typeof errorBodySchema> = {};
  for (const s of statuses) out[s] = errorBodySchema;
  return out;
}

/** `/durationMinutes` or `/scenario/text` → `durationMinutes`, `scenario.text`. */
function fieldOf(instancePath: string | undefined): string | undefined {
  const path = (instancePath ?? '').split('/').filter(Boolean).join('.');
  return path || undefined;
}

/** Fastify's errors about the request line, not the body (its `frameworkErrors`). */
const URL_ERROR_CODES = new Set(['FST_ERR_BAD_URL', 'FST_ERR_MAX_PARAM_LENGTH', 'FST_ERR_ASYNC_CONSTRAINT']);

/** Maps whatever was thrown to the API error it becomes. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof GuardRejection) return new ApiError('BITGRID_ERR_GUARD', err.message, err.field);
  if (err instanceof JobError) return jobApiError(err);
  if (err instanceof ConfigError) return new ApiError('BITGRID_ERR_CONFIG', err.message, 'scenario.text');
  if (err instanceof StoreError) {
    if (err.code === 'BITGRID_ERR_STORE_INPUT') return new ApiError('BITGRID_ERR_VALIDATION', err.message);
    if (err.code === 'BITGRID_ERR_STORE_NOT_FOUND') return new ApiError('BITGRID_ERR_NOT_FOUND', err.message);
    return new ApiError('BITGRID_ERR_STORE', `store unavailable (${err.code})`);
  }
  if (hasZodFastifySchemaValidationErrors(err)) {
    const e = err as unknown as FastifyError & { validationContext?: string };
    const first = e.validation![0];
    const where = e.validationContext ?? 'request';
    const field = fieldOf(first.instancePath);
    const message = `${where}${field ? '.' + field : ''}: ${first.message}`;
    // A missing or non-object body has no inner path: the body itself is the field.
    return new ApiError('BITGRID_ERR_VALIDATION', message, field ?? where);
  }
  const fe = err as Partial<FastifyError> | undefined;
  if (
    fe &&
    typeof fe === 'object' &&
    !isResponseSerializationError(fe as never) &&
    typeof fe.statusCode === 'number'
  ) {
    if (fe.statusCode === 413)
      return new ApiError('BITGRID_ERR_PAYLOAD_TOO_LARGE', fe.message ?? 'body too large');
    if (fe.statusCode === 415)
      return new ApiError('BITGRID_ERR_UNSUPPORTED_MEDIA_TYPE', fe.message ?? 'unsupported media type');
    if (fe.statusCode === 404) return new ApiError('BITGRID_ERR_NOT_FOUND', fe.message ?? 'not found');
    if (fe.statusCode === 429)
      return new ApiError('BITGRID_ERR_RATE_LIMITED', fe.message ?? 'rate limit exceeded');
    if (fe.statusCode === 414) return new ApiError('BITGRID_ERR_URI_TOO_LONG', fe.message ?? 'URI too long');
    if (fe.statusCode === 405)
      return new ApiError('BITGRID_ERR_METHOD_NOT_ALLOWED', fe.message ?? 'method not allowed');
    if (fe.statusCode === 503)
      return new ApiError('BITGRID_ERR_OVERLOADED', fe.message ?? 'service unavailable');
    if (fe.statusCode >= 400 && fe.statusCode < 500) {
      // The router's own refusals are about the URL; the rest come from reading the body.
      const aboutBody = !(typeof fe.code === 'string' && URL_ERROR_CODES.has(fe.code));
      return new ApiError(
        'BITGRID_ERR_BAD_REQUEST',
        fe.message ?? 'bad request',
        aboutBody ? 'body' : undefined,
      );
    }
  }
  return new ApiError('BITGRID_ERR_INTERNAL', 'internal error');
}

/**
 * A job book refusal at the API: its fields are named as in the request body (`deadlineMs` →
 * `deadline`, by the wire rule for times) and the message says `body.<field>` like validation errors.
 */
function jobApiError(err: JobError): ApiError {
  const field = err.field?.replace(/([a-z0-9])Ms$/, '$1');
  const code =
    err.code === 'BITGRID_ERR_JOB_NOT_FOUND'
      ? 'BITGRID_ERR_NOT_FOUND'
      : err.code === 'BITGRID_ERR_JOB_CONFLICT'
        ? 'BITGRID_ERR_CONFLICT'
        : 'BITGRID_ERR_VALIDATION';
  if (code !== 'BITGRID_ERR_VALIDATION' || !err.field || !field)
    return new ApiError(code, err.message, field);
  const message = err.message.startsWith(`${err.field}: `)
    ? `body.${field}: ${err.message.slice(err.field.length + 2)}`
    : err.message;
  return new ApiError(code, message, field);
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The error this request ended with, for the audit entry. */
    apiError?: ApiError;
  }
}

export function errorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply) {
  const api = toApiError(err);
  request.apiError = api;
  if (api.statusCode >= 500) request.log.error({ err }, 'request failed');
  else request.log.info({ code: api.code, field: api.field }, api.message);
  const body: ErrorBody = {
    error: { code: api.code, message: api.message, ...(api.field ? { field: api.field } : {}) },
  };
  // Sent as a plain string: the route's serializer knows only its success schema.
  return reply
    .code(api.statusCode)
    .type('application/json; charset=utf-8')
    .serializer((x: unknown) => JSON.stringify(x))
    .send(body);
}
