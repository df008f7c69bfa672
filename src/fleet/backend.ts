import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  type Consumer,
  type ConsumerMessages,
  type JsMsg,
} from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import pg from 'pg';
import {
  eventMessageSchema,
  telemetryMessageSchema,
  type EventMessage,
  type FleetCommand,
  type TelemetryPointMessage,
} from './messages.ts';
import { ensureStreams } from './streams.ts';
import { checkToken, fleetNames, type FleetNames } from './subjects.ts';

// The fleet backend: takes what every edge sends from JetStream into PostgreSQL, with the edge (site)
// as the first key of every table and telemetry partitioned by month, and sends commands to one
// edge at a time. Idempotent: a message id seen before (a re-send after a lost acknowledgement,
// beyond JetStream's duplicate window) is counted and dropped in the same transaction that would
// have stored it, so a crash between storing and acknowledging cannot store anything twice.

/** Most messages stored in one transaction (and asked of JetStream at a time). */
const PULL_BATCH_MESSAGES = 500;

/** Telemetry partitions are one UTC calendar month each. */
function monthOf(timeMs: number): { name: string; fromMs: number; toMs: number } {
  const d = new Date(timeMs);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  return {
    name: `${y}${String(m + 1).padStart(2, '0')}`,
    fromMs: Date.UTC(y, m, 1),
    toMs: Date.UTC(y, m + 1, 1),
  };
}

export interface FleetBackendOptions {
  natsUrl: string;
  /** postgres://… */
  pgUrl: string;
  /** PostgreSQL schema of the fleet's tables (created when missing). */
  pgSchema?: string;
  namespace?: string;
  log?: { info(o: object, m: string): void; warn(o: object, m: string): void };
}

export interface FleetBackendStats {
  messages: number;
  points: number;
  events: number;
  /** Messages whose id had been stored before: dropped. */
  duplicates: number;
  /** Messages that were not valid: set aside, counted. */
  rejected: number;
  /** Messages an edge made before one already stored from it (its outbox sends in order: 0). */
  outOfOrder: number;
}

export class FleetBackend {
  private readonly names: FleetNames;
  private readonly pool: pg.Pool;
  private readonly schema: string;
  private nc?: NatsConnection;
  private fetching?: ConsumerMessages;
  private consuming?: Promise<void>;
  private stopping = false;
  private readonly partitions = new Set<string>();
  private readonly counts: FleetBackendStats = {
    messages: 0,
    points: 0,
    events: 0,
    duplicates: 0,
    rejected: 0,
    outOfOrder: 0,
  };
  /** Per edge, the outbox sequence of the newest message stored (edge message ids are `<edge>:<seq>`). */
  private readonly lastSeq = new Map<string, number>();

  constructor(private readonly o: FleetBackendOptions) {
    this.names = fleetNames(o.namespace);
    this.schema = checkToken('schema', o.pgSchema ?? 'fleet');
    this.pool = new pg.Pool({ connectionString: o.pgUrl, options: `-c search_path=${this.schema}` });
  }

  async start(): Promise<void> {
    await this.migrate();
    this.nc = await connect({
      servers: this.o.natsUrl.split(','),
      name: 'bitgrid-backend',
      maxReconnectAttempts: -1,
    });
    const jsm = await ensureStreams(this.nc, this.names);
    try {
      await jsm.consumers.info(this.names.upStream, this.names.backendConsumer);
    } catch {
      await jsm.consumers.add(this.names.upStream, {
        durable_name: this.names.backendConsumer,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
      });
    }
    const consumer = await jetstream(this.nc).consumers.get(this.names.upStream, this.names.backendConsumer);
    this.consuming = this.intake(consumer);
  }

