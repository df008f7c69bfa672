import { timeAt, type TimeGrid } from '../model/time.ts';
import { RATCHET_WINDOW_MONTHS } from './data/kepco-tou-bands.ts';
import { BAND_CODE, KepcoTariff, type TariffEngine } from './engine.ts';

/** Per-interval tariff arrays for a time grid, read by the simulator, the optimizer and the bill. */
export interface TariffSeries {
  grid: TimeGrid;
  /** energy charge + adders, 원/kWh before VAT and fund. */
  importPriceKrwPerKwh: Float64Array;
  energyChargeKrwPerKwh: Float64Array;
  adderKrwPerKwh: Float64Array;
  exportPriceKrwPerKwh: Float64Array;
  /** 원/kW/month. */
  basicChargeKrwPerKw: Float64Array;
  /** What one more kW of billing-demand peak set in this interval costs, 원/kW (see peakCostKrwPerKw). */
  peakCostKrwPerKw: Float64Array;
  /** 1 where import can set the maximum demand. */
  countsForDemand: Uint8Array;
  /** BAND_CODE: 0 light, 1 mid, 2 peak (after the day rules). */
  band: Uint8Array;
  /** Local billing month: year × 12 + month − 1. */
  monthIndex: Int32Array;
}

export interface PeakCostOptions {
  /** Months a ratchet-month peak keeps the billing demand up; default 12 (the 12-month window). */
  ratchetMonths?: number;
}

/**
 * Approximate cost of raising the billing demand by 1 kW at `timeMs`, 원/kW: 0 outside the demand window;
 * in a ratchet month (Dec–Feb, Jul–Sep) the new peak sets the billing demand of this month and the next 11,
 * so ≈ 12 × the basic unit price; in other months it raises this month's basic charge only. It assumes the
 * new peak is above every other demand in the window and the 30 % floor, and it is not prorated.
 */
export function peakCostKrwPerKw(
  tariff: TariffEngine,
  timeMs: number,
  options: PeakCostOptions = {},
): number {
  if (!tariff.countsForDemand(timeMs)) return 0;
  const months = tariff.isRatchetMonth(tariff.monthAt(timeMs).month)
    ? (options.ratchetMonths ?? RATCHET_WINDOW_MONTHS)
    : 1;
  return months * tariff.basicChargeKrwPerKw(timeMs);
}

export function tariffSeries(
  tariff: TariffEngine,
  grid: TimeGrid,
  options: PeakCostOptions = {},
): TariffSeries {
  const n = grid.count;
  const s: TariffSeries = {
    grid,
    importPriceKrwPerKwh: new Float64Array(n),
    energyChargeKrwPerKwh: new Float64Array(n),
    adderKrwPerKwh: new Float64Array(n),
    exportPriceKrwPerKwh: new Float64Array(n),
    basicChargeKrwPerKw: new Float64Array(n),
    peakCostKrwPerKw: new Float64Array(n),
    countsForDemand: new Uint8Array(n),
    band: new Uint8Array(n),
    monthIndex: new Int32Array(n),
  };
  if (tariff instanceof KepcoTariff) {
    tariff.fillSeries(grid, s, options.ratchetMonths ?? RATCHET_WINDOW_MONTHS);
    return s;
  }
  for (let i = 0; i < n; i++) {
    const t = timeAt(grid, i);
    const energy = tariff.energyChargeKrwPerKwh(t);
    const adder = tariff.adderKrwPerKwh(t);
    s.energyChargeKrwPerKwh[i] = energy;
    s.adderKrwPerKwh[i] = adder;
    s.importPriceKrwPerKwh[i] = energy + adder;
    s.exportPriceKrwPerKwh[i] = tariff.exportPriceKrwPerKwh(t);
    s.basicChargeKrwPerKw[i] = tariff.basicChargeKrwPerKw(t);
    s.countsForDemand[i] = tariff.countsForDemand(t) ? 1 : 0;
    s.band[i] = BAND_CODE[tariff.bandAt(t)];
    s.monthIndex[i] = tariff.monthAt(t).index;
    s.peakCostKrwPerKw[i] = peakCostKrwPerKw(tariff, t, options);
  }
  return s;
}
