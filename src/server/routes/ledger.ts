import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { ledgerCsv, ledgerJson } from '../../ledger/index.ts';
import { LEDGER_MAX_DAYS, ledgerFromTelemetry } from '../../ledger/index.ts';
import { MS_PER_DAY } from '../../model/time.ts';
import { renderLedgerReport } from '../../report/ledger-html.ts';
import { apiRegistry } from '../registry.ts';
import type { RoutePluginOptions } from '../deps.ts';
import { ApiError, errorResponses } from '../errors.ts';
import { instantParam, isoTime } from '../schemas.ts';

// The hourly RE100 ledger of the live system (docs/ledger.md), from stored telemetry by the same rule
// `simulate` uses, and its monthly HTML report.

const energyFields = {
  consumptionKwh: z.number(),
  pvUsedKwh: z.number(),
  ppaDeliveredKwh: z.number(),
  ppaUsedKwh: z.number(),
  certificatesKwh: z.number(),
  gridResidualKwh: z.number(),
  emissionsKg: z.number(),
};

const ledgerReply = z
  .object({
    from: isoTime,
    to: isoTime,
    hours: z.array(z.object({ hourStart: isoTime, ...energyFields, matchingShare: z.number() })),
    totals: z.object({
      ...energyFields,
      matchingShare: z.number(),
      annualMatchingShare: z.number().register(apiRegistry, {
        description: '(PV used + PPA delivered + certificates) ÷ consumption, at most 1',
      }),
      hourlyMatchingShare: z.number().register(apiRegistry, {
        description: 'Σ (PV used + PPA used) ÷ Σ consumption, per clock hour (24/7)',
      }),
    }),
  })
  .register(apiRegistry, { id: 'Ledger' });

function checkPeriod(from: number, to: number): void {
  if (!(to > from)) throw new ApiError('BITGRID_ERR_VALIDATION', 'querystring.to: must be after from', 'to');
  if (to - from > LEDGER_MAX_DAYS * MS_PER_DAY)
    throw new ApiError(
      'BITGRID_ERR_VALIDATION',
      `querystring.to: the period may span at most ${LEDGER_MAX_DAYS} days`,
      'to',
    );
}

export const ledgerRoutes: FastifyPluginAsyncZod<RoutePluginOptions> = async (app, { deps }) => {
  app.get(
    '/ledger',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'Hourly RE100 ledger over a period, from stored telemetry',
        description:
          'Per local clock hour: consumption (grid + PV + battery), on-site PV used (direct and through the battery), ' +
          'PPA delivered (asset `ppa`) and used, certificates retired, grid residual, matching share and location-based ' +
          'emissions; totals with the annual and hourly (24/7) scores. `from` is rounded down and `to` up to the ' +
          'district interval. `format=csv` returns the hours as CSV.',
        tags: ['data'],
        querystring: z.object({
          from: instantParam,
          to: instantParam,
          format: z.enum(['json', 'csv']).optional(),
        }),
        response: { 200: z.union([ledgerReply, z.string()]), ...errorResponses(400, 401, 403, 429) },
      },
    },
    async (req, reply) => {
      const { from, to, format } = req.query;
      checkPeriod(from, to);
      const ledger = await ledgerFromTelemetry(deps.store, deps.scenario.scenario, from, to);
      if (format === 'csv')
        return reply
          .type('text/csv; charset=utf-8')
          .serializer((x: unknown) => String(x))
          .send(ledgerCsv(ledger));
      return ledgerJson(ledger);
    },
  );

  app.get(
    '/ledger/report',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'Monthly RE100 report (HTML) of the live system',
        tags: ['data'],
        querystring: z.object({
          month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be YYYY-MM'),
        }),
        response: { 200: z.string(), ...errorResponses(400, 401, 403, 429) },
      },
    },
    async (req, reply) => {
      const start = DateTime.fromISO(`${req.query.month}-01`, { zone: deps.zone });
      const fromMs = start.toMillis();
      const toMs = start.plus({ months: 1 }).toMillis();
      const ledger = await ledgerFromTelemetry(deps.store, deps.scenario.scenario, fromMs, toMs);
      return reply
        .type('text/html; charset=utf-8')
        .serializer((x: unknown) => String(x))
        .send(renderLedgerReport(ledger, { title: `${deps.scenario.scenario.name} — ${req.query.month}` }));
    },
  );
};
