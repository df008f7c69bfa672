import { rmSync } from 'node:fs';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { fleetNames } from '../../src/fleet/subjects.ts';

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
