import {
  BILLING_DEMAND_FLOOR_FRACTION,
  RATCHET_MONTHS,
  RATCHET_WINDOW_MONTHS,
} from './data/kepco-tou-bands.ts';

// The billing demand as KEPCO sets it month by month (기본공급약관 제68조): the highest of this month's
// peak, the peaks of ratchet months (Dec–Feb, Jul–Sep) in the 11 months before it, the history peak
// set before records began, and 30 % of the contract. A peak of an ordinary month counts for that
// month only, so it is no headroom for the next. The simulator and the live demand tracker both keep
// their month peaks here, so the billing demand a strategy sees is the one the bill will use.

/** Month index of a local calendar month: year × 12 + month − 1. */
export function monthIndexOf(year: number, month1to12: number): number {
  return year * 12 + month1to12 - 1;
}

export class RatchetBook {
  /** Peaks of ratchet months by month index. */
  private readonly peaksKw = new Map<number, number>();
  private readonly floorKw: number;

  constructor(
    contractDemandKw: number,
    private readonly historyPeakKw: number,
  ) {
    this.floorKw = BILLING_DEMAND_FLOOR_FRACTION * contractDemandKw;
  }

  /** Records a month's peak (a closed month, or the month so far); only ratchet months are kept. */
  record(monthIndex: number, peakKw: number): void {
    if (!(peakKw > 0) || !RATCHET_MONTHS.includes((monthIndex % 12) + 1)) return;
    this.peaksKw.set(monthIndex, Math.max(this.peaksKw.get(monthIndex) ?? 0, peakKw));
  }

  /** What the earlier months and the floor already impose on `monthIndex`, kW (its own peak aside). */
  carriedKw(monthIndex: number): number {
    let kw = Math.max(this.floorKw, this.historyPeakKw);
    for (const [index, peakKw] of this.peaksKw)
      if (index < monthIndex && monthIndex - index < RATCHET_WINDOW_MONTHS) kw = Math.max(kw, peakKw);
    return kw;
  }

  /** The billing demand of `monthIndex` given its own peak so far, kW. */
  billingDemandKw(monthIndex: number, monthPeakKw: number): number {
    return Math.max(monthPeakKw, this.carriedKw(monthIndex));
  }
}
