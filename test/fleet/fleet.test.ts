import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetBackend } from '../../src/fleet/backend.ts';
import { FleetEdge } from '../../src/fleet/edge.ts';
import type { FleetCommand, TelemetryPointMessage } from '../../src/fleet/messages.ts';
import { fleetNames } from '../../src/fleet/subjects.ts';
import { removeFleetTestState } from './services.ts';

// Three edges and a backend on the machine's NATS (JetStream) and PostgreSQL: each edge's telemetry
// reaches the backend under its own site key, a command reaches only its edge, and neither a
// backend that stops for a while nor an edge cut off from NATS loses or doubles anything.

const NATS_URL = process.env.BITGRID_TEST_NATS_URL;
const PG_URL = process.env.BITGRID_TEST_PG_URL;
const T0 = Date.parse('2026-08-03T00:00:00+09:00');
const MIN = 60_000;
const POINTS_PER_CYCLE = 10;

/** A TCP hop between an edge and NATS that the test can cut and restore, as a site's uplink. */
class Uplink {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;
  constructor(private readonly target: URL) {}
  async open(): Promise<void> {
    this.server = createServer((down) => {
      const up = tcpConnect(Number(this.target.port), this.target.hostname);
      for (const s of [down, up]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      down.pipe(up).pipe(down);
    });
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
  }
  async cut(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server!.close(() => r()));
  }
}

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function cycle(k: number): TelemetryPointMessage[] {
  return Array.from({ length: POINTS_PER_CYCLE }, (_, i) => ({
    assetId: `asset-${i}`,
    measurement: 'power_kw',
    timeMs: T0 + k * MIN,
    value: k * 100 + i,
  }));
}

