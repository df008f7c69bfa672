import type { District } from '../sim/district.ts';
import type { SimResult } from '../sim/engine.ts';
import { computeBill, type Bill } from '../tariff/index.ts';
import type { Ledger } from '../ledger/index.ts';
import { simLedger } from './ledger-sim.ts';
import { DEMAND_INTERVAL_MINUTES, RATCHET_MONTHS } from '../tariff/index.ts';
import { RATCHET_WINDOW_MONTHS } from '../tariff/data/kepco-tou-bands.ts';
import { RatchetBook, monthIndexOf } from '../tariff/ratchet.ts';
import type { Kpis } from './kpi-types.ts';

export type { Kpis };

const KWH_PER_MWH = 1000;

export interface KpiResult {
  kpis: Kpis;
  bill: Bill;
  /** The hourly RE100 ledger the two RE100 KPIs come from. */
  ledger: Ledger;
}

/**
 * The cost rows of the scenario table, each with the sign it enters the total with: they add up to
 * `totalCostKrw` exactly (tested), so no part of the total goes unexplained.
 */
export const COST_COMPONENTS: readonly { key: keyof Kpis; sign: 1 | -1 }[] = [
  { key: 'energyChargeKrw', sign: 1 },
  { key: 'climateEnvironmentKrw', sign: 1 },
  { key: 'fuelCostAdjustmentKrw', sign: 1 },
  { key: 'demandChargeKrw', sign: 1 },
  { key: 'excessDemandPenaltyKrw', sign: 1 },
  { key: 'vatKrw', sign: 1 },
  { key: 'powerFundKrw', sign: 1 },
  { key: 'billRoundingKrw', sign: 1 },
  { key: 'exportRevenueKrw', sign: -1 },
  { key: 'ppaCostKrw', sign: 1 },
  { key: 'certificateCostKrw', sign: 1 },
  { key: 'batteryDegradationCostKrw', sign: 1 },
];

export function computeKpis(d: District, r: SimResult): KpiResult {
  const s = r.series;
  const n = d.grid.count;
  const dt = d.intervalHours;
  const bill = computeBill(
    { grid: d.grid, importKw: s.importKw, exportKw: s.exportKw, series: d.prices },
    d.tariff,
    d.scenario.grid,
    d.zone,
  );

  // Consumption, PV used, PPA and the two RE100 scores come from the ledger: one definition for
  // simulate, the API and the dashboard (src/ledger).
  const ledger = simLedger(d, r);
  const t = ledger.totals;
  const consumptionKwh = t.consumptionKwh;
  const ppaKwh = t.ppaDeliveredKwh;
  let pvKwh = 0;
  for (let i = 0; i < n; i++) pvKwh += s.pvKw[i] * dt;
  const c = d.scenario.contracts;
  const certificateCostKrw = c.certificates
    ? (t.certificatesKwh * c.certificates.price_krw_per_mwh) / KWH_PER_MWH
    : 0;
  const ppaCostKrw = c.ppa ? ppaKwh * c.ppa.price_krw_per_kwh : 0;
  let degradationKrw = 0;
  let capacityKwh = 0;
  for (const b of d.batteries) capacityKwh += b.cfg.capacity_kwh;
  // Wear is priced per battery: its own throughput (charge and discharge) at its own cost per kWh.
  for (const b of d.batteries) {
    const series = s.byAsset.get(b.id);
    if (!series) continue;
    let kwh = 0;
    for (let i = 0; i < n; i++) kwh += Math.abs(series[i]) * dt;
    degradationKrw += kwh * b.cfg.degradation_cost_krw_per_kwh;
  }
  const energyCostKrw = bill.energyChargeKrw + bill.climateEnvironmentKrw + bill.fuelCostAdjustmentKrw;
  const taxesKrw = bill.vatKrw + bill.powerFundKrw;
  let electricityChargeKrw = 0;
  for (const m of bill.months) electricityChargeKrw += m.electricityChargeKrw;
  const billRoundingKrw = bill.importBillKrw - (electricityChargeKrw + taxesKrw);
  const totalCostKrw =
    bill.importBillKrw - bill.exportRevenueKrw + ppaCostKrw + certificateCostKrw + degradationKrw;
  const peakCostAfterRunKrw = peakCostAfterRun(d, s.importKw);
  const tariff = d.scenario.grid.tariff;
  const meanEnergyKrwPerKwh =
    bill.importKwh > 0
      ? (energyCostKrw / bill.importKwh) * (1 + tariff.vat_fraction + tariff.power_fund_fraction)
      : 0;
  const trainingUnfinishedCostKrw = r.totals.trainingUnfinishedKwh * meanEnergyKrwPerKwh;
  const kpis: Kpis = {
    totalCostKrw,
    energyCostKrw,
    demandChargeKrw: bill.demandChargeKrw,
    taxesKrw,
    energyChargeKrw: bill.energyChargeKrw,
    climateEnvironmentKrw: bill.climateEnvironmentKrw,
    fuelCostAdjustmentKrw: bill.fuelCostAdjustmentKrw,
    excessDemandPenaltyKrw: bill.excessDemandPenaltyKrw,
    vatKrw: bill.vatKrw,
    powerFundKrw: bill.powerFundKrw,
    billRoundingKrw,
    exportRevenueKrw: bill.exportRevenueKrw,
    ppaCostKrw,
    certificateCostKrw,
    batteryDegradationCostKrw: degradationKrw,
    peakImportKw: bill.peakImportKw,
    billingDemandKw: bill.billingDemandKw,
    selfSufficiency: consumptionKwh > 0 ? Math.max(0, 1 - bill.importKwh / consumptionKwh) : 0,
    selfConsumption: pvKwh > 0 ? Math.max(0, (pvKwh - bill.exportKwh) / pvKwh) : 0,
    re100AnnualShare: t.annualMatchingShare,
    re100HourlyMatching: t.hourlyMatchingShare,
    co2Kg: bill.co2Kg,
    batteryCycles: capacityKwh > 0 ? r.totals.batteryThroughputKwh / 2 / capacityKwh : 0,
    evUnmetKwh: r.totals.evUnmetKwh,
    busUnmetKwh: r.totals.busUnmetKwh,
    trainingDeadlineMisses: r.totals.trainingDeadlineMisses,
    trainingLateGpuHours: r.totals.trainingLateGpuHours,
    trainingUnfinishedGpuHours: r.totals.trainingUnfinishedGpuHours,
    peakCostAfterRunKrw,
    totalCostWithPeakAfterRunKrw: totalCostKrw + peakCostAfterRunKrw,
    trainingUnfinishedCostKrw,
    totalCostComparableKrw: totalCostKrw + peakCostAfterRunKrw + trainingUnfinishedCostKrw,
    consumptionKwh,
    importKwh: bill.importKwh,
    exportKwh: bill.exportKwh,
    pvKwh,
    curtailedKwh: r.totals.curtailedKwh,
    ppaKwh,
    importLimitExceededIntervals: r.totals.importLimitExceededIntervals,
  };
  return { kpis, bill, ledger };
}

