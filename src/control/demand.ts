import type { Scenario } from '../model/schema.ts';
import { koreanHolidayCalendar } from '../model/calendar.ts';
import { DEMAND_INTERVAL_MINUTES, createTariff, type TariffEngine } from '../tariff/index.ts';
import { RatchetBook } from '../tariff/ratchet.ts';
import type { Store } from '../store/index.ts';

// The billing demand as KEPCO meters it, from the grid meter's telemetry: the import averaged over
// each 15-minute window (aligned to the quarter hour), counted only in demand-charge hours (mid and
// peak bands, not Sundays or holidays), highest per local calendar month; the billing demand is the
// highest of this month's peak, the peaks of ratchet months (Dec–Feb, Jul–Sep) in the last 12 months,
// the district file's history peak and the contract floor (tariff/bill.ts bills it the same way).

const WINDOW_MS = DEMAND_INTERVAL_MINUTES * 60_000;
/** How long one grid-meter reading stands for the import, ms: one demand window. */
const MAX_HOLD_MS = WINDOW_MS;
/** Months the ratchet reaches back, the current one included (KEPCO 기본요금 적용 기준). */
const RATCHET_MONTHS_BACK = 11;

export interface DemandState {
  /** Highest 15-minute mean import in demand-charge hours this local month, kW. */
  monthPeakKw: number;
  /**
   * Highest 15-minute mean import this local month at any hour, kW: what the contract-excess penalty
   * is measured against (tariff/bill.ts), which counts every hour, not only demand-charge ones.
   */
  monthMaxKw: number;
  /** Local month the peak belongs to, `YYYY-MM`. */
  monthKey: string;
  /** Highest of the month's peak, the ratchet months' peaks, the history peak and the floor, kW. */
  billingDemandKw: number;
  /** Mean import of the 15-minute window in progress so far, kW. */
  windowMeanKw: number;
  windowStartMs: number;
}

export class DemandTracker {
  readonly tariff: TariffEngine;
  private monthKey = '';
  private monthIndex = 0;
  private monthPeakKw = 0;
  private monthMaxKw = 0;
  /** Peaks of past ratchet months by month index (year × 12 + month − 1). */
  private readonly ratchet: RatchetBook;
  private windowStartMs = NaN;
  private windowKwMs = 0;
  private windowMs = 0;
  private lastMs = NaN;
  private lastKw = 0;

  constructor(private readonly scenario: Scenario) {
    this.tariff = createTariff(
      scenario.grid,
      scenario.timezone,
      koreanHolidayCalendar(scenario.extra_holidays),
    );
    this.ratchet = new RatchetBook(
      scenario.grid.contract_demand_kw,
      scenario.grid.tariff.ratchet_history_peak_kw,
    );
  }

  /**
   * Rebuilds the month's peak and the ratchet history from the stored grid-meter telemetry (after a
   * restart, so a restart mid-month keeps the peak the month has already set).
   */
  async restore(store: Store, assetId: string, nowMs: number): Promise<void> {
    const month = this.tariff.monthAt(nowMs);
    let fromMs = month.startMs;
    for (let k = 0; k < RATCHET_MONTHS_BACK; k++) fromMs = this.tariff.monthAt(fromMs - 1).startMs;
    const nowWindowStartMs = Math.floor(nowMs / WINDOW_MS) * WINDOW_MS;
    // One query per month keeps each answer well under the store's row ceiling.
    for (let startMs = fromMs; startMs < nowWindowStartMs;) {
      const m = this.tariff.monthAt(startMs);
      const endMs = Math.min(m.endMs, nowWindowStartMs);
      const rows = await store.readTelemetry({
        assetId,
        measurement: 'power_kw',
        fromMs: startMs,
        toMs: endMs,
        bucketMs: WINDOW_MS,
        aggregate: 'mean',
      });
      let peakKw = 0;
      let maxKw = 0;
      for (const r of rows) {
        maxKw = Math.max(maxKw, r.value);
        if (this.tariff.countsForDemand(r.timeMs)) peakKw = Math.max(peakKw, r.value);
      }
      if (m.index === month.index) {
        this.monthPeakKw = Math.max(this.monthPeakKw, peakKw);
        this.monthMaxKw = Math.max(this.monthMaxKw, maxKw);
      } else this.ratchet.record(m.index, peakKw);
      startMs = m.endMs;
    }
    this.monthKey = month.key;
    this.monthIndex = month.index;
  }

  /**
   * Adds a grid-meter reading (import positive, kW) taken at `timeMs`; the power is held until the
   * next reading, so windows are time-weighted means however often the loop runs.
   */
  observe(timeMs: number, importKw: number): void {
    if (!Number.isFinite(timeMs) || !Number.isFinite(importKw)) return;
    if (Number.isFinite(this.lastMs) && timeMs < this.lastMs) return; // a clock step back adds nothing
    if (!Number.isFinite(this.lastMs)) {
      this.windowStartMs = Math.floor(timeMs / WINDOW_MS) * WINDOW_MS;
      this.rollMonth(timeMs);
    } else {
      // A reading stands for at most MAX_HOLD_MS: across a longer gap in the meter's data nothing
      // is known, and the gap's windows count only what was measured in them.
      const heldUntilMs = Math.min(timeMs, this.lastMs + MAX_HOLD_MS);
      let t = this.lastMs;
      while (t < heldUntilMs) {
        const ws = Math.floor(t / WINDOW_MS) * WINDOW_MS;
        if (ws !== this.windowStartMs) this.closeWindow(ws);
        const end = Math.min(heldUntilMs, ws + WINDOW_MS);
        this.windowKwMs += Math.max(0, this.lastKw) * (end - t);
        this.windowMs += end - t;
        t = end;
      }
      const ws = Math.floor(timeMs / WINDOW_MS) * WINDOW_MS;
      if (ws !== this.windowStartMs) this.closeWindow(ws);
    }
    this.lastMs = timeMs;
    this.lastKw = importKw;
  }

  private closeWindow(nextStartMs: number): void {
    if (Number.isFinite(this.windowStartMs) && this.windowMs > 0) {
      // A window seen only in part (start-up, a gap) counts as what was seen of it.
      const meanKw = this.windowKwMs / this.windowMs;
      this.rollMonth(this.windowStartMs);
      this.monthMaxKw = Math.max(this.monthMaxKw, meanKw);
      if (this.tariff.countsForDemand(this.windowStartMs))
        this.monthPeakKw = Math.max(this.monthPeakKw, meanKw);
    }
    this.windowStartMs = nextStartMs;
    this.windowKwMs = 0;
    this.windowMs = 0;
    this.rollMonth(nextStartMs);
  }

  private rollMonth(timeMs: number): void {
    const m = this.tariff.monthAt(timeMs);
    if (m.key === this.monthKey) return;
    if (this.monthKey) this.ratchet.record(this.monthIndex, this.monthPeakKw);
    if (m.index > this.monthIndex || !this.monthKey) {
      this.monthPeakKw = 0;
      this.monthMaxKw = 0;
    }
    this.monthKey = m.key;
    this.monthIndex = m.index;
  }

  state(): DemandState {
    const billingKw = this.ratchet.billingDemandKw(this.monthIndex, this.monthPeakKw);
    return {
      monthPeakKw: this.monthPeakKw,
      monthMaxKw: this.monthMaxKw,
      monthKey: this.monthKey,
      billingDemandKw: billingKw,
      windowMeanKw: this.windowMs > 0 ? this.windowKwMs / this.windowMs : Math.max(0, this.lastKw),
      windowStartMs: this.windowStartMs,
    };
  }
}
