import type { JsonValue, StoreDialect } from './types.ts';

// The thin layer the store is written against: SQL text with `?` placeholders, run by either
// driver. Each dialect adds what cannot be written once: bulk telemetry upsert and JSON decoding.
// CAST(? AS BIGINT) is written where an integer parameter meets arithmetic, because better-sqlite3
// binds every JS number as REAL (and SQLite would then divide in floating point).

export type Param = string | number | null;
export type Row = Record<string, unknown>;

export interface SqlQueryable {
  all<T = Row>(sql: string, params?: readonly Param[]): Promise<T[]>;
  get<T = Row>(sql: string, params?: readonly Param[]): Promise<T | undefined>;
  /** Runs a statement that returns no rows; resolves to the number of rows changed. */
  run(sql: string, params?: readonly Param[]): Promise<number>;
}

export interface SqlTx extends SqlQueryable {
  /** Runs one or more statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /** Upserts telemetry rows (one per index, keys unique within the call). */
  upsertTelemetry(
    seriesIds: readonly number[],
    timesMs: readonly number[],
    values: readonly number[],
  ): Promise<void>;
}

export interface Sql extends SqlQueryable {
  readonly dialect: StoreDialect;
  /** Runs `fn` in one transaction that holds the write lock from its start; commits when it resolves, rolls back when it throws. */
  tx<T>(fn: (q: SqlTx) => Promise<T>): Promise<T>;
  /** A JSON column as the driver returns it (text in SQLite, parsed jsonb in PostgreSQL). */
  json(v: unknown): JsonValue;
  close(): Promise<void>;
}
