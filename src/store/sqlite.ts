import Database, { type SqliteDatabase, type SqliteStatement } from './sqlite-binding.ts';
import { StoreError } from './errors.ts';
import type { Param, Row, Sql, SqlTx } from './sql.ts';
import type { JsonValue } from './types.ts';

// SQLite through better-sqlite3 (synchronous) behind the async Sql interface. One connection; every
// call runs in turn through a queue, so an open transaction (which may await between statements)
// never sees another caller's statements inside it.
//
// Durability: WAL with synchronous=FULL. In WAL mode NORMAL survives a process crash but may lose the
// last commits on power loss or an OS crash; FULL syncs the WAL at every commit. Telemetry is written
// in batches (one commit per batch, see TelemetryWriter), so the sync is paid per batch, not per point,
// and audit entries and operator actions must survive a power cut at an industrial site.

/** How long a statement waits for another process's write lock before failing (ms). */
export const SQLITE_BUSY_TIMEOUT_MS = 5_000;

export interface SqliteOptions {
  /** `synchronous` pragma: FULL by default (see above). */
  synchronous?: 'NORMAL' | 'FULL';
}

export function openSqlite(file: string, options: SqliteOptions = {}): Sql {
  const db = new Database(file);
  try {
    db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    if (file !== ':memory:') {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (String(mode).toLowerCase() !== 'wal')
        throw new Error(`could not switch ${file} to WAL (journal_mode is ${String(mode)})`);
    }
    db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    db.pragma('foreign_keys = ON');
  } catch (e) {
    db.close();
    throw e;
  }
  return new SqliteSql(db);
}

class SqliteSql implements Sql {
  readonly dialect = 'sqlite' as const;
  private readonly statements = new Map<string, SqliteStatement>();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly direct: SqlTx;

  constructor(private readonly db: SqliteDatabase) {
    // Statements inside a transaction go straight to the connection: the transaction holds the queue.
    this.direct = {
      all: async <T>(sql: string, params: readonly Param[] = []) => this.prepare(sql).all(...params) as T[],
      get: async <T>(sql: string, params: readonly Param[] = []) =>
        this.prepare(sql).get(...params) as T | undefined,
      run: async (sql: string, params: readonly Param[] = []) => this.prepare(sql).run(...params).changes,
      exec: async (sql: string) => {
        this.db.exec(sql);
      },
      upsertTelemetry: async (ids, times, values) => {
        const stmt = this.prepare(
          'INSERT INTO telemetry (series_id, time_ms, value) VALUES (?, ?, ?) ON CONFLICT (series_id, time_ms) DO UPDATE SET value = excluded.value',
        );
        for (let i = 0; i < ids.length; i++) stmt.run(ids[i], times[i], values[i]);
      },
    };
  }

  private prepare(sql: string): SqliteStatement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new StoreError('BITGRID_ERR_STORE_CLOSED', 'store is closed'));
    const p = this.queue.then(fn);
    this.queue = p.catch(() => undefined);
    return p;
  }

  all<T = Row>(sql: string, params?: readonly Param[]) {
    return this.serial(() => this.direct.all<T>(sql, params));
  }
  get<T = Row>(sql: string, params?: readonly Param[]) {
    return this.serial(() => this.direct.get<T>(sql, params));
  }
  run(sql: string, params?: readonly Param[]) {
    return this.serial(() => this.direct.run(sql, params));
  }

  tx<T>(fn: (q: SqlTx) => Promise<T>): Promise<T> {
    return this.serial(async () => {
      // IMMEDIATE takes the write lock now, so two processes never both read and then fail to upgrade.
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const out = await fn(this.direct);
        this.db.exec('COMMIT');
        return out;
      } catch (e) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw e;
      }
    });
  }

  json(v: unknown): JsonValue {
    return v === null || v === undefined ? null : (JSON.parse(String(v)) as JsonValue);
  }

  async close() {
    if (this.closed) return;
    await this.serial(async () => undefined);
    this.closed = true;
    this.db.close();
  }
}
