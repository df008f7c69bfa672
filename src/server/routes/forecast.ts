import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { LivePlanner } from '../../control/types.ts';
import type { ForecastModelInfo } from '../../live/forecast.ts';
import { apiRegistry } from '../registry.ts';
import type { RouteDeps, RoutePluginOptions } from '../deps.ts';
import { ApiError, errorResponses } from '../errors.ts';
import { isoTime } from '../schemas.ts';

// Which forecaster the live planner uses for each PV array and fixed load, and why: the model chosen
// by rolling-origin validation on the site's own history (src/forecast/select.ts), with every
// candidate's validation scores. docs/forecasting.md describes the choice.

const candidateSchema = z
  .object({
    name: z.string(),
    rmseKw: z.number(),
    maeKw: z.number(),
    skillRmse: z.number().register(apiRegistry, {
      description: '1 − RMSE / RMSE of the best baseline on the same validation intervals (0: that baseline)',
    }),
  })
  .register(apiRegistry, { id: 'ForecastCandidate' });

const modelSchema = z
  .object({
    target: z.enum(['load', 'pv']),
    assetId: z.string(),
    chosen: z.string(),
    reason: z.string(),
    validatedAt: isoTime.nullable().register(apiRegistry, {
      description: 'issue time of the first validation day; null when the choice was not validated',
    }),
    candidates: z.array(candidateSchema),
  })
  .register(apiRegistry, { id: 'ForecastModelChoice' });

/** A planner that tells its forecast models (src/live/controller.ts). */
interface ForecastModelSource {
  forecastModels(): ForecastModelInfo[];
}

function hasForecastModels(p: LivePlanner): p is LivePlanner & ForecastModelSource {
  return typeof (p as Partial<ForecastModelSource>).forecastModels === 'function';
}

function source(deps: RouteDeps): ForecastModelSource {
  const p = deps.live.planner;
  if (!p) throw new ApiError('BITGRID_ERR_PLANNER_UNAVAILABLE', 'this live system has no planner');
  if (!hasForecastModels(p))
    throw new ApiError(
      'BITGRID_ERR_PLANNER_UNAVAILABLE',
      "this live system's planner does not report its forecast models",
    );
  return p;
}

export const forecastRoutes: FastifyPluginAsyncZod<RoutePluginOptions> = async (app, { deps }) => {
  app.get(
    '/forecast/models',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'The forecaster of each PV array and fixed load, and the validation behind the choice',
        tags: ['control'],
        response: {
          200: z.object({ models: z.array(modelSchema) }),
          ...errorResponses(401, 403, 429, 503),
        },
      },
    },
    async () => ({
      models: source(deps)
        .forecastModels()
        .map((m) => ({
          target: m.target,
          assetId: m.assetId,
          chosen: m.chosen,
          reason: m.reason,
          validatedAt: m.validatedAtMs === null ? null : deps.iso(m.validatedAtMs),
          candidates: m.candidates.map((c) => ({
            name: c.name,
            rmseKw: c.rmseKw,
            maeKw: c.maeKw,
            skillRmse: c.skillRmse,
          })),
        })),
    }),
  );
};
