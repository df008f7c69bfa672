import { StoreError } from './errors.ts';
import type { Store, TelemetryPoint } from './types.ts';
import { requireTelemetryPoint } from './validate.ts';

// Buffers telemetry and writes it in batches: one transaction (one fsync in SQLite) per batch instead
// of per point. Points are checked when written, so a bad point is refused at once and never poisons
// a batch; a batch that fails later (database down, disk full) stays buffered and is retried at the
// next tick, up to a ceiling beyond which the oldest points are dropped and reported.

/** Defaults: a second of latency for at most a second of 1-s telemetry at ~1,000 series. */
export const WRITER_FLUSH_INTERVAL_MS = 1_000;
export const WRITER_MAX_BATCH_POINTS = 1_000;
/** Points kept while writes fail: ~100 s of 1,000 series at 1 s, a few MB of memory. */
export const WRITER_MAX_BUFFERED_POINTS = 100_000;

export interface TelemetryWriterOptions {
  /** Flush at least this often, ms. */
  flushIntervalMs?: number;
  /** Flush as soon as this many points are buffered; also the batch size. */
  maxBatchPoints?: number;
  /** Most points held while writes fail; beyond it the oldest are dropped. */
  maxBufferedPoints?: number;
  /** A background flush failed (`dropped` = 0) or points were dropped. Default: a line on stderr. */
  onError?: (error: Error, dropped: number) => void;
}

export interface TelemetryWriter {
  /** Buffers points; throws a StoreError (and buffers none of them) when any point is bad. */
  write(points: TelemetryPoint | readonly TelemetryPoint[]): void;
  /** Resolves once every point written before the call is committed; rejects when a batch fails. */
  flush(): Promise<void>;
  /** Flushes what is buffered and stops the timer; later writes throw. */
  close(): Promise<void>;
  /** Points waiting to be written. */
  readonly buffered: number;
}

export function createTelemetryWriter(store: Store, options: TelemetryWriterOptions = {}): TelemetryWriter {
  const flushIntervalMs = options.flushIntervalMs ?? WRITER_FLUSH_INTERVAL_MS;
  const maxBatch = options.maxBatchPoints ?? WRITER_MAX_BATCH_POINTS;
  const maxBuffered = Math.max(options.maxBufferedPoints ?? WRITER_MAX_BUFFERED_POINTS, maxBatch);
  const onError =
    options.onError ??
    ((e: Error, dropped: number) =>
      process.stderr.write(
        `telemetry writer: ${e.message}${dropped ? ` (${dropped} points dropped)` : ''}\n`,
      ));
  for (const [k, v] of Object.entries({
    flushIntervalMs,
    maxBatchPoints: maxBatch,
    maxBufferedPoints: maxBuffered,
  })) {
    if (!Number.isSafeInteger(v) || v <= 0)
      throw new StoreError(
        'BITGRID_ERR_STORE_INPUT',
        `createTelemetryWriter: options.${k}: must be a positive whole number (got ${v})`,
      );
  }

  let buffer: TelemetryPoint[] = [];
  /** Sequence number of buffer[0]; point i has firstSeq + i. */
  let firstSeq = 0;
  let chain: Promise<void> = Promise.resolve();
  let flushing = false;
  let closed = false;

  const background = () => {
    if (flushing || buffer.length === 0) return;
    flush().catch((e: Error) => onError(e, 0));
  };
  const timer = setInterval(background, flushIntervalMs);
  // The timer alone must not keep the process alive; close() flushes what is left.
  timer.unref();

  async function writeUpTo(target: number) {
    flushing = true;
    try {
      while (firstSeq < target && buffer.length) {
        const batch = buffer.slice(0, Math.min(maxBatch, target - firstSeq));
        const batchEnd = firstSeq + batch.length;
        await store.appendTelemetry(batch);
        // Points may have been dropped from the head meanwhile: remove only what of the batch is left.
        const written = Math.max(0, batchEnd - firstSeq);
        buffer = buffer.slice(written);
        firstSeq += written;
      }
    } finally {
      flushing = false;
    }
  }

  function flush(): Promise<void> {
    const target = firstSeq + buffer.length;
    const p = chain.then(() => writeUpTo(target));
    chain = p.catch(() => undefined);
    return p;
  }

  return {
    write(points) {
      if (closed) throw new StoreError('BITGRID_ERR_STORE_CLOSED', 'telemetry writer is closed');
      const list = Array.isArray(points) ? (points as readonly TelemetryPoint[]) : [points as TelemetryPoint];
      list.forEach((p, i) => {
        requireTelemetryPoint(p, `telemetryWriter.write: points[${i}]`);
      });
      for (const p of list) buffer.push({ ...p });
      if (buffer.length > maxBuffered) {
        const dropped = buffer.length - maxBuffered;
        buffer = buffer.slice(dropped);
        firstSeq += dropped;
        onError(new Error(`buffer over ${maxBuffered} points`), dropped);
      }
      if (buffer.length >= maxBatch) background();
    },
    flush,
    async close() {
      if (closed) return chain;
      closed = true;
      clearInterval(timer);
      await flush();
    },
    get buffered() {
      return buffer.length;
    },
  };
}
