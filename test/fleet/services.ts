import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { fleetNames } from '../../src/fleet/subjects.ts';
import { FleetBackend } from '../../src/fleet/backend.ts';
import { FleetEdge } from '../../src/fleet/edge.ts';

// What a fleet test leaves on the machine's services, removed: its namespace's JetStream streams, its
// PostgreSQL schema and its temporary folder.

export async function removeFleetTestState(o: {
  natsUrl: string;
  pgUrl: string;
  namespace: string;
  schema: string;
  dir?: string;
}): Promise<void> {
  const nc = await connect({ servers: o.natsUrl });
  const jsm = await jetstreamManager(nc);
  const names = fleetNames(o.namespace);
  for (const s of [names.upStream, names.commandStream]) await jsm.streams.delete(s).catch(() => undefined);
  await nc.close();
  const c = new pg.Client({ connectionString: o.pgUrl });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS ${o.schema} CASCADE`);
  await c.end();
  if (o.dir) rmSync(o.dir, { recursive: true, force: true });
}

/** Polls `cond` every 50 ms until it holds, or throws naming `what` after `timeoutMs`. */
export async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A backend with one feeder of `capKw` over `ids`, and one started edge per id (outbox in `dir`),
 * each handed to `send` to publish what the test needs: the fleet the API and dashboard tests read.
 */
export async function startFleet(o: {
  natsUrl: string;
  pgUrl: string;
  namespace: string;
  schema: string;
  dir: string;
  ids: string[];
  capKw: number;
  send: (edge: FleetEdge, id: string, i: number) => void;
}): Promise<{ backend: FleetBackend; edges: FleetEdge[] }> {
  const backend = new FleetBackend({
    natsUrl: o.natsUrl,
    pgUrl: o.pgUrl,
    pgSchema: o.schema,
    namespace: o.namespace,
    feeders: [{ id: 'feeder-1', capKw: o.capKw, sites: o.ids }],
  });
  await backend.start();
  const edges = o.ids.map((id, i) => {
    const e = new FleetEdge({
      edgeId: id,
      natsUrl: o.natsUrl,
      outboxFile: join(o.dir, `${id}.db`),
      namespace: o.namespace,
    });
    e.start();
    o.send(e, id, i);
    return e;
  });
  return { backend, edges };
}
