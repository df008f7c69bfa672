// OCPP scale: N twin charge points (half OCPP 1.6J, half 2.0.1), each with an EV charging,
// connected at once to one CSMS on loopback and sending meter values every 10 simulated seconds.
// Measures connect time, frames handled per second, event-loop lag, memory. The twins and the
// CSMS share this process, so lag and memory include the twins' own work (an upper bound for the
// CSMS). `clockSpeed` > 1 compresses time (simulated s per real s). Bounded to about a minute.
// Run alone with `npx tsx bench/ocpp-scale.ts [--cps 1000] [--speed 1] [--seconds 20]`.

import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { OcppCsmsDriver, ocppConfigSchema } from '../src/drivers/ocpp/index.ts';
import { ScaledClock, TwinChargePoint } from '../src/twin/ocpp/index.ts';

export interface OcppScaleOptions {
  chargePoints?: number;
  meterIntervalS?: number;
  /** Simulated seconds per real second. */
  clockSpeed?: number;
  /** Real seconds of steady state measured after every charger is connected. */
  steadyS?: number;
  /** Chargers connecting at the same time. */
  connectConcurrency?: number;
}

export interface OcppScaleResult {
  chargePoints: number;
  connected: number;
  clockSpeed: number;
  meterIntervalS: number;
  connectAllMs: number;
  connectP95Ms: number;
  meterValuesPerSecond: number;
  framesInPerSecond: number;
  framesOutPerSecond: number;
  eventLoopLagP50Ms: number;
  eventLoopLagP99Ms: number;
  eventLoopLagMaxMs: number;
  rssMb: number;
  heapUsedMb: number;
  heapPerChargePointKb: number;
  readAllMs: number;
  failedCalls: number;
  wallS: number;
}

const quietLog = { info() {}, warn() {}, error() {} };
const HARD_LIMIT_MS = 55_000;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export async function benchOcppScale(opts: OcppScaleOptions = {}): Promise<OcppScaleResult> {
  const n = opts.chargePoints ?? 1000;
  const meterIntervalS = opts.meterIntervalS ?? 10;
  const speed = opts.clockSpeed ?? 1;
  const steadyS = opts.steadyS ?? 20;
  const concurrency = opts.connectConcurrency ?? 100;
  const wallStart = performance.now();
  const deadline = wallStart + HARD_LIMIT_MS;
  const clock = new ScaledClock(Date.now(), speed);

  const ids = Array.from({ length: n }, (_, i) => `BENCH-${String(i).padStart(5, '0')}`);
  const protocolOf = (i: number): 'ocpp1.6' | 'ocpp2.0.1' => (i % 2 === 0 ? 'ocpp1.6' : 'ocpp2.0.1');
  const csms = new OcppCsmsDriver(
    ocppConfigSchema.parse({
      id: 'bench-csms',
      type: 'ocpp',
      host: '127.0.0.1',
      port: 0,
      heartbeat_interval_s: 300,
      accepted_id_tokens: ['BENCH-TAG'],
      charge_points: ids.map((id, i) => ({
        id,
        asset: `bench-ev-${i}`,
        protocol: protocolOf(i),
        max_power_kw: 22,
      })),
    }),
    { log: quietLog, now: () => clock.now() },
  );
  await csms.start();
  const endpoint = `ws://127.0.0.1:${csms.address().port}/ocpp`;
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;

  const t0 = clock.now();
  const twins = ids.map(
    (id, i) =>
      new TwinChargePoint({
        id,
        endpoint,
        protocol: protocolOf(i),
        maxPowerKw: 22,
        meterIntervalS,
        clock,
        callTimeoutMs: 30_000,
        // Arrivals spread over the first meter interval, so the meter values are too.
        sessions: [
          {
            arrivalMs: t0 + Math.floor((i / n) * meterIntervalS * 1000),
            departureMs: t0 + 86_400_000,
            energyNeededKwh: 60,
            maxPowerKw: 11,
            idTag: 'BENCH-TAG',
          },
        ],
      }),
  );
  twins.forEach((t) => (t.recordFrames = false));

  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const connectMs: number[] = [];
  const connectStart = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n && performance.now() < deadline) {
        const twin = twins[next++];
        const s = performance.now();
        try {
          await twin.start();
          connectMs.push(performance.now() - s);
        } catch {
          // counted as not connected
        }
      }
    }),
  );
  const connectAllMs = performance.now() - connectStart;

  // One timer ticks every twin; a tick is one simulated second.
  const tickRealMs = Math.max(20, Math.round(1000 / speed));
  const ticker = setInterval(() => twins.forEach((t) => void t.tick()), tickRealMs);
  // Let the arrivals (Authorize, StartTransaction …) of the first meter interval pass before measuring.
  const settleMs = Math.min(
    (meterIntervalS * 1000) / speed + 1000,
    Math.max(0, deadline - performance.now() - 5000),
  );
  await new Promise((r) => setTimeout(r, settleMs));
  const steadyMs = Math.min(steadyS * 1000, Math.max(1000, deadline - performance.now() - 3000));
  lag.reset();
  const meterBefore = twins.reduce((a, t) => a + t.counters.meterValuesSent, 0);
  const inBefore = csms.counters.framesIn;
  const outBefore = csms.counters.framesOut;
  const windowStart = performance.now();
  await new Promise((r) => setTimeout(r, steadyMs));
  const windowS = (performance.now() - windowStart) / 1000;
  const meterValues = twins.reduce((a, t) => a + t.counters.meterValuesSent, 0) - meterBefore;
  const framesIn = csms.counters.framesIn - inBefore;
  const framesOut = csms.counters.framesOut - outBefore;
  lag.disable();
  clearInterval(ticker);

  const readStart = performance.now();
  const measurements = await csms.read();
  const readAllMs = performance.now() - readStart;
  if (measurements.length === 0) throw new Error('CSMS read no measurements');
  const mem = process.memoryUsage();
  const connected = csms.chargePoints().filter((c) => c.online).length;
  const failedCalls = twins.reduce((a, t) => a + t.counters.callsFailed, 0);

  await Promise.all(twins.map((t) => t.stop()));
  await csms.stop();

  connectMs.sort((a, b) => a - b);
  const ms = (ns: number) => ns / 1e6;
  return {
    chargePoints: n,
    connected,
    clockSpeed: speed,
    meterIntervalS,
    connectAllMs,
    connectP95Ms: percentile(connectMs, 95),
    meterValuesPerSecond: meterValues / windowS,
    framesInPerSecond: framesIn / windowS,
    framesOutPerSecond: framesOut / windowS,
    eventLoopLagP50Ms: ms(lag.percentile(50)),
    eventLoopLagP99Ms: ms(lag.percentile(99)),
    eventLoopLagMaxMs: ms(lag.max),
    rssMb: mem.rss / 2 ** 20,
    heapUsedMb: mem.heapUsed / 2 ** 20,
    heapPerChargePointKb: (mem.heapUsed - heapBefore) / 1024 / n,
    readAllMs,
    failedCalls,
    wallS: (performance.now() - wallStart) / 1000,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : undefined;
  };
  const result = await benchOcppScale({
    chargePoints: arg('cps'),
    clockSpeed: arg('speed'),
    steadyS: arg('seconds'),
  });
  for (const [k, v] of Object.entries(result)) {
    console.log(`${k.padEnd(24)} ${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(2) : v}`);
  }
  process.exit(0);
}
