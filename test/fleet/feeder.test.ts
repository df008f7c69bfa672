import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from '../../src/store/sqlite-binding.ts';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { startServe } from '../../src/cli/serve.ts';
import { FleetBackend } from '../../src/fleet/backend.ts';
import { REFERENCE_SCENARIO_FILE } from '../../src/model/load.ts';
import { removeFleetTestState } from './services.ts';

// Coordination of a shared feeder cap, end to end: three sites, each the real `serve` with its twin
// (the factory of the reference district: its load, PV and 12 MWh battery over MQTT and SunSpec on
// loopback, the rules strategy deciding), each an edge of one backend over the machine's NATS
// JetStream and PostgreSQL. At midnight every factory charges its battery from the grid (light-load
// hours) at up to 5 MW, so the three together import far above the feeder's cap. Then the backend
// coordinates the cap: each site gets its share as an import limit, its loop holds it, the feeder
// holds the cap; an operator at one site stops its battery, and the coordinator re-splits.

const NATS_URL = process.env.BITGRID_TEST_NATS_URL;
const PG_URL = process.env.BITGRID_TEST_PG_URL;

/** Twin clock speed: a control cycle (60 clock s) per wall second, which three sites keep up with on two cores. */
const SPEED = 60;
const CYCLE_S = 60;
const MIN_WALL_MS = 60_000 / SPEED;
/** The feeder's cap, kW: below the three factories charging at once (≈ 3 × 5.6 MW), above their loads. */
const CAP_KW = 9000;
/** The factory's own connection limit (district file), kW. */
const OWN_LIMIT_KW = 16000;
/** The factory battery's charge limit (district file), kW. */
const BATTERY_MAX_CHARGE_KW = 5000;
/**
 * What a 15-minute mean of the feeder sum may carry beyond the cap, kW (5 % of it). Each loop holds
 * its share from the import it measured plus the change of its own setpoints: the factory load and
 * the battery's response move within a cycle unanswered, at three sites at once, and a site whose
 * battery is stopped cannot shed anything when its load rises above its share. On the shared 2-core
 * machine (load average 9–13 from other work), seven runs measured 15-minute means of
 * 8,742–9,235 kW; with the other fleet tests running beside it, re-split windows measured 9,292 and
 * 9,306 kW. Single samples reach 10.8–12.5 MW: after a share arrives, a site's loop swings for
 * about four cycles and once charges its battery at 3.5 MW against a share that allows 1.8 MW. The
 * cause is in the loop's import guard (src/control): it adds the change of the battery setpoint, taken
 * from the battery's own reading, to the grid meter's reading, and in the twin the meter's value is a
 * cycle older than the battery's, so the two disagree for a cycle after every step. Without
 * coordination the same windows measure 16.4–16.9 MW.
 */
const CAP_TOLERANCE_KW = 0.05 * CAP_KW;
/** The uncoordinated sum must exceed the cap by this much for the test to mean anything. */
const UNCOORDINATED_MIN_EXCESS = 1.3;
const SAMPLE_WALL_MS = 250;
/** Control cycles every site must run while the backend is stopped (a cycle a wall second here). */
const OUTAGE_CYCLES = 10;
const BATTERY_ID = 'shared-battery';

const SITES = [
  { id: 'site-a', worldSeed: 101, valueKrwPerKwh: 100 },
  { id: 'site-b', worldSeed: 202, valueKrwPerKwh: 100 },
  { id: 'site-c', worldSeed: 303, valueKrwPerKwh: 200 },
];

