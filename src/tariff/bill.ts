import type { GridConfig } from '../model/schema.ts';
import { intervalMs, MS_PER_HOUR, MS_PER_MINUTE, timeAt, type TimeGrid } from '../model/time.ts';
import {
  BILLING_DEMAND_FLOOR_FRACTION,
  DEMAND_INTERVAL_MINUTES,
  EXCESS_PENALTY_TIERS,
  RATCHET_WINDOW_MONTHS,
} from './data/kepco-tou-bands.ts';
import type { TariffEngine } from './engine.ts';
import { tariffSeries, type TariffSeries } from './series.ts';
import type { Bill, BillingDemandSource, ImportCharges, MonthBill } from './bill-types.ts';

export type { Bill, BillingDemandSource, ImportCharges, MonthBill };

export interface BillInput {
  grid: TimeGrid;
  /** Grid import per interval, kW (≥ 0). */
  importKw: ArrayLike<number>;
  /** Grid export per interval, kW (≥ 0). */
  exportKw: ArrayLike<number>;
  /** Precomputed tariffSeries(tariff, grid), to skip recomputing it. */
  series?: TariffSeries;
}

/** Values this far below zero are taken as rounding noise and read as 0; anything lower is an error. */
const NEGATIVE_NOISE_KW = 1e-6;
const DEMAND_MS = DEMAND_INTERVAL_MINUTES * MS_PER_MINUTE;

/**
 * VAT and 전력산업기반기금 on one monthly 전기요금계 (already whole 원): VAT rounded to 원, fund truncated to
 * 10 원, bill total truncated to 10 원 (KEPCO bill example quoted in GitHub `dugurs/kwh_to_won_general`).
 */
export function monthlyTaxes(
  electricityChargeKrw: number,
  vatFraction: number,
  powerFundFraction: number,
): { vatKrw: number; powerFundKrw: number; importBillKrw: number } {
  // Products rounded to 1e-6 first so 42,710 × 0.1 does not land on 4,270.999… by binary rounding.
  const product = (fraction: number) => Math.round(electricityChargeKrw * fraction * 1e6) / 1e6;
  const vatKrw = Math.round(product(vatFraction));
  const powerFundKrw = Math.floor(product(powerFundFraction) / 10) * 10;
  const importBillKrw = Math.floor((electricityChargeKrw + vatKrw + powerFundKrw) / 10) * 10;
  return { vatKrw, powerFundKrw, importBillKrw };
}

/** 초과사용부가금 multiplier for an excess ratio (excess ÷ contract); 0 when there is no excess. */
export function excessPenaltyMultiplier(excessRatio: number): number {
  if (!(excessRatio > 0)) return 0;
  // Division noise (12,000 / 10,000 − 1 = 0.19999…) must not drop a ratio into the tier below.
  const ratio = Math.round(excessRatio * 1e9) / 1e9;
  let multiplier = 0;
  for (const [lowest, m] of EXCESS_PENALTY_TIERS) if (ratio >= lowest) multiplier = m;
  return multiplier;
}

interface MonthAcc {
  index: number;
  month: number;
  key: string;
  startMs: number;
  endMs: number;
  coveredMs: number;
  basicPriceTimeSum: number;
  importKwh: number;
  exportKwh: number;
  energyKrw: number;
  exportKrw: number;
  maxDemandKw: number;
  maxImportKw: number;
}

function power(values: ArrayLike<number>, i: number, name: string): number {
  const v = values[i];
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new RangeError(`${name}[${i}] is not a finite number: ${v}`);
  if (v < 0) {
    if (v < -NEGATIVE_NOISE_KW)
      throw new RangeError(`${name}[${i}] is negative (${v} kW): give import and export as magnitudes`);
    return 0;
  }
  return v;
}

