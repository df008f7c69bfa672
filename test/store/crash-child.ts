import { createTelemetryWriter, openStore, type TelemetryPoint } from '../../src/store/index.ts';

// Spawned by durability.test.ts: writes numbered batches and prints `ack N` only after batch N is
// committed, until the parent kills it with SIGKILL. Arguments: URL, PostgreSQL schema ('' for none),
// mode (`direct`: appendTelemetry + an audit entry per batch; `writer`: the buffered writer + flush()),
// first batch number.

export const CRASH_T0_MS = Date.UTC(2026, 0, 1);
export const CRASH_BATCH_POINTS = 500;
export const CRASH_ASSETS = 7;

/** The points of batch b: deterministic, so the parent can check every value. */
export function crashBatch(b: number): TelemetryPoint[] {
  return Array.from({ length: CRASH_BATCH_POINTS }, (_, i) => ({
    assetId: `a${b % CRASH_ASSETS}`,
    measurement: 'power_kw',
    timeMs: CRASH_T0_MS + b * CRASH_BATCH_POINTS + i,
    value: b * 1e6 + i + 0.25,
  }));
}

async function main() {
  const [url, schema, mode, first] = process.argv.slice(2);
  const store = await openStore(url, schema ? { pgSchema: schema } : {});
  const writer = createTelemetryWriter(store, { flushIntervalMs: 5, maxBatchPoints: 200 });
  process.stdout.write('ready\n');
  for (let b = Number(first); ; b++) {
    if (mode === 'writer') {
      writer.write(crashBatch(b));
      await writer.flush();
    } else {
      await store.appendTelemetry(crashBatch(b));
      await store.appendAudit({
        timeMs: CRASH_T0_MS + b,
        actor: 'system',
        role: 'system',
        action: 'crash.batch',
        target: `batch:${b}`,
        outcome: 'ok',
      });
    }
    process.stdout.write(`ack ${b}\n`);
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  main().catch((e) => {
    process.stderr.write(String((e as Error).stack) + '\n');
    process.exit(1);
  });
}
