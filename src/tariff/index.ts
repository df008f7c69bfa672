export { createTariff, BAND_CODE, BAND_OF_CODE } from './engine.ts';
export type { TariffEngine, BillingMonth } from './engine.ts';
export type { Band, Season, Voltage, RateOption } from './data/types.ts';
export type { ScheduleId, Plan } from './schedules.ts';
export { SCHEDULE_IDS } from './schedules.ts';
export { tariffSeries, peakCostKrwPerKw } from './series.ts';
export type { TariffSeries, PeakCostOptions } from './series.ts';
export { computeBill, monthlyTaxes, excessPenaltyMultiplier } from './bill.ts';
export type { Bill, MonthBill, BillInput, BillingDemandSource } from './bill.ts';
export { SMP_PROFILES } from './smp.ts';
export type { SmpProfile, SmpProfileName } from './smp.ts';
export {
  RATCHET_MONTHS,
  BILLING_DEMAND_FLOOR_FRACTION,
  DEMAND_INTERVAL_MINUTES,
  EXCESS_PENALTY_TIERS,
} from './data/kepco-tou-bands.ts';
export { computePeriodBill, billingPeriod, MAX_METER_READING_DAY } from './period-bill.ts';
export type { PeriodBill } from './period-bill.ts';
