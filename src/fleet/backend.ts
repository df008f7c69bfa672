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
  FeederCoordinator,
  type FeederConfig,
  type FeederEvent,
  type FeederStatus,
  type ShareDecision,
} from './coordinator.ts';
import {
  eventMessageSchema,
  kpiMessageSchema,
  scheduleMessageSchema,
  siteReportSchema,
  telemetryMessageSchema,
  type EventMessage,
  type FleetCommand,
  type KpiMessage,
  type ScheduleMessage,
  type SiteReportMessage,
  type TelemetryPointMessage,
} from './messages.ts';
import { ensureStreams } from './streams.ts';
import { FleetVen, fleetVenConfigSchema, type FleetEventSplit, type FleetVenConfigInput } from './ven.ts';
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
  /** Shared import caps to coordinate (src/fleet/coordinator.ts); more can be added while running. */
  feeders?: FeederConfig[];
  /** The fleet as one OpenADR VEN: events split among these sites (src/fleet/ven.ts). */
  ven?: FleetVenConfigInput;
  /** How often the fleet VEN compares its events with the shares sent, ms (tests). */
  venCheckEveryMs?: number;
  log?: { info(o: object, m: string): void; warn(o: object, m: string): void };
}

export interface FleetBackendStats {
  messages: number;
  points: number;
  events: number;
  /** Site reports to the feeder coordinator stored. */
  reports: number;
  /** KPI summaries and schedules (plans in force) stored. */
  kpis: number;
  schedules: number;
  /** Feeder shares sent to edges. */
  sharesSent: number;
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
    reports: 0,
    kpis: 0,
    schedules: 0,
    sharesSent: 0,
    duplicates: 0,
    rejected: 0,
    outOfOrder: 0,
  };
  /** Per edge, the outbox sequence of the newest message stored (edge message ids are `<edge>:<seq>`). */
  private readonly lastSeq = new Map<string, number>();
  private readonly feeders = new Map<string, FeederCoordinator>();
  /** Re-splits run one at a time, in the order reports were stored. */
  private coordinating = Promise.resolve();
  private ven?: FleetVen;

  constructor(private readonly o: FleetBackendOptions) {
    this.names = fleetNames(o.namespace);
    this.schema = checkToken('schema', o.pgSchema ?? 'fleet');
    this.pool = new pg.Pool({ connectionString: o.pgUrl, options: `-c search_path=${this.schema}` });
  }

  async start(): Promise<void> {
    await this.migrate();
    for (const f of this.o.feeders ?? []) await this.addFeeder(f, { resplit: false });
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
    for (const f of this.feeders.values()) this.resplit(f, 'backend started');
    if (this.o.ven) await this.startVen(this.o.ven);
  }

  /** Registers the fleet with its VTN and from then on hands each site its share of every event. */
  private async startVen(input: FleetVenConfigInput): Promise<void> {
    const parsed = fleetVenConfigSchema.safeParse(input);
    if (!parsed.success)
      throw new Error(
        `fleet VEN: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    const log = this.o.log;
    this.ven = new FleetVen(parsed.data, {
      reports: (sites) => this.latestReports(sites),
      send: async (edgeId, cmd) => {
        await this.sendCommand(edgeId, cmd);
        this.counts.sharesSent++;
      },
      ctx: {
        now: Date.now,
        log: {
          info: (o, m) => log?.info(o, m ?? ''),
          warn: (o, m) => log?.warn(o, m ?? ''),
          error: (o, m) => log?.warn(o, m ?? ''),
        },
      },
      checkEveryMs: this.o.venCheckEveryMs,
    });
    await this.ven.start();
  }

  /** The newest stored report of each of these sites. */
  async latestReports(sites: string[]): Promise<Map<string, SiteReportMessage>> {
    const r = await this.pool.query<{ edge_id: string; report: SiteReportMessage }>(
      `SELECT DISTINCT ON (edge_id) edge_id, report FROM fleet_site_reports
        WHERE edge_id = ANY($1::text[]) ORDER BY edge_id, time_ms DESC`,
      [sites],
    );
    return new Map(r.rows.map((x) => [x.edge_id, x.report]));
  }

  /** The fleet VEN's events as split among the sites (undefined when the backend is no VEN). */
  venStatus(): { venId?: string; health: string; sites: string[]; events: FleetEventSplit[] } | undefined {
    return this.ven && { ...this.ven.status(), sites: [...this.ven.config.sites] };
  }

  /**
   * Coordinates a shared cap from now on: the newest stored report of each of its sites is taken,
   * and the shares go out as soon as every site has reported.
   */
  async addFeeder(config: FeederConfig, o: { resplit?: boolean } = {}): Promise<void> {
    checkToken('feeder id', config.id);
    for (const s of config.sites) checkToken('edge id', s);
    if (this.feeders.has(config.id)) throw new Error(`feeder "${config.id}" is already coordinated`);
    const f = new FeederCoordinator(config, {
      send: (d) => this.sendShare(d),
      event: (e) => void this.feederEvent(e),
    });
    for (const [edgeId, r] of await this.latestReports(config.sites)) f.observe(edgeId, r);
    const shares = await this.pool.query<{ edge_id: string; limit_kw: number }>(
      'SELECT edge_id, limit_kw FROM fleet_feeder_shares WHERE feeder_id = $1',
      [config.id],
    );
    for (const r of shares.rows) f.restoreShare(r.edge_id, r.limit_kw);
    this.feeders.set(config.id, f);
    if (o.resplit !== false) this.resplit(f, 'feeder added');
    await this.coordinating;
  }

  /** Stops coordinating a feeder: its sites are told, and hold their own limits alone again. */
  async removeFeeder(id: string): Promise<void> {
    const f = this.feeders.get(id);
    if (!f) throw new Error(`feeder "${id}" is not coordinated`);
    this.feeders.delete(id);
    await this.coordinating;
    const issuedMs = Date.now();
    for (const edgeId of f.config.sites)
      await this.sendCommand(edgeId, {
        id: `share-clear-${id}-${edgeId}-${issuedMs}`,
        kind: 'import_limit.clear',
        feederId: id,
        issuedMs,
      });
    await this.pool.query('DELETE FROM fleet_feeder_shares WHERE feeder_id = $1', [id]);
  }

  feederStatus(): FeederStatus[] {
    return [...this.feeders.values()].map((f) => f.status());
  }

  private resplit(f: FeederCoordinator, why: string): void {
    this.coordinating = this.coordinating
      .then(() => f.resplit(why))
      .catch((e: Error) =>
        this.o.log?.warn({ feeder: f.config.id, err: e.message }, 'fleet: re-split failed'),
      );
  }

  private shareSeq = 0;

  private async sendShare(d: ShareDecision): Promise<void> {
    const issuedMs = Date.now();
    await this.sendCommand(d.edgeId, {
      id: `share-${d.feederId}-${d.edgeId}-${issuedMs}-${++this.shareSeq}`,
      kind: 'import_limit.set',
      feederId: d.feederId,
      limitKw: d.limitKw,
      issuedMs,
      reason: d.reason,
    });
    this.counts.sharesSent++;
    await this.pool.query(
      `INSERT INTO fleet_feeder_shares (feeder_id, edge_id, limit_kw, want_kw, inflexible_kw, issued_ms)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (feeder_id, edge_id) DO UPDATE SET limit_kw = excluded.limit_kw, want_kw = excluded.want_kw,
         inflexible_kw = excluded.inflexible_kw, issued_ms = excluded.issued_ms`,
      [d.feederId, d.edgeId, d.limitKw, d.wantKw, d.inflexibleKw, issuedMs],
    );
  }

  private async feederEvent(e: FeederEvent): Promise<void> {
    const log = e.severity === 'info' ? this.o.log?.info : this.o.log?.warn;
    log?.call(this.o.log, { feeder: e.feederId, code: e.code }, e.message);
    await this.pool
      .query(
        'INSERT INTO fleet_feeder_events (feeder_id, time_ms, severity, code, message) VALUES ($1, $2, $3, $4, $5)',
        [e.feederId, e.timeMs, e.severity, e.code, e.message],
      )
      .catch((err: Error) => this.o.log?.warn({ err: err.message }, 'fleet: feeder event not stored'));
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
    await this.ven?.stop();
    this.fetching?.stop();
    await this.consuming?.catch(() => undefined);
    await this.coordinating;
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

  /** A read-only query on the fleet's tables (the fleet API). */
  async query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
    return (await this.pool.query<R>(sql, params)).rows;
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
      await c.query(
        `CREATE TABLE IF NOT EXISTS fleet_site_reports (
           edge_id text NOT NULL, time_ms bigint NOT NULL, report jsonb NOT NULL, stored_ms bigint NOT NULL,
           PRIMARY KEY (edge_id, time_ms))`,
      );
      await c.query(
        `CREATE TABLE IF NOT EXISTS fleet_feeder_shares (
           feeder_id text NOT NULL, edge_id text NOT NULL, limit_kw double precision NOT NULL,
           want_kw double precision NOT NULL, inflexible_kw double precision NOT NULL, issued_ms bigint NOT NULL,
           PRIMARY KEY (feeder_id, edge_id))`,
      );
      await c.query(
        `CREATE TABLE IF NOT EXISTS fleet_sites (
           edge_id text PRIMARY KEY, first_seen_ms bigint NOT NULL, last_seen_ms bigint NOT NULL,
           last_telemetry_ms bigint)`,
      );
      await c.query(
        `CREATE TABLE IF NOT EXISTS fleet_kpis (
           edge_id text NOT NULL, time_ms bigint NOT NULL, day text NOT NULL, kpi jsonb NOT NULL,
           stored_ms bigint NOT NULL, PRIMARY KEY (edge_id, time_ms))`,
      );
      await c.query(
        `CREATE TABLE IF NOT EXISTS fleet_schedules (
           edge_id text NOT NULL, schedule_id bigint NOT NULL, made_ms bigint NOT NULL, time_ms bigint NOT NULL,
           schedule jsonb NOT NULL, stored_ms bigint NOT NULL, PRIMARY KEY (edge_id, schedule_id))`,
      );
      await c.query(
        `CREATE TABLE IF NOT EXISTS fleet_feeder_events (
           feeder_id text NOT NULL, time_ms bigint NOT NULL, severity text NOT NULL, code text NOT NULL,
           message text NOT NULL)`,
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

  /**
   * Stores one batch in one transaction: the malformed messages are set aside first, a message id
   * stored before is counted and dropped, the rest is stored, and only after the commit are the
   * counts kept, the feeders told and the messages acknowledged. A batch that fails is rolled back
   * and not acknowledged, so JetStream delivers it again.
   */
  private async takeBatch(batch: JsMsg[]): Promise<void> {
    const valid = this.validate(batch);
    if (valid.length === 0) return;
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const storedMs = Date.now();
      const fresh = await recordMessageIds(c, valid, storedMs);
      const { events, reports } = await this.storeFresh(c, valid, fresh, storedMs);
      await insertEvents(c, events);
      await insertReports(c, reports, storedMs);
      await updateSites(c, valid, fresh, storedMs);
      await c.query('COMMIT');
      this.countStored(valid.filter((v) => fresh.has(v.msgId)));
      this.observeReports(reports);
      await this.acknowledge(valid);
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      // Not acknowledged: JetStream delivers them again.
      this.o.log?.warn({ messages: valid.length, err: (e as Error).message }, 'fleet: batch not stored');
      for (const v of valid) v.m.nak();
    } finally {
      c.release();
    }
  }

  /** The messages of a batch that are what their subject says; the others are counted and set aside. */
  private validate(batch: JsMsg[]): UpMessage[] {
    const valid: UpMessage[] = [];
    for (const m of batch) {
      const v = decodeUp(m, this.names.parseUp(m.subject));
      if (v) valid.push(v);
      else {
        this.counts.rejected++;
        this.o.log?.warn(
          { subject: m.subject, msgId: m.headers?.get('Nats-Msg-Id') },
          'fleet: malformed message set aside',
        );
        m.term();
      }
    }
    return valid;
  }

  /**
   * Stores the messages not seen before, in the batch's order: KPI summaries and plans row by row,
   * telemetry as one insert; events and reports are handed back for the inserts that follow.
   */
  private async storeFresh(c: pg.PoolClient, valid: UpMessage[], fresh: Set<string>, storedMs: number) {
    // One row per key: a later message's value wins (the same reading sent twice is the same row).
    const rows = new Map<string, TelemetryRow>();
    const events: UpOf<'events'>[] = [];
    const reports: UpOf<'report'>[] = [];
    for (const v of valid) {
      if (!fresh.has(v.msgId)) {
        this.counts.duplicates++;
        continue;
      }
      if (v.kind === 'events') events.push(v);
      else if (v.kind === 'report') reports.push(v);
      else if (v.kind === 'kpi') await insertKpi(c, v, storedMs);
      else if (v.kind === 'schedule') await insertSchedule(c, v, storedMs);
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
    await insertTelemetry(c, [...rows.values()], storedMs);
    return { events, reports };
  }

  /** What was stored (not what was dropped as seen before), and whether each edge kept its order. */
  private countStored(stored: UpMessage[]): void {
    for (const v of stored) {
      this.counts.messages++;
      if (v.kind === 'telemetry') this.counts.points += v.points.length;
      else if (v.kind === 'report') this.counts.reports++;
      else if (v.kind === 'kpi') this.counts.kpis++;
      else if (v.kind === 'schedule') this.counts.schedules++;
      else this.counts.events++;
      const seq = Number(v.msgId.slice(v.msgId.lastIndexOf(':') + 1));
      if (Number.isInteger(seq)) {
        if (seq < (this.lastSeq.get(v.edgeId) ?? -Infinity)) this.counts.outOfOrder++;
        else this.lastSeq.set(v.edgeId, seq);
      }
    }
  }

  /**
   * Reports that change a feeder's picture re-split it (after the commit: a share is only ever
   * decided from a stored report).
   */
  private observeReports(reports: UpOf<'report'>[]): void {
    const touched = new Map<FeederCoordinator, string[]>();
    for (const v of reports)
      for (const f of this.feeders.values())
        if (f.observe(v.edgeId, v.report)) touched.set(f, [...(touched.get(f) ?? []), v.edgeId]);
    for (const [f, edges] of touched) this.resplit(f, `report from ${[...new Set(edges)].join(', ')}`);
  }

  /**
   * Confirmed by the server: a message stored and acknowledged is not delivered again. (A crash
   * between the two is what the message-id record is for.)
   */
  private async acknowledge(valid: UpMessage[]): Promise<void> {
    await Promise.all(
      valid.map((v) =>
        v.m.ackAck().catch((e: Error) => this.o.log?.warn({ err: e.message }, 'fleet: acknowledgement lost')),
      ),
    );
  }
}

/** A message from an edge, checked against its subject's schema. */
type UpMessage = { m: JsMsg; msgId: string; edgeId: string } & (
  | { kind: 'telemetry'; points: TelemetryPointMessage[] }
  | { kind: 'events'; event: EventMessage }
  | { kind: 'report'; report: SiteReportMessage }
  | { kind: 'kpi'; kpi: KpiMessage }
  | { kind: 'schedule'; schedule: ScheduleMessage }
);
type UpOf<K extends UpMessage['kind']> = Extract<UpMessage, { kind: K }>;
/** edge, asset, measurement, channel, time ms, value */
type TelemetryRow = [string, string, string, string, number, number];

/** The message as its subject's kind, or undefined when it is not one (no id, bad JSON, bad shape). */
function decodeUp(m: JsMsg, up: ReturnType<FleetNames['parseUp']>): UpMessage | undefined {
  const msgId = m.headers?.get('Nats-Msg-Id');
  if (!up || !msgId) return undefined;
  let body: unknown;
  try {
    body = m.json();
  } catch {
    body = undefined;
  }
  const at = { m, msgId, edgeId: up.edgeId };
  switch (up.kind) {
    case 'telemetry': {
      const r = telemetryMessageSchema.safeParse(body);
      return r.success ? { ...at, kind: 'telemetry', points: r.data.points } : undefined;
    }
    case 'events': {
      const r = eventMessageSchema.safeParse(body);
      return r.success ? { ...at, kind: 'events', event: r.data } : undefined;
    }
    case 'report': {
      const r = siteReportSchema.safeParse(body);
      return r.success ? { ...at, kind: 'report', report: r.data } : undefined;
    }
    case 'kpi': {
      const r = kpiMessageSchema.safeParse(body);
      return r.success ? { ...at, kind: 'kpi', kpi: r.data } : undefined;
    }
    case 'schedule': {
      const r = scheduleMessageSchema.safeParse(body);
      return r.success ? { ...at, kind: 'schedule', schedule: r.data } : undefined;
    }
    default:
      return undefined;
  }
}

/** Records the batch's message ids; returns those not stored before (the rest are re-sends). */
async function recordMessageIds(
  c: pg.PoolClient,
  valid: UpMessage[],
  storedMs: number,
): Promise<Set<string>> {
  const r = await c.query<{ msg_id: string }>(
    `INSERT INTO fleet_messages (msg_id, edge_id, subject, stored_ms)
     SELECT id, e, s, $4 FROM unnest($1::text[], $2::text[], $3::text[]) AS u(id, e, s)
     ON CONFLICT DO NOTHING RETURNING msg_id`,
    [valid.map((v) => v.msgId), valid.map((v) => v.edgeId), valid.map((v) => v.m.subject), storedMs],
  );
  return new Set(r.rows.map((x) => x.msg_id));
}

async function insertKpi(c: pg.PoolClient, v: UpOf<'kpi'>, storedMs: number): Promise<void> {
  await c.query(
    `INSERT INTO fleet_kpis (edge_id, time_ms, day, kpi, stored_ms) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (edge_id, time_ms) DO UPDATE SET kpi = excluded.kpi, day = excluded.day`,
    [v.edgeId, v.kpi.timeMs, v.kpi.day, JSON.stringify(v.kpi), storedMs],
  );
}

async function insertSchedule(c: pg.PoolClient, v: UpOf<'schedule'>, storedMs: number): Promise<void> {
  await c.query(
    `INSERT INTO fleet_schedules (edge_id, schedule_id, made_ms, time_ms, schedule, stored_ms)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (edge_id, schedule_id) DO UPDATE SET schedule = excluded.schedule, time_ms = excluded.time_ms`,
    [
      v.edgeId,
      v.schedule.scheduleId,
      v.schedule.madeMs,
      v.schedule.timeMs,
      JSON.stringify(v.schedule),
      storedMs,
    ],
  );
}

async function insertTelemetry(c: pg.PoolClient, r: TelemetryRow[], storedMs: number): Promise<void> {
  if (r.length === 0) return;
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

async function insertEvents(c: pg.PoolClient, events: UpOf<'events'>[]): Promise<void> {
  for (const v of events) {
    const e = v.event;
    await c.query(
      'INSERT INTO fleet_events (msg_id, edge_id, time_ms, severity, code, message, asset_id) VALUES ($1,$2,$3,$4,$5,$6,$7)',
      [v.msgId, v.edgeId, e.timeMs, e.severity, e.code, e.message, e.assetId ?? null],
    );
  }
}

async function insertReports(c: pg.PoolClient, reports: UpOf<'report'>[], storedMs: number): Promise<void> {
  if (reports.length === 0) return;
  await c.query(
    `INSERT INTO fleet_site_reports (edge_id, time_ms, report, stored_ms)
     SELECT e, t, r, $4 FROM unnest($1::text[], $2::bigint[], $3::jsonb[]) AS u(e, t, r)
     ON CONFLICT (edge_id, time_ms) DO UPDATE SET report = excluded.report`,
    [
      reports.map((v) => v.edgeId),
      reports.map((v) => v.report.timeMs),
      reports.map((v) => JSON.stringify(v.report)),
      storedMs,
    ],
  );
}

/** Per site: when the backend last heard from it, and its newest telemetry (site clock). */
async function updateSites(
  c: pg.PoolClient,
  valid: UpMessage[],
  fresh: Set<string>,
  storedMs: number,
): Promise<void> {
  const seen = new Map<string, number>();
  for (const v of valid) {
    if (!fresh.has(v.msgId)) continue;
    const newest = v.kind === 'telemetry' ? Math.max(...v.points.map((p) => p.timeMs)) : -1;
    seen.set(v.edgeId, Math.max(seen.get(v.edgeId) ?? -1, newest));
  }
  if (seen.size === 0) return;
  await c.query(
    `INSERT INTO fleet_sites (edge_id, first_seen_ms, last_seen_ms, last_telemetry_ms)
     SELECT e, $3, $3, NULLIF(t, -1) FROM unnest($1::text[], $2::bigint[]) AS u(e, t)
     ON CONFLICT (edge_id) DO UPDATE SET last_seen_ms = excluded.last_seen_ms,
       last_telemetry_ms = GREATEST(fleet_sites.last_telemetry_ms, excluded.last_telemetry_ms)`,
    [[...seen.keys()], [...seen.values()], storedMs],
  );
}
