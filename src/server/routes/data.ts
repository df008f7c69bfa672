import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { apiRegistry } from '../registry.ts';
import { MS_PER_DAY } from '../../model/time.ts';
import { TELEMETRY_AGGREGATES, TELEMETRY_READ_MAX_ROWS } from '../../store/index.ts';
import type { RoutePluginOptions } from '../deps.ts';
import { ApiError, errorResponses } from '../errors.ts';
import { KPI_MAX_DAYS, kpisFromTelemetry } from '../kpis.ts';
import { forecastOut, scheduleOut, scheduleVersionOut } from '../records.ts';
import {
  countParam,
  durationParam,
  flagParam,
  forecastSchema,
  instantParam,
  isoTime,
  measurementNameParam,
  scheduleSchema,
  scheduleVersionSchema,
} from '../schemas.ts';
import { toWire } from '../wire.ts';

/** Forecasts listed when no limit is given: the latest few per asset and target is what a chart needs. */
export const FORECASTS_DEFAULT_LIMIT = 20;
export const FORECASTS_MAX_LIMIT = 500;
/** Schedule versions listed when no limit is given: a day of hourly re-plans and then some. */
export const SCHEDULES_DEFAULT_LIMIT = 50;
export const SCHEDULES_MAX_LIMIT = 1_000;

const telemetryQuery = z.object({
  asset: z.string().min(1),
  measurement: measurementNameParam,
  channel: z.string().min(1).optional(),
  from: instantParam,
  to: instantParam,
  bucket: durationParam.optional().register(apiRegistry, {
    description: 'downsample into buckets of this ISO 8601 duration, aligned to `from`; omitted: raw points',
  }),
  aggregate: z
    .enum(['mean', 'min', 'max', 'last'])
    .optional()
    .register(apiRegistry, { description: 'how a bucket becomes one value (default mean)' }),
  limit: countParam(TELEMETRY_READ_MAX_ROWS).optional(),
});

const telemetryReply = z
  .object({
    assetId: z.string(),
    measurement: measurementNameParam,
    channel: z.string().optional(),
    from: isoTime,
    to: isoTime,
    bucketMinutes: z.number().optional(),
    aggregate: z.enum(TELEMETRY_AGGREGATES).optional(),
    points: z.array(z.object({ time: isoTime, value: z.number(), count: z.number().int() })),
    truncated: z
      .boolean()
      .register(apiRegistry, { description: 'true when the row limit cut the series short' }),
  })
  .register(apiRegistry, { id: 'TelemetrySeries' });

const kpiReply = z
  .looseObject({
    from: isoTime,
    to: isoTime,
    intervalMinutes: z.number(),
    intervals: z.number().int(),
    coverage: z
      .number()
      .register(apiRegistry, { description: 'share of intervals with a grid reading (gaps count as 0 kW)' }),
    importKwh: z.number(),
    exportKwh: z.number(),
    pvKwh: z.number(),
    batteryDischargeKwh: z.number(),
    batteryChargeKwh: z.number(),
    consumptionKwh: z.number(),
    selfSufficiency: z.number(),
    peakImportKw: z.number(),
    billingDemandKw: z.number(),
    co2Kg: z.number(),
    netCostKrw: z.number(),
    bill: z.looseObject({
      energyChargeKrw: z.number(),
      demandChargeKrw: z.number(),
      climateEnvironmentKrw: z.number(),
      fuelCostAdjustmentKrw: z.number(),
      excessDemandPenaltyKrw: z.number(),
      vatKrw: z.number(),
      powerFundKrw: z.number(),
      importBillKrw: z.number(),
      exportRevenueKrw: z.number(),
      months: z.array(z.looseObject({ month: z.string() })),
    }),
  })
  .register(apiRegistry, { id: 'PeriodKpis' });

function requireOrder(fromMs: number, toMs: number) {
  if (!(toMs > fromMs))
    throw new ApiError('BITGRID_ERR_VALIDATION', 'querystring.to: must be after from', 'to');
}

