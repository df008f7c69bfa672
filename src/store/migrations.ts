import { StoreError } from './errors.ts';
import type { Sql } from './sql.ts';

// Schema migrations: an ordered list, each with its SQL for both dialects. `migrate` applies the
// missing ones in one transaction under the write lock (SQLite BEGIN IMMEDIATE, a PostgreSQL advisory
// lock), records each in `schema_migrations`, and refuses a database that has a version this code does
// not know (it was written by newer Bitgrid) or a version whose name differs (a diverged history).
// Never edit a migration that has shipped: add the next one.

export interface Migration {
  version: number;
  name: string;
  sqlite: string;
  postgres: string;
}

const SQLITE_V1 = `
CREATE TABLE telemetry_series (
  id INTEGER PRIMARY KEY,
  asset_id TEXT NOT NULL,
  measurement TEXT NOT NULL,
  channel TEXT NOT NULL DEFAULT '',
  UNIQUE (asset_id, measurement, channel)
) STRICT;

CREATE TABLE telemetry (
  series_id INTEGER NOT NULL REFERENCES telemetry_series (id),
  time_ms INTEGER NOT NULL,
  value REAL NOT NULL,
  PRIMARY KEY (series_id, time_ms)
) STRICT, WITHOUT ROWID;

CREATE TABLE forecasts (
  id INTEGER PRIMARY KEY,
  issued_ms INTEGER NOT NULL,
  asset_id TEXT NOT NULL,
  target TEXT NOT NULL,
  model TEXT NOT NULL,
  start_ms INTEGER NOT NULL,
  interval_ms INTEGER NOT NULL CHECK (interval_ms > 0),
  end_ms INTEGER NOT NULL,
  quantiles TEXT NOT NULL
) STRICT;
CREATE INDEX forecasts_asset_target_issued ON forecasts (asset_id, target, issued_ms);

CREATE TABLE schedules (
  id INTEGER PRIMARY KEY,
  created_ms INTEGER NOT NULL,
  start_ms INTEGER NOT NULL,
  end_ms INTEGER NOT NULL CHECK (end_ms > start_ms),
  strategy TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('proposed', 'active', 'superseded', 'completed', 'failed', 'cancelled')),
  payload TEXT NOT NULL
) STRICT;
CREATE INDEX schedules_start ON schedules (start_ms);

CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  time_ms INTEGER NOT NULL,
  severity TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'alarm', 'critical')),
  source TEXT NOT NULL,
  code TEXT NOT NULL,
  message TEXT NOT NULL,
  asset_id TEXT,
  acknowledged_ms INTEGER,
  acknowledged_by TEXT
) STRICT;
CREATE INDEX events_time ON events (time_ms);

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time_ms INTEGER NOT NULL,
  actor TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin', 'system')),
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  details TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'denied', 'failed'))
) STRICT;
CREATE INDEX audit_log_time ON audit_log (time_ms);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
  hash TEXT NOT NULL UNIQUE,
  created_ms INTEGER NOT NULL,
  last_used_ms INTEGER,
  revoked_ms INTEGER
) STRICT;

CREATE TABLE overrides (
  id INTEGER PRIMARY KEY,
  asset_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  value REAL NOT NULL,
  start_ms INTEGER NOT NULL,
  expiry_ms INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  reason TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  cleared_ms INTEGER,
  cleared_by TEXT,
  CHECK (expiry_ms > start_ms)
) STRICT;
CREATE INDEX overrides_asset_expiry ON overrides (asset_id, expiry_ms);

CREATE TABLE sim_runs (
  id TEXT PRIMARY KEY,
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
  progress REAL NOT NULL CHECK (progress >= 0 AND progress <= 1),
  params TEXT NOT NULL,
  result TEXT,
  error TEXT,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX sim_runs_created ON sim_runs (created_ms);
`;

