import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type {
  FleetFeeders,
  FleetKpis,
  FleetLedger,
  FleetLedgerDay,
  FleetSeries,
  FleetSiteDetail,
  FleetSites,
  FleetSiteStatus,
} from './api-types.ts';
import type { FeederStatus } from './coordinator.ts';
import type { KpiMessage, ScheduleMessage, SiteReportMessage } from './messages.ts';
import { SUBJECT_TOKEN_PATTERN } from './subjects.ts';
import type { FleetEventSplit } from './ven.ts';

// The fleet API's routes, a group a function (src/fleet/api.ts puts them together and says who may
// call them). A token's scope decides what each answer holds: a site it does not see is left out of
// lists and sums, and a drill-down into one answers 404 as for a site that does not exist.

/**
 * A site not heard from for this long is `stale`, wall ms. An edge sends telemetry every control
 * cycle (a minute by default) and its report at least every 5 minutes of its clock, so a quarter of
 * an hour of silence is three missed heartbeats.
 */
export const SITE_STALE_AFTER_MS = 15 * 60_000;
/** The latest telemetry of a site is looked for this far back from its newest point, ms (site clock). */
const LATEST_TELEMETRY_WINDOW_MS = 24 * 3_600_000;
/** Most latest-values rows one drill-down returns. */
const LATEST_TELEMETRY_MAX_ROWS = 1_000;
/** A drill-down series covers this many hours by default, and at most FLEET_SERIES_MAX_HOURS. */
const SERIES_DEFAULT_HOURS = 24;
const FLEET_SERIES_MAX_HOURS = 7 * 24;
/** Most points of one drill-down series (a day of one-minute cycles fits). */
const SERIES_MAX_POINTS = 5_000;
const MS_PER_HOUR = 3_600_000;
/** The ledger covers this many site-local days by default, and at most LEDGER_MAX_DAYS. */
const LEDGER_DEFAULT_DAYS = 7;
const LEDGER_MAX_DAYS = 366;

/** The fleet dashboard's page in the built dashboard (vite's second input, web/fleet.html). */
export const FLEET_PAGE = 'fleet.html';

/** What the API reads (FleetBackend implements it). */
export interface FleetReader {
  query<R extends Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  feederStatus(): FeederStatus[];
  /** The fleet VEN's events as split among its sites (src/fleet/ven.ts), when the backend is one. */
  venStatus?(): { venId?: string; health: string; sites: string[]; events: FleetEventSplit[] } | undefined;
}

/** What one bearer token may see. */
export interface Scope {
  name: string;
  sees(edgeId: string): boolean;
  all: boolean;
  sites: string[];
}

/** What every route group is given. */
export interface FleetRouteContext {
  reader: FleetReader;
  /** The caller's scope; undefined when there is none, and the 401 has been sent. */
  auth(req: FastifyRequest, reply: FastifyReply): Scope | undefined;
  /** Wall clock, UTC ms. */
  now: () => number;
}

interface SiteRow extends Record<string, unknown> {
  edge_id: string;
  first_seen_ms: string;
  last_seen_ms: string;
  last_telemetry_ms: string | null;
}

const seriesQuerySchema = z.object({
  asset: z.string().min(1).max(200),
  measurement: z.string().min(1).max(200),
  channel: z.string().max(200).optional(),
  hours: z.coerce.number().positive().max(FLEET_SERIES_MAX_HOURS).default(SERIES_DEFAULT_HOURS),
});
const ledgerQuerySchema = z.object({
  days: z.coerce.number().int().positive().max(LEDGER_MAX_DAYS).default(LEDGER_DEFAULT_DAYS),
});

function badQuery(reply: FastifyReply, e: z.ZodError) {
  return reply.code(400).send({
    error: e.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; '),
  });
}

function siteStatus(c: FleetRouteContext, lastSeenMs: number): FleetSiteStatus {
  return c.now() - lastSeenMs <= SITE_STALE_AFTER_MS ? 'online' : 'stale';
}

async function sitesOf(c: FleetRouteContext, scope: Scope): Promise<SiteRow[]> {
  return (await c.reader.query<SiteRow>('SELECT * FROM fleet_sites ORDER BY edge_id')).filter((r) =>
    scope.sees(r.edge_id),
  );
}

async function siteRow(c: FleetRouteContext, id: string): Promise<SiteRow | undefined> {
  const [site] = await c.reader.query<SiteRow>('SELECT * FROM fleet_sites WHERE edge_id = $1', [id]);
  return site;
}

