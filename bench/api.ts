import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { LiveSnapshot, LiveSystem } from '../src/control/types.ts';
import { loadScenarioFile } from '../src/model/load.ts';
import { createServer } from '../src/server/index.ts';
import { openStore } from '../src/store/index.ts';

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
  const store = await openStore(`sqlite:${join(dir, 'bench.db')}`);
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
    };
  } finally {
    await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchApi();
  for (const [k, v] of Object.entries(r))
    process.stdout.write(`${k.padEnd(16)} ${typeof v === 'number' ? +v.toFixed(2) : v}\n`);
}
