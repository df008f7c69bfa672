import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { FleetEdge } from '../src/fleet/edge.ts';
import type { TelemetryPointMessage } from '../src/fleet/messages.ts';
import { fleetNames } from '../src/fleet/subjects.ts';

// Many sites into one backend on loopback (docs/fleet.md): BENCH_FLEET_SITES edges in this process,
// each a FleetEdge with its own NATS connection and outbox, and `bitgrid backend` in a child process
// (so its memory is its own). Every site sends one control cycle of BENCH_FLEET_POINTS measurements
// per round, as fast as the fleet takes them (the burst), then paced at three times a site's real
// rate. Printed: sustained points/s stored in the burst, latency from a point's making to its row in
// PostgreSQL (p50, p99) in the burst and paced, the backend's resident memory, and how long the
// backend takes to store a 10-minute backlog (every site's 10 cycles at one a minute) after it was
// stopped. Needs BITGRID_TEST_NATS_URL and BITGRID_TEST_PG_URL; skipped without them.

/** Sites: a free economic zone's sites, with room. */
export const BENCH_FLEET_SITES = Number(process.env.BENCH_FLEET_SITES ?? 1_000);
/** Measurements per site per control cycle: a site's meters, arrays, battery and chargers. */
export const BENCH_FLEET_POINTS = 20;
/** Rounds of one cycle per site in the sustained phase. */
export const BENCH_FLEET_ROUNDS = 10;
/**
 * The paced phase: every site sends one cycle per BENCH_FLEET_PACED_PERIOD_MS, the sites spread
 * evenly over the period, for BENCH_FLEET_PACED_ROUNDS rounds. 20 s is three times a site's real
 * rate (a cycle a minute), so the latency measured is a point's way through a backend that keeps up,
 * not its wait in a burst's queue.
 */
export const BENCH_FLEET_PACED_PERIOD_MS = 20_000;
export const BENCH_FLEET_PACED_ROUNDS = 3;
/** The outage: cycles every site makes while the backend is stopped (10 minutes at one a minute). */
export const BENCH_FLEET_OUTAGE_CYCLES = 10;
/** Longest any phase may wait for the backend, ms: a slow machine ends the bench, it does not hang it. */
const PHASE_TIMEOUT_MS = 10 * 60_000;

const BIN = fileURLToPath(new URL('../bin/bitgrid.mjs', import.meta.url));

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

