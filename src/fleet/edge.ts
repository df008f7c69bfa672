import { AckPolicy, jetstream, type ConsumerMessages, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Backoff } from '../drivers/backoff.ts';
import {
  commandSchema,
  TELEMETRY_BATCH_MAX_POINTS,
  type EventMessage,
  type FleetCommand,
  type KpiMessage,
  type ScheduleMessage,
  type SiteReportMessage,
  type TelemetryPointMessage,
} from './messages.ts';
import { Outbox } from './outbox.ts';
import { FleetImportLimit } from './site.ts';
import { ensureStreams } from './streams.ts';
import { checkToken, fleetNames, type FleetNames } from './subjects.ts';

// An edge of the fleet: the site's own `serve` (its loop and store decide locally whatever happens
// upstream) also hands its telemetry and events to the fleet backend over NATS JetStream, and takes
// the commands the backend addresses to it. Everything to send goes through an outbox on disk first,
// so an edge cut off from NATS keeps it (bounded, counted) and sends it in order when it is back.
// Each message carries the id `<edge>:<outbox seq>`: JetStream drops a re-send within its duplicate
// window, the backend drops any older one, so nothing is stored twice.

/** Messages sent per drain pass before the event loop gets a turn. */
const DRAIN_BATCH_MESSAGES = 100;
/** A publish not acknowledged by JetStream within this long is retried later, ms. */
const PUBLISH_TIMEOUT_MS = 5_000;
/** Retry delays while NATS cannot take messages, ms (doubling, with jitter). */
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;
/** How often nats.js tries to reconnect a lost connection, ms. */
const RECONNECT_WAIT_MS = 1_000;

export interface EdgeLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface FleetEdgeOptions {
  edgeId: string;
  /** nats://host:port (comma-separated for a cluster). */
  natsUrl: string;
  /** SQLite file of the outbox. */
  outboxFile: string;
  namespace?: string;
  /**
   * Carries out a command addressed to this edge (audited by whoever implements it). Feeder shares
   * (`import_limit.*`) are taken by the edge itself (`importLimit`) and then also handed here.
   */
  onCommand?: (cmd: FleetCommand) => Promise<void>;
  /** The site's clock, UTC ms (the twin's in simulated time): when a share took effect. */
  now?: () => number;
  /**
   * Records each share this edge applies or refuses in the site's audit log (`import_limit.set`,
   * `import_limit.clear`: the feeder, the share in kW, its window and reason); serve writes it to its
   * store. A failure to record is logged and does not undo the share.
   */
  audit?: (entry: ShareAuditEntry) => Promise<unknown>;
  log?: EdgeLog;
}

export interface FleetEdgeStats {
  connected: boolean;
  queued: number;
  dropped: number;
  sent: number;
  /** Re-sends JetStream recognised and dropped (a lost acknowledgement). */
  duplicates: number;
  commandsApplied: number;
  commandsRefused: number;
  reports: number;
}

/** What an edge records of a share in the site's audit log (the store's NewAuditEntry less the actor). */
export interface ShareAuditEntry {
  timeMs: number;
  action: 'import_limit.set' | 'import_limit.clear';
  /** `feeder:<feeder id>` */
  target: string;
  details: {
    feederId: string;
    commandId: string;
    issuedMs: number;
    limitKw?: number;
    startMs?: number;
    endMs?: number;
    reason?: string;
    refused?: string;
  };
  outcome: 'ok' | 'denied';
}

const silent: EdgeLog = { info: () => undefined, warn: () => undefined };

export class FleetEdge {
  readonly edgeId: string;
  private readonly names: FleetNames;
  private readonly outbox: Outbox;
  private readonly log: EdgeLog;
  private nc?: NatsConnection;
  private js?: JetStreamClient;
  private commands?: ConsumerMessages;
  private stopped = false;
  private drainRun?: Promise<void>;
  private retryTimer?: NodeJS.Timeout;
  private readonly backoff = new Backoff(RETRY_MIN_MS, RETRY_MAX_MS);
  private readonly counts = { sent: 0, duplicates: 0, commandsApplied: 0, commandsRefused: 0, reports: 0 };
  /** The feeder shares in force here, a signal source for the control loop (src/fleet/site.ts). */
  readonly importLimit: FleetImportLimit;

