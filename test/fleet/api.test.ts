import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleetApi, loadTokensFile, SITE_STALE_AFTER_MS, sha256Hex } from '../../src/fleet/api.ts';
import type { FleetBackend } from '../../src/fleet/backend.ts';
import type { FleetEdge } from '../../src/fleet/edge.ts';
import type { KpiMessage, ScheduleMessage, SiteReportMessage } from '../../src/fleet/messages.ts';
import { removeFleetTestState, startFleet, until } from './services.ts';
import { siteKpi, sitePlan, siteReport } from './messages.ts';

// The fleet API over a real loopback socket, on what three edges sent through the machine's NATS
// JetStream into PostgreSQL: telemetry, a plan in force, KPIs and reports, and a coordinated feeder.

const NATS_URL = process.env.BITGRID_TEST_NATS_URL;
const PG_URL = process.env.BITGRID_TEST_PG_URL;
const T0 = Date.parse('2026-08-03T00:00:00+09:00');
const MIN = 60_000;
const IDS = ['site-a', 'site-b', 'site-c'];

const kpi = (i: number): KpiMessage => siteKpi(i, T0 + 15 * MIN, '2026-08-03');
const report = (i: number): SiteReportMessage => siteReport(i, T0);
const schedule: ScheduleMessage = sitePlan(T0, [4000, 4100]);