function checkInput(input: BillInput, tariff: TariffEngine, gridConfig: GridConfig, zone: string): void {
  const { grid } = input;
  if (input.importKw.length !== grid.count || input.exportKw.length !== grid.count) {
    throw new RangeError(
      `computeBill: importKw (${input.importKw.length}) and exportKw (${input.exportKw.length}) must have ` +
        `one value per interval (${grid.count})`,
    );
  }
  if (zone !== tariff.zone)
    throw new RangeError(`computeBill: zone "${zone}" differs from the tariff's "${tariff.zone}"`);
  const a = tariff.config;
  const b = gridConfig.tariff;
  if (
    a.plan !== b.plan ||
    a.voltage !== b.voltage ||
    a.option !== b.option ||
    a.climate_environment_krw_per_kwh !== b.climate_environment_krw_per_kwh ||
    a.fuel_cost_adjustment_krw_per_kwh !== b.fuel_cost_adjustment_krw_per_kwh
  ) {
    throw new RangeError('computeBill: the tariff engine was created from a different grid.tariff');
  }
  const s = input.series;
  if (
    s &&
    (s.grid.startMs !== grid.startMs ||
      s.grid.intervalMinutes !== grid.intervalMinutes ||
      s.grid.count !== grid.count)
  ) {
    throw new RangeError('computeBill: series was computed for a different time grid');
  }
}

/** A new month's accumulator, for the billing month `bm` of the tariff. */
function openMonth(bm: ReturnType<TariffEngine['monthAt']>): MonthAcc {
  return {
    index: bm.index,
    month: bm.month,
    key: bm.key,
    startMs: bm.startMs,
    endMs: bm.endMs,
    coveredMs: 0,
    basicPriceTimeSum: 0,
    importKwh: 0,
    exportKwh: 0,
    energyKrw: 0,
    exportKrw: 0,
    maxDemandKw: 0,
    maxImportKw: 0,
  };
}

/**
 * Per billing month: energy, prices times energy, basic-price time and the 15-minute demand peaks
 * (all import, and the import in hours that count for demand) of the metered profile.
 */
function accumulateMonths(input: BillInput, tariff: TariffEngine, series: TariffSeries): MonthAcc[] {
  const { grid, importKw, exportKw } = input;
  const stepMs = intervalMs(grid);
  const hours = stepMs / MS_PER_HOUR;
  const months: MonthAcc[] = [];
  let cur: MonthAcc | undefined;

  const sample = (m: MonthAcc, kw: number, counts: boolean) => {
    if (kw > m.maxImportKw) m.maxImportKw = kw;
    if (counts && kw > m.maxDemandKw) m.maxDemandKw = kw;
  };
  // Sub-15-minute data: accumulate kW·ms into aligned 15-minute blocks (10-minute intervals straddle blocks).
  let blockStart = NaN;
  let blockKwMs = 0;
  let blockMs = 0;
  let blockMonth: MonthAcc | undefined;
  let blockCounts = false;
  const flush = () => {
    if (blockMonth && blockMs > 0) sample(blockMonth, blockKwMs / blockMs, blockCounts);
    blockKwMs = 0;
    blockMs = 0;
  };

  for (let i = 0; i < grid.count; i++) {
    const t = timeAt(grid, i);
    const imp = power(importKw, i, 'importKw');
    const exp = power(exportKw, i, 'exportKw');
    const mi = series.monthIndex[i];
    if (!cur || cur.index !== mi) {
      cur = openMonth(tariff.monthAt(t));
      months.push(cur);
    }
    const importKwh = imp * hours;
    const exportKwh = exp * hours;
    cur.importKwh += importKwh;
    cur.exportKwh += exportKwh;
    cur.energyKrw += importKwh * series.energyChargeKrwPerKwh[i];
    cur.exportKrw += exportKwh * series.exportPriceKrwPerKwh[i];
    cur.basicPriceTimeSum += series.basicChargeKrwPerKw[i] * stepMs;
    cur.coveredMs += stepMs;
    const counts = series.countsForDemand[i] === 1;
    if (stepMs >= DEMAND_MS) {
      // 15 min or coarser: the interval average is the demand sample (a coarser average can only be lower).
      sample(cur, imp, counts);
    } else {
      const end = t + stepMs;
      for (let a = t; a < end;) {
        const bs = Math.floor(a / DEMAND_MS) * DEMAND_MS;
        if (bs !== blockStart) {
          flush();
          blockStart = bs;
          blockMonth = cur;
          blockCounts = counts;
        }
        const b = Math.min(end, bs + DEMAND_MS);
        blockKwMs += imp * (b - a);
        blockMs += b - a;
        a = b;
      }
    }
  }
  flush();
  return months;
}

