import type { District } from './district.ts';
import type { LocalTime } from '../model/time.ts';
import { DEMAND_INTERVAL_MINUTES } from '../tariff/index.ts';
import { RatchetBook, monthIndexOf } from '../tariff/ratchet.ts';

/**
 * The month's peak import in 15-minute windows within demand-charge hours, and the billing demand
 * the ratchet makes of it: what a strategy sees of the demand charge so far. Also the month's highest
 * 15-minute import at any hour, the contract-excess penalty's basis.
 */
export class DemandTracker {
  monthPeakKw = 0;
  monthMaxKw = 0;
  billingDemandKw: number;
  private readonly windowIntervals: number;
  private readonly ratchet: RatchetBook;
  private monthIndex = -1;
  private windowSumKw = 0;
  private windowCount = 0;

  constructor(d: District) {
    this.windowIntervals = Math.max(1, Math.round(DEMAND_INTERVAL_MINUTES / d.grid.intervalMinutes));
    this.ratchet = new RatchetBook(
      d.scenario.grid.contract_demand_kw,
      d.scenario.grid.tariff.ratchet_history_peak_kw,
    );
    this.billingDemandKw = this.ratchet.carriedKw(0);
  }

  /** A new month: its billing demand starts from what the ratchet months before it carry. */
  startInterval(lt: LocalTime): void {
    if (monthIndexOf(lt.year, lt.month) === this.monthIndex) return;
    this.ratchet.record(this.monthIndex, this.monthPeakKw);
    this.monthIndex = monthIndexOf(lt.year, lt.month);
    this.monthPeakKw = 0;
    this.monthMaxKw = 0;
    this.billingDemandKw = this.ratchet.billingDemandKw(this.monthIndex, this.monthPeakKw);
  }

  /** Adds an interval's import; a window that closes within demand-charge hours may set the peak. */
  record(importKw: number, countsForDemand: boolean): void {
    this.windowSumKw += importKw;
    this.windowCount++;
    if (this.windowCount !== this.windowIntervals) return;
    const avgKw = this.windowSumKw / this.windowCount;
    this.monthMaxKw = Math.max(this.monthMaxKw, avgKw);
    if (countsForDemand) {
      this.monthPeakKw = Math.max(this.monthPeakKw, avgKw);
      this.billingDemandKw = Math.max(this.billingDemandKw, this.monthPeakKw);
    }
    this.windowSumKw = 0;
    this.windowCount = 0;
  }
}