export async function benchFleet(): Promise<Record<string, unknown>> {
  const natsUrl = process.env.BITGRID_TEST_NATS_URL;
  const pgUrl = process.env.BITGRID_TEST_PG_URL;
  if (!natsUrl || !pgUrl) return { skipped: 'set BITGRID_TEST_NATS_URL and BITGRID_TEST_PG_URL' };
  const ns = `bench${randomBytes(3).toString('hex')}`;
  const schema = `fleet_${ns}`;
  const dir = mkdtempSync(join(tmpdir(), 'bitgrid-bench-fleet-'));
  const db = new pg.Client({ connectionString: pgUrl });
  await db.connect();
  const stored = async () =>
    Number(
      (
        await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.fleet_telemetry`).catch(() => ({
          rows: [{ n: '0' }],
        }))
      ).rows[0].n,
    );
  const until = async (what: string, want: number) => {
    const end = Date.now() + PHASE_TIMEOUT_MS;
    while ((await stored()) < want) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  let backend: ChildProcess | undefined;
  const startBackend = async () => {
    backend = spawn(
      process.execPath,
      [BIN, 'backend', '--nats', natsUrl, '--db', pgUrl, '--schema', schema, '--namespace', ns],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BITGRID_LOG_LEVEL: 'warn' } },
    );
    await new Promise<void>((resolve, reject) => {
      backend!.stdout!.once('data', () => resolve());
      backend!.once('exit', (code) => reject(new Error(`backend exited (${code})`)));
    });
  };
  const stopBackend = async () => {
    const b = backend;
    if (!b || b.exitCode !== null) return;
    const exited = new Promise((r) => b.once('exit', r));
    b.kill('SIGTERM');
    await exited;
  };
  const edges: FleetEdge[] = [];
  let cycle = 0;
  const cyclePoints = (timeMs: number): TelemetryPointMessage[] =>
    Array.from({ length: BENCH_FLEET_POINTS }, (_, i) => ({
      assetId: `asset-${i}`,
      measurement: 'power_kw',
      timeMs,
      value: i,
    }));
  const round = () => {
    const nowMs = Date.now();
    cycle++;
    // Distinct per cycle (the key is edge, asset, measurement, channel, time) and close to now.
    for (const e of edges) e.publishTelemetry(cyclePoints(nowMs + cycle));
  };
  const latency = async (fromMs: number, toMs: number) => {
    const r = (
      await db.query<{ p50: number; p99: number }>(
        `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY stored_ms - time_ms) AS p50,
                percentile_cont(0.99) WITHIN GROUP (ORDER BY stored_ms - time_ms) AS p99
           FROM ${schema}.fleet_telemetry WHERE time_ms >= $1 AND time_ms < $2`,
        [fromMs, toMs],
      )
    ).rows[0];
    return { p50Ms: Number(r.p50), p99Ms: Number(r.p99) };
  };
  try {
    await startBackend();
    const startMs = performance.now();
    for (let k = 0; k < BENCH_FLEET_SITES; k++) {
      const e = new FleetEdge({
        edgeId: `site-${k}`,
        natsUrl,
        outboxFile: join(dir, `site-${k}.db`),
        namespace: ns,
      });
      e.start();
      edges.push(e);
    }
    while (!edges.every((e) => e.stats().connected)) await new Promise((r) => setTimeout(r, 100));
    const connectS = (performance.now() - startMs) / 1000;

    // Sustained: rounds as fast as the fleet takes them.
    const t0 = performance.now();
    const burstFromMs = Date.now();
    for (let r = 0; r < BENCH_FLEET_ROUNDS; r++) round();
    const burstPoints = BENCH_FLEET_SITES * BENCH_FLEET_POINTS * BENCH_FLEET_ROUNDS;
    await until('the sustained phase', burstPoints);
    const sustainedS = (performance.now() - t0) / 1000;
    const burst = await latency(burstFromMs, Date.now());
    const burstRssMb = rssMb(backend!.pid!);

    // Paced: each site's cycles a period apart, the sites spread over the period.
    const pacedFromMs = Date.now();
    for (let r = 0; r < BENCH_FLEET_PACED_ROUNDS; r++)
      for (let k = 0; k < edges.length; k++) {
        const dueMs =
          pacedFromMs + r * BENCH_FLEET_PACED_PERIOD_MS + (k * BENCH_FLEET_PACED_PERIOD_MS) / edges.length;
        const waitMs = dueMs - Date.now();
        if (waitMs > 0) await new Promise((res) => setTimeout(res, waitMs));
        edges[k].publishTelemetry(cyclePoints(Date.now()));
      }
    const want = burstPoints + BENCH_FLEET_SITES * BENCH_FLEET_POINTS * BENCH_FLEET_PACED_ROUNDS;
    await until('the paced phase', want);
    const pacedToMs = Date.now();
    const paced = await latency(pacedFromMs, pacedToMs);
    const pacedPointsPerS =
      (BENCH_FLEET_SITES * BENCH_FLEET_POINTS * BENCH_FLEET_PACED_ROUNDS) /
      ((pacedToMs - pacedFromMs) / 1000);
    const backendRssMb = Math.max(burstRssMb, rssMb(backend!.pid!));

    // Outage: the backend stops, every site makes ten cycles, the backend comes back.
    await stopBackend();
    for (let r = 0; r < BENCH_FLEET_OUTAGE_CYCLES; r++) round();
    for (const e of edges) await e.flush();
    const t1 = performance.now();
    await startBackend();
    await until('the backlog', want + BENCH_FLEET_SITES * BENCH_FLEET_POINTS * BENCH_FLEET_OUTAGE_CYCLES);
    const catchUpS = (performance.now() - t1) / 1000;
    return {
      sites: BENCH_FLEET_SITES,
      pointsPerCycle: BENCH_FLEET_POINTS,
      connectAllS: connectS,
      sustainedPoints: burstPoints,
      sustainedPointsPerS: burstPoints / sustainedS,
      sustainedMessagesPerS: (BENCH_FLEET_SITES * BENCH_FLEET_ROUNDS) / sustainedS,
      burstLatencyP50Ms: burst.p50Ms,
      burstLatencyP99Ms: burst.p99Ms,
      pacedPointsPerS,
      pacedLatencyP50Ms: paced.p50Ms,
      pacedLatencyP99Ms: paced.p99Ms,
      backendRssMb,
      backlogMessages: BENCH_FLEET_SITES * BENCH_FLEET_OUTAGE_CYCLES,
      catchUpS,
    };
  } finally {
    await Promise.all(edges.map((e) => e.stop().catch(() => undefined)));
    await stopBackend();
    const nc = await connect({ servers: natsUrl });
    const jsm = await jetstreamManager(nc);
    const names = fleetNames(ns);
    for (const s of [names.upStream, names.commandStream]) await jsm.streams.delete(s).catch(() => undefined);
    await nc.close();
    await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await db.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchFleet();
  for (const [k, v] of Object.entries(r))
    process.stdout.write(`${k.padEnd(24)} ${typeof v === 'number' ? +v.toFixed(2) : v}\n`);
  process.exit(0);
}