describe.skipIf(!NATS_URL || !PG_URL)('fleet over NATS JetStream and PostgreSQL', () => {
  const ns = `t${randomBytes(4).toString('hex')}`;
  const schema = `fleet_${ns}`;
  let dir: string;
  let backend: FleetBackend;
  let uplink: Uplink;
  const edges: FleetEdge[] = [];
  const received: Record<string, FleetCommand[]> = {};
  const nextCycle: Record<string, number> = {};

  const newBackend = () =>
    new FleetBackend({ natsUrl: NATS_URL!, pgUrl: PG_URL!, pgSchema: schema, namespace: ns });
  const publish = (e: FleetEdge, cycles: number) => {
    for (let i = 0; i < cycles; i++) e.publishTelemetry(cycle(nextCycle[e.edgeId]++));
  };
  const storedRows = async () => {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      const r = await c.query<{ edge_id: string; n: string; distinct_n: string }>(
        `SELECT edge_id, count(*) AS n FROM ${schema}.fleet_telemetry GROUP BY edge_id ORDER BY edge_id`,
      );
      return Object.fromEntries(r.rows.map((x) => [x.edge_id, Number(x.n)]));
    } finally {
      await c.end();
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bitgrid-fleet-'));
    uplink = new Uplink(new URL(NATS_URL!));
    await uplink.open();
    backend = newBackend();
    await backend.start();
    for (const id of ['edge-a', 'edge-b', 'edge-c']) {
      received[id] = [];
      nextCycle[id] = 0;
      const e = new FleetEdge({
        edgeId: id,
        // edge-c reaches NATS through an uplink the test can cut.
        natsUrl: id === 'edge-c' ? `nats://127.0.0.1:${uplink.port}` : NATS_URL!,
        outboxFile: join(dir, `${id}.outbox.db`),
        namespace: ns,
        onCommand: async (cmd) => void received[id].push(cmd),
      });
      e.start();
      edges.push(e);
    }
    await until('edges connected', () => edges.every((e) => e.stats().connected));
  }, 60_000);

  afterAll(async () => {
    for (const e of edges) await e.stop();
    await backend?.stop().catch(() => undefined);
    await uplink?.cut().catch(() => undefined);
    await removeFleetTestState({ natsUrl: NATS_URL!, pgUrl: PG_URL!, namespace: ns, schema, dir });
  }, 60_000);

  it("stores each edge's telemetry under its own key", async () => {
    for (const e of edges) publish(e, 5);
    await until('150 points stored', () => backend.stats().points === 150);
    expect(await storedRows()).toEqual({ 'edge-a': 50, 'edge-b': 50, 'edge-c': 50 });
  });

  it('delivers a command to its edge only', async () => {
    await backend.sendCommand('edge-b', { id: 'c1', kind: 'override.clear', overrideId: '7' });
    await until('edge-b has the command', () => received['edge-b'].length === 1);
    // The others had every chance to see it: a second command to edge-a arrives after it.
    await backend.sendCommand('edge-a', { id: 'c2', kind: 'override.clear', overrideId: '8' });
    await until('edge-a has its command', () => received['edge-a'].length === 1);
    expect(received['edge-b'].map((c) => c.id)).toEqual(['c1']);
    expect(received['edge-a'].map((c) => c.id)).toEqual(['c2']);
    expect(received['edge-c']).toEqual([]);
  });

  it('catches up after the backend was stopped, with nothing lost or doubled', async () => {
    await backend.stop();
    // The edges go on: JetStream keeps what they send until the backend is back.
    for (const e of edges) publish(e, 5);
    for (const e of edges) await e.flush();
    expect(edges.map((e) => e.stats().queued)).toEqual([0, 0, 0]);
    backend = newBackend();
    await backend.start();
    await until('the backlog stored', () => backend.stats().points === 150);
    expect(await storedRows()).toEqual({ 'edge-a': 100, 'edge-b': 100, 'edge-c': 100 });
    expect(backend.stats().duplicates).toBe(0);
  }, 60_000);

  it('keeps what an edge cut off from NATS sends, on disk through a restart, and sends it in order when it is back', async () => {
    let c = edges[2];
    await uplink.cut();
    publish(c, 4);
    await c.flush();
    expect(c.stats().queued, 'held in the outbox while cut off').toBe(4);
    // The edge restarts while cut off: the outbox is on disk.
    await c.stop();
    c = edges[2] = new FleetEdge({
      edgeId: 'edge-c',
      natsUrl: `nats://127.0.0.1:${uplink.port}`,
      outboxFile: join(dir, 'edge-c.outbox.db'),
      namespace: ns,
      onCommand: async (cmd) => void received['edge-c'].push(cmd),
    });
    expect(c.stats().queued).toBe(4);
    c.start();
    await uplink.open();
    await until('edge-c has sent its outbox', () => c.stats().queued === 0, 60_000);
    await until('stored', async () => (await storedRows())['edge-c'] === 140, 30_000);
    expect(await storedRows()).toEqual({ 'edge-a': 100, 'edge-b': 100, 'edge-c': 140 });
    expect(c.stats().dropped).toBe(0);
    expect(backend.stats()).toMatchObject({ duplicates: 0, rejected: 0, outOfOrder: 0 });
  }, 120_000);

  it('sets aside a malformed message, and drops a re-send whose id was stored before', async () => {
    const before = backend.stats();
    const subject = fleetNames(ns).telemetry('edge-a');
    // A re-send past JetStream's duplicate window reaches the backend with an id it has stored.
    const db = new pg.Client({ connectionString: PG_URL });
    await db.connect();
    await db.query(
      `INSERT INTO ${schema}.fleet_messages (msg_id, edge_id, subject, stored_ms) VALUES ($1, $2, $3, 0)`,
      ['edge-a:resent', 'edge-a', subject],
    );
    await db.end();
    const nc = await connect({ servers: NATS_URL! });
    try {
      const js = jetstream(nc);
      await js.publish(subject, 'not JSON', { msgID: 'edge-a:malformed' });
      await js.publish(subject, JSON.stringify({ points: cycle(1_000) }), { msgID: 'edge-a:resent' });
    } finally {
      await nc.close();
    }
    await until('both taken', () => {
      const s = backend.stats();
      return s.rejected > before.rejected && s.duplicates > before.duplicates;
    });
    expect(backend.stats()).toMatchObject({
      rejected: before.rejected + 1,
      duplicates: before.duplicates + 1,
      messages: before.messages,
      points: before.points,
    });
    expect(await storedRows()).toEqual({ 'edge-a': 100, 'edge-b': 100, 'edge-c': 140 });
  });
});
