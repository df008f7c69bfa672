import { randomUUID } from 'node:crypto';
import { BroadcastChannel } from 'node:worker_threads';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { apiRegistry } from '../registry.ts';
import { actorOf } from '../auth.ts';
import type { RoutePluginOptions } from '../deps.ts';
import { ApiError, errorResponses } from '../errors.ts';
import {
  testbedChannelName,
  type ShadowRequest,
  type ShadowStatus,
  type ShadowEstimate,
} from '../../live/shadow.ts';
import { testbedRunRoutes } from './testbed-runs.ts';
import { controllerFields } from './testbed-fields.ts';

// The test bed in the live system: admins register outside controllers that run in shadow mode
// (docs/testbed.md); anyone who may look sees how their would-be cost compares with the acting
// strategy's. The shadow runner lives beside the control loop; the API (inline or in its worker
// thread) reaches it over a BroadcastChannel named after the district file.

/** Longest the API waits for the shadow runner, ms: a registration starts a worker and loads a module. */
export const RUNNER_ANSWER_TIMEOUT_MS = 15_000;

const estimateSchema = z.object({
  energyCostKrw: z.number(),
  importKwh: z.number(),
  peakImportKw: z.number(),
  newPeakCost12MonthsKrw: z.number(),
  totalCostKrw: z.number(),
});

const shadowSchema = z
  .object({
    name: z.string(),
    kind: z.enum(['module', 'http']),
    target: z.string(),
    registeredBy: z.string(),
    registeredAt: z.string(),
    state: z.enum(['starting', 'running', 'failed']),
    failure: z
      .object({ reason: z.string(), message: z.string(), decision: z.number().optional() })
      .optional(),
    decisions: z.number(),
    skippedCycles: z.number(),
    clamps: z.number(),
    meanDecisionMs: z.number(),
    comparedCycles: z.number(),
    comparedHours: z.number(),
    acting: estimateSchema,
    shadow: estimateSchema,
    /** shadow − acting, KRW: negative means the shadow controller would have saved. */
    differenceKrw: z.number(),
  })
  .register(apiRegistry, { id: 'ShadowController' });

const registrationSchema = z
  .strictObject(controllerFields)
  .register(apiRegistry, { id: 'NewShadowController' });

const round = (x: number, digits = 0) => Math.round(x * 10 ** digits) / 10 ** digits;
const roundEstimate = (e: ShadowEstimate): ShadowEstimate => ({
  energyCostKrw: round(e.energyCostKrw),
  importKwh: round(e.importKwh, 1),
  peakImportKw: round(e.peakImportKw, 1),
  newPeakCost12MonthsKrw: round(e.newPeakCost12MonthsKrw),
  totalCostKrw: round(e.totalCostKrw),
});

export const testbedRoutes: FastifyPluginAsyncZod<RoutePluginOptions> = async (app, { deps }) => {
  // Challenge-set runs against the twin (POST/GET /testbed/runs).
  await app.register(testbedRunRoutes, { deps });
  const ch = new BroadcastChannel(testbedChannelName(deps.scenario.file));
  ch.unref();
  const waiting = new Map<
    string,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  ch.onmessage = (ev) => {
    const m = (ev as MessageEvent).data as {
      t?: string;
      id?: string;
      ok?: boolean;
      value?: unknown;
      error?: { code: string; message: string; field?: string };
    };
    if (m?.t !== 'res' || !m.id) return;
    const w = waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    clearTimeout(w.timer);
    if (m.ok) w.resolve(m.value);
    else {
      const code =
        m.error?.code === 'not_found'
          ? 'BITGRID_ERR_NOT_FOUND'
          : m.error?.code === 'conflict' || m.error?.code === 'too_many'
            ? 'BITGRID_ERR_CONFLICT'
            : 'BITGRID_ERR_VALIDATION';
      w.reject(new ApiError(code, m.error?.message ?? 'refused', m.error?.field));
    }
  };
  app.addHook('onClose', async () => {
    ch.close();
    for (const w of waiting.values()) clearTimeout(w.timer);
  });
  const ask = <T>(request: ShadowRequest): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = randomUUID();
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(
          new ApiError(
            'BITGRID_ERR_PLANNER_UNAVAILABLE',
            `the live controller's shadow runner did not answer within ${RUNNER_ANSWER_TIMEOUT_MS} ms`,
          ),
        );
      }, RUNNER_ANSWER_TIMEOUT_MS);
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      ch.postMessage({ t: 'req', id, request });
    });
  const out = (s: ShadowStatus) => ({
    ...s,
    registeredMs: undefined,
    registeredAt: deps.iso(s.registeredMs),
    meanDecisionMs: round(s.meanDecisionMs, 2),
    comparedHours: round(s.comparedHours, 3),
    acting: roundEstimate(s.acting),
    shadow: roundEstimate(s.shadow),
    differenceKrw: round(s.shadow.totalCostKrw - s.acting.totalCostKrw),
  });

  app.get(
    '/testbed/shadows',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'Shadow controllers and their estimated cost beside the acting strategy’s, best first',
        tags: ['control'],
        response: {
          200: z.object({ shadows: z.array(shadowSchema) }),
          ...errorResponses(401, 403, 429, 503),
        },
      },
    },
    async () => {
      const list = await ask<ShadowStatus[]>({ op: 'list' });
      const shadows = list.map(out).sort((a, b) => a.differenceKrw - b.differenceKrw);
      return { shadows };
    },
  );

  app.post(
    '/testbed/shadows',
    {
      config: {
        access: 'admin',
        audit: {
          action: 'testbed.shadow.register',
          target: (req) => {
            const b = req.body as Record<string, unknown> | undefined;
            return b && typeof b === 'object' && typeof b.name === 'string' ? `testbed:${b.name}` : 'testbed';
          },
        },
      },
      schema: {
        summary: 'Register a controller to run in shadow mode (decides every cycle, never actuates)',
        tags: ['control'],
        body: registrationSchema,
        response: { 201: shadowSchema, ...errorResponses(400, 401, 403, 409, 429, 503) },
      },
    },
    async (req, reply) => {
      const b = req.body;
      req.auditDetails = {
        kind: b.url ? 'http' : 'module',
        target: b.url ?? `${b.name}.mjs`,
        sourceChars: b.source?.length ?? 0,
      };
      const s = await ask<ShadowStatus>({ op: 'register', registration: b, actor: actorOf(req) });
      req.auditDetails.state = s.state;
      if (s.failure) req.auditDetails.failure = `${s.failure.reason}: ${s.failure.message}`;
      return reply.code(201).send(out(s));
    },
  );

  app.delete(
    '/testbed/shadows/:name',
    {
      config: {
        access: 'admin',
        audit: {
          action: 'testbed.shadow.remove',
          target: (req) => `testbed:${(req.params as { name?: string })?.name ?? ''}`,
        },
      },
      schema: {
        summary: 'Stop and remove a shadow controller',
        tags: ['control'],
        params: z.object({ name: z.string().min(1).max(64) }),
        response: {
          200: z.object({ removed: z.string() }),
          ...errorResponses(401, 403, 404, 429, 503),
        },
      },
    },
    async (req) => ask<{ removed: string }>({ op: 'remove', name: req.params.name, actor: actorOf(req) }),
  );
};
