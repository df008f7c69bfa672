import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { apiRegistry } from '../registry.ts';
import { ApiError, errorResponses } from '../errors.ts';
import type { RoutePluginOptions } from '../deps.ts';
import { assetLiveSchema, liveStateSchema } from '../schemas.ts';
import { snapshotToWire, toWire, withoutSessionMeasurements } from '../wire.ts';

const assetConfigSchema = z.looseObject({ id: z.string(), type: z.string() }).register(apiRegistry, {
  id: 'AssetConfig',
  description: "the asset's entry of the district file, keys as in the file (snake_case, unit suffixes)",
});

const districtSchema = z
  .object({
    name: z.string(),
    timezone: z.string(),
    intervalMinutes: z.number().int(),
    location: z.looseObject({ latitude_deg: z.number(), longitude_deg: z.number() }),
    grid: z.looseObject({
      voltage_kv: z.number(),
      contract_demand_kw: z.number(),
      import_limit_kw: z.number(),
      export_limit_kw: z.number(),
    }),
    sites: z.array(z.object({ id: z.string(), name: z.string(), assets: z.array(assetConfigSchema) })),
  })
  .register(apiRegistry, { id: 'District' });

const assetSchema = z
  .object({
    id: z.string(),
    siteId: z.string(),
    type: z.string(),
    config: assetConfigSchema,
    live: assetLiveSchema
      .nullable()
      .register(apiRegistry, { description: 'null when the live system does not know the asset (yet)' }),
  })
  .register(apiRegistry, { id: 'Asset' });

export const districtRoutes: FastifyPluginAsyncZod<RoutePluginOptions> = async (app, { deps }) => {
  const s = deps.scenario.scenario;

  app.get(
    '/district',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'Sites and assets of the district (from its configuration)',
        tags: ['district'],
        response: { 200: districtSchema, ...errorResponses(401, 403, 429) },
      },
    },
    async () => ({
      name: s.name,
      timezone: s.timezone,
      intervalMinutes: s.interval_minutes,
      location: s.location,
      grid: s.grid,
      sites: s.sites.map((site) => ({ id: site.id, name: site.name, assets: site.assets })),
    }),
  );

  app.get(
    '/assets/:id',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'One asset: its configuration and live state',
        tags: ['district'],
        params: z.object({ id: z.string().min(1) }),
        response: { 200: assetSchema, ...errorResponses(401, 403, 404, 429) },
      },
    },
    async (req) => {
      const site = s.sites.find((x) => x.assets.some((a) => a.id === req.params.id));
      if (!site)
        throw new ApiError(
          'BITGRID_ERR_NOT_FOUND',
          `no asset "${req.params.id}" in district ${s.name}`,
          'id',
        );
      const config = site.assets.find((a) => a.id === req.params.id)!;
      const live = deps.live.snapshot().assets.find((a) => a.id === config.id);
      return {
        id: config.id,
        siteId: site.id,
        type: config.type,
        config,
        live: live ? (toWire(live, deps.zone) as z.infer<typeof assetLiveSchema>) : null,
      };
    },
  );

  app.get(
    '/state',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'The live snapshot (the same document the stream sends on connect)',
        tags: ['live'],
        response: { 200: liveStateSchema, ...errorResponses(401, 403, 429) },
      },
    },
    async () =>
      withoutSessionMeasurements(snapshotToWire(deps.live.snapshot(), deps.zone)) as z.infer<
        typeof liveStateSchema
      >,
  );
};
