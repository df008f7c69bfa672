import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  dashboardRoutes,
  feederRoutes,
  kpiRoutes,
  ledgerRoutes,
  openAdrRoutes,
  siteDetailRoutes,
  siteListRoutes,
  telemetryRoutes,
  type FleetReader,
  type Scope,
} from './api-routes.ts';
import { SUBJECT_TOKEN_PATTERN } from './subjects.ts';

export { FLEET_PAGE, SITE_STALE_AFTER_MS, type FleetReader } from './api-routes.ts';
export type * from './api-types.ts';

// The fleet API of the backend (`bitgrid backend --http-port`): read-only views across the sites.
//   GET /fleet/health                 no token: the backend answers
//   GET /fleet/sites                  the sites, when each was last heard from, online or stale
//   GET /fleet/kpis                   today's KPIs summed across the sites (and per site)
//   GET /fleet/sites/:id              one site: latest telemetry, plan in force, KPIs, report, shares
//   GET /fleet/sites/:id/telemetry    one series of a site over the last hours (the drill-down chart)
//   GET /fleet/ledger                 the RE100 ledger per day, summed across the sites (and per site)
//   GET /fleet/feeders                the coordinated feeders: cap, shares, what they wait for
//   GET /fleet/openadr                the fleet VEN's events and each site's share (when it is one)
//   GET /                             the fleet dashboard page (web/fleet.html, when built)
// Every route but health needs `Authorization: Bearer <token>`. A token sees every site ("*") or a
// listed set; it never learns of the others (they are left out of lists and sums, and a drill-down
// into one answers 404 as for a site that does not exist). The routes are in src/fleet/api-routes.ts,
// what they answer in src/fleet/api-types.ts.

const tokenEntrySchema = z.object({
  name: z.string().min(1).max(200),
  /** SHA-256 of the token, hex: the file never holds a token itself. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lowercase hex digits'),
  sites: z.union([
    z.literal('*'),
    z.array(z.string().regex(SUBJECT_TOKEN_PATTERN, 'a site id is 1–64 letters, digits, "_" or "-"')).min(1),
  ]),
});
export type FleetToken = z.infer<typeof tokenEntrySchema>;
export const tokensFileSchema = z.array(tokenEntrySchema).min(1);

/** Reads the tokens file (JSON: [{ name, sha256, sites: "*" | [ids] }]); throws with the file and field. */
export function loadTokensFile(file: string): FleetToken[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not readable JSON (${(e as Error).message})`);
  }
  const r = tokensFileSchema.safeParse(json);
  if (!r.success)
    throw new Error(
      `${file}: ${r.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ')}`,
    );
  return r.data;
}

export const sha256Hex = (s: string) => createHash('sha256').update(s).digest('hex');

export interface FleetApiOptions {
  reader: FleetReader;
  tokens: FleetToken[];
  /** The built dashboard (web/dist): its fleet.html is served at `/`, its assets under `/assets`. */
  webRoot?: string;
  /** Wall clock, UTC ms (tests). */
  now?: () => number;
}

/** The scope of the request's bearer token, or undefined without a known one. */
function scopeFinder(tokens: FleetToken[]): (req: FastifyRequest) => Scope | undefined {
  const hashes = tokens.map((t) => ({ t, hash: Buffer.from(t.sha256, 'hex') }));
  return (req) => {
    const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    if (!m) return undefined;
    const h = createHash('sha256').update(m[1]).digest();
    // Every entry compared in constant time, so timing tells nothing of which one matched.
    let found: FleetToken | undefined;
    for (const x of hashes) if (timingSafeEqual(h, x.hash)) found ??= x.t;
    if (!found) return undefined;
    const t = found;
    return t.sites === '*'
      ? { name: t.name, all: true, sites: [], sees: () => true }
      : { name: t.name, all: false, sites: t.sites, sees: (id) => (t.sites as string[]).includes(id) };
  };
}

export function createFleetApi(o: FleetApiOptions): FastifyInstance {
  const scopeOf = scopeFinder(o.tokens);
  const auth = (req: FastifyRequest, reply: FastifyReply): Scope | undefined => {
    const s = scopeOf(req);
    if (!s)
      void reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send({ error: 'a valid bearer token is needed (Authorization: Bearer <token>)' });
    return s;
  };
  const c = { reader: o.reader, auth, now: o.now ?? Date.now };
  const app = Fastify({ logger: false });
  dashboardRoutes(app, o.webRoot);
  siteListRoutes(app, c);
  kpiRoutes(app, c);
  siteDetailRoutes(app, c);
  telemetryRoutes(app, c);
  ledgerRoutes(app, c);
  openAdrRoutes(app, c);
  feederRoutes(app, c);
  return app;
}
