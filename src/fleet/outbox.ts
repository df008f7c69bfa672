import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database, { type SqliteDatabase } from '../store/sqlite-binding.ts';

// What an edge has to send while the backend cannot be reached, on disk: a crash or a restart of
// the edge loses nothing, messages leave in the order they were made, and the queue is bounded (the
// oldest go first when it is full, and are counted) so a long outage cannot fill the edge's disk.

/**
 * Most messages kept. An edge sends one telemetry batch per control cycle: at one a minute, 100,000
 * messages are more than two months of outage; the bound only matters for a site cut off for good.
 */
export const OUTBOX_MAX_MESSAGES = 100_000;

/** A share in force at the site, as kept on disk (src/fleet/site.ts HeldShare). */
export interface HeldShareRow {
  limitKw: number;
  issuedMs: number;
  sinceMs: number;
  startMs?: number;
  endMs?: number;
}

export interface OutboxMessage {
  seq: number;
  subject: string;
  payload: string;
}

export class Outbox {
  private readonly db: SqliteDatabase;
  private droppedCount = 0;

  constructor(
    file: string,
    private readonly maxMessages = OUTBOX_MAX_MESSAGES,
  ) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // FULL: an acknowledged append survives a power cut, as the edge's telemetry does.
    this.db.pragma('synchronous = FULL');
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, subject TEXT NOT NULL, payload TEXT NOT NULL)',
    );
    this.db.exec('CREATE TABLE IF NOT EXISTS outbox_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)');
    // The feeder shares in force at this site, so a restarted edge holds them before the backend speaks.
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS held_shares (feeder_id TEXT PRIMARY KEY, limit_kw REAL NOT NULL, issued_ms INTEGER NOT NULL, since_ms INTEGER NOT NULL)',
    );
    // The window of a share that holds only for a while (an OpenADR event's interval); added later.
    const cols = (this.db.prepare('PRAGMA table_info(held_shares)').all() as { name: string }[]).map(
      (c) => c.name,
    );
    for (const c of ['start_ms', 'end_ms'])
      if (!cols.includes(c)) this.db.exec(`ALTER TABLE held_shares ADD COLUMN ${c} INTEGER`);
    const row = this.db.prepare("SELECT value FROM outbox_meta WHERE key = 'dropped'").get() as
      { value: number } | undefined;
    this.droppedCount = row?.value ?? 0;
  }

  /** Queues a message; returns its sequence number (increasing, never reused). */
  append(subject: string, payload: string): number {
    const tx = this.db.transaction(() => {
      const { lastInsertRowid } = this.db
        .prepare('INSERT INTO outbox (subject, payload) VALUES (?, ?)')
        .run(subject, payload);
      const over = this.size() - this.maxMessages;
      if (over > 0) {
        this.db
          .prepare('DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox ORDER BY seq LIMIT ?)')
          .run(over);
        this.droppedCount += over;
        this.db
          .prepare(
            "INSERT INTO outbox_meta (key, value) VALUES ('dropped', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
          )
          .run(this.droppedCount);
      }
      return Number(lastInsertRowid);
    });
    return tx();
  }

  /** The oldest messages, in order. */
  peek(limit: number): OutboxMessage[] {
    return this.db
      .prepare('SELECT seq, subject, payload FROM outbox ORDER BY seq LIMIT ?')
      .all(limit) as OutboxMessage[];
  }

  /** Removes a message once the backend's stream has it. */
  remove(seq: number): void {
    this.db.prepare('DELETE FROM outbox WHERE seq = ?').run(seq);
  }

  size(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n;
  }

  /** Messages dropped because the outbox was full, since it was created. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Keeps (or, with limitKw undefined, forgets) the share of a feeder in force at this site. */
  saveShare(feederId: string, s?: HeldShareRow): void {
    if (!s) this.db.prepare('DELETE FROM held_shares WHERE feeder_id = ?').run(feederId);
    else
      this.db
        .prepare(
          'INSERT INTO held_shares (feeder_id, limit_kw, issued_ms, since_ms, start_ms, end_ms) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(feeder_id) DO UPDATE SET limit_kw = excluded.limit_kw, issued_ms = excluded.issued_ms, since_ms = excluded.since_ms, start_ms = excluded.start_ms, end_ms = excluded.end_ms',
        )
        .run(feederId, s.limitKw, s.issuedMs, s.sinceMs, s.startMs ?? null, s.endMs ?? null);
  }

  shares(): (HeldShareRow & { feederId: string })[] {
    return (
      this.db
        .prepare('SELECT feeder_id, limit_kw, issued_ms, since_ms, start_ms, end_ms FROM held_shares')
        .all() as {
        feeder_id: string;
        limit_kw: number;
        issued_ms: number;
        since_ms: number;
        start_ms: number | null;
        end_ms: number | null;
      }[]
    ).map((r) => ({
      feederId: r.feeder_id,
      limitKw: r.limit_kw,
      issuedMs: r.issued_ms,
      sinceMs: r.since_ms,
      ...(r.start_ms !== null ? { startMs: r.start_ms } : {}),
      ...(r.end_ms !== null ? { endMs: r.end_ms } : {}),
    }));
  }

  close(): void {
    this.db.close();
  }
}