  constructor(private readonly o: FleetEdgeOptions) {
    this.edgeId = checkToken('edge id', o.edgeId);
    this.names = fleetNames(o.namespace);
    this.outbox = new Outbox(o.outboxFile);
    this.log = o.log ?? silent;
    this.importLimit = new FleetImportLimit(o.now ?? Date.now, this.outbox.shares());
  }

  /** Connects in the background: the site runs whether or not NATS can be reached. */
  start(): void {
    void this.connectLoop();
  }

  /** Queues one control cycle's telemetry (split into batches of TELEMETRY_BATCH_MAX_POINTS). */
  publishTelemetry(points: readonly TelemetryPointMessage[]): void {
    for (let i = 0; i < points.length; i += TELEMETRY_BATCH_MAX_POINTS)
      this.outbox.append(
        this.names.telemetry(this.edgeId),
        JSON.stringify({ points: points.slice(i, i + TELEMETRY_BATCH_MAX_POINTS) }),
      );
    this.kick();
  }

  publishEvent(e: EventMessage): void {
    this.outbox.append(this.names.events(this.edgeId), JSON.stringify(e));
    this.kick();
  }

  /** Queues the site's report to the feeder coordinator. */
  publishReport(r: SiteReportMessage): void {
    this.outbox.append(this.names.report(this.edgeId), JSON.stringify(r));
    this.counts.reports++;
    this.kick();
  }

  /** Queues the site's KPI summary. */
  publishKpi(k: KpiMessage): void {
    this.outbox.append(this.names.kpi(this.edgeId), JSON.stringify(k));
    this.kick();
  }

  /** Queues the plan in force. */
  publishSchedule(s: ScheduleMessage): void {
    this.outbox.append(this.names.schedule(this.edgeId), JSON.stringify(s));
    this.kick();
  }

  stats(): FleetEdgeStats {
    return {
      connected: Boolean(this.nc && !this.nc.isClosed() && this.js),
      queued: this.outbox.size(),
      dropped: this.outbox.dropped,
      ...this.counts,
    };
  }

  /** Sends what is queued now; resolves when the outbox is empty or NATS refused (tests, stop). */
  async flush(): Promise<void> {
    while (this.js && !this.stopped && !this.retryTimer && this.outbox.size() > 0) await this.drain();
    await this.drainRun;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.commands?.stop();
    // Drain fails on a connection cut off; closed instead, it stops trying to reconnect to a stopped edge.
    await this.nc?.drain().catch(() => this.nc?.close().catch(() => undefined));
    this.outbox.close();
  }

  private async connectLoop(): Promise<void> {
    const backoff = new Backoff(RETRY_MIN_MS, RETRY_MAX_MS);
    while (!this.stopped) {
      try {
        const nc = await connect({
          servers: this.o.natsUrl.split(','),
          name: `bitgrid-edge-${this.edgeId}`,
          maxReconnectAttempts: -1,
          reconnectTimeWait: RECONNECT_WAIT_MS,
        });
        if (this.stopped) {
          await nc.close();
          return;
        }
        this.nc = nc;
        await ensureStreams(nc, this.names);
        this.js = jetstream(nc, { timeout: PUBLISH_TIMEOUT_MS });
        await this.consumeCommands(nc);
        this.log.info({ edge: this.edgeId, queued: this.outbox.size() }, 'fleet: connected to NATS');
        void this.watchStatus(nc);
        this.kick();
        return;
      } catch (e) {
        const delayMs = backoff.next();
        this.log.warn(
          { edge: this.edgeId, err: (e as Error).message, retryInMs: delayMs },
          'fleet: NATS not reachable',
        );
        await new Promise((r) => setTimeout(r, delayMs));
      }
    }
  }