/**
 * The demand month `k` is billed on, and why: its own peak, a higher one of the ratchet months in
 * the window before it, the peak before the run while the window reaches back before it, or the
 * contract floor.
 */
function billingDemand(
  months: readonly MonthAcc[],
  k: number,
  tariff: TariffEngine,
  gridConfig: GridConfig,
): { billingDemandKw: number; source: BillingDemandSource } {
  const m = months[k];
  let billingDemandKw = m.maxDemandKw;
  let source: BillingDemandSource = 'current_month';
  for (let j = k - 1; j >= 0 && m.index - months[j].index < RATCHET_WINDOW_MONTHS; j--) {
    if (tariff.isRatchetMonth(months[j].month) && months[j].maxDemandKw > billingDemandKw) {
      billingDemandKw = months[j].maxDemandKw;
      source = 'ratchet';
    }
  }
  // The history peak was set before the run: it stays in the window while that window reaches back
  // before the first simulated month (the run's first 11 months).
  const historyPeakKw = gridConfig.tariff.ratchet_history_peak_kw;
  if (m.index - months[0].index < RATCHET_WINDOW_MONTHS - 1 && historyPeakKw > billingDemandKw) {
    billingDemandKw = historyPeakKw;
    source = 'history';
  }
  const floorKw = BILLING_DEMAND_FLOOR_FRACTION * gridConfig.contract_demand_kw;
  if (floorKw > billingDemandKw) {
    billingDemandKw = floorKw;
    source = 'contract_floor';
  }
  return { billingDemandKw, source };
}

/**
 * The electricity charge of one bill (a calendar month or a meter-reading period), component by
 * component, each truncated to the won as KEPCO prints it: the demand charge, energy, the climate and
 * fuel adders, and the contract-excess penalty (초과사용부가금) on the highest 15-minute import.
 */
export function electricityCharges(o: {
  /** Demand charge before truncation, 원. */
  demandChargeKrw: number;
  /** Energy charge before truncation, 원. */
  energyKrw: number;
  importKwh: number;
  maxImportKw: number;
  contractKw: number;
  /** Basic charge the excess penalty is priced at, 원/kW. */
  basicChargeKrwPerKw: number;
  tariff: GridConfig['tariff'];
}) {
  const excessKw = o.maxImportKw - o.contractKw;
  const penalty =
    excessKw > 0 ? excessKw * o.basicChargeKrwPerKw * excessPenaltyMultiplier(excessKw / o.contractKw) : 0;
  const demandChargeKrw = Math.trunc(o.demandChargeKrw);
  const energyChargeKrw = Math.trunc(o.energyKrw);
  const climateEnvironmentKrw = Math.trunc(o.importKwh * o.tariff.climate_environment_krw_per_kwh);
  const fuelCostAdjustmentKrw = Math.trunc(o.importKwh * o.tariff.fuel_cost_adjustment_krw_per_kwh);
  const excessDemandPenaltyKrw = Math.trunc(penalty);
  const electricityChargeKrw =
    demandChargeKrw +
    energyChargeKrw +
    climateEnvironmentKrw +
    fuelCostAdjustmentKrw +
    excessDemandPenaltyKrw;
  return {
    demandChargeKrw,
    energyChargeKrw,
    climateEnvironmentKrw,
    fuelCostAdjustmentKrw,
    excessDemandPenaltyKrw,
    electricityChargeKrw,
  };
}