/** The newest KPI summary of each of these sites. */
function latestKpis(c: FleetRouteContext, ids: string[]) {
  return c.reader.query<{ edge_id: string; kpi: KpiMessage }>(
    `SELECT DISTINCT ON (edge_id) edge_id, kpi FROM fleet_kpis WHERE edge_id = ANY($1::text[])
      ORDER BY edge_id, time_ms DESC`,
    [ids],
  );
}

/** A site id the scope may ask about: one it sees, and a well-formed one. */
const visible = (scope: Scope, id: string) => SUBJECT_TOKEN_PATTERN.test(id) && scope.sees(id);

/** The built fleet dashboard: its page at `/`, its assets under `/assets`. */
export function dashboardRoutes(app: FastifyInstance, webRoot: string | undefined): void {
  if (!webRoot || !existsSync(join(webRoot, FLEET_PAGE))) return;
  const root = webRoot;
  // Only the page and its assets: the site dashboard's own page is served by `serve`, not here.
  void app.register(fastifyStatic, { root: join(root, 'assets'), prefix: '/assets/' });
  const page = () => readFileSync(join(root, FLEET_PAGE), 'utf8');
  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(page()));
}

/** GET /fleet/health (no token) and GET /fleet/sites. */
export function siteListRoutes(app: FastifyInstance, c: FleetRouteContext): void {
  app.get('/fleet/health', async () => ({ ok: true }));

  app.get('/fleet/sites', async (req, reply): Promise<FleetSites | FastifyReply> => {
    const scope = c.auth(req, reply);
    if (!scope) return reply;
    const rows = await sitesOf(c, scope);
    return {
      staleAfterMs: SITE_STALE_AFTER_MS,
      sites: rows.map((r) => ({
        id: r.edge_id,
        status: siteStatus(c, Number(r.last_seen_ms)),
        firstSeenMs: Number(r.first_seen_ms),
        lastSeenMs: Number(r.last_seen_ms),
        lastTelemetryMs: r.last_telemetry_ms === null ? null : Number(r.last_telemetry_ms),
      })),
    };
  });
}

/** GET /fleet/kpis: today's KPIs summed across the sites (and per site). */
export function kpiRoutes(app: FastifyInstance, c: FleetRouteContext): void {
  app.get('/fleet/kpis', async (req, reply): Promise<FleetKpis | FastifyReply> => {
    const scope = c.auth(req, reply);
    if (!scope) return reply;
    const ids = (await sitesOf(c, scope)).map((r) => r.edge_id);
    const kpis = await latestKpis(c, ids);
    const sum = (f: (k: KpiMessage) => number) => kpis.reduce((a, r) => a + f(r.kpi), 0);
    const consumptionKwh = sum((k) => k.consumptionKwh);
    return {
      sites: ids.length,
      sitesWithKpis: kpis.length,
      // Each site's own "today" (its local day): the sum is of the newest summary of each.
      importKwh: sum((k) => k.importKwh),
      consumptionKwh,
      pvKwh: sum((k) => k.pvKwh),
      costKrw: sum((k) => k.costKrw),
      // Weighted by consumption: the fleet's matched share of what it consumed.
      re100HourlyMatching:
        consumptionKwh > 0 ? sum((k) => k.re100HourlyMatching * k.consumptionKwh) / consumptionKwh : 0,
      // Each site's own month peak, added: what the sites would bill, not a coincident fleet peak.
      sumOfMonthPeaksKw: sum((k) => k.monthPeakKw),
      bySite: Object.fromEntries(kpis.map((r) => [r.edge_id, r.kpi])),
    };
  });
}

/** The newest value of each series of a site, looked for back from its newest point. */
async function latestTelemetry(c: FleetRouteContext, id: string, newestMs: number | null) {
  if (newestMs === null) return [];
  const rows = await c.reader.query<{
    asset_id: string;
    measurement: string;
    channel: string;
    time_ms: string;
    value: number;
  }>(
    `SELECT DISTINCT ON (asset_id, measurement, channel) asset_id, measurement, channel, time_ms, value
       FROM fleet_telemetry WHERE edge_id = $1 AND time_ms >= $2
      ORDER BY asset_id, measurement, channel, time_ms DESC LIMIT $3`,
    [id, newestMs - LATEST_TELEMETRY_WINDOW_MS, LATEST_TELEMETRY_MAX_ROWS],
  );
  return rows.map((r) => ({
    assetId: r.asset_id,
    measurement: r.measurement,
    ...(r.channel ? { channel: r.channel } : {}),
    timeMs: Number(r.time_ms),
    value: r.value,
  }));
}