  /** After nats.js has reconnected, what queued meanwhile goes out. */
  private async watchStatus(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (this.stopped) return;
      if (s.type === 'reconnect') {
        this.log.info({ edge: this.edgeId, queued: this.outbox.size() }, 'fleet: reconnected');
        this.backoff.reset();
        this.kick();
      } else if (s.type === 'disconnect')
        this.log.warn({ edge: this.edgeId }, 'fleet: disconnected from NATS');
    }
  }

  private async consumeCommands(nc: NatsConnection): Promise<void> {
    const jsm = await ensureStreams(nc, this.names);
    const durable = this.names.edgeConsumer(this.edgeId);
    try {
      await jsm.consumers.info(this.names.commandStream, durable);
    } catch {
      await jsm.consumers.add(this.names.commandStream, {
        durable_name: durable,
        ack_policy: AckPolicy.Explicit,
        filter_subject: this.names.commands(this.edgeId),
      });
    }
    const consumer = await jetstream(nc).consumers.get(this.names.commandStream, durable);
    this.commands = await consumer.consume();
    void (async () => {
      for await (const m of this.commands!) {
        let cmd: FleetCommand | undefined;
        try {
          cmd = commandSchema.parse(m.json());
          if (cmd.kind === 'import_limit.set' || cmd.kind === 'import_limit.clear') await this.takeShare(cmd);
          else if (!this.o.onCommand) throw new Error('this edge takes no commands');
          await this.o.onCommand?.(cmd);
          this.counts.commandsApplied++;
        } catch (e) {
          // A command the edge cannot carry out is refused for good, not redelivered forever.
          this.counts.commandsRefused++;
          this.log.warn(
            { edge: this.edgeId, command: cmd?.id, err: (e as Error).message },
            'fleet: command refused',
          );
        }
        m.ack();
      }
    })();
  }

  /** A feeder share: held (and kept on disk) before anyone else hears of it, then audited. */
  private async takeShare(
    cmd: Extract<FleetCommand, { kind: 'import_limit.set' | 'import_limit.clear' }>,
  ): Promise<void> {
    const details: ShareAuditEntry['details'] = {
      feederId: cmd.feederId,
      commandId: cmd.id,
      issuedMs: cmd.issuedMs,
      ...(cmd.kind === 'import_limit.set'
        ? {
            limitKw: cmd.limitKw,
            reason: cmd.reason,
            ...(cmd.startMs !== undefined ? { startMs: cmd.startMs } : {}),
            ...(cmd.endMs !== undefined ? { endMs: cmd.endMs } : {}),
          }
        : {}),
    };
    const record = async (outcome: ShareAuditEntry['outcome'], refused?: string) => {
      if (!this.o.audit) return;
      try {
        await this.o.audit({
          timeMs: (this.o.now ?? Date.now)(),
          action: cmd.kind,
          target: `feeder:${cmd.feederId}`,
          details: refused ? { ...details, refused } : details,
          outcome,
        });
      } catch (e) {
        this.log.warn({ edge: this.edgeId, err: (e as Error).message }, 'fleet: share not audited');
      }
    };
    try {
      if (cmd.kind === 'import_limit.set') {
        const s = this.importLimit.set(cmd.feederId, cmd.limitKw, cmd.issuedMs, cmd);
        if (!s) throw new Error(`share of feeder ${cmd.feederId} issued before the one held`);
        this.outbox.saveShare(cmd.feederId, s);
        this.log.info(
          { edge: this.edgeId, feeder: cmd.feederId, limitKw: cmd.limitKw },
          'fleet: feeder share',
        );
      } else if (this.importLimit.clear(cmd.feederId, cmd.issuedMs)) this.outbox.saveShare(cmd.feederId);
    } catch (e) {
      await record('denied', (e as Error).message);
      throw e;
    }
    await record('ok');
  }

  private kick(): void {
    if (!this.retryTimer) void this.drain();
  }

  /** One pass over the outbox; a pass already running is joined, not started twice. */
  private drain(): Promise<void> {
    if (!this.drainRun && this.js && !this.stopped)
      this.drainRun = this.drainPass().finally(() => (this.drainRun = undefined));
    return this.drainRun ?? Promise.resolve();
  }

  private async drainPass(): Promise<void> {
    if (!this.js) return;
    try {
      for (;;) {
        const batch = this.outbox.peek(DRAIN_BATCH_MESSAGES);
        if (batch.length === 0) break;
        for (const m of batch) {
          const ack = await this.js.publish(m.subject, m.payload, { msgID: `${this.edgeId}:${m.seq}` });
          if (ack.duplicate) this.counts.duplicates++;
          else this.counts.sent++;
          this.outbox.remove(m.seq);
        }
      }
      this.backoff.reset();
    } catch (e) {
      // Not acknowledged: the message stays first in the outbox and goes again, with the same id.
      const delayMs = this.backoff.next();
      this.log.warn(
        { edge: this.edgeId, err: (e as Error).message, retryInMs: delayMs },
        'fleet: send failed',
      );
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        void this.drain();
      }, delayMs);
      this.retryTimer.unref();
    }
  }
}
