import { mkdirSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { StoreError } from './errors.ts';
import { migrate, MIGRATIONS, type Migration } from './migrations.ts';
import { openPostgres, redactUrl } from './postgres.ts';
import type { Sql } from './sql.ts';
import { openSqlite } from './sqlite.ts';
import { SqlStore } from './store.ts';
import type { Store } from './types.ts';

// openStore: the one way in. No URL → the SQLite file beside the config; `sqlite:PATH` → that file;
// `postgres://…` → PostgreSQL (what `serve` passes from BITGRID_DATABASE_URL). The schema is migrated
// on open; a database written by a newer Bitgrid is refused.

/** Where the embedded database lives, relative to the folder of the config. */
export const DEFAULT_SQLITE_FILE = '.bitgrid/bitgrid.db';

export interface OpenStoreOptions {
  /** Folder that the default file and relative `sqlite:` paths are resolved against (default: the working directory). */
  baseDir?: string;
  /** PostgreSQL schema to use (created if missing); default: the server's search_path (usually `public`). */
  pgSchema?: string;
  /** SQLite `synchronous` pragma; FULL by default (docs/store.md says why). */
  sqliteSynchronous?: 'NORMAL' | 'FULL';
  /** Migrations to apply instead of the built-in list (tests and tools). */
  migrations?: readonly Migration[];
}

export type StoreLocation = { dialect: 'sqlite'; file: string } | { dialect: 'postgres'; url: string };

const ACCEPTED =
  'expected no URL (default file), "sqlite:PATH", "sqlite::memory:" or "postgres://user@host:port/database"';

/** Parses a store URL without opening anything. */
export function parseStoreUrl(url: string | undefined, baseDir = process.cwd()): StoreLocation {
  if (url === undefined || url === '')
    return { dialect: 'sqlite', file: resolve(baseDir, DEFAULT_SQLITE_FILE) };
  if (typeof url !== 'string')
    throw new StoreError('BITGRID_ERR_STORE_URL', `store URL must be a string; ${ACCEPTED}`);
  if (/^postgres(ql)?:\/\//i.test(url)) return { dialect: 'postgres', url };
  const m = /^sqlite:(.*)$/i.exec(url);
  if (m) {
    // sqlite:rel/path, sqlite:/abs/path and the URL-like sqlite:///abs/path all name a file.
    const path = m[1].startsWith('//') ? m[1].slice(2) : m[1];
    if (path === '')
      throw new StoreError('BITGRID_ERR_STORE_URL', `store URL "${url}" names no file; ${ACCEPTED}`);
    if (path === ':memory:') return { dialect: 'sqlite', file: path };
    return { dialect: 'sqlite', file: isAbsolute(path) ? path : resolve(baseDir, path) };
  }
  const shown = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? redactUrl(url) : url;
  throw new StoreError('BITGRID_ERR_STORE_URL', `store URL "${shown}" is not understood; ${ACCEPTED}`);
}

export async function openStore(url?: string, options: OpenStoreOptions = {}): Promise<Store> {
  const loc = parseStoreUrl(url, options.baseDir);
  let sql: Sql;
  if (loc.dialect === 'sqlite') {
    try {
      if (loc.file !== ':memory:') mkdirSync(dirname(loc.file), { recursive: true });
      sql = openSqlite(loc.file, { synchronous: options.sqliteSynchronous });
    } catch (e) {
      throw new StoreError(
        'BITGRID_ERR_STORE_OPEN',
        `cannot open SQLite database ${loc.file}: ${(e as Error).message}`,
        { cause: e },
      );
    }
  } else {
    sql = await openPostgres(loc.url, { schema: options.pgSchema });
  }
  try {
    await migrate(sql, options.migrations ?? MIGRATIONS);
  } catch (e) {
    await sql.close().catch(() => undefined);
    if (e instanceof StoreError) throw e;
    const where = loc.dialect === 'sqlite' ? loc.file : redactUrl(loc.url);
    throw new StoreError(
      'BITGRID_ERR_STORE_OPEN',
      `cannot prepare the database ${where}: ${(e as Error).message}`,
      { cause: e },
    );
  }
  return new SqlStore(sql);
}

export { StoreError, type StoreErrorCode } from './errors.ts';
export { MIGRATIONS, type Migration } from './migrations.ts';
export { createTelemetryWriter, type TelemetryWriter, type TelemetryWriterOptions } from './writer.ts';
export { hashToken } from './tokens.ts';
export {
  TELEMETRY_READ_MAX_ROWS,
  LIST_DEFAULT_ROWS,
  LIST_MAX_ROWS,
  TOKEN_ROLES,
  ACTOR_ROLES,
  AUDIT_OUTCOMES,
  EVENT_SEVERITIES,
  SCHEDULE_STATUSES,
  SIM_RUN_STATUSES,
  JOB_STATUSES,
  TELEMETRY_AGGREGATES,
} from './store.ts';
export type * from './types.ts';
