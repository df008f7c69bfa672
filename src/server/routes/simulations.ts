import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { apiRegistry } from '../registry.ts';
import {
  loadScenarioFile,
  parseScenario,
  REFERENCE_SCENARIO_FILE,
  type LoadedScenario,
} from '../../model/load.ts';
import { LIST_MAX_ROWS, SIM_RUN_STATUSES, type JsonValue } from '../../store/index.ts';
import { strategyNames } from '../../scenario/strategies.ts';
import type { RoutePluginOptions } from '../deps.ts';
import { ApiError, errorResponses } from '../errors.ts';
import { simRunOut } from '../records.ts';
import { countParam, simRunSchema } from '../schemas.ts';

/** Longest simulation from the API: a year, the longest period a KPI study needs. */
export const SIM_MAX_DAYS = 366;
/** An uploaded district file: the reference one is ~15 kB; this leaves room without inviting abuse. */
export const SCENARIO_MAX_CHARS = 256 * 1024;
/** Runs listed when no limit is given. */
export const SIMULATIONS_DEFAULT_LIMIT = 50;

const scenarioSource = z
  .discriminatedUnion('source', [
    z.strictObject({
      source: z.literal('current').register(apiRegistry, { description: 'the district this server runs' }),
    }),
    z.strictObject({
      source: z
        .literal('reference')
        .register(apiRegistry, { description: 'the reference district (scenarios/gwangju.yaml)' }),
    }),
    z.strictObject({
      source: z.literal('yaml'),
      text: z.string().min(1).max(SCENARIO_MAX_CHARS).register(apiRegistry, {
        description: 'a district file (YAML); it may not reference files (weather must be synthetic)',
      }),
    }),
  ])
  .register(apiRegistry, { id: 'ScenarioSource' });

const newSimulationSchema = z
  .strictObject({
    scenario: scenarioSource.default({ source: 'current' }),
    start: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
      .optional()
      .register(apiRegistry, { description: "first local day (default: the scenario's default_start)" }),
    days: z.number().int().min(1).max(SIM_MAX_DAYS),
    strategies: z
      .array(z.string().min(1))
      .min(1)
      .max(16)
      .optional()
      .register(apiRegistry, { description: 'strategy names (default: all built-in)' }),
    seed: z.number().int().optional(),
  })
  .register(apiRegistry, { id: 'NewSimulation' });

type Body = z.infer<typeof newSimulationSchema>;

function loadSource(
  body: Body,
  deps: RoutePluginOptions['deps'],
): { loaded: LoadedScenario; described: Record<string, JsonValue> } {
  const src = body.scenario;
  if (src.source === 'current')
    return { loaded: deps.scenario, described: { source: 'current', name: deps.scenario.scenario.name } };
  if (src.source === 'reference') {
    const loaded = loadScenarioFile(REFERENCE_SCENARIO_FILE);
    return { loaded, described: { source: 'reference', name: loaded.scenario.name } };
  }
  const scenario = parseScenario(src.text, 'uploaded scenario');
  // An uploaded file must not make the server read its own files.
  if (scenario.weather.source !== 'synthetic')
    throw new ApiError(
      'BITGRID_ERR_VALIDATION',
      'body.scenario.text: an uploaded scenario cannot reference files; use weather source "synthetic"',
      'scenario.text',
    );
  return {
    loaded: { scenario, file: 'uploaded scenario', baseDir: process.cwd() },
    described: {
      source: 'yaml',
      name: scenario.name,
      sha256: createHash('sha256').update(src.text).digest('hex'),
    },
  };
}

export const simulationRoutes: FastifyPluginAsyncZod<RoutePluginOptions> = async (app, { deps }) => {
  app.post(
    '/simulations',
    {
      config: { access: 'operator', audit: { action: 'simulation.start', target: () => 'simulations' } },
      schema: {
        summary:
          'Start a simulation in the background; poll GET /api/simulations/{id}. Refused (400) when its estimated memory or time is over the budget',
        tags: ['simulations'],
        body: newSimulationSchema,
        response: { 202: simRunSchema, ...errorResponses(400, 401, 403, 429, 503) },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const known = strategyNames();
      const strategies = b.strategies ?? known;
      strategies.forEach((s, i) => {
        if (!known.includes(s))
          throw new ApiError(
            'BITGRID_ERR_VALIDATION',
            `body.strategies.${i}: unknown strategy "${s}" (available: ${known.join(', ')})`,
            `strategies.${i}`,
          );
      });
      if (b.start !== undefined && !DateTime.fromISO(b.start).isValid)
        throw new ApiError(
          'BITGRID_ERR_VALIDATION',
          `body.start: "${b.start}" is not a calendar date`,
          'start',
        );
      const { loaded, described } = loadSource(b, deps);
      const params: Record<string, JsonValue> = {
        scenario: described,
        start: b.start ?? loaded.scenario.default_start,
        days: b.days,
        strategies,
        ...(b.seed !== undefined ? { seed: b.seed } : {}),
        requestedBy: req.auth?.id ?? 'unknown',
      };
      req.auditDetails = params;
      // Refused here, before anything is stored, when the estimate is over the budget.
      const estimate = deps.sims.checkBudget({ loaded, days: b.days, strategies });
      params.estimate = { memoryMb: estimate.memoryMb, cpuS: estimate.cpuS };
      const run = await deps.sims.start({
        loaded,
        start: b.start,
        days: b.days,
        strategies,
        seed: b.seed,
        params,
      });
      req.auditTarget = `simulation:${run.id}`;
      return reply.code(202).header('location', `/api/simulations/${run.id}`).send(simRunOut(run, deps.iso));
    },
  );

  app.get(
    '/simulations',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'Simulation runs, newest first (without their results)',
        tags: ['simulations'],
        querystring: z.object({
          status: z.enum(SIM_RUN_STATUSES).optional(),
          limit: countParam(LIST_MAX_ROWS).optional(),
        }),
        response: {
          200: z.object({ simulations: z.array(simRunSchema) }),
          ...errorResponses(400, 401, 403, 429),
        },
      },
    },
    async (req) => {
      const rows = await deps.store.listSimRuns({
        status: req.query.status,
        limit: req.query.limit ?? SIMULATIONS_DEFAULT_LIMIT,
      });
      return { simulations: rows.map((r) => simRunOut(r, deps.iso, false)) };
    },
  );

  app.delete(
    '/simulations/:id',
    {
      config: {
        access: 'operator',
        audit: {
          action: 'simulation.cancel',
          target: (req) => `simulation:${(req.params as { id?: string })?.id ?? ''}`,
        },
      },
      schema: {
        summary: 'Cancel a queued or running simulation (a running one has its worker stopped)',
        tags: ['simulations'],
        params: z.object({ id: z.string().min(1) }),
        response: { 200: simRunSchema, ...errorResponses(401, 403, 404, 409, 429) },
      },
    },
    async (req) => {
      const run = await deps.sims.cancel(req.params.id, req.auth?.id ?? 'unknown');
      return simRunOut(run, deps.iso);
    },
  );

  app.get(
    '/simulations/:id',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'One simulation run: status, progress 0–1, and the KPIs per strategy when done',
        tags: ['simulations'],
        params: z.object({ id: z.string().min(1) }),
        response: { 200: simRunSchema, ...errorResponses(401, 403, 404, 429) },
      },
    },
    async (req) => {
      const run = await deps.store.getSimRun(req.params.id);
      if (!run) throw new ApiError('BITGRID_ERR_NOT_FOUND', `no simulation "${req.params.id}"`, 'id');
      return simRunOut(run, deps.iso);
    },
  );
};
