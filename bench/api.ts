import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ControlLoop } from '../src/control/loop.ts';
import type { LiveSnapshot, LiveSystem } from '../src/control/types.ts';
import type { Driver, Measurement } from '../src/drivers/types.ts';
import { loadScenarioFile, type LoadedScenario } from '../src/model/load.ts';
import pino from 'pino';
import { startApiWorker } from '../src/server/api-host.ts';
import { createServer } from '../src/server/index.ts';
import { openStore, type Store } from '../src/store/index.ts';

// Latency of GET /api/state under concurrent clients on loopback: the real server (auth against a
// SQLite store, rate limiter on, zod serialization) with the reference district's snapshot. The load
// runs in a worker thread with keep-alive connections so the client does not share the server's
// event loop. Bounded in requests and in time.

/** Concurrent clients: a control room with a few dashboards and scripts. */
export const BENCH_API_CONCURRENCY = 16;
/** Requests in the measured run, after a warm-up of a tenth as many. */
export const BENCH_API_REQUESTS = 4_000;
/** The run stops here whatever the count, so a slow machine cannot hang the bench. */
export const BENCH_API_MAX_SECONDS = 20;
/** API connections hammering /api/state while the control cycle is timed: the load that starved it. */
export const BENCH_CYCLE_LOAD_CONNECTIONS = 64;
/** The control cycle's wall period: `serve --twin --speed 60` runs its 60-s cycle every second. */
export const BENCH_CYCLE_PERIOD_MS = 1_000;
/** Cycles timed per phase (idle, loaded with shedding, loaded without): 20 s each. */
export const BENCH_CYCLES_PER_PHASE = 20;
/** A cycle starting later than this fraction of a period after its due time counts as late (LiveHealth's rule). */
const LATE_FRACTION = 0.5;