const POSTGRES_V1 = `
CREATE TABLE telemetry_series (
  id INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  asset_id TEXT NOT NULL,
  measurement TEXT NOT NULL,
  channel TEXT NOT NULL DEFAULT '',
  UNIQUE (asset_id, measurement, channel)
);

CREATE TABLE telemetry (
  series_id INTEGER NOT NULL REFERENCES telemetry_series (id),
  time_ms BIGINT NOT NULL,
  value DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (series_id, time_ms)
);

CREATE TABLE forecasts (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  issued_ms BIGINT NOT NULL,
  asset_id TEXT NOT NULL,
  target TEXT NOT NULL,
  model TEXT NOT NULL,
  start_ms BIGINT NOT NULL,
  interval_ms BIGINT NOT NULL CHECK (interval_ms > 0),
  end_ms BIGINT NOT NULL,
  quantiles JSONB NOT NULL
);
CREATE INDEX forecasts_asset_target_issued ON forecasts (asset_id, target, issued_ms);

CREATE TABLE schedules (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  created_ms BIGINT NOT NULL,
  start_ms BIGINT NOT NULL,
  end_ms BIGINT NOT NULL CHECK (end_ms > start_ms),
  strategy TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('proposed', 'active', 'superseded', 'completed', 'failed', 'cancelled')),
  payload JSONB NOT NULL
);
CREATE INDEX schedules_start ON schedules (start_ms);

CREATE TABLE events (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  time_ms BIGINT NOT NULL,
  severity TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'alarm', 'critical')),
  source TEXT NOT NULL,
  code TEXT NOT NULL,
  message TEXT NOT NULL,
  asset_id TEXT,
  acknowledged_ms BIGINT,
  acknowledged_by TEXT
);
CREATE INDEX events_time ON events (time_ms);

CREATE TABLE audit_log (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  time_ms BIGINT NOT NULL,
  actor TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin', 'system')),
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  details JSONB NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'denied', 'failed'))
);
CREATE INDEX audit_log_time ON audit_log (time_ms);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit_log is append-only'; END
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
  hash TEXT NOT NULL UNIQUE,
  created_ms BIGINT NOT NULL,
  last_used_ms BIGINT,
  revoked_ms BIGINT
);

CREATE TABLE overrides (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  asset_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  value DOUBLE PRECISION NOT NULL,
  start_ms BIGINT NOT NULL,
  expiry_ms BIGINT NOT NULL,
  created_by TEXT NOT NULL,
  reason TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  cleared_ms BIGINT,
  cleared_by TEXT,
  CHECK (expiry_ms > start_ms)
);
CREATE INDEX overrides_asset_expiry ON overrides (asset_id, expiry_ms);

CREATE TABLE sim_runs (
  id TEXT PRIMARY KEY,
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
  progress DOUBLE PRECISION NOT NULL CHECK (progress >= 0 AND progress <= 1),
  params JSONB NOT NULL,
  result JSONB,
  error TEXT,
  created_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL
);
CREATE INDEX sim_runs_created ON sim_runs (created_ms);
`;

// The data center's deferrable training jobs (docs/store.md). `seq` orders jobs by submission (two
// jobs may carry the same submitted_ms on a stepped clock); `id` is the public key.
const SQLITE_V2 = `
CREATE TABLE datacenter_jobs (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  datacenter_id TEXT NOT NULL,
  name TEXT NOT NULL,
  gpus INTEGER NOT NULL CHECK (gpus > 0),
  gpu_hours REAL NOT NULL CHECK (gpu_hours > 0),
  earliest_start_ms INTEGER NOT NULL,
  deadline_ms INTEGER NOT NULL,
  priority INTEGER NOT NULL,
  interruptible INTEGER NOT NULL CHECK (interruptible IN (0, 1)),
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'cancelled')),
  done_gpu_hours REAL NOT NULL CHECK (done_gpu_hours >= 0),
  submitted_ms INTEGER NOT NULL,
  submitted_by TEXT NOT NULL,
  finished_ms INTEGER,
  updated_ms INTEGER NOT NULL,
  CHECK (deadline_ms > earliest_start_ms)
) STRICT;
CREATE INDEX datacenter_jobs_datacenter_status ON datacenter_jobs (datacenter_id, status);
`;