/** A bucket width (ms) that is whole and leaves at most TELEMETRY_READ_MAX_ROWS buckets in the range. */
function requireBucketFits(bucketMs: number | undefined, fromMs: number, toMs: number) {
  if (bucketMs !== undefined && Math.ceil((toMs - fromMs) / bucketMs) > TELEMETRY_READ_MAX_ROWS)
    throw new ApiError(
      'BITGRID_ERR_VALIDATION',
      `querystring.bucket: more than ${TELEMETRY_READ_MAX_ROWS} buckets in the range; choose a wider bucket`,
      'bucket',
    );
  if (bucketMs !== undefined && !Number.isSafeInteger(bucketMs))
    throw new ApiError(
      'BITGRID_ERR_VALIDATION',
      'querystring.bucket: must be a whole number of milliseconds',
      'bucket',
    );
}

/** GET /telemetry: one stored series, raw or downsampled. */
const telemetryRoute: FastifyPluginAsyncZod<RoutePluginOptions> = async (app, { deps }) => {
  app.get(
    '/telemetry',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'Stored telemetry of one series, raw or downsampled',
        tags: ['data'],
        querystring: telemetryQuery,
        response: { 200: telemetryReply, ...errorResponses(400, 401, 403, 429) },
      },
    },
    async (req) => {
      const q = req.query;
      requireOrder(q.from, q.to);
      requireBucketFits(q.bucket, q.from, q.to);
      const limit = q.limit ?? TELEMETRY_READ_MAX_ROWS;
      const points = await deps.store.readTelemetry({
        assetId: q.asset,
        measurement: q.measurement,
        channel: q.channel,
        fromMs: q.from,
        toMs: q.to,
        bucketMs: q.bucket,
        aggregate: q.bucket !== undefined ? (q.aggregate ?? 'mean') : undefined,
        limit,
      });
      return {
        assetId: q.asset,
        measurement: q.measurement,
        ...(q.channel !== undefined ? { channel: q.channel } : {}),
        from: deps.iso(q.from),
        to: deps.iso(q.to),
        ...(q.bucket !== undefined
          ? { bucketMinutes: q.bucket / 60_000, aggregate: q.aggregate ?? 'mean' }
          : {}),
        points: points.map((p) => ({ time: deps.iso(p.timeMs), value: p.value, count: p.count })),
        truncated: points.length >= limit,
      };
    },
  );
};

