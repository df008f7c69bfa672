import pg from 'pg';
import type { Param, Row, Sql, SqlTx } from './sql.ts';
import type { JsonValue } from './types.ts';
import { StoreError } from './errors.ts';

// PostgreSQL through a pg Pool. Placeholders `?` become `$n`; BIGINT columns (epoch ms, counts)
// come back as JS numbers (epoch ms stays far below 2^53); jsonb comes back parsed.
// Durability is the server's: a COMMIT returns after the WAL is flushed (synchronous_commit = on,
// the PostgreSQL default); the store does not change it.

/** Connections per process: the control loop, the API and the writer rarely need more at once. */
export const PG_POOL_MAX = 5;
/** SQLSTATE codes (PostgreSQL appendix A). */
const PG_UNIQUE_VIOLATION = '23505';
const PG_DUPLICATE_SCHEMA = '42P06';
/** int8 type oid (pg_type). */
const PG_INT8_OID = 20;

export interface PostgresOptions {
  /** Schema to use (search_path); it is created if missing. Default: the server's search_path. */
  schema?: string;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]*$/;

export async function openPostgres(url: string, options: PostgresOptions = {}): Promise<Sql> {
  if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
    throw new StoreError(
      'BITGRID_ERR_STORE_URL',
      `PostgreSQL schema "${options.schema}" must be lower-case letters, digits and "_"`,
    );
  }
  const types = {
    getTypeParser: ((oid: number, format?: string) =>
      oid === PG_INT8_OID
        ? (v: string) => Number(v)
        : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
  };
  const pool = new pg.Pool({
    connectionString: url,
    max: PG_POOL_MAX,
    types,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  });
  // An idle client's connection error (server restart) must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  try {
    if (options.schema) {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(`CREATE SCHEMA IF NOT EXISTS ${options.schema}`).catch((e: { code?: string }) => {
          // Another process created it at the same moment (IF NOT EXISTS does not cover the race).
          if (e.code !== PG_UNIQUE_VIOLATION && e.code !== PG_DUPLICATE_SCHEMA) throw e;
        });
      } finally {
        await c.end();
      }
    }
    await pool.query('SELECT 1');
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw new StoreError(
      'BITGRID_ERR_STORE_OPEN',
      `cannot connect to PostgreSQL at ${redactUrl(url)}: ${(e as Error).message}`,
      { cause: e },
    );
  }
  return new PostgresSql(pool);
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

const converted = new Map<string, string>();
function toDollar(sql: string): string {
  let out = converted.get(sql);
  if (out === undefined) {
    let n = 0;
    out = sql.replace(/\?/g, () => `$${++n}`);
    converted.set(sql, out);
  }
  return out;
}

type Runner = { query: pg.Pool['query'] } | pg.PoolClient;

function queryable(c: Runner): SqlTx {
  const q = (sql: string, params: readonly Param[]) =>
    (c as pg.PoolClient).query(toDollar(sql), params as Param[]);
  return {
    all: async <T>(sql: string, params: readonly Param[] = []) => (await q(sql, params)).rows as T[],
    get: async <T>(sql: string, params: readonly Param[] = []) =>
      (await q(sql, params)).rows[0] as T | undefined,
    run: async (sql: string, params: readonly Param[] = []) => (await q(sql, params)).rowCount ?? 0,
    exec: async (sql: string) => {
      await (c as pg.PoolClient).query(sql);
    },
    upsertTelemetry: async (ids, times, values) => {
      // One statement for the whole batch, whatever its size (no 65,535-parameter limit).
      await (c as pg.PoolClient).query(
        `INSERT INTO telemetry (series_id, time_ms, value)
         SELECT * FROM unnest($1::integer[], $2::bigint[], $3::double precision[])
         ON CONFLICT (series_id, time_ms) DO UPDATE SET value = EXCLUDED.value`,
        [ids, times, values],
      );
    },
  };
}

class PostgresSql implements Sql {
  readonly dialect = 'postgres' as const;
  private readonly direct: SqlTx;
  private closed = false;

  constructor(private readonly pool: pg.Pool) {
    this.direct = queryable(pool);
  }

  private check() {
    if (this.closed) throw new StoreError('BITGRID_ERR_STORE_CLOSED', 'store is closed');
  }

  async all<T = Row>(sql: string, params?: readonly Param[]) {
    this.check();
    return this.direct.all<T>(sql, params);
  }
  async get<T = Row>(sql: string, params?: readonly Param[]) {
    this.check();
    return this.direct.get<T>(sql, params);
  }
  async run(sql: string, params?: readonly Param[]) {
    this.check();
    return this.direct.run(sql, params);
  }

  async tx<T>(fn: (q: SqlTx) => Promise<T>): Promise<T> {
    this.check();
    const client = await this.pool.connect();
    let broken: unknown;
    try {
      await client.query('BEGIN');
      const out = await fn(queryable(client));
      await client.query('COMMIT');
      return out;
    } catch (e) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        broken = rollbackError;
      }
      throw e;
    } finally {
      // A connection whose rollback failed is in an unknown state: destroy it rather than reuse it.
      client.release(broken instanceof Error ? broken : undefined);
    }
  }

  json(v: unknown): JsonValue {
    return v === undefined ? null : (v as JsonValue);
  }

  async close() {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
