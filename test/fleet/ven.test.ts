import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleetApi, sha256Hex } from '../../src/fleet/api.ts';
import { FleetBackend } from '../../src/fleet/backend.ts';
import { FleetEdge } from '../../src/fleet/edge.ts';
import type { FleetCommand, SiteReportMessage } from '../../src/fleet/messages.ts';
import { eventShareId, splitEvent } from '../../src/fleet/ven.ts';
import { VtnTwin } from '../../src/twin/openadr/index.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { removeFleetTestState } from './services.ts';

// The backend as one OpenADR 3 VEN for the fleet, over loopback: a VTN built from the OpenADR 3.0.1
// OpenAPI schemas (the twin the site VEN's tests use: every request and answer checked against the
// component schemas) issues an import-limit event and a shed event for the fleet; the backend
// registers once, takes them by webhook, and sends each of three edges (over the machine's NATS
// JetStream) its share, split by the feeder rule from the sites' reports. Each edge holds only its
// own share, as an import limit signal in the event's window, and records it in its audit log.

const NATS_URL = process.env.BITGRID_TEST_NATS_URL;
const PG_URL = process.env.BITGRID_TEST_PG_URL;
const HOUR_MS = 3_600_000;
const IDS = ['site-a', 'site-b', 'site-c'];
/** The fleet's import limit in the first event, kW: below what the three sites want (15,000 kW). */
const EVENT_LIMIT_KW = 9000;
/** The shed the second event asks of the fleet, kW. */
const EVENT_SHED_KW = 3000;
const WANT_KW = 5000;
const CHECK_EVERY_MS = 100;