describe.skipIf(!NATS_URL || !PG_URL)('fleet API', () => {
  const ns = `a${randomBytes(4).toString('hex')}`;
  const schema = `fleet_${ns}`;
  const allToken = randomBytes(24).toString('base64url');
  const siteAToken = randomBytes(24).toString('base64url');
  let dir: string;
  let backend: FleetBackend;
  let api: FastifyInstance;
  let base: string;
  let clockOffsetMs = 0;
  let edges: FleetEdge[] = [];

  const get = async (path: string, token?: string) => {
    const r = await fetch(`${base}${path}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bitgrid-fleet-api-'));
    ({ backend, edges } = await startFleet({
      natsUrl: NATS_URL!,
      pgUrl: PG_URL!,
      namespace: ns,
      schema,
      dir,
      ids: IDS,
      capKw: 9000,
      send: (e, id, i) => {
        e.publishTelemetry([
          { assetId: 'grid', measurement: 'power_kw', timeMs: T0, value: 4000 + i },
          { assetId: 'grid', measurement: 'power_kw', timeMs: T0 + MIN, value: 4500 + i },
        ]);
        e.publishKpi(kpi(i));
        e.publishReport(report(i));
        if (id === 'site-a') e.publishSchedule(schedule);
      },
    }));
    await until('everything stored', () => {
      const s = backend.stats();
      return s.points === 6 && s.kpis === 3 && s.reports === 3 && s.schedules === 1;
    });
    await until('shares held at the edges', () => edges.every((e) => e.importLimit.held().length === 1));
    const tokensFile = join(dir, 'tokens.json');
    writeFileSync(
      tokensFile,
      JSON.stringify([
        { name: 'operations', sha256: sha256Hex(allToken), sites: '*' },
        { name: 'tenant-a', sha256: sha256Hex(siteAToken), sites: ['site-a'] },
      ]),
    );
    api = createFleetApi({
      reader: backend,
      tokens: loadTokensFile(tokensFile),
      now: () => Date.now() + clockOffsetMs,
    });
    base = await api.listen({ port: 0, host: '127.0.0.1' });
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    for (const e of edges) await e.stop();
    await backend?.stop().catch(() => undefined);
    await removeFleetTestState({ natsUrl: NATS_URL!, pgUrl: PG_URL!, namespace: ns, schema, dir });
  }, 60_000);

  it('answers health without a token and nothing else without a valid one', async () => {
    expect((await get('/fleet/health')).status).toBe(200);
    expect((await get('/fleet/sites')).status).toBe(401);
    expect((await get('/fleet/sites', 'not-a-token')).status).toBe(401);
    expect((await get('/fleet/kpis', `${allToken}x`)).status).toBe(401);
  });

  it('lists the sites a token may see, online, and stale after a quarter hour of silence', async () => {
    const all = await get('/fleet/sites', allToken);
    expect(all.status).toBe(200);
    const sites = all.body.sites as { id: string; status: string; lastTelemetryMs: number }[];
    expect(sites.map((s) => [s.id, s.status])).toEqual(IDS.map((id) => [id, 'online']));
    expect(sites[0].lastTelemetryMs).toBe(T0 + MIN);
    const mine = await get('/fleet/sites', siteAToken);
    expect((mine.body.sites as { id: string }[]).map((s) => s.id)).toEqual(['site-a']);
    clockOffsetMs = SITE_STALE_AFTER_MS + MIN;
    try {
      const later = await get('/fleet/sites', allToken);
      expect((later.body.sites as { status: string }[]).every((s) => s.status === 'stale')).toBe(true);
    } finally {
      clockOffsetMs = 0;
    }
  });

  it('sums the KPIs over the sites a token sees', async () => {
    const all = await get('/fleet/kpis', allToken);
    expect(all.body).toMatchObject({
      sites: 3,
      sitesWithKpis: 3,
      importKwh: 6000,
      consumptionKwh: 12000,
      costKrw: 600_000,
      sumOfMonthPeaksKw: 15000,
    });
    // Consumption-weighted: (0.25·2000 + 0.5·4000 + 0.75·6000) / 12000.
    expect(all.body.re100HourlyMatching).toBeCloseTo(7000 / 12000, 9);
    const mine = await get('/fleet/kpis', siteAToken);
    expect(mine.body).toMatchObject({ sites: 1, importKwh: 1000, costKrw: 100_000 });
  });

  it('drills into a site: latest telemetry, plan in force, KPIs, report and its coordinated share', async () => {
    const r = await get('/fleet/sites/site-a', siteAToken);
    expect(r.status).toBe(200);
    expect(r.body.telemetry).toEqual([
      { assetId: 'grid', measurement: 'power_kw', timeMs: T0 + MIN, value: 4500 },
    ]);
    expect(r.body.schedule).toEqual(schedule);
    expect(r.body.kpis).toEqual(kpi(0));
    expect(r.body.report).toEqual(report(0));
    const shares = r.body.shares as { feederId: string; limitKw: number }[];
    expect(shares.map((s) => s.feederId)).toEqual(['feeder-1']);
    // Values 100 : 200 : 300 over 4000 kW flexible each; 6000 kW of headroom above the floors.
    expect(shares[0].limitKw).toBeCloseTo(1000 + (6000 * 100) / 600, 6);
    expect(edges[0].importLimit.held()[0].limitKw).toBeCloseTo(shares[0].limitKw, 6);
    // A site outside the token's set is not there for it; an unknown one is not there at all.
    expect((await get('/fleet/sites/site-b', siteAToken)).status).toBe(404);
    expect((await get('/fleet/sites/nowhere', allToken)).status).toBe(404);
    expect((await get('/fleet/sites/site-b', allToken)).body.schedule).toBeNull();
  });

  it("shows a feeder's shares, only the token's own to a tenant", async () => {
    const all = await get('/fleet/feeders', allToken);
    const f = (all.body.feeders as { id: string; capKw: number; sharesKw: Record<string, number> }[])[0];
    expect(f.capKw).toBe(9000);
    expect(Object.values(f.sharesKw).reduce((a, b) => a + b, 0)).toBeCloseTo(9000, 6);
    const mine = await get('/fleet/feeders', siteAToken);
    const g = (mine.body.feeders as { sites: string[]; sharesKw: Record<string, number> }[])[0];
    expect(g.sites).toEqual(['site-a']);
    expect(Object.keys(g.sharesKw)).toEqual(['site-a']);
  });

  it('refuses a tokens file that is not right, saying where', () => {
    const f = join(dir, 'bad.json');
    writeFileSync(f, JSON.stringify([{ name: 'x', sha256: 'abc', sites: '*' }]));
    expect(() => loadTokensFile(f)).toThrow(/0\.sha256: sha256 must be 64 lowercase hex digits/);
  });
});
