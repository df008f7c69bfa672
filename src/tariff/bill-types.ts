// A KEPCO bill as computeBill (bill.ts) returns it. This file imports nothing, so the dashboard
// (web/src/api.ts, GET /api/kpis) imports these types instead of copying them; bill.ts re-exports them.

/** What set a month's billing demand (요금적용전력). */
export type BillingDemandSource = 'current_month' | 'ratchet' | 'history' | 'contract_floor';

/** The import side of a KEPCO bill: demand, the charges and the taxes, over a month or a meter-reading period. */
export interface ImportCharges {
  importKwh: number;
  /** Highest 15-minute average import in the demand window (mid/peak band, not Sunday/holiday), kW. */
  maxDemandKw: number;
  /** Highest 15-minute average import at any hour, kW: the basis of the contract-excess penalty. */
  maxImportKw: number;
  billingDemandKw: number;
  billingDemandSource: BillingDemandSource;
  /** Basic charge unit price over the billed part of the month, 원/kW/month. */
  basicChargeKrwPerKw: number;
  // Components, each truncated to whole 원 per bill (원 미만 절사).
  demandChargeKrw: number;
  energyChargeKrw: number;
  climateEnvironmentKrw: number;
  fuelCostAdjustmentKrw: number;
  excessDemandPenaltyKrw: number;
  /** 전기요금계: the sum of the components above. */
  electricityChargeKrw: number;
  /** 부가가치세: rounded to 원. */
  vatKrw: number;
  /** 전력산업기반기금: truncated to 10 원. */
  powerFundKrw: number;
  /** 청구금액: electricity charge + VAT + fund, truncated to 10 원. */
  importBillKrw: number;
}

export interface MonthBill extends ImportCharges {
  /** Local month YYYY-MM. */
  month: string;
  /** UTC bounds of the whole local month. */
  startMs: number;
  endMs: number;
  /** Share of the month covered by the simulated period (the basic charge is prorated by it). */
  coveredFraction: number;
  exportKwh: number;
  /** SMP × scale × export kWh (no VAT, not rounded). */
  exportRevenueKrw: number;
  co2Kg: number;
}

export interface Bill {
  energyChargeKrw: number;
  demandChargeKrw: number;
  climateEnvironmentKrw: number;
  fuelCostAdjustmentKrw: number;
  excessDemandPenaltyKrw: number;
  vatKrw: number;
  powerFundKrw: number;
  /** What KEPCO bills, taxes included (Σ monthly 청구금액). */
  importBillKrw: number;
  exportRevenueKrw: number;
  /** Highest 15-minute demand in the demand window over the period, kW. */
  peakImportKw: number;
  /** Highest monthly billing demand (요금적용전력), kW. */
  billingDemandKw: number;
  importKwh: number;
  exportKwh: number;
  co2Kg: number;
  months: MonthBill[];
}