const POSTGRES_V2 = `
CREATE TABLE datacenter_jobs (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  datacenter_id TEXT NOT NULL,
  name TEXT NOT NULL,
  gpus BIGINT NOT NULL CHECK (gpus > 0),
  gpu_hours DOUBLE PRECISION NOT NULL CHECK (gpu_hours > 0),
  earliest_start_ms BIGINT NOT NULL,
  deadline_ms BIGINT NOT NULL,
  priority BIGINT NOT NULL,
  interruptible BOOLEAN NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'cancelled')),
  done_gpu_hours DOUBLE PRECISION NOT NULL CHECK (done_gpu_hours >= 0),
  submitted_ms BIGINT NOT NULL,
  submitted_by TEXT NOT NULL,
  finished_ms BIGINT,
  updated_ms BIGINT NOT NULL,
  CHECK (deadline_ms > earliest_start_ms)
);
CREATE INDEX datacenter_jobs_datacenter_status ON datacenter_jobs (datacenter_id, status);
`;

// The charger or connector an override holds (docs/store.md). Without it a restart turned a
// one-connector override into one on the whole asset. NULL = the whole asset; '' is refused so
// "no channel" has one spelling.
const OVERRIDE_CHANNEL = `
ALTER TABLE overrides ADD COLUMN channel TEXT CHECK (channel IS NULL OR channel <> '');
`;

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial schema', sqlite: SQLITE_V1, postgres: POSTGRES_V1 },
  { version: 2, name: 'datacenter jobs', sqlite: SQLITE_V2, postgres: POSTGRES_V2 },
  { version: 3, name: 'override channel', sqlite: OVERRIDE_CHANNEL, postgres: OVERRIDE_CHANNEL },
];

const TRACKING_TABLE = {
  sqlite: `CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ms INTEGER NOT NULL) STRICT`,
  postgres: `CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ms BIGINT NOT NULL)`,
};

function checkList(migrations: readonly Migration[]) {
  migrations.forEach((m, i) => {
    if (!Number.isSafeInteger(m.version) || m.version <= 0)
      throw new Error(`migration ${i}: version must be a positive whole number`);
    if (i > 0 && m.version <= migrations[i - 1].version)
      throw new Error(`migration ${m.version}: versions must increase (after ${migrations[i - 1].version})`);
  });
}

export interface MigrateResult {
  /** Versions applied by this call (empty when the schema was current). */
  applied: number[];
  version: number;
}

export async function migrate(
  sql: Sql,
  migrations: readonly Migration[] = MIGRATIONS,
  nowMs = Date.now(),
): Promise<MigrateResult> {
  checkList(migrations);
  const latest = migrations.length ? migrations[migrations.length - 1].version : 0;
  return sql.tx(async (q) => {
    if (sql.dialect === 'postgres') {
      // Two processes starting at once: the second waits here, then finds the schema current.
      await q.all(`SELECT pg_advisory_xact_lock(hashtext('bitgrid.schema_migrations.' || current_schema()))`);
    }
    await q.exec(TRACKING_TABLE[sql.dialect]);
    const rows = await q.all<{ version: number; name: string }>(
      'SELECT version, name FROM schema_migrations ORDER BY version',
    );
    const known = new Map(migrations.map((m) => [m.version, m]));
    for (const r of rows) {
      if (r.version > latest) {
        throw new StoreError(
          'BITGRID_ERR_STORE_SCHEMA',
          `database schema is at version ${rows[rows.length - 1].version}, newer than this Bitgrid understands (up to ${latest}); ` +
            'run a Bitgrid at least as new as the one that wrote it, or point at another database',
        );
      }
      const m = known.get(r.version);
      if (!m || m.name !== r.name) {
        throw new StoreError(
          'BITGRID_ERR_STORE_SCHEMA',
          `database has migration ${r.version} "${r.name}" but this Bitgrid ${m ? `calls it "${m.name}"` : 'has no such migration'}; the schema history differs`,
        );
      }
    }
    const done = new Set(rows.map((r) => r.version));
    const applied: number[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      try {
        await q.exec(m[sql.dialect]);
      } catch (e) {
        throw new StoreError(
          'BITGRID_ERR_STORE_SCHEMA',
          `migration ${m.version} "${m.name}" failed: ${(e as Error).message}`,
          { cause: e },
        );
      }
      await q.run('INSERT INTO schema_migrations (version, name, applied_ms) VALUES (?, ?, ?)', [
        m.version,
        m.name,
        nowMs,
      ]);
      applied.push(m.version);
    }
    return { applied, version: Math.max(0, ...rows.map((r) => r.version), ...applied) };
  });
}