interface Sample {
  wallMs: number;
  importKw: number[];
  limitKw: number[];
  batteryChargeKw: number[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 60_000) {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/** The reference district's factory alone, as one site of the feeder. */
function factoryScenario(dir: string): string {
  const doc = parse(readFileSync(REFERENCE_SCENARIO_FILE, 'utf8')) as {
    sites: { id: string; assets: { id: string; soc_initial?: number }[] }[];
  };
  const campusEv = doc.sites.flatMap((s) => s.assets).find((a) => a.id === 'campus-ev') as
    Record<string, unknown> | undefined;
  doc.sites = doc.sites.filter((s) => s.id === 'factory');
  // Room in the battery for the whole test: it charges from 20 % at midnight.
  for (const a of doc.sites[0].assets) if (a.id === BATTERY_ID) a.soc_initial = 0.2;
  // A few workplace chargers (the twin's OCPP device needs at least one; cars arrive in the morning).
  doc.sites[0].assets.push({
    ...campusEv,
    id: 'factory-ev',
    chargers: [{ kind: 'ac', count: 2, max_power_kw: 7, protocol: 'ocpp16j' }],
  } as { id: string });
  const file = join(dir, 'factory.yaml');
  writeFileSync(file, stringify(doc));
  return file;
}

describe.skipIf(!NATS_URL || !PG_URL)('a feeder cap shared by three twin sites', () => {
  const ns = `f${randomBytes(4).toString('hex')}`;
  const schema = `fleet_${ns}`;
  const feederId = 'feeder-1';
  let dir: string;
  let backend: FleetBackend;
  const sites: Awaited<ReturnType<typeof startServe>>[] = [];
  const samples: Sample[] = [];
  let sampler: NodeJS.Timeout | undefined;
  const findings: Record<string, unknown> = {};

  const sample = (): Sample => {
    const snaps = sites.map((s) => s.loop.snapshot());
    return {
      wallMs: Date.now(),
      importKw: snaps.map((s) => s.grid.importKw),
      limitKw: snaps.map((s) => s.grid.importLimitKw ?? OWN_LIMIT_KW),
      batteryChargeKw: snaps.map((s) =>
        Math.max(0, -(s.assets.find((a) => a.id === BATTERY_ID)?.measurements.power_kw?.value ?? 0)),
      ),
    };
  };
  const since = (wallMs: number) => samples.filter((s) => s.wallMs >= wallMs);
  const feederSum = (s: Sample) => s.importKw.reduce((a, b) => a + b, 0);
  /** Means of the feeder sum over consecutive 15-minute (clock) windows of the samples given. */
  const windowMeansKw = (xs: Sample[]) => {
    const windowWallMs = 15 * MIN_WALL_MS;
    const out: number[] = [];
    for (let t = xs[0].wallMs; t + windowWallMs <= xs.at(-1)!.wallMs + SAMPLE_WALL_MS; t += windowWallMs)
      out.push(mean(xs.filter((s) => s.wallMs >= t && s.wallMs < t + windowWallMs).map(feederSum)));
    return out;
  };
  const shares = () => backend.feederStatus().find((f) => f.id === feederId)?.sharesKw ?? {};

  beforeAll(async () => {
    process.env.BITGRID_LOG_LEVEL ??= 'error';
    dir = mkdtempSync(join(tmpdir(), 'bitgrid-feeder-'));
    backend = new FleetBackend({ natsUrl: NATS_URL!, pgUrl: PG_URL!, pgSchema: schema, namespace: ns });
    await backend.start();
    for (const s of SITES) {
      const siteDir = join(dir, s.id);
      mkdirSync(siteDir);
      sites.push(
        await startServe({
          scenario: factoryScenario(siteDir),
          port: 0,
          host: '127.0.0.1',
          twin: true,
          speed: SPEED,
          worldSeed: s.worldSeed,
          strategy: 'rules',
          db: `sqlite:${join(siteDir, 'live.db')}`,
          cycleS: CYCLE_S,
          staleS: 600,
          replanMin: 15,
          apiInline: true,
          backend: NATS_URL,
          edgeId: s.id,
          fleetNamespace: ns,
          flexValueKrwPerKwh: s.valueKrwPerKwh,
        }),
      );
    }
    sampler = setInterval(() => samples.push(sample()), SAMPLE_WALL_MS);
  }, 180_000);

  afterAll(async () => {
    if (sampler) clearInterval(sampler);
    console.log('feeder findings', JSON.stringify(findings));
    for (const s of sites) await s.stop().catch(() => undefined);
    await backend?.stop().catch(() => undefined);
    await removeFleetTestState({ natsUrl: NATS_URL!, pgUrl: PG_URL!, namespace: ns, schema, dir });
  }, 120_000);

  it('without coordination, the three factories together import far above the cap', async () => {
    // Every battery charging (light-load hours), then ten clock minutes of it.
    await until(
      'all three batteries charging',
      () => samples.length > 0 && samples.at(-1)!.batteryChargeKw.every((kw) => kw > 1000),
      120_000,
    );
    const from = Date.now();
    await sleep(10 * MIN_WALL_MS);
    const xs = since(from);
    const sumKw = mean(xs.map(feederSum));
    findings.uncoordinatedFeederMeanKw = Math.round(sumKw);
    findings.uncoordinatedSiteMeanKw = SITES.map((_, i) => Math.round(mean(xs.map((s) => s.importKw[i]))));
    expect(sumKw).toBeGreaterThan(CAP_KW * UNCOORDINATED_MIN_EXCESS);
  }, 180_000);

  it('splits the cap by value and each site holds its share: the feeder sum holds the cap', async () => {
    await backend.addFeeder({ id: feederId, capKw: CAP_KW, sites: SITES.map((s) => s.id) });
    await until('a share for every site', () => SITES.every((s) => shares()[s.id] !== undefined));
    const split = shares();
    findings.sharesKw = Object.fromEntries(Object.entries(split).map(([k, v]) => [k, Math.round(v)]));
    const total = Object.values(split).reduce((a, b) => a + b, 0);
    expect(total).toBeLessThanOrEqual(CAP_KW + 1e-6);
    // The site that values its flexibility twice as much gets the larger share.
    expect(split['site-c']).toBeGreaterThan(split['site-a']);
    expect(split['site-c']).toBeGreaterThan(split['site-b']);
    for (const s of SITES) expect(split[s.id]).toBeLessThanOrEqual(OWN_LIMIT_KW);

    // Five clock minutes to settle, then half an hour held.
    await sleep(5 * MIN_WALL_MS);
    const from = Date.now();
    // (and a sample more, so the second window is whole)
    await sleep(30 * MIN_WALL_MS + 2 * SAMPLE_WALL_MS);
    const xs = since(from);
    const means = windowMeansKw(xs);
    findings.coordinatedWindowMeansKw = means.map(Math.round);
    findings.coordinatedMaxInstantKw = Math.round(Math.max(...xs.map(feederSum)));
    findings.coordinatedSiteMeanKw = SITES.map((_, i) => Math.round(mean(xs.map((s) => s.importKw[i]))));
    findings.coordinatedSiteMaxKw = SITES.map((_, i) => {
      const k = xs.reduce((b, s, j) => (s.importKw[i] > xs[b].importKw[i] ? j : b), 0);
      return [Math.round(xs[k].importKw[i]), k, xs.length, Math.round(xs[k].batteryChargeKw[i])];
    });
    findings.coordinatedSiteLimitKw = SITES.map((_, i) => [
      Math.round(Math.min(...xs.map((s) => s.limitKw[i]))),
      Math.round(Math.max(...xs.map((s) => s.limitKw[i]))),
    ]);
    expect(means.length).toBe(2);
    for (const m of means) expect(m).toBeLessThanOrEqual(CAP_KW + CAP_TOLERANCE_KW);
    // Each site within its own limits: its connection and its battery's charge limit.
    for (const s of xs)
      for (let i = 0; i < SITES.length; i++) {
        expect(s.importKw[i]).toBeLessThanOrEqual(OWN_LIMIT_KW);
        expect(s.batteryChargeKw[i]).toBeLessThanOrEqual(BATTERY_MAX_CHARGE_KW + 1);
      }
    // And each held its own share (15-minute mean), with the same tolerance per site: the share is
    // the import limit its loop holds.
    // (A share moves a little as the sites' reports do; the loop holds the newest one.)
    for (const [i, site] of SITES.entries()) {
      const m = mean(xs.map((s) => s.importKw[i]));
      expect(m, site.id).toBeLessThanOrEqual(split[site.id] + CAP_TOLERANCE_KW);
      await until(`${site.id} holds its share`, () => {
        const held = sites[i].loop.snapshot().grid.importLimitKw ?? OWN_LIMIT_KW;
        return Math.abs(held - shares()[site.id]) < 1e-6;
      });
    }
  }, 300_000);

  it('re-splits when one site changes its plan: its room goes to the others, and the cap still holds', async () => {
    const before = shares();
    // The operator at site-b stops its battery for two hours (maintenance).
    await sites[1].loop.setOverride(
      {
        assetId: BATTERY_ID,
        kind: 'battery_power_kw',
        value: 0,
        durationMinutes: 120,
        reason: 'maintenance',
      },
      { id: 'site-b operator', role: 'operator' },
    );
    await until('a re-split', () => shares()['site-b'] < before['site-b'] - 1000, 60_000);
    await until('the others raised', () =>
      ['site-a', 'site-c'].every((id) => shares()[id] > before[id] + 100),
    );
    const after = shares();
    findings.sharesAfterResplitKw = Object.fromEntries(
      Object.entries(after).map(([k, v]) => [k, Math.round(v)]),
    );
    expect(Object.values(after).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(CAP_KW + 1e-6);
    await sleep(3 * MIN_WALL_MS);
    const from = Date.now();
    await sleep(15 * MIN_WALL_MS + 2 * SAMPLE_WALL_MS);
    const xs = since(from);
    const means = windowMeansKw(xs);
    findings.resplitWindowMeansKw = means.map(Math.round);
    expect(means.length).toBe(1);
    for (const m of means) expect(m).toBeLessThanOrEqual(CAP_KW + CAP_TOLERANCE_KW);
    // site-a uses the room it was given: it imports more than its old share allowed.
    const aMeanKw = mean(xs.map((s) => s.importKw[0]));
    findings.siteAMeanAfterKw = Math.round(aMeanKw);
    expect(aMeanKw).toBeGreaterThan(before['site-a'] + CAP_TOLERANCE_KW);
    // site-b, battery stopped, imports no more than its new share.
    expect(mean(xs.map((s) => s.importKw[1]))).toBeLessThanOrEqual(after['site-b'] + CAP_TOLERANCE_KW);
  }, 300_000);

  it('keeps the reports and the shares in PostgreSQL under the site key', async () => {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      const reports = await c.query<{ edge_id: string; n: string }>(
        `SELECT edge_id, count(*) AS n FROM ${schema}.fleet_site_reports GROUP BY edge_id ORDER BY edge_id`,
      );
      expect(reports.rows.map((r) => r.edge_id)).toEqual(SITES.map((s) => s.id));
      const stored = await c.query<{ edge_id: string; limit_kw: number }>(
        `SELECT edge_id, limit_kw FROM ${schema}.fleet_feeder_shares WHERE feeder_id = $1 ORDER BY edge_id`,
        [feederId],
      );
      const live = shares();
      expect(Object.fromEntries(stored.rows.map((r) => [r.edge_id, r.limit_kw]))).toEqual(live);
      // Each site's audit log has every share it applied, with the feeder: the newest is the one in force.
      for (const [i, site] of SITES.entries()) {
        const applied = await sites[i].store.listAudit({ action: 'import_limit.set' });
        expect(applied.length, site.id).toBeGreaterThanOrEqual(2); // the first split and the re-split
        expect(applied[0]).toMatchObject({
          actor: 'fleet-backend',
          target: `feeder:${feederId}`,
          outcome: 'ok',
        });
        expect(applied[0].details).toMatchObject({ feederId, limitKw: live[site.id] });
      }
      const grid = await c.query<{ edge_id: string; n: string }>(
        `SELECT edge_id, count(*) AS n FROM ${schema}.fleet_telemetry WHERE asset_id = 'grid' GROUP BY edge_id ORDER BY edge_id`,
      );
      expect(grid.rows.map((r) => r.edge_id)).toEqual(SITES.map((s) => s.id));
      findings.reportsStored = Object.fromEntries(reports.rows.map((r) => [r.edge_id, Number(r.n)]));
      // Each site's KPI summary (today's import, cost, RE100 matching, the month's peak) came up too.
      const kpis = await c.query<{ edge_id: string; import_kwh: number }>(
        `SELECT DISTINCT ON (edge_id) edge_id, (kpi->>'importKwh')::float8 AS import_kwh
           FROM ${schema}.fleet_kpis ORDER BY edge_id, time_ms DESC`,
      );
      expect(kpis.rows.map((r) => r.edge_id)).toEqual(SITES.map((s) => s.id));
      for (const r of kpis.rows) expect(r.import_kwh).toBeGreaterThan(0);
      findings.latestKpiImportKwh = Object.fromEntries(
        kpis.rows.map((r) => [r.edge_id, Math.round(r.import_kwh)]),
      );
    } finally {
      await c.end();
    }
  });

  it('keeps controlling while the backend is stopped, then catches up with nothing lost or doubled', async () => {
    // What each site made, from its own files: the outbox's sequence (every message the edge has
    // queued, 1, 2, … never reused; the backend stores each under `<edge>:<seq>`), what is still
    // queued and what a full outbox dropped; and its local store's telemetry rows in a clock window.
    const outbox = (id: string) => {
      const db = new Database(join(dir, id, '.bitgrid', `fleet-outbox-${id}.db`), { readonly: true });
      try {
        const seq = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").get() as
          { seq: number } | undefined;
        const queued = (db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n;
        const dropped = db.prepare("SELECT value FROM outbox_meta WHERE key = 'dropped'").get() as
          { value: number } | undefined;
        return { made: seq?.seq ?? 0, queued, dropped: dropped?.value ?? 0 };
      } finally {
        db.close();
      }
    };
    const localRows = (id: string, fromMs: number, toMs: number) => {
      const db = new Database(join(dir, id, 'live.db'), { readonly: true });
      try {
        return (
          db
            .prepare('SELECT count(*) AS n FROM telemetry WHERE time_ms > ? AND time_ms <= ?')
            .get(fromMs, toMs) as { n: number }
        ).n;
      } finally {
        db.close();
      }
    };
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    /** Per site: messages stored, the lowest and highest outbox sequence among them. */
    const storedMessages = async () => {
      const r = await c.query<{ edge_id: string; n: string; lo: string; hi: string }>(
        `SELECT edge_id, count(*) AS n, min(split_part(msg_id, ':', 2)::bigint) AS lo,
                max(split_part(msg_id, ':', 2)::bigint) AS hi
           FROM ${schema}.fleet_messages GROUP BY edge_id`,
      );
      return Object.fromEntries(
        r.rows.map((x) => [x.edge_id, { n: Number(x.n), lo: Number(x.lo), hi: Number(x.hi) }]),
      );
    };
    const backendRows = async (id: string, fromMs: number, toMs: number) => {
      const r = await c.query<{ n: string; stored_before: string }>(
        `SELECT count(*) AS n, count(*) FILTER (WHERE stored_ms < $4) AS stored_before
           FROM ${schema}.fleet_telemetry WHERE edge_id = $1 AND time_ms > $2 AND time_ms <= $3`,
        [id, fromMs, toMs, restartWallMs],
      );
      return { n: Number(r.rows[0].n), storedBefore: Number(r.rows[0].stored_before) };
    };
    const health = async (i: number) => {
      const r = await fetch(`${sites[i].address}/api/health`);
      return ((await r.json()) as { live?: { cycles: number } }).live?.cycles ?? 0;
    };
    /** Each site's twin clock now (a point it made by then is no later). */
    const clockNow = () => sites.map((s) => s.twin!.clock.now());
    let restartWallMs = Infinity;
    try {
      // 1. Backend up, every site controlling and reporting (stored at the backend).
      await until(
        'every site stored at the backend',
        async () => {
          const m = await storedMessages();
          return SITES.every((s) => (m[s.id]?.n ?? 0) > 0);
        },
        120_000,
      );
      // The feeder share each site holds (after the tests above; none when this test runs alone).
      const heldKw = sites.map((s) => s.loop.snapshot().grid.importLimitKw);
      await backend.stop();
      const stopWallMs = Date.now();
      // After the stop: every point of a site stored by then is no later than its clock time now.
      const clockAtStop = clockNow();
      const cyclesAtStop = await Promise.all(sites.map((_, i) => health(i)));
      const madeAtStop = SITES.map((s) => outbox(s.id).made);
      const storedAtStop = await storedMessages();

      // 2. The backend stays stopped for OUTAGE_CYCLES cycles of every site; meanwhile no asset goes
      // to safe mode and every site keeps the share it was given.
      const safe = new Set<string>();
      const shareKept: boolean[] = SITES.map(() => true);
      let cyclesInOutage: number[] = [];
      await until(
        `${OUTAGE_CYCLES} control cycles at every site with the backend stopped`,
        async () => {
          for (const [i, s] of sites.entries()) {
            const snap = s.loop.snapshot();
            for (const a of snap.assets)
              if (a.mode === 'safe' || a.mode === 'offline')
                safe.add(`${SITES[i].id}/${a.id}: ${a.mode} (${a.reason ?? ''})`);
            if (snap.grid.importLimitKw !== heldKw[i]) shareKept[i] = false;
          }
          cyclesInOutage = (await Promise.all(sites.map((_, i) => health(i)))).map(
            (n, i) => n - cyclesAtStop[i],
          );
          return cyclesInOutage.every((n) => n >= OUTAGE_CYCLES);
        },
        180_000,
      );
      const outageWallMs = Date.now() - stopWallMs;
      const clockAtRestart = clockNow();
      const madeAtRestart = SITES.map((s) => outbox(s.id).made);
      // Nothing stored while the backend was stopped: what the sites made waits in JetStream.
      expect(await storedMessages()).toEqual(storedAtStop);
      findings.outage = {
        wallMs: outageWallMs,
        cycles: cyclesInOutage,
        messagesMade: SITES.map((_, i) => madeAtRestart[i] - madeAtStop[i]),
      };
      expect([...safe]).toEqual([]);
      expect(shareKept).toEqual([true, true, true]);
      for (const [i, s] of SITES.entries()) {
        expect(cyclesInOutage[i], s.id).toBeGreaterThanOrEqual(OUTAGE_CYCLES);
        expect(madeAtRestart[i], s.id).toBeGreaterThan(madeAtStop[i]);
      }

      // 3. The backend again (a new one on the same schema and streams, as after a restart).
      restartWallMs = Date.now();
      backend = new FleetBackend({ natsUrl: NATS_URL!, pgUrl: PG_URL!, pgSchema: schema, namespace: ns });
      await backend.start();
      // Newest stored is not enough: one run found site-b's messages 1 … 185 stored but for one, just
      // after the newest arrived. Probably a message the stopped backend's pull had in flight: pending
      // at JetStream, it comes again only after the consumer's ack wait (30 s), after newer ones (and
      // the backend counts it out of order, so that counter is reported here, not required to be 0).
      await until(
        'every message the sites made before the restart stored, without a gap',
        async () => {
          const m = await storedMessages();
          return SITES.every((s, i) => (m[s.id]?.hi ?? 0) >= madeAtRestart[i] && m[s.id].n === m[s.id].hi);
        },
        180_000,
      );
      const catchUpWallMs = Date.now() - restartWallMs;
      // Nothing lost: each site's messages are stored without a gap, 1 … the newest; and every
      // telemetry row the site's own store has from the outage is in the backend, stored after the
      // restart (caught up, not stored while down).
      const stored = await storedMessages();
      const caughtUpRows: number[] = [];
      for (const [i, s] of SITES.entries()) {
        const [from, to] = [clockAtStop[i], clockAtRestart[i]];
        expect(stored[s.id], s.id).toEqual({ n: stored[s.id].hi, lo: 1, hi: stored[s.id].hi });
        // (the site's store writes in batches, the backend takes its backlog in batches: both settle)
        await until(
          `${s.id}'s outage rows in the backend`,
          async () => (await backendRows(s.id, from, to)).n === localRows(s.id, from, to),
          60_000,
        ).catch(() => undefined);
        const local = localRows(s.id, from, to);
        const up = await backendRows(s.id, from, to);
        expect(local, s.id).toBeGreaterThan(0);
        expect(up, s.id).toEqual({ n: local, storedBefore: 0 });
        caughtUpRows.push(up.n);
        const o = outbox(s.id);
        expect(o.dropped, s.id).toBe(0);
      }
      await until('every outbox empty', () => SITES.every((s) => outbox(s.id).queued === 0));
      // Nothing doubled: the backend met no message twice, and no reading is stored twice.
      const twice = await c.query(
        `SELECT edge_id, asset_id, measurement, channel, time_ms FROM ${schema}.fleet_telemetry
          GROUP BY edge_id, asset_id, measurement, channel, time_ms HAVING count(*) > 1`,
      );
      const stats = backend.stats();
      findings.catchUp = {
        wallMs: catchUpWallMs,
        rowsCaughtUp: caughtUpRows,
        messagesStored: SITES.map((s) => stored[s.id].n),
        duplicates: stats.duplicates,
        outOfOrder: stats.outOfOrder,
        rowsStoredTwice: twice.rowCount,
      };
      expect(twice.rows).toEqual([]);
      expect(stats).toMatchObject({ duplicates: 0, rejected: 0 });
    } finally {
      await c.end();
    }
  }, 600_000);
});
