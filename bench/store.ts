import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import {
  openStore,
  type OpenStoreOptions,
  type Store,
  type TelemetryPoint,
  type TelemetryQuery,
} from '../src/store/index.ts';

// Telemetry throughput of the store: 200k points written in batches of 1,000 (as the telemetry writer
// does), then one day of 1-s data for one series read back downsampled. SQLite always (with
// synchronous FULL, the default, and NORMAL for comparison); PostgreSQL when BITGRID_TEST_PG_URL or
// BITGRID_DATABASE_URL is set, in a throw-away schema that is dropped afterwards.

const POINTS = 200_000;
const BATCH_POINTS = 1_000;
/** Series written at once: a mid-size district (assets × measurements). */
const SERIES = 50;
const DAY_S = 86_400;
/** Each write phase stops after this long and reports what it managed, so the bench stays bounded. */
const PHASE_BUDGET_MS = 30_000;
const T0 = Date.UTC(2026, 7, 2, 15, 0, 0); // 2026-08-03T00:00+09:00

async function writeRate(store: Store): Promise<{ pointsPerSecond: number; points: number }> {
  const perSeries = Math.ceil(POINTS / SERIES);
  const start = performance.now();
  let written = 0;
  let batch: TelemetryPoint[] = [];
  outer: for (let s = 0; s < perSeries; s++) {
    for (let k = 0; k < SERIES; k++) {
      batch.push({
        assetId: `asset${k % 10}`,
        // Ten series per asset: one measurement on ten channels (names are a closed vocabulary).
        measurement: 'power_kw',
        channel: `m${Math.floor(k / 10)}`,
        timeMs: T0 + s * 1000,
        value: Math.sin(s / 600) * 100 + k,
      });
      if (batch.length === BATCH_POINTS) {
        await store.appendTelemetry(batch);
        written += batch.length;
        batch = [];
        if (written >= POINTS || performance.now() - start > PHASE_BUDGET_MS) break outer;
      }
    }
  }
  return { points: written, pointsPerSecond: written / ((performance.now() - start) / 1000) };
}

async function dayRead(store: Store) {
  const start = performance.now();
  let written = 0;
  for (let s = 0; s < DAY_S && performance.now() - start < PHASE_BUDGET_MS; s += BATCH_POINTS) {
    const n = Math.min(BATCH_POINTS, DAY_S - s);
    await store.appendTelemetry(
      Array.from({ length: n }, (_, i) => ({
        assetId: 'grid',
        measurement: 'power_kw',
        timeMs: T0 + (s + i) * 1000,
        value: 500 + ((s + i) % 900),
      })),
    );
    written += n;
  }
  const q: TelemetryQuery = { assetId: 'grid', measurement: 'power_kw', fromMs: T0, toMs: T0 + DAY_S * 1000 };
  let t = performance.now();
  const quarter = await store.readTelemetry({ ...q, bucketMs: 15 * 60_000, aggregate: 'mean' });
  const quarterMs = performance.now() - t;
  t = performance.now();
  const minute = await store.readTelemetry({ ...q, bucketMs: 60_000, aggregate: 'last' });
  const minuteMs = performance.now() - t;
  t = performance.now();
  const raw = await store.readTelemetry(q);
  const rawMs = performance.now() - t;
  if (written === DAY_S && (quarter.length !== 96 || minute.length !== 1440 || raw.length !== DAY_S)) {
    throw new Error(
      `day read returned ${quarter.length}/${minute.length}/${raw.length} rows, expected 96/1440/${DAY_S}`,
    );
  }
  return {
    dayPointsWritten: written,
    read15MinMeanMs: quarterMs,
    read1MinLastMs: minuteMs,
    readRawDayMs: rawMs,
  };
}

async function benchOne(url: string, options: OpenStoreOptions) {
  const store = await openStore(url, options);
  try {
    const w = await writeRate(store);
    const r = await dayRead(store);
    return { ...w, ...r };
  } finally {
    await store.close();
  }
}

export async function benchStore(): Promise<Record<string, number | string>> {
  const out: Record<string, number | string> = { batchPoints: BATCH_POINTS, series: SERIES };
  const dir = mkdtempSync(join(tmpdir(), 'bitgrid-bench-store-'));
  try {
    const full = await benchOne(`sqlite:${join(dir, 'full.db')}`, { sqliteSynchronous: 'FULL' });
    out.sqlitePoints = full.points;
    out.sqlitePointsPerSecond = full.pointsPerSecond;
    out.sqliteDay15MinMeanReadMs = full.read15MinMeanMs;
    out.sqliteDay1MinLastReadMs = full.read1MinLastMs;
    out.sqliteDayRawReadMs = full.readRawDayMs;
    const normal = await benchOne(`sqlite:${join(dir, 'normal.db')}`, { sqliteSynchronous: 'NORMAL' });
    out.sqliteNormalPointsPerSecond = normal.pointsPerSecond;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const pgUrl = process.env.BITGRID_TEST_PG_URL || process.env.BITGRID_DATABASE_URL;
  if (!pgUrl) {
    out.postgres = 'skipped (set BITGRID_TEST_PG_URL)';
    return out;
  }
  const schema = `bitgrid_bench_${randomBytes(6).toString('hex')}`;
  try {
    const r = await benchOne(pgUrl, { pgSchema: schema });
    out.pgPoints = r.points;
    out.pgPointsPerSecond = r.pointsPerSecond;
    out.pgDay15MinMeanReadMs = r.read15MinMeanMs;
    out.pgDay1MinLastReadMs = r.read1MinLastMs;
    out.pgDayRawReadMs = r.readRawDayMs;
  } finally {
    const c = new pg.Client({ connectionString: pgUrl });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await c.end();
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(await benchStore());
}
