import Database from '../../src/store/sqlite-binding.ts';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SQLITE_FILE, MIGRATIONS, openStore, parseStoreUrl } from '../../src/store/index.ts';
import { expectStoreError } from './contract.ts';
import { PG_URL, pgAdmin, pgSchemaName } from './harness.ts';

describe('store URLs', () => {
  it('resolves the default file and sqlite: paths against the config folder', () => {
    expect(parseStoreUrl(undefined, '/etc/bitgrid')).toEqual({
      dialect: 'sqlite',
      file: '/etc/bitgrid/.bitgrid/bitgrid.db',
    });
    expect(parseStoreUrl('', '/srv')).toEqual({ dialect: 'sqlite', file: `/srv/${DEFAULT_SQLITE_FILE}` });
    expect(parseStoreUrl('sqlite:data/x.db', '/srv')).toEqual({ dialect: 'sqlite', file: '/srv/data/x.db' });
    expect(parseStoreUrl('sqlite:/var/lib/bitgrid.db', '/srv')).toEqual({
      dialect: 'sqlite',
      file: '/var/lib/bitgrid.db',
    });
    expect(parseStoreUrl('sqlite:///var/lib/bitgrid.db', '/srv')).toEqual({
      dialect: 'sqlite',
      file: '/var/lib/bitgrid.db',
    });
    expect(parseStoreUrl('sqlite::memory:')).toEqual({ dialect: 'sqlite', file: ':memory:' });
    expect(parseStoreUrl('postgres://u@h:5432/db')).toEqual({
      dialect: 'postgres',
      url: 'postgres://u@h:5432/db',
    });
    expect(parseStoreUrl('postgresql://u@h/db').dialect).toBe('postgres');
  });

  it('refuses what it does not understand, without echoing passwords', () => {
    expect(() => parseStoreUrl('mysql://root:hunter2@db/bitgrid')).toThrow(
      /"mysql:\/\/root:\*\*\*@db\/bitgrid" is not understood; expected/,
    );
    expect(() => parseStoreUrl('mysql://root:hunter2@db/bitgrid')).not.toThrow(/hunter2/);
    expect(() => parseStoreUrl('./bitgrid.db')).toThrow(/"\.\/bitgrid\.db" is not understood.*sqlite:PATH/);
    expect(() => parseStoreUrl('sqlite:')).toThrow(/names no file/);
  });
});

describe('opening SQLite', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bitgrid-open-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the default file beside the config, in WAL mode', async () => {
    const store = await openStore(undefined, { baseDir: dir });
    await store.appendTelemetry([{ assetId: 'a', measurement: 'power_kw', timeMs: 1, value: 1 }]);
    await store.close();
    const file = join(dir, DEFAULT_SQLITE_FILE);
    expect(existsSync(file)).toBe(true);
    const db = new Database(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('works in memory', async () => {
    const store = await openStore('sqlite::memory:');
    await store.appendTelemetry([{ assetId: 'a', measurement: 'power_kw', timeMs: 1, value: 1 }]);
    expect(await store.latestTelemetry()).toHaveLength(1);
    await store.close();
  });

  it('says which file it cannot open', async () => {
    mkdirSync(join(dir, 'adir'));
    await expectStoreError(
      openStore(`sqlite:${join(dir, 'adir')}`),
      'BITGRID_ERR_STORE_OPEN',
      /cannot open SQLite database .*adir/,
    );
    writeFileSync(
      join(dir, 'junk.db'),
      'this is not a database, just text long enough to fill a header page'.repeat(20),
    );
    await expectStoreError(
      openStore(`sqlite:${join(dir, 'junk.db')}`),
      'BITGRID_ERR_STORE_OPEN',
      /junk\.db: file is not a database/,
    );
  });
});

describe('opening PostgreSQL', () => {
  it('says it cannot connect, without the password', async () => {
    const e = await expectStoreError(
      openStore('postgres://bitgrid:s3cret@127.0.0.1:1/bitgrid'),
      'BITGRID_ERR_STORE_OPEN',
      /cannot connect to PostgreSQL at postgres:\/\/bitgrid:\*\*\*@127\.0\.0\.1:1\/bitgrid/,
    );
    expect(e.message).not.toContain('s3cret');
  });

  it.runIf(PG_URL)(
    'lets two processes open a fresh schema at once (one migrates, the other waits)',
    async () => {
      const schema = pgSchemaName();
      try {
        const stores = await Promise.all([
          openStore(PG_URL!, { pgSchema: schema }),
          openStore(PG_URL!, { pgSchema: schema }),
        ]);
        const latest = MIGRATIONS[MIGRATIONS.length - 1].version;
        expect(await Promise.all(stores.map((s) => s.schemaVersion()))).toEqual([latest, latest]);
        await Promise.all(stores.map((s) => s.close()));
      } finally {
        await pgAdmin(PG_URL!, (c) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
      }
    },
  );

  it.runIf(PG_URL)('takes the schema from the URL too (libpq options=-c search_path=…)', async () => {
    const schema = pgSchemaName();
    await pgAdmin(PG_URL!, (c) => c.query(`CREATE SCHEMA ${schema}`));
    try {
      const url = `${PG_URL}${PG_URL!.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
      const store = await openStore(url);
      await store.appendTelemetry([{ assetId: 'a', measurement: 'power_kw', timeMs: 1, value: 1 }]);
      await store.close();
      const rows = await pgAdmin(PG_URL!, (c) =>
        c.query(`SELECT count(*)::int AS n FROM ${schema}.telemetry`),
      );
      expect(rows.rows[0].n).toBe(1);
    } finally {
      await pgAdmin(PG_URL!, (c) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
    }
  });
});