/** One month's bill: demand and energy charges, adders, the contract-excess penalty, VAT and fund. */
function monthBill(
  months: readonly MonthAcc[],
  k: number,
  tariff: TariffEngine,
  gridConfig: GridConfig,
): MonthBill {
  const m = months[k];
  const { tariff: tc, contract_demand_kw: contractKw } = gridConfig;
  const { billingDemandKw, source } = billingDemand(months, k, tariff, gridConfig);
  const monthMs = m.endMs - m.startMs;
  const coveredFraction = m.coveredMs / monthMs;
  const unitPrice = m.basicPriceTimeSum / m.coveredMs;
  const charges = electricityCharges({
    demandChargeKrw: (billingDemandKw * m.basicPriceTimeSum) / monthMs,
    energyKrw: m.energyKrw,
    importKwh: m.importKwh,
    maxImportKw: m.maxImportKw,
    contractKw,
    basicChargeKrwPerKw: unitPrice,
    tariff: tc,
  });
  const taxes = monthlyTaxes(charges.electricityChargeKrw, tc.vat_fraction, tc.power_fund_fraction);
  return {
    month: m.key,
    startMs: m.startMs,
    endMs: m.endMs,
    coveredFraction,
    importKwh: m.importKwh,
    exportKwh: m.exportKwh,
    maxDemandKw: m.maxDemandKw,
    maxImportKw: m.maxImportKw,
    billingDemandKw,
    billingDemandSource: source,
    basicChargeKrwPerKw: unitPrice,
    ...charges,
    ...taxes,
    exportRevenueKrw: m.exportKrw,
    co2Kg: m.importKwh * gridConfig.emission_factor_kg_per_kwh,
  };
}

/** The bill over all months: sums, and the highest peak and billing demand of any month. */
function billOfMonths(monthBills: MonthBill[]): Bill {
  const sum = (f: (m: MonthBill) => number) => monthBills.reduce((s, m) => s + f(m), 0);
  const max = (f: (m: MonthBill) => number) => monthBills.reduce((s, m) => Math.max(s, f(m)), 0);
  return {
    energyChargeKrw: sum((m) => m.energyChargeKrw),
    demandChargeKrw: sum((m) => m.demandChargeKrw),
    climateEnvironmentKrw: sum((m) => m.climateEnvironmentKrw),
    fuelCostAdjustmentKrw: sum((m) => m.fuelCostAdjustmentKrw),
    excessDemandPenaltyKrw: sum((m) => m.excessDemandPenaltyKrw),
    vatKrw: sum((m) => m.vatKrw),
    powerFundKrw: sum((m) => m.powerFundKrw),
    importBillKrw: sum((m) => m.importBillKrw),
    exportRevenueKrw: sum((m) => m.exportRevenueKrw),
    peakImportKw: max((m) => m.maxDemandKw),
    billingDemandKw: max((m) => m.billingDemandKw),
    importKwh: sum((m) => m.importKwh),
    exportKwh: sum((m) => m.exportKwh),
    co2Kg: sum((m) => m.co2Kg),
    months: monthBills,
  };
}

/**
 * The KEPCO bill of a metered import/export profile: energy and basic (demand) charges per local calendar
 * month with the 12-month ratchet, adders, contract-excess penalty, VAT and fund; SMP export revenue; CO₂.
 * `gridConfig` must be the grid the tariff engine was created from (it supplies contract demand, ratchet
 * history, taxes and the emission factor).
 */
export function computeBill(
  input: BillInput,
  tariff: TariffEngine,
  gridConfig: GridConfig,
  zone: string,
): Bill {
  checkInput(input, tariff, gridConfig, zone);
  const series = input.series ?? tariffSeries(tariff, input.grid);
  const months = accumulateMonths(input, tariff, series);
  return billOfMonths(months.map((_, k) => monthBill(months, k, tariff, gridConfig)));
}