const report = (i: number): SiteReportMessage => ({
  timeMs: Date.now(),
  wantKw: WANT_KW,
  inflexibleKw: 1000,
  ownLimitKw: 16000,
  valueKrwPerKwh: 100 * (i + 1),
  importKw: WANT_KW,
  limitKw: 16000,
});

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!NATS_URL || !PG_URL)('the fleet as one OpenADR VEN', () => {
  const ns = `v${randomBytes(4).toString('hex')}`;
  const schema = `fleet_${ns}`;
  let dir: string;
  let vtn: VtnTwin;
  let programId: string;
  let backend: FleetBackend;
  const edges: FleetEdge[] = [];
  const stores: Store[] = [];
  const received: Record<string, FleetCommand[]> = {};
  const reports = new Map(IDS.map((id, i) => [id, report(i)]));

  const sharesOf = (key: string) => edges.map((e) => e.importLimit.held().find((s) => s.feederId === key));
  const setsTo = (id: string, key: string) =>
    received[id].filter((c) => c.kind === 'import_limit.set' && c.feederId === key);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bitgrid-fleet-ven-'));
    vtn = new VtnTwin({ clients: { 'bitgrid-fleet': 's3cret-fleet' } });
    await vtn.start();
    programId = String(
      vtn.createProgram({
        programName: 'KEPCO-DR',
        programLongName: 'KEPCO demand response (test)',
        country: 'KR',
        payloadDescriptors: [
          { objectType: 'EVENT_PAYLOAD_DESCRIPTOR', payloadType: 'IMPORT_CAPACITY_LIMIT', units: 'KW' },
        ],
      }).id,
    );
    backend = new FleetBackend({
      natsUrl: NATS_URL!,
      pgUrl: PG_URL!,
      pgSchema: schema,
      namespace: ns,
      ven: {
        ven: {
          id: 'fleet-vtn',
          type: 'openadr_ven',
          vtn_url: vtn.url,
          client_id: 'bitgrid-fleet',
          client_secret: 's3cret-fleet',
          ven_name: 'bitgrid-fleet',
          poll_interval_s: 3600,
        },
        sites: IDS,
      },
      venCheckEveryMs: CHECK_EVERY_MS,
    });
    await backend.start();
    for (const id of IDS) {
      received[id] = [];
      const store = await openStore(`sqlite:${join(dir, `${id}.db`)}`);
      stores.push(store);
      const e = new FleetEdge({
        edgeId: id,
        natsUrl: NATS_URL!,
        outboxFile: join(dir, `${id}.outbox.db`),
        namespace: ns,
        onCommand: async (cmd) => void received[id].push(cmd),
        audit: (a) => store.appendAudit({ ...a, actor: 'fleet-backend', role: 'operator' }),
      });
      e.start();
      e.publishReport(reports.get(id)!);
      edges.push(e);
    }
    await until('the reports stored', () => backend.stats().reports === IDS.length);
  }, 60_000);

  afterAll(async () => {
    for (const e of edges) await e.stop();
    for (const s of stores) await s.close();
    await backend?.stop().catch(() => undefined);
    await vtn?.stop();
    await removeFleetTestState({ natsUrl: NATS_URL!, pgUrl: PG_URL!, namespace: ns, schema, dir });
  }, 60_000);

  it('registers once with the VTN for the whole fleet', () => {
    expect([...vtn.vens.values()].map((v) => v.venName)).toEqual(['bitgrid-fleet']);
    expect(backend.venStatus()).toMatchObject({ health: 'online', sites: IDS, events: [] });
  });

  it("hands each edge only its share of an import limit event; the shares add up to the event's limit", async () => {
    const startMs = Math.ceil(Date.now() / HOUR_MS) * HOUR_MS + HOUR_MS;
    const event = await vtn.issueLoadShedEvent({
      programID: programId,
      startMs,
      durationMinutes: 120,
      importLimitKw: EVENT_LIMIT_KW,
    });
    const key = eventShareId(String(event.id), startMs);
    await until('every edge holds its share', () => sharesOf(key).every(Boolean));
    const held = sharesOf(key).map((s) => s!);
    // By the feeder rule: floors of 1,000 kW, the rest by value (100 : 200 : 300 원/kWh).
    const expected = splitEvent(
      { eventId: String(event.id), startMs, endMs: startMs + 2 * HOUR_MS, importLimitKw: EVENT_LIMIT_KW },
      IDS,
      reports,
    );
    expect(held.map((s) => s.limitKw)).toEqual(IDS.map((id) => expected.sharesKw[id]));
    expect(held.map((s) => Math.round(s.limitKw))).toEqual([2000, 3000, 4000]);
    expect(held.reduce((a, s) => a + s.limitKw, 0)).toBeCloseTo(EVENT_LIMIT_KW, 6);
    // One command each, for that edge only: each saw its own figure and no other.
    for (const [i, id] of IDS.entries()) {
      expect(setsTo(id, key).map((c) => (c as { limitKw: number }).limitKw)).toEqual([held[i].limitKw]);
      expect(edges[i].importLimit.held()).toHaveLength(1);
    }
    // Held as the event's import limit in its window, the path a site's own OpenADR limit takes.
    for (const [i, e] of edges.entries())
      expect(e.importLimit.signals()).toEqual([
        {
          kind: 'import_limit_kw',
          startMs,
          endMs: startMs + 2 * HOUR_MS,
          value: held[i].limitKw,
          source: 'fleet',
          eventId: `feeder:${key}`,
        },
      ]);
    expect(backend.venStatus()!.events.map((x) => x.capKw)).toEqual([EVENT_LIMIT_KW]);
  });

  it("splits a shed event so that the sites' cuts add up to the shed", async () => {
    const startMs = Math.ceil(Date.now() / HOUR_MS) * HOUR_MS + 4 * HOUR_MS;
    const event = await vtn.createEvent({
      programID: programId,
      eventName: 'fleet shed',
      priority: 0,
      payloadDescriptors: [
        { objectType: 'EVENT_PAYLOAD_DESCRIPTOR', payloadType: 'DISPATCH_SETPOINT_RELATIVE', units: 'KW' },
      ],
      intervalPeriod: { start: new Date(startMs).toISOString(), duration: 'PT1H' },
      intervals: [{ id: 0, payloads: [{ type: 'DISPATCH_SETPOINT_RELATIVE', values: [-EVENT_SHED_KW] }] }],
    });
    const key = eventShareId(String(event.id), startMs);
    await until('every edge holds its share of the shed', () => sharesOf(key).every(Boolean));
    const held = sharesOf(key).map((s) => s!.limitKw);
    const cutsKw = held.map((kw) => WANT_KW - kw);
    expect(cutsKw.reduce((a, b) => a + b, 0)).toBeCloseTo(EVENT_SHED_KW, 6);
    // The site that values its flexibility most is cut least (here not at all).
    expect(cutsKw[2]).toBeCloseTo(0, 6);
    expect(cutsKw[0]).toBeGreaterThan(cutsKw[1]);
    for (const id of IDS) expect(setsTo(id, key)).toHaveLength(1);
  });

  it("shows the events through the fleet API, a tenant only its own site's share", async () => {
    const tenant = randomBytes(24).toString('base64url');
    const api = createFleetApi({
      reader: backend,
      tokens: [{ name: 'tenant-b', sha256: sha256Hex(tenant), sites: ['site-b'] }],
    });
    const base = await api.listen({ port: 0, host: '127.0.0.1' });
    try {
      const r = await fetch(`${base}/fleet/openadr`, { headers: { authorization: `Bearer ${tenant}` } });
      const body = (await r.json()) as {
        ven: { sites: string[]; events: { capKw: number; sharesKw: Record<string, number> }[] };
      };
      expect(body.ven.sites).toEqual(['site-b']);
      expect(body.ven.events).toHaveLength(2);
      for (const e of body.ven.events) expect(Object.keys(e.sharesKw)).toEqual(['site-b']);
      expect(body.ven.events[0].capKw).toBe(EVENT_LIMIT_KW);
    } finally {
      await api.close();
    }
  });

  it('records each share in the edge\'s audit log, with the share and the "feeder" (the event)', async () => {
    for (const [i, store] of stores.entries()) {
      const entries = await store.listAudit({ action: 'import_limit.set' });
      expect(entries).toHaveLength(2);
      const shares = edges[i].importLimit.held();
      for (const s of shares) {
        const a = entries.find((x) => x.target === `feeder:${s.feederId}`)!;
        expect(a).toMatchObject({ actor: 'fleet-backend', role: 'operator', outcome: 'ok' });
        expect(a.details).toMatchObject({
          feederId: s.feederId,
          limitKw: s.limitKw,
          startMs: s.startMs,
          endMs: s.endMs,
        });
        expect((a.details as { reason: string }).reason).toMatch(/OpenADR event .* split by the feeder rule/);
      }
    }
  });

  it('clears the shares of an event the VTN cancels', async () => {
    const [first] = backend.venStatus()!.events;
    const key = eventShareId(first.eventId, first.startMs);
    await vtn.deleteEvent(first.eventId);
    await until('the shares cleared', () => sharesOf(key).every((s) => s === undefined));
    for (const [i, store] of stores.entries()) {
      const cleared = await store.listAudit({ action: 'import_limit.clear' });
      expect(cleared.map((a) => a.target)).toEqual([`feeder:${key}`]);
      expect(edges[i].importLimit.held()).toHaveLength(1);
    }
  });
});
