import { randomUUID } from 'node:crypto';
import { BroadcastChannel } from 'node:worker_threads';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { LivePlanner } from '../../control/types.ts';
import { forecastModelsChannelName, type ForecastModelInfo } from '../../live/forecast.ts';
import { apiRegistry } from '../registry.ts';
import type { RoutePluginOptions } from '../deps.ts';
import { ApiError, errorResponses } from '../errors.ts';
import { isoTime } from '../schemas.ts';

// Which forecaster the live planner uses for each PV array and fixed load, and why: the model chosen
// by rolling-origin validation on the site's own history (src/forecast/select.ts), with every
// candidate's validation scores. docs/forecasting.md describes the choice. With the API on the control
// thread the planner is asked directly; from the API's worker thread, the live forecaster is asked over a
// BroadcastChannel named after the district (the mirror the control thread pushes does not carry it).

/**
 * Longest the API waits for the live forecaster's answer, ms: it answers between control-cycle steps,
 * and a model fit in a cycle takes about a second on a busy machine.
 */
export const FORECAST_MODELS_ANSWER_TIMEOUT_MS = 3_000;

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

export const forecastRoutes: FastifyPluginAsyncZod<RoutePluginOptions> = async (app, { deps }) => {
  let ch: BroadcastChannel | undefined;
  const waiting = new Map<string, { resolve: (m: ForecastModelInfo[]) => void; timer: NodeJS.Timeout }>();
  app.addHook('onClose', async () => {
    ch?.close();
    for (const w of waiting.values()) clearTimeout(w.timer);
  });
  /** The live forecaster's choices over the channel; undefined when nothing answered in time. */
  const ask = (): Promise<ForecastModelInfo[] | undefined> => {
    if (!ch) {
      ch = new BroadcastChannel(forecastModelsChannelName(deps.scenario.scenario.name));
      ch.unref();
      ch.onmessage = (ev) => {
        const m = (ev as MessageEvent).data as { t?: string; id?: string; models?: ForecastModelInfo[] };
        const w = m?.t === 'res' && m.id ? waiting.get(m.id) : undefined;
        if (!w || !Array.isArray(m.models)) return;
        waiting.delete(m.id!);
        clearTimeout(w.timer);
        w.resolve(m.models);
      };
    }
    const channel = ch;
    return new Promise((resolve) => {
      const id = randomUUID();
      const timer = setTimeout(() => {
        waiting.delete(id);
        resolve(undefined);
      }, FORECAST_MODELS_ANSWER_TIMEOUT_MS);
      waiting.set(id, { resolve, timer });
      channel.postMessage({ t: 'req', id });
    });
  };
  const models = async (): Promise<ForecastModelInfo[]> => {
    const p = deps.live.planner;
    if (!p) throw new ApiError('BITGRID_ERR_PLANNER_UNAVAILABLE', 'this live system has no planner');
    if (hasForecastModels(p)) return p.forecastModels();
    const answer = await ask();
    if (!answer)
      throw new ApiError(
        'BITGRID_ERR_PLANNER_UNAVAILABLE',
        `the live planner's forecaster did not answer within ${FORECAST_MODELS_ANSWER_TIMEOUT_MS} ms (it answers once it has forecast)`,
      );
    return answer;
  };
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
      models: (await models()).map((m) => ({
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