const LOAD_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const { url, token, concurrency, requests, maxMs } = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const target = new URL(url);
function once() {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const req = http.request({ host: target.hostname, port: target.port, path: target.pathname, agent, headers: { authorization: 'Bearer ' + token } }, (res) => {
      let bytes = 0;
      res.on('data', (c) => (bytes += c.length));
      res.on('end', () => resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, ok: res.statusCode === 200, bytes }));
    });
    req.on('error', () => resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, ok: false, bytes: 0 }));
    req.end();
  });
}
async function run(n) {
  const lat = [];
  let errors = 0, bytes = 0, issued = 0;
  const end = Date.now() + maxMs;
  const t0 = process.hrtime.bigint();
  async function client() {
    while (issued < n && Date.now() < end) {
      issued++;
      const r = await once();
      if (r.ok) { lat.push(r.ms); bytes = r.bytes; } else errors++;
    }
  }
  await Promise.all(Array.from({ length: concurrency }, client));
  return { lat, errors, bytes, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}
(async () => {
  await run(Math.ceil(requests / 10));
  const r = await run(requests);
  agent.destroy();
  parentPort.postMessage(r);
})();
`;

/**
 * Load until told to stop (or maxMs): `concurrency` keep-alive clients each sending the next request
 * as soon as the last is answered, counting replies by status.
 */
const LOAD_UNTIL_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const { url, token, concurrency, maxMs } = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const target = new URL(url);
let stop = false;
parentPort.on('message', () => (stop = true));
const byStatus = {};
function once() {
  return new Promise((resolve) => {
    const req = http.request({ host: target.hostname, port: target.port, path: target.pathname, agent, headers: { authorization: 'Bearer ' + token } }, (res) => {
      res.resume();
      res.on('end', () => { byStatus[res.statusCode] = (byStatus[res.statusCode] || 0) + 1; resolve(); });
    });
    req.on('error', () => { byStatus.error = (byStatus.error || 0) + 1; resolve(); });
    req.end();
  });
}
(async () => {
  const end = Date.now() + maxMs;
  async function client() { while (!stop && Date.now() < end) await once(); }
  await Promise.all(Array.from({ length: concurrency }, client));
  agent.destroy();
  parentPort.postMessage(byStatus);
})();
`;

/**
 * Devices the reference district's twin runs (inverters, battery, chargers' CSMS, meters, the VTN):
 * the loop reads them all at once every cycle.
 */
const BENCH_DEVICES = 11;
/**
 * Socket round trips per device read (a Modbus read of a few register blocks, an MQTT or OCPP
 * exchange): each is one turn of the event loop, where it queues behind whatever the API is doing.
 */
const BENCH_DEVICE_ROUND_TRIPS = 4;

/** One turn of the event loop, as a reply arriving on a socket is. */
const eventLoopTurn = () => new Promise<void>((r) => setImmediate(r));

/**
 * In-process devices sharing the district's assets: each reports its assets' power (and the
 * battery's SoC) after BENCH_DEVICE_ROUND_TRIPS turns of the event loop, and takes battery setpoints.
 */
function benchDrivers(loaded: LoadedScenario, now: () => number): Driver[] {
  const assets = loaded.scenario.sites.flatMap((s) => s.assets);
  return Array.from({ length: BENCH_DEVICES }, (_, k) => {
    const mine = assets.filter((_, i) => i % BENCH_DEVICES === k);
    return {
      id: `bench-device-${k}`,
      type: 'bench',
      start: async () => undefined,
      stop: async () => undefined,
      status: () => ({ health: 'online' as const, lastReadMs: now() }),
      read: async () => {
        for (let i = 0; i < BENCH_DEVICE_ROUND_TRIPS; i++) await eventLoopTurn();
        const t = now();
        return mine.flatMap((a): Measurement[] => [
          { assetId: a.id, measurement: 'power_kw', value: 100, timeMs: t },
          ...(a.type === 'battery'
            ? [{ assetId: a.id, measurement: 'soc_fraction' as const, value: 0.5, timeMs: t }]
            : []),
        ]);
      },
      accepts: (sp) => mine.some((a) => a.id === sp.assetId) && sp.kind === 'battery_power_kw',
      write: async () => eventLoopTurn(),
    };
  });
}

interface CyclePhase {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  late: number;
  /** Replies the API load got, by status. */
  replies?: Record<string, number>;
}

/** Runs the loop's cycles on its own period and times each (duration, and whether it started late). */
async function timeCycles(loop: ControlLoop): Promise<CyclePhase> {
  const durations: number[] = [];
  let late = 0;
  let due = performance.now() + BENCH_CYCLE_PERIOD_MS;
  for (let i = 0; i < BENCH_CYCLES_PER_PHASE; i++) {
    await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
    const t0 = performance.now();
    if (t0 - due > LATE_FRACTION * BENCH_CYCLE_PERIOD_MS) late++;
    await loop.cycle();
    durations.push(performance.now() - t0);
    due += BENCH_CYCLE_PERIOD_MS;
  }
  durations.sort((a, b) => a - b);
  return {
    p50Ms: percentile(durations, 50),
    p99Ms: percentile(durations, 99),
    maxMs: durations.at(-1)!,
    late,
  };
}

/**
 * The control cycle's duration with and without API load on the same event loop: a real ControlLoop
 * (the reference district, BENCH_DEVICES in-process devices whose reads take event-loop turns as
 * socket round trips do, telemetry stored in SQLite every cycle) behind the real server, timed over BENCH_CYCLES_PER_PHASE cycles idle, then under
 * BENCH_CYCLE_LOAD_CONNECTIONS keep-alive connections on /api/state (from a worker thread) with the
 * default load shedding, then the same load with shedding off, all with the API on the loop's event
 * loop; last, the same load on the API in its own worker thread, as `serve` runs it.
 */
export async function benchCycleUnderApiLoad(
  store: Store,
  storeUrl: string,
  loaded: LoadedScenario,
  token: string,
): Promise<Record<string, unknown>> {
  const now = () => Date.now();
  const loop = new ControlLoop({
    scenario: loaded.scenario,
    drivers: benchDrivers(loaded, now),
    store,
    dispatcher: { name: 'bench', requested: () => [] },
    now,
    staleAfterMs: 5 * 60_000,
  });
  const out: Record<string, unknown> = {};
  const unlimited = { max: Number.MAX_SAFE_INTEGER, timeWindowMs: 60_000 };
  /** The API inline on the loop's event loop (with or without shedding), or in its own worker (serve's way). */
  const startApi = async (where: 'inline' | 'worker', shedding: boolean) => {
    if (where === 'worker') {
      const w = await startApiWorker({
        live: loop,
        now,
        clockPerWall: 1,
        log: pino({ level: 'silent' }),
        scenarioFile: loaded.file,
        storeUrl,
        storeBaseDir: loaded.baseDir,
        host: '127.0.0.1',
        port: 0,
        rateLimit: unlimited,
      });
      return { url: w.address, close: () => w.close() };
    }
    const app = await createServer({
      live: loop,
      store,
      scenario: loaded,
      rateLimit: unlimited,
      ...(shedding ? {} : { shedding: false as const }),
    });
    return { url: await app.listen({ host: '127.0.0.1', port: 0 }), close: () => app.close() };
  };
  const phase = async (
    name: string,
    load: boolean,
    shedding: boolean,
    where: 'inline' | 'worker' = 'inline',
  ) => {
    const app = await startApi(where, shedding);
    try {
      const url = app.url + '/api/state';
      await loop.cycle(); // warm: first-cycle work is not what is measured
      let worker: Worker | undefined;
      let replies: Promise<Record<string, number>> | undefined;
      if (load) {
        worker = new Worker(LOAD_UNTIL_WORKER, {
          eval: true,
          workerData: {
            url,
            token,
            concurrency: BENCH_CYCLE_LOAD_CONNECTIONS,
            maxMs: (BENCH_CYCLES_PER_PHASE + 5) * BENCH_CYCLE_PERIOD_MS,
          },
        });
        replies = new Promise((resolve, reject) => {
          worker!.once('message', resolve);
          worker!.once('error', reject);
        });
        // Let the connections open and the load settle before timing.
        await new Promise((r) => setTimeout(r, BENCH_CYCLE_PERIOD_MS));
      }
      const r = await timeCycles(loop);
      if (worker) {
        worker.postMessage('stop');
        r.replies = await replies;
      }
      out[`cycleP50Ms_${name}`] = r.p50Ms;
      out[`cycleP99Ms_${name}`] = r.p99Ms;
      out[`cycleMaxMs_${name}`] = r.maxMs;
      out[`cyclesLate_${name}`] = r.late;
      if (r.replies)
        out[`apiReplies_${name}`] = Object.entries(r.replies)
          .map(([k, v]) => `${k}:${v}`)
          .join(' ');
    } finally {
      await app.close();
    }
  };
  await phase('idle', false, true);
  await phase('64conn_shedding', true, true);
  await phase('64conn_noShedding', true, false);
  await phase('64conn_apiWorker', true, true, 'worker');
  // Buffered telemetry written, timers stopped: the bench ends when it is done.
  await loop.close();
  const at = (stat: 'P50' | 'P99', k: string) => out[`cycle${stat}Ms_${k}`] as number;
  // In one run, against the same load inline: the machine is shared and noisy, so only ratios compare.
  out.cycleP50Ratio_apiWorker_vs_inline = at('P50', '64conn_apiWorker') / at('P50', '64conn_noShedding');
  out.cycleP99Ratio_apiWorker_vs_inline = at('P99', '64conn_apiWorker') / at('P99', '64conn_noShedding');
  return out;
}

/** A live system frozen at one snapshot with a value for every asset: the API is what is measured. */
function staticLive(snapshot: LiveSnapshot): LiveSystem {
  return {
    snapshot: () => snapshot,
    subscribe: () => () => undefined,
    setOverride: async () => {
      throw new Error('read-only bench');
    },
    clearOverride: async () => {
      throw new Error('read-only bench');
    },
    overrides: () => [],
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export async function benchApi(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'bitgrid-bench-api-'));
  const storeUrl = `sqlite:${join(dir, 'bench.db')}`;
  const store = await openStore(storeUrl);
  const loaded = loadScenarioFile();
  const s = loaded.scenario;
  const nowMs = Date.parse(`${s.default_start}T12:00:00+09:00`);
  const snapshot: LiveSnapshot = {
    timeMs: nowMs,
    districtName: s.name,
    sites: s.sites.map((x) => ({ id: x.id, name: x.name })),
    assets: s.sites.flatMap((site) =>
      site.assets.map((a) => ({
        id: a.id,
        siteId: site.id,
        type: a.type,
        mode: 'auto' as const,
        measurements: {
          power_kw: { value: 123.4, timeMs: nowMs },
          ...(a.type === 'battery' ? { soc_fraction: { value: 0.55, timeMs: nowMs } } : {}),
        },
        ...(a.type === 'battery'
          ? {
              setpoint: {
                assetId: a.id,
                kind: 'battery_power_kw' as const,
                value: 250,
                validUntilMs: nowMs + 120_000,
              },
            }
          : {}),
      })),
    ),
    grid: { importKw: 8_000, exportKw: 0, monthPeakKw: 11_000, billingDemandKw: 12_000 },
    today: {
      costKrw: 1.2e7,
      importKwh: 9e4,
      pvKwh: 2e4,
      consumptionKwh: 1.1e5,
      selfSufficiency: 0.18,
      re100HourlyMatching: 0.4,
    },
    strategy: 'rules',
    cycle: 720,
  };
  const { token } = await store.createToken({ name: 'bench', role: 'viewer', createdMs: nowMs });
  const app = await createServer({
    live: staticLive(snapshot),
    store,
    scenario: loaded,
    rateLimit: { max: Number.MAX_SAFE_INTEGER, timeWindowMs: 60_000 },
    // The API's own capacity: a shed request would be counted as an error here.
    shedding: false,
  });
  try {
    const url = (await app.listen({ host: '127.0.0.1', port: 0 })) + '/api/state';
    const result = await new Promise<{ lat: number[]; errors: number; bytes: number; seconds: number }>(
      (resolve, reject) => {
        const w = new Worker(LOAD_WORKER, {
          eval: true,
          workerData: {
            url,
            token,
            concurrency: BENCH_API_CONCURRENCY,
            requests: BENCH_API_REQUESTS,
            maxMs: BENCH_API_MAX_SECONDS * 1000,
          },
        });
        w.once('message', resolve);
        w.once('error', reject);
      },
    );
    const lat = result.lat.sort((a, b) => a - b);
    await app.close();
    const cycle = await benchCycleUnderApiLoad(store, storeUrl, loaded, token);
    return {
      endpoint: 'GET /api/state',
      concurrency: BENCH_API_CONCURRENCY,
      requests: lat.length,
      errors: result.errors,
      responseBytes: result.bytes,
      seconds: result.seconds,
      requestsPerS: lat.length / result.seconds,
      p50Ms: percentile(lat, 50),
      p90Ms: percentile(lat, 90),
      p99Ms: percentile(lat, 99),
      maxMs: lat.at(-1) ?? NaN,
      ...cycle,
    };
  } finally {
    if (app.server.listening) await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchApi();
  for (const [k, v] of Object.entries(r))
    process.stdout.write(`${k.padEnd(16)} ${typeof v === 'number' ? +v.toFixed(2) : v}\n`);
  process.exit(0);
}