  /**
   * Takes messages in batches: whatever has arrived by the next turn of the event loop (up to
   * PULL_BATCH_MESSAGES) is stored in one transaction, so a backlog after an outage drains at the
   * database's pace rather than one round trip per message, and a lone message waits for nothing.
   */
  private async intake(consumer: Consumer): Promise<void> {
    this.fetching = await consumer.consume({ max_messages: PULL_BATCH_MESSAGES });
    let buffer: JsMsg[] = [];
    let chain = Promise.resolve();
    let scheduled = false;
    const flush = () => {
      scheduled = false;
      const batch = buffer;
      buffer = [];
      // A batch that could not even reach the database stays unacknowledged: JetStream delivers it
      // again after its ack wait, and the next batches go on.
      chain = chain
        .then(() => this.takeBatch(batch))
        .catch((e: Error) => this.o.log?.warn({ err: e.message }, 'fleet: batch not stored'));
    };
    for await (const m of this.fetching) {
      buffer.push(m);
      if (buffer.length >= PULL_BATCH_MESSAGES) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    }
    if (buffer.length > 0) flush();
    await chain;
  }

  /** Stops taking messages; what was not acknowledged stays in JetStream for the next start. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.fetching?.stop();
    await this.consuming?.catch(() => undefined);
    await this.nc?.drain().catch(() => undefined);
    await this.pool.end();
  }

  stats(): FleetBackendStats {
    return { ...this.counts };
  }

  /** Sends a command to one edge; it waits in JetStream until that edge takes it. */
  async sendCommand(edgeId: string, cmd: FleetCommand): Promise<void> {
    if (!this.nc) throw new Error('the backend is not started');
    await jetstream(this.nc).publish(
      this.names.commands(checkToken('edge id', edgeId)),
      JSON.stringify(cmd),
      {
        msgID: `cmd:${cmd.id}`,
      },
    );
  }

  /** Points stored per edge (the fleet view's first figure). */
  async pointsByEdge(): Promise<Record<string, number>> {
    const r = await this.pool.query<{ edge_id: string; n: string }>(
      'SELECT edge_id, count(*) AS n FROM fleet_telemetry GROUP BY edge_id',
    );
    return Object.fromEntries(r.rows.map((x) => [x.edge_id, Number(x.n)]));
  }

