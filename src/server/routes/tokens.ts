import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { apiRegistry } from '../registry.ts';
import type { RoutePluginOptions } from '../deps.ts';
import { errorResponses } from '../errors.ts';
import { tokenOut } from '../records.ts';
import { tokenRecordSchema, tokenRoleSchema } from '../schemas.ts';

/** Token names are labels ("dashboard", "ops-laptop"), not documents. */
export const TOKEN_NAME_MAX_CHARS = 100;

export const tokenNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(TOKEN_NAME_MAX_CHARS)
  .regex(/^[\p{L}\p{N} ._@-]+$/u, 'may hold letters, digits, spaces and . _ @ -');

export const tokenRoutes: FastifyPluginAsyncZod<RoutePluginOptions> = async (app, { deps }) => {
  app.post(
    '/tokens',
    {
      config: { access: 'admin', audit: { action: 'token.create', target: () => 'tokens' } },
      schema: {
        summary: 'Create an API token; the token string is in this reply only',
        tags: ['admin'],
        body: z
          .strictObject({ name: tokenNameSchema, role: tokenRoleSchema })
          .register(apiRegistry, { id: 'NewToken' }),
        response: {
          201: z.object({
            token: z
              .string()
              .register(apiRegistry, { description: 'the secret: shown once, stored only as its SHA-256' }),
            record: tokenRecordSchema,
          }),
          ...errorResponses(400, 401, 403, 429),
        },
      },
    },
    async (req, reply) => {
      const created = await deps.store.createToken({
        name: req.body.name,
        role: req.body.role,
        createdMs: deps.now(),
      });
      req.auditTarget = `token:${created.record.id}`;
      req.auditDetails = { name: created.record.name, role: created.record.role };
      return reply.code(201).send({ token: created.token, record: tokenOut(created.record, deps.iso) });
    },
  );

  app.get(
    '/tokens',
    {
      config: { access: 'admin' },
      schema: {
        summary: 'Every token (ids, names, roles, use; never the secrets)',
        tags: ['admin'],
        response: { 200: z.object({ tokens: z.array(tokenRecordSchema) }), ...errorResponses(401, 403, 429) },
      },
    },
    async () => ({ tokens: (await deps.store.listTokens()).map((t) => tokenOut(t, deps.iso)) }),
  );

  app.delete(
    '/tokens/:id',
    {
      config: {
        access: 'admin',
        audit: {
          action: 'token.revoke',
          target: (req) => `token:${(req.params as { id?: string })?.id ?? '?'}`,
        },
      },
      schema: {
        summary: 'Revoke a token: it stops working at once (open streams end within 30 s)',
        tags: ['admin'],
        params: z.object({ id: z.string().min(1) }),
        response: { 200: tokenRecordSchema, ...errorResponses(401, 403, 404, 429) },
      },
    },
    async (req) => {
      const rec = await deps.store.revokeToken(req.params.id, deps.now());
      // At once, not when the cached check would have expired.
      deps.tokens.forget(rec.id);
      return tokenOut(rec, deps.iso);
    },
  );
};
