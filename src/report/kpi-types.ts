// The KPIs of a run as computeKpis (kpis.ts) returns them and `simulate --json` and the simulation
// API send them. This file imports nothing, so the dashboard (web/src/api.ts, SimKpis) imports the type
// instead of copying it; kpis.ts re-exports it.

/** Every KPI of a run. Costs in KRW (bill components include VAT and fund where the bill does), shares 0–1. */
export interface Kpis {
  totalCostKrw: number;
  /** 전력량요금 plus the per-kWh adders (기후환경요금, 연료비조정요금), before VAT and fund. */
  energyCostKrw: number;
  /** 기본요금 on the ratcheted billing demand, prorated to the days simulated. */
  demandChargeKrw: number;
  /** VAT and 전력산업기반기금 on the electricity bill. */
  taxesKrw: number;
  // The bill's components one by one (the scenario table lists each; they add up to totalCostKrw).
  /** 전력량요금 alone, discount included. */
  energyChargeKrw: number;
  /** 기후환경요금. */
  climateEnvironmentKrw: number;
  /** 연료비조정요금 (negative when the adjustment is). */
  fuelCostAdjustmentKrw: number;
  /** 초과사용부가금 (contract-excess penalty). */
  excessDemandPenaltyKrw: number;
  /** 부가가치세. */
  vatKrw: number;
  /** 전력산업기반기금. */
  powerFundKrw: number;
  /** The bill total's truncation to 10 원 (≤ 0): 청구금액 − (전기요금계 + VAT + fund). */
  billRoundingKrw: number;
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
  /** GPU-hours of submitted training work not done when the run ends (SimTotals). */
  trainingUnfinishedGpuHours: number;
  /**
   * What the run's ratchet-month peaks cost after the run: each keeps the billing demand up for 12
   * months, so the months of that window past the run's end are billed on it too (VAT and fund
   * included). The period's own share is in `demandChargeKrw`; this is the rest (newPeakCost).
   */
  peakCostAfterRunKrw: number;
  /** totalCostKrw + peakCostAfterRunKrw: what the run's decisions cost once their peaks are paid for. */
  totalCostWithPeakAfterRunKrw: number;
  /**
   * The energy the training work left unfinished at the run's end still takes, at the run's mean
   * energy price with VAT and fund: work a strategy put off is not work it saved.
   */
  trainingUnfinishedCostKrw: number;
  /** totalCostWithPeakAfterRunKrw + trainingUnfinishedCostKrw: strategies compared on the same work. */
  totalCostComparableKrw: number;
  consumptionKwh: number;
  importKwh: number;
  exportKwh: number;
  pvKwh: number;
  curtailedKwh: number;
  ppaKwh: number;
  importLimitExceededIntervals: number;
}
