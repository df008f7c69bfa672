import Database from '../../src/store/sqlite-binding.ts';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type OpenStoreOptions, type Store } from '../../src/store/index.ts';

// A database for one test: a temp SQLite file, or a fresh schema in the PostgreSQL named by
// BITGRID_TEST_PG_URL. `exec`/`query` reach the database beside the store, as another client would.

export interface StoreHarness {
  readonly url: string;
  readonly options: OpenStoreOptions;
  /** Opens (or reopens) a store on this test's database. */
  open(extra?: Partial<OpenStoreOptions>): Promise<Store>;
  exec(sql: string): Promise<void>;
  query<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  cleanup(): Promise<void>;
}

export type HarnessFactory = () => Promise<StoreHarness>;

export const PG_URL = process.env.BITGRID_TEST_PG_URL;

export const sqliteHarness: HarnessFactory = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitgrid-store-'));
  const file = join(dir, 'test.db');
  const url = `sqlite:${file}`;
  const raw = () => new Database(file);
  return {
    url,
    options: {},
    open: (extra = {}) => openStore(url, extra),
    async exec(sql) {
      const db = raw();
      try {
        db.exec(sql);
      } finally {
        db.close();
      }
    },
    async query<T>(sql: string) {
      const db = raw();
      try {
        return db.prepare(sql).all() as T[];
      } finally {
        db.close();
      }
    },
    async cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

/** A unique schema name per harness: runs and test files never share tables. */
export function pgSchemaName() {
  return `bitgrid_test_${randomBytes(6).toString('hex')}`;
}

export async function pgAdmin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export const postgresHarness: HarnessFactory = async () => {
  const url = PG_URL!;
  const schema = pgSchemaName();
  const options: OpenStoreOptions = { pgSchema: schema };
  const inSchema = <T>(fn: (c: pg.Client) => Promise<T>) =>
    pgAdmin(url, async (c) => {
      await c.query(`SET search_path TO ${schema}`);
      return fn(c);
    });
  return {
    url,
    options,
    open: (extra = {}) => openStore(url, { ...options, ...extra }),
    exec: (sql) => inSchema(async (c) => void (await c.query(sql))),
    query: <T>(sql: string) => inSchema(async (c) => (await c.query(sql)).rows as T[]),
    cleanup: () => pgAdmin(url, async (c) => void (await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`))),
  };
};
