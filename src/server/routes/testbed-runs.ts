import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { apiRegistry } from '../registry.ts';
import { actorOf } from '../auth.ts';
import type { RoutePluginOptions } from '../deps.ts';
import { ApiError, errorResponses } from '../errors.ts';
import { loopbackUrlProblem } from '../../testbed/host.ts';
import { ChallengeRuns, RunRefused, type RunRecord } from '../../testbed/runs.ts';
import { controllerFields } from './testbed-fields.ts';

// Challenge-set runs against the twin from the API (docs/testbed.md): an admin starts one with a
// controller's source or a loopback URL; anyone who may look sees the runs, their progress and,
// when done, the leaderboard beside the built-ins. The run itself is in a worker thread
// (testbed/runs.ts), the controller in its confined process.

const failureSchema = z.object({
  caseId: z.string(),
  reason: z.string(),
  message: z.string(),
  decision: z.number().optional(),
});

const contenderSchema = z.object({
  strategy: z.string(),
  kind: z.enum(['controller', 'built-in']),
  status: z.enum(['ok', 'failed']),
  failures: z.array(failureSchema),
  totalCostKrw: z.number(),
  costKrw: z.number(),
  newPeakCost12MonthsKrw: z.number(),
  re100HourlyMatching: z.number(),
  co2Kg: z.number(),
  unmetKwh: z.number(),
  deadlineMisses: z.number(),
  drExcessKwh: z.number(),
  clamps: z.number(),
  failedDecisions: z.number(),
  decisions: z.number(),
  meanDecisionMs: z.number(),
  p95DecisionMs: z.number(),
});

const runSchema = z
  .object({
    id: z.string(),
    state: z.enum(['queued', 'running', 'done', 'failed']),
    progress: z.number(),
    step: z.string().optional(),
    set: z.enum(['quick', 'full']),
    controller: z.string(),
    requestedBy: z.string(),
    created: z.string(),
    finished: z.string().optional(),
    error: z.string().optional(),
    challengeSet: z.object({ name: z.string(), version: z.string() }).optional(),
    cases: z
      .array(
        z.object({
          id: z.string(),
          description: z.string(),
          start: z.string(),
          days: z.number(),
          seed: z.number(),
        }),
      )
      .optional(),
    leaderboard: z.array(contenderSchema).optional(),
  })
  .register(apiRegistry, { id: 'ChallengeRun' });

const newRunSchema = z
  .strictObject({
    ...controllerFields,
    set: z.enum(['quick', 'full']).default('quick').register(apiRegistry, {
      description: 'quick: one day beside none and rules; full: the challenge set beside all built-ins',
    }),
  })
  .register(apiRegistry, { id: 'NewChallengeRun' });

export const testbedRunRoutes: FastifyPluginAsyncZod<RoutePluginOptions> = async (app, { deps }) => {
  const runs = new ChallengeRuns({
    loaded: deps.scenario,
    now: deps.now,
    appendAudit: (e) => deps.store.appendAudit(e),
    listAudit: (q) => deps.store.listAudit(q),
    warn: (m) => app.log.error(m),
  });
  app.addHook('onClose', async () => runs.close());
  const out = (r: RunRecord) => {
    const { createdMs, finishedMs, ...rest } = r;
    return {
      ...rest,
      created: deps.iso(createdMs),
      ...(finishedMs !== undefined ? { finished: deps.iso(finishedMs) } : {}),
    };
  };

  app.get(
    '/testbed/runs',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'Challenge-set runs against the twin, newest first, each with its leaderboard when done',
        tags: ['control'],
        response: { 200: z.object({ runs: z.array(runSchema) }), ...errorResponses(401, 403, 429, 503) },
      },
    },
    async () => ({ runs: (await runs.list()).map(out) }),
  );

  app.get(
    '/testbed/runs/:id',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'One challenge-set run: its progress, or its leaderboard',
        tags: ['control'],
        params: z.object({ id: z.string().min(1).max(64) }),
        response: { 200: runSchema, ...errorResponses(401, 403, 404, 429, 503) },
      },
    },
    async (req) => {
      const r = runs.get(req.params.id) ?? (await runs.list()).find((x) => x.id === req.params.id);
      if (!r) throw new ApiError('BITGRID_ERR_NOT_FOUND', `no challenge run "${req.params.id}"`, 'id');
      return out(r);
    },
  );

  app.post(
    '/testbed/runs',
    {
      config: {
        access: 'admin',
        audit: {
          action: 'testbed.challenge.start',
          target: (req) => {
            const b = req.body as Record<string, unknown> | undefined;
            return b && typeof b === 'object' && typeof b.name === 'string' ? `testbed:${b.name}` : 'testbed';
          },
        },
      },
      schema: {
        summary: 'Score a controller over the challenge set against the twin, beside the built-ins',
        tags: ['control'],
        body: newRunSchema,
        response: { 202: runSchema, ...errorResponses(400, 401, 403, 429, 503) },
      },
    },
    async (req, reply) => {
      const b = req.body;
      req.auditDetails = {
        kind: b.url ? 'http' : 'module',
        target: b.url ?? `${b.name}.mjs`,
        set: b.set,
        sourceChars: b.source?.length ?? 0,
      };
      const problem = b.url ? loopbackUrlProblem(b.url) : undefined;
      if (problem) throw new ApiError('BITGRID_ERR_VALIDATION', problem, 'url');
      let r: RunRecord;
      try {
        r = runs.start(b, actorOf(req));
      } catch (e) {
        if (!(e instanceof RunRefused)) throw e;
        throw new ApiError(
          e.code === 'busy' ? 'BITGRID_ERR_SIM_BUSY' : 'BITGRID_ERR_VALIDATION',
          e.message,
          e.field,
        );
      }
      req.auditDetails.run = r.id;
      return reply.code(202).send(out(r));
    },
  );
};