/**
 * KRW the run's peaks cost in the months after it (VAT and fund included): a ratchet-month peak
 * (Dec–Feb, Jul–Sep) sets the billing demand of its month and the 11 after it (tariff/ratchet.ts);
 * every such month past the run's end pays the basic charge on what that peak adds above what the
 * history peak and the contract floor already impose. Peaks of other months end with their month.
 */
export function peakCostAfterRun(d: District, importKw: ArrayLike<number>): number {
  const g = d.scenario.grid;
  const w = Math.max(1, Math.round(DEMAND_INTERVAL_MINUTES / d.grid.intervalMinutes));
  const peaks = new Map<number, { kw: number; basicKrwPerKw: number }>();
  let lastMonth = -Infinity;
  for (let i = 0; i + w <= d.grid.count; i += w) {
    const last = i + w - 1;
    const lt = d.local[last];
    const month = monthIndexOf(lt.year, lt.month);
    lastMonth = Math.max(lastMonth, month);
    if (!d.prices.countsForDemand[last] || !RATCHET_MONTHS.includes(lt.month)) continue;
    let sum = 0;
    for (let k = i; k <= last; k++) sum += importKw[k];
    const kw = sum / w;
    const seen = peaks.get(month);
    if (!seen || kw > seen.kw) peaks.set(month, { kw, basicKrwPerKw: d.prices.basicChargeKrwPerKw[last] });
  }
  const carriedKw = new RatchetBook(g.contract_demand_kw, g.tariff.ratchet_history_peak_kw).carriedKw(0);
  const taxFactor = 1 + g.tariff.vat_fraction + g.tariff.power_fund_fraction;
  let krw = 0;
  for (let f = lastMonth + 1; f < lastMonth + RATCHET_WINDOW_MONTHS; f++) {
    let top: { kw: number; basicKrwPerKw: number } | undefined;
    for (const [m, p] of peaks) if (f - m < RATCHET_WINDOW_MONTHS && (!top || p.kw > top.kw)) top = p;
    if (top && top.kw > carriedKw) krw += (top.kw - carriedKw) * top.basicKrwPerKw * taxFactor;
  }
  return krw;
}