/** A site's shares of the feeders it is coordinated on. */
async function feederShares(c: FleetRouteContext, id: string) {
  const rows = await c.reader.query<{
    feeder_id: string;
    limit_kw: number;
    want_kw: number;
    inflexible_kw: number;
    issued_ms: string;
  }>('SELECT * FROM fleet_feeder_shares WHERE edge_id = $1 ORDER BY feeder_id', [id]);
  return rows.map((r) => ({
    feederId: r.feeder_id,
    limitKw: r.limit_kw,
    wantKw: r.want_kw,
    inflexibleKw: r.inflexible_kw,
    issuedMs: Number(r.issued_ms),
  }));
}

/** GET /fleet/sites/:id: latest telemetry, plan in force, KPIs, report and shares of one site. */
export function siteDetailRoutes(app: FastifyInstance, c: FleetRouteContext): void {
  app.get<{ Params: { id: string } }>(
    '/fleet/sites/:id',
    async (req, reply): Promise<FleetSiteDetail | FastifyReply> => {
      const scope = c.auth(req, reply);
      if (!scope) return reply;
      const id = req.params.id;
      const notFound = () => reply.code(404).send({ error: `no site "${id}"` });
      if (!visible(scope, id)) return notFound();
      const site = await siteRow(c, id);
      if (!site) return notFound();
      const newestMs = site.last_telemetry_ms === null ? null : Number(site.last_telemetry_ms);
      const telemetry = await latestTelemetry(c, id, newestMs);
      const [schedule] = await c.reader.query<{ schedule: ScheduleMessage }>(
        'SELECT schedule FROM fleet_schedules WHERE edge_id = $1 ORDER BY made_ms DESC LIMIT 1',
        [id],
      );
      const [kpi] = await latestKpis(c, [id]);
      const [report] = await c.reader.query<{ report: SiteReportMessage }>(
        'SELECT report FROM fleet_site_reports WHERE edge_id = $1 ORDER BY time_ms DESC LIMIT 1',
        [id],
      );
      const shares = await feederShares(c, id);
      return {
        id,
        status: siteStatus(c, Number(site.last_seen_ms)),
        lastSeenMs: Number(site.last_seen_ms),
        telemetry,
        schedule: schedule?.schedule ?? null,
        kpis: kpi?.kpi ?? null,
        report: report?.report ?? null,
        shares,
      };
    },
  );
}

/** GET /fleet/sites/:id/telemetry: one series of a site over the last hours (the drill-down chart). */
export function telemetryRoutes(app: FastifyInstance, c: FleetRouteContext): void {
  app.get<{ Params: { id: string }; Querystring: Record<string, string> }>(
    '/fleet/sites/:id/telemetry',
    async (req, reply): Promise<FleetSeries | FastifyReply> => {
      const scope = c.auth(req, reply);
      if (!scope) return reply;
      const id = req.params.id;
      if (!visible(scope, id)) return reply.code(404).send({ error: `no site "${id}"` });
      const q = seriesQuerySchema.safeParse(req.query);
      if (!q.success) return badQuery(reply, q.error);
      const site = await siteRow(c, id);
      if (!site) return reply.code(404).send({ error: `no site "${id}"` });
      const newestMs = site.last_telemetry_ms === null ? null : Number(site.last_telemetry_ms);
      // The newest points of the window (the site's clock), oldest first.
      const rows =
        newestMs === null
          ? []
          : await c.reader.query<{ time_ms: string; value: number }>(
              `SELECT time_ms, value FROM (
                 SELECT time_ms, value FROM fleet_telemetry
                  WHERE edge_id = $1 AND asset_id = $2 AND measurement = $3 AND channel = $4 AND time_ms >= $5
                  ORDER BY time_ms DESC LIMIT $6) AS newest ORDER BY time_ms`,
              [
                id,
                q.data.asset,
                q.data.measurement,
                q.data.channel ?? '',
                newestMs - q.data.hours * MS_PER_HOUR,
                SERIES_MAX_POINTS,
              ],
            );
      return {
        id,
        asset: q.data.asset,
        measurement: q.data.measurement,
        ...(q.data.channel ? { channel: q.data.channel } : {}),
        points: rows.map((r) => [Number(r.time_ms), r.value] as [number, number]),
      };
    },
  );
}

