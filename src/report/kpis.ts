import type { District } from '../sim/district.ts';
import type { SimResult } from '../sim/engine.ts';
import { computeBill, type Bill } from '../tariff/index.ts';

/** Every KPI of a run. Costs in KRW (bill components include VAT and fund where the bill does), shares 0–1. */
export interface Kpis {
  totalCostKrw: number;
  /** 전력량요금 plus the per-kWh adders (기후환경요금, 연료비조정요금), before VAT and fund. */
  energyCostKrw: number;
  /** 기본요금 on the ratcheted billing demand, prorated to the days simulated. */
  demandChargeKrw: number;
  /** VAT and 전력산업기반기금 on the electricity bill. */
  taxesKrw: number;
  exportRevenueKrw: number;
  ppaCostKrw: number;
  certificateCostKrw: number;
  batteryDegradationCostKrw: number;
  peakImportKw: number;
  billingDemandKw: number;
  selfSufficiency: number;
  selfConsumption: number;
  re100AnnualShare: number;
  re100HourlyMatching: number;
  co2Kg: number;
  batteryCycles: number;
  evUnmetKwh: number;
  busUnmetKwh: number;
  trainingDeadlineMisses: number;
  trainingLateGpuHours: number;
  consumptionKwh: number;
  importKwh: number;
  exportKwh: number;
  pvKwh: number;
  curtailedKwh: number;
  ppaKwh: number;
  importLimitExceededIntervals: number;
}

export interface KpiResult {
  kpis: Kpis;
  bill: Bill;
}

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

  let consumptionKwh = 0;
  let pvKwh = 0;
  let localCleanKwh = 0;
  let ppaKwh = 0;
  let matchedKwh = 0;
  // Hourly RE100 matching: clean supply and consumption summed per clock hour, then matched.
  const perHour = Math.max(1, Math.round(60 / d.grid.intervalMinutes));
  let hourConsKwh = 0;
  let hourCleanKwh = 0;
  for (let i = 0; i < n; i++) {
    const consKwh = (s.loadKw[i] + s.evKw[i] + s.busKw[i] + s.datacenterKw[i]) * dt;
    consumptionKwh += consKwh;
    pvKwh += s.pvKw[i] * dt;
    localCleanKwh += s.localCleanKw[i] * dt;
    ppaKwh += d.ppaKw[i] * dt;
    hourConsKwh += consKwh;
    hourCleanKwh += (s.localCleanKw[i] + d.ppaKw[i]) * dt;
    if ((i + 1) % perHour === 0 || i === n - 1) {
      matchedKwh += Math.min(hourConsKwh, hourCleanKwh);
      hourConsKwh = 0;
      hourCleanKwh = 0;
    }
  }
  const c = d.scenario.contracts;
  const certShare = c.certificates?.annual_share ?? 0;
  const certificateCostKrw = c.certificates
    ? (certShare * consumptionKwh * c.certificates.price_krw_per_mwh) / 1000
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
  const kpis: Kpis = {
    totalCostKrw:
      bill.importBillKrw - bill.exportRevenueKrw + ppaCostKrw + certificateCostKrw + degradationKrw,
    energyCostKrw,
    demandChargeKrw: bill.demandChargeKrw,
    taxesKrw,
    exportRevenueKrw: bill.exportRevenueKrw,
    ppaCostKrw,
    certificateCostKrw,
    batteryDegradationCostKrw: degradationKrw,
    peakImportKw: bill.peakImportKw,
    billingDemandKw: bill.billingDemandKw,
    selfSufficiency: consumptionKwh > 0 ? Math.max(0, 1 - bill.importKwh / consumptionKwh) : 0,
    selfConsumption: pvKwh > 0 ? Math.max(0, (pvKwh - bill.exportKwh) / pvKwh) : 0,
    re100AnnualShare:
      consumptionKwh > 0 ? Math.min(1, (localCleanKwh + ppaKwh) / consumptionKwh + certShare) : 0,
    re100HourlyMatching: consumptionKwh > 0 ? matchedKwh / consumptionKwh : 0,
    co2Kg: bill.co2Kg,
    batteryCycles: capacityKwh > 0 ? r.totals.batteryThroughputKwh / 2 / capacityKwh : 0,
    evUnmetKwh: r.totals.evUnmetKwh,
    busUnmetKwh: r.totals.busUnmetKwh,
    trainingDeadlineMisses: r.totals.trainingDeadlineMisses,
    trainingLateGpuHours: r.totals.trainingLateGpuHours,
    consumptionKwh,
    importKwh: bill.importKwh,
    exportKwh: bill.exportKwh,
    pvKwh,
    curtailedKwh: r.totals.curtailedKwh,
    ppaKwh,
    importLimitExceededIntervals: r.totals.importLimitExceededIntervals,
  };
  return { kpis, bill };
}