  private async migrate(): Promise<void> {
    const c = await this.pool.connect();
    try {
      await c.query(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
      await c.query(
        `CREATE TABLE IF NOT EXISTS fleet_messages (
           msg_id text PRIMARY KEY, edge_id text NOT NULL, subject text NOT NULL, stored_ms bigint NOT NULL)`,
      );
      await c.query(
        `CREATE TABLE IF NOT EXISTS fleet_telemetry (
           edge_id text NOT NULL, asset_id text NOT NULL, measurement text NOT NULL,
           channel text NOT NULL DEFAULT '', time_ms bigint NOT NULL, value double precision NOT NULL,
           stored_ms bigint NOT NULL,
           PRIMARY KEY (edge_id, asset_id, measurement, channel, time_ms)
         ) PARTITION BY RANGE (time_ms)`,
      );
      await c.query(
        `CREATE TABLE IF NOT EXISTS fleet_events (
           msg_id text PRIMARY KEY, edge_id text NOT NULL, time_ms bigint NOT NULL, severity text NOT NULL,
           code text NOT NULL, message text NOT NULL, asset_id text)`,
      );
    } finally {
      c.release();
    }
  }

  private async ensurePartition(c: pg.PoolClient, timeMs: number): Promise<void> {
    const m = monthOf(timeMs);
    if (this.partitions.has(m.name)) return;
    await c.query(
      `CREATE TABLE IF NOT EXISTS fleet_telemetry_${m.name} PARTITION OF fleet_telemetry FOR VALUES FROM (${m.fromMs}) TO (${m.toMs})`,
    );
    this.partitions.add(m.name);
  }

  private async takeBatch(batch: JsMsg[]): Promise<void> {
    type Valid = { m: JsMsg; msgId: string; edgeId: string } & (
      { kind: 'telemetry'; points: TelemetryPointMessage[] } | { kind: 'events'; event: EventMessage }
    );
    const valid: Valid[] = [];
    for (const m of batch) {
      const up = this.names.parseUp(m.subject);
      const msgId = m.headers?.get('Nats-Msg-Id');
      let body: unknown;
      try {
        body = m.json();
      } catch {
        body = undefined;
      }
      const tel = up?.kind === 'telemetry' ? telemetryMessageSchema.safeParse(body) : undefined;
      const ev = up?.kind === 'events' ? eventMessageSchema.safeParse(body) : undefined;
      if (up && msgId && tel?.success)
        valid.push({ m, msgId, edgeId: up.edgeId, kind: 'telemetry', points: tel.data.points });
      else if (up && msgId && ev?.success)
        valid.push({ m, msgId, edgeId: up.edgeId, kind: 'events', event: ev.data });
      else {
        this.counts.rejected++;
        this.o.log?.warn({ subject: m.subject, msgId }, 'fleet: malformed message set aside');
        m.term();
      }
    }
    if (valid.length === 0) return;
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const storedMs = Date.now();
      const fresh = new Set(
        (
          await c.query<{ msg_id: string }>(
            `INSERT INTO fleet_messages (msg_id, edge_id, subject, stored_ms)
             SELECT id, e, s, $4 FROM unnest($1::text[], $2::text[], $3::text[]) AS u(id, e, s)
             ON CONFLICT DO NOTHING RETURNING msg_id`,
            [valid.map((v) => v.msgId), valid.map((v) => v.edgeId), valid.map((v) => v.m.subject), storedMs],
          )
        ).rows.map((r) => r.msg_id),
      );
      // One row per key: a later message's value wins (the same reading sent twice is the same row).
      const rows = new Map<string, [string, string, string, string, number, number]>();
      const events: Extract<Valid, { kind: 'events' }>[] = [];
      for (const v of valid) {
        if (!fresh.has(v.msgId)) {
          this.counts.duplicates++;
          continue;
        }
        if (v.kind === 'events') events.push(v);
        else
          for (const p of v.points) {
            await this.ensurePartition(c, p.timeMs);
            const ch = p.channel ?? '';
            rows.set(`${v.edgeId}\u0000${p.assetId}\u0000${p.measurement}\u0000${ch}\u0000${p.timeMs}`, [
              v.edgeId,
              p.assetId,
              p.measurement,
              ch,
              p.timeMs,
              p.value,
            ]);
          }
      }
      if (rows.size > 0) {
        const r = [...rows.values()];
        await c.query(
          `INSERT INTO fleet_telemetry (edge_id, asset_id, measurement, channel, time_ms, value, stored_ms)
           SELECT e, a, m, ch, t, v, $7
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::float8[]) AS u(e, a, m, ch, t, v)
           ON CONFLICT (edge_id, asset_id, measurement, channel, time_ms) DO UPDATE SET value = excluded.value`,
          [
            r.map((x) => x[0]),
            r.map((x) => x[1]),
            r.map((x) => x[2]),
            r.map((x) => x[3]),
            r.map((x) => x[4]),
            r.map((x) => x[5]),
            storedMs,
          ],
        );
      }
      for (const v of events) {
        const e = v.event;
        await c.query(
          'INSERT INTO fleet_events (msg_id, edge_id, time_ms, severity, code, message, asset_id) VALUES ($1,$2,$3,$4,$5,$6,$7)',
          [v.msgId, v.edgeId, e.timeMs, e.severity, e.code, e.message, e.assetId ?? null],
        );
      }
      await c.query('COMMIT');
      for (const v of valid) {
        if (!fresh.has(v.msgId)) continue;
        this.counts.messages++;
        if (v.kind === 'telemetry') this.counts.points += v.points.length;
        else this.counts.events++;
        const seq = Number(v.msgId.slice(v.msgId.lastIndexOf(':') + 1));
        if (Number.isInteger(seq)) {
          if (seq < (this.lastSeq.get(v.edgeId) ?? -Infinity)) this.counts.outOfOrder++;
          else this.lastSeq.set(v.edgeId, seq);
        }
      }
      // Confirmed by the server: a message stored and acknowledged is not delivered again. (A crash
      // between the two is what the message-id record above is for.)
      await Promise.all(
        valid.map((v) =>
          v.m
            .ackAck()
            .catch((e: Error) => this.o.log?.warn({ err: e.message }, 'fleet: acknowledgement lost')),
        ),
      );
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      // Not acknowledged: JetStream delivers them again.
      this.o.log?.warn({ messages: valid.length, err: (e as Error).message }, 'fleet: batch not stored');
      for (const v of valid) v.m.nak();
    } finally {
      c.release();
    }
  }
}