/** The newest forecast per asset and target, of a list ordered newest first. */
export function latestPerAssetAndTarget<F extends { assetId: string; target: string }>(
  newestFirst: F[],
): F[] {
  const seen = new Set<string>();
  return newestFirst.filter((f) => {
    const k = `${f.assetId}\u0000${f.target}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** GET /forecasts: stored forecasts, newest first. */
const forecastsRoute: FastifyPluginAsyncZod<RoutePluginOptions> = async (app, { deps }) => {
  app.get(
    '/forecasts',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'Stored forecasts, newest first',
        tags: ['data'],
        querystring: z.object({
          asset: z.string().min(1).optional(),
          target: z
            .string()
            .min(1)
            .optional()
            .register(apiRegistry, { description: 'e.g. pv_power_kw, load_power_kw' }),
          model: z.string().min(1).optional(),
          issuedFrom: instantParam.optional(),
          issuedTo: instantParam.optional(),
          latest: flagParam
            .optional()
            .register(apiRegistry, { description: 'only the newest forecast per asset and target' }),
          limit: countParam(FORECASTS_MAX_LIMIT).optional(),
        }),
        response: {
          200: z.object({ forecasts: z.array(forecastSchema) }),
          ...errorResponses(400, 401, 403, 429),
        },
      },
    },
    async (req) => {
      const q = req.query;
      const rows = await deps.store.listForecasts({
        assetId: q.asset,
        target: q.target,
        model: q.model,
        issuedFromMs: q.issuedFrom,
        issuedToMs: q.issuedTo,
        limit: q.latest ? FORECASTS_MAX_LIMIT : (q.limit ?? FORECASTS_DEFAULT_LIMIT),
      });
      const list = q.latest ? latestPerAssetAndTarget(rows).slice(0, q.limit ?? FORECASTS_MAX_LIMIT) : rows;
      return { forecasts: list.map((f) => forecastOut(f, deps.iso)) };
    },
  );
};

/** GET /schedule (the one in force) and GET /schedules (the versions, without setpoints). */
const scheduleRoutes: FastifyPluginAsyncZod<RoutePluginOptions> = async (app, { deps }) => {
  app.get(
    '/schedule',
    {
      config: { access: 'viewer' },
      schema: {
        summary:
          'The schedule in force: the active one covering now, else the latest active one; null when there is none',
        tags: ['data'],
        response: {
          200: z.object({ schedule: scheduleSchema.nullable() }),
          ...errorResponses(401, 403, 429),
        },
      },
    },
    async () => {
      const now = deps.now();
      const covering = await deps.store.listSchedules({
        status: 'active',
        fromMs: now,
        toMs: now + 1,
        limit: 1,
      });
      const s = covering[0] ?? (await deps.store.listSchedules({ status: 'active', limit: 1 }))[0];
      return { schedule: s ? scheduleOut(s, deps.iso) : null };
    },
  );

  app.get(
    '/schedules',
    {
      config: { access: 'viewer' },
      schema: {
        summary:
          "Schedule versions, newest first, without their setpoints: status and the planner's figures (solve time, objective, inputs) where it stored them",
        tags: ['data'],
        querystring: z.object({
          limit: countParam(SCHEDULES_MAX_LIMIT)
            .optional()
            .register(apiRegistry, { description: `most versions (default ${SCHEDULES_DEFAULT_LIMIT})` }),
        }),
        response: {
          200: z.object({ schedules: z.array(scheduleVersionSchema) }),
          ...errorResponses(400, 401, 403, 429),
        },
      },
    },
    async (req) => {
      const list = await deps.store.listSchedules({ limit: req.query.limit ?? SCHEDULES_DEFAULT_LIMIT });
      // The store orders by horizon start; a version is newer when it was made later.
      list.sort((a, b) => b.createdMs - a.createdMs || b.id - a.id);
      return { schedules: list.map((s) => scheduleVersionOut(s, deps.iso)) };
    },
  );
};

/** GET /kpis: KPIs and the bill over a period, from stored telemetry. */
const kpisRoute: FastifyPluginAsyncZod<RoutePluginOptions> = async (app, { deps }) => {
  app.get(
    '/kpis',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'KPIs and the KEPCO bill over a period, from stored grid, PV and battery telemetry',
        description:
          'The grid meter (asset `grid`, `power_kw`, import positive) averaged per district interval is billed with the district tariff ' +
          '(computeBill: energy, demand with ratchet, adders, VAT and fund, SMP export revenue, CO₂). PV and battery energy come from their ' +
          "assets' `power_kw`. `from` is rounded down and `to` up to the interval. Intervals without grid data count as 0 kW (see `coverage`).",
        tags: ['data'],
        querystring: z.object({ from: instantParam, to: instantParam }),
        response: { 200: kpiReply, ...errorResponses(400, 401, 403, 429) },
      },
    },
    async (req) => {
      const { from, to } = req.query;
      requireOrder(from, to);
      if (to - from > KPI_MAX_DAYS * MS_PER_DAY)
        throw new ApiError(
          'BITGRID_ERR_VALIDATION',
          `querystring.to: the period may span at most ${KPI_MAX_DAYS} days`,
          'to',
        );
      try {
        const k = await kpisFromTelemetry(deps.store, deps.scenario.scenario, from, to);
        return toWire(k, deps.zone) as z.infer<typeof kpiReply>;
      } catch (e) {
        // The tariff knows schedules from a date on; a period before it cannot be billed.
        if (e instanceof RangeError)
          throw new ApiError('BITGRID_ERR_VALIDATION', `querystring.from: ${e.message}`, 'from');
        throw e;
      }
    },
  );
};

/** GET /telemetry, /forecasts, /schedule, /schedules and /kpis: what the store holds, read back. */
export const dataRoutes: FastifyPluginAsyncZod<RoutePluginOptions> = async (app, opts) => {
  await telemetryRoute(app, opts);
  await forecastsRoute(app, opts);
  await scheduleRoutes(app, opts);
  await kpisRoute(app, opts);
};
