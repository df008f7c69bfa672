import type { Store } from '../store/index.ts';

// The site's own measured history as interval means (time-weighted, each reading held until the next
// one), per series: what the live forecasts learn from. Seeded from the store at start, so a restart
// keeps it, and kept for a bounded number of days.

export class MeasuredHistory {
  private readonly means = new Map<string, Map<number, number>>();
  private readonly open = new Map<
    string,
    { startMs: number; kwMs: number; ms: number; lastMs: number; lastKw: number }
  >();

  constructor(
    readonly stepMs: number,
    private readonly keepDays: number,
  ) {}

  /** Loads `days` of interval means of `power_kw` of each asset from the store. */
  async seed(store: Store, assetIds: readonly string[], nowMs: number, days: number): Promise<void> {
    const toMs = Math.floor(nowMs / this.stepMs) * this.stepMs;
    const fromMs = toMs - days * 86_400_000;
    for (const id of assetIds) {
      const rows = await store.readTelemetry({
        assetId: id,
        measurement: 'power_kw',
        fromMs,
        toMs,
        bucketMs: this.stepMs,
        aggregate: 'mean',
      });
      const m = this.series(id);
      for (const r of rows) if (Number.isFinite(r.value)) m.set(r.timeMs, r.value);
    }
  }

  /** Adds a reading; closes interval means as time passes interval boundaries. */
  observe(id: string, timeMs: number, kw: number): void {
    if (!Number.isFinite(timeMs) || !Number.isFinite(kw)) return;
    const o = this.open.get(id);
    if (!o) {
      this.open.set(id, { startMs: this.floor(timeMs), kwMs: 0, ms: 0, lastMs: timeMs, lastKw: kw });
      return;
    }
    if (timeMs < o.lastMs) return;
    let t = o.lastMs;
    while (t < timeMs) {
      const ws = this.floor(t);
      if (ws !== o.startMs) {
        if (o.ms > 0) this.series(id).set(o.startMs, o.kwMs / o.ms);
        o.startMs = ws;
        o.kwMs = 0;
        o.ms = 0;
      }
      const end = Math.min(timeMs, ws + this.stepMs);
      o.kwMs += o.lastKw * (end - t);
      o.ms += end - t;
      t = end;
    }
    o.lastMs = timeMs;
    o.lastKw = kw;
    this.prune(id, timeMs);
  }

  /** Mean of the interval starting at `startMs`, if it was measured and has closed. */
  mean(id: string, startMs: number): number | undefined {
    return this.means.get(id)?.get(startMs);
  }

  /** Interval means from `fromMs` for `count` intervals; NaN where nothing was measured. */
  range(id: string, fromMs: number, count: number): Float64Array {
    const out = new Float64Array(count).fill(NaN);
    const m = this.means.get(id);
    if (m) for (let k = 0; k < count; k++) out[k] = m.get(fromMs + k * this.stepMs) ?? NaN;
    return out;
  }

  /** Days of history held for a series (from its oldest interval to now). */
  daysHeld(id: string, nowMs: number): number {
    const m = this.means.get(id);
    if (!m || m.size === 0) return 0;
    let oldest = Infinity;
    for (const t of m.keys()) oldest = Math.min(oldest, t);
    return (nowMs - oldest) / 86_400_000;
  }

  private floor(ms: number): number {
    return Math.floor(ms / this.stepMs) * this.stepMs;
  }

  private series(id: string): Map<number, number> {
    let m = this.means.get(id);
    if (!m) this.means.set(id, (m = new Map()));
    return m;
  }

  private prune(id: string, nowMs: number): void {
    const m = this.means.get(id);
    if (!m) return;
    const oldestMs = nowMs - this.keepDays * 86_400_000;
    // Insertion order is time order for live observations; stop at the first one to keep.
    for (const t of m.keys()) {
      if (t >= oldestMs) break;
      m.delete(t);
    }
  }
}