/** One ledger day from the summaries given (of one site, or of all). */
function ledgerDay(day: string, rows: { day: string; kpi: KpiMessage }[]): FleetLedgerDay {
  const xs = rows.filter((r) => r.day === day);
  const sum = (f: (k: KpiMessage) => number) => xs.reduce((a, r) => a + f(r.kpi), 0);
  const consumptionKwh = sum((k) => k.consumptionKwh);
  const matchedKwh = sum((k) => k.re100HourlyMatching * k.consumptionKwh);
  return {
    day,
    sites: xs.length,
    consumptionKwh,
    matchedKwh,
    pvKwh: sum((k) => k.pvKwh),
    importKwh: sum((k) => k.importKwh),
    costKrw: sum((k) => k.costKrw),
    re100HourlyMatching: consumptionKwh > 0 ? matchedKwh / consumptionKwh : 0,
  };
}

/** GET /fleet/ledger: the RE100 ledger per day, summed across the sites (and per site). */
export function ledgerRoutes(app: FastifyInstance, c: FleetRouteContext): void {
  app.get<{ Querystring: Record<string, string> }>(
    '/fleet/ledger',
    async (req, reply): Promise<FleetLedger | FastifyReply> => {
      const scope = c.auth(req, reply);
      if (!scope) return reply;
      const q = ledgerQuerySchema.safeParse(req.query);
      if (!q.success) return badQuery(reply, q.error);
      const ids = (await sitesOf(c, scope)).map((r) => r.edge_id);
      // The newest summary of each site for each of its local days: the day's figures so far.
      const rows = await c.reader.query<{ edge_id: string; day: string; kpi: KpiMessage }>(
        `SELECT DISTINCT ON (edge_id, day) edge_id, day, kpi FROM fleet_kpis WHERE edge_id = ANY($1::text[])
          ORDER BY edge_id, day, time_ms DESC`,
        [ids],
      );
      const days = [...new Set(rows.map((r) => r.day))].sort().slice(-q.data.days);
      const ledger = days.map((d) => ledgerDay(d, rows));
      const consumptionKwh = ledger.reduce((a, d) => a + d.consumptionKwh, 0);
      const matchedKwh = ledger.reduce((a, d) => a + d.matchedKwh, 0);
      const siteDays = (id: string) => {
        const own = rows.filter((r) => r.edge_id === id);
        return days.map((d) => ledgerDay(d, own)).filter((d) => d.sites > 0);
      };
      return {
        days: ledger,
        totals: {
          consumptionKwh,
          matchedKwh,
          re100HourlyMatching: consumptionKwh > 0 ? matchedKwh / consumptionKwh : 0,
        },
        bySite: Object.fromEntries(ids.map((id) => [id, siteDays(id)])),
      };
    },
  );
}

/** GET /fleet/openadr: the fleet VEN's events and each site's share (when the backend is one). */
export function openAdrRoutes(app: FastifyInstance, c: FleetRouteContext): void {
  app.get('/fleet/openadr', async (req, reply) => {
    const scope = c.auth(req, reply);
    if (!scope) return reply;
    const v = c.reader.venStatus?.();
    if (!v) return { ven: null };
    // A tenant sees the events' windows and figures, and only its own sites' shares.
    const own = (r: Record<string, number>) =>
      Object.fromEntries(Object.entries(r).filter(([s]) => scope.sees(s)));
    return {
      ven: {
        venId: v.venId,
        health: v.health,
        sites: v.sites.filter((s) => scope.sees(s)),
        events: v.events.map((e) => ({
          ...e,
          sharesKw: own(e.sharesKw),
          unreported: e.unreported.filter((s) => scope.sees(s)),
        })),
      },
    };
  });
}

/** GET /fleet/feeders: the coordinated feeders, their caps and shares, what they wait for. */
export function feederRoutes(app: FastifyInstance, c: FleetRouteContext): void {
  app.get('/fleet/feeders', async (req, reply): Promise<FleetFeeders | FastifyReply> => {
    const scope = c.auth(req, reply);
    if (!scope) return reply;
    return {
      feeders: c.reader
        .feederStatus()
        .filter((f) => f.sites.some((s) => scope.sees(s)))
        .map((f) =>
          scope.all
            ? f
            : {
                id: f.id,
                capKw: f.capKw,
                sites: f.sites.filter((s) => scope.sees(s)),
                sharesKw: Object.fromEntries(Object.entries(f.sharesKw).filter(([s]) => scope.sees(s))),
              },
        ),
    };
  });
}
