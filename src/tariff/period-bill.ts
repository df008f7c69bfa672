import { DateTime } from 'luxon';
import type { GridConfig } from '../model/schema.ts';
import { intervalMs, MS_PER_HOUR, timeAt } from '../model/time.ts';
import type { Band } from './data/types.ts';
import { BILLING_DEMAND_FLOOR_FRACTION, DEMAND_INTERVAL_MINUTES } from './data/kepco-tou-bands.ts';
import {
  electricityCharges,
  monthlyTaxes,
  type BillInput,
  type BillingDemandSource,
  type ImportCharges,
} from './bill.ts';
import { BAND_OF_CODE, type TariffEngine } from './engine.ts';
import { tariffSeries } from './series.ts';

// One KEPCO bill over a meter-reading period (검침 기간) rather than a calendar month: what a customer
// actually receives. computeBill keeps calendar months for simulations; reconciliation needs this.

/** Last day a meter-reading day can fall on (KEPCO reads on fixed days 1–28 or the month's end). */
export const MAX_METER_READING_DAY = 31;

/**
 * The billing period of a bill for `billingMonth` (YYYY-MM) with meter-reading day `meterReadingDay`:
 * from that day of the previous month, 00:00 local, to that day of the billing month, 00:00 (exclusive),
 * i.e. the usage read on the meter-reading day. A day past a month's end is that month's last day
 * (luxon clamps: day 31 in a 30-day month is the 30th).
 */
export function billingPeriod(
  billingMonth: string,
  meterReadingDay: number,
  zone: string,
): { startMs: number; endMs: number } {
  if (!/^\d{4}-\d{2}$/.test(billingMonth))
    throw new RangeError(`billing month "${billingMonth}" is not YYYY-MM`);
  if (!Number.isInteger(meterReadingDay) || meterReadingDay < 1 || meterReadingDay > MAX_METER_READING_DAY)
    throw new RangeError(`meter-reading day ${meterReadingDay} is not a day of the month (1–31)`);
  const month = DateTime.fromISO(`${billingMonth}-01`, { zone });
  if (!month.isValid) throw new RangeError(`billing month "${billingMonth}": ${month.invalidExplanation}`);
  const dayIn = (m: DateTime) => m.set({ day: Math.min(meterReadingDay, m.daysInMonth!) });
  return { startMs: dayIn(month.minus({ months: 1 })).toMillis(), endMs: dayIn(month).toMillis() };
}

/**
 * A bill over one meter-reading period; its basic unit price is time-weighted over the period (a schedule
 * change inside it is split).
 */
export interface PeriodBill extends ImportCharges {
  startMs: number;
  endMs: number;
  /** Import per band after the day rules (Sundays and holidays light, Saturday peak billed as mid). */
  kwhByBand: Record<Band, number>;
}

/**
 * The bill of the metered import over one meter-reading period. The input grid must cover exactly the
 * period at 15 minutes or coarser (the demand is the 15-minute average; resample finer data first).
 * Billing demand = max(the period's maximum demand; `ratchet_history_peak_kw`, standing for the ratchet
 * months of the previous 11 periods; 30 % of contract demand). The basic charge is the whole month's,
 * not prorated: the period is the month.
 */
export function computePeriodBill(
  input: BillInput,
  tariff: TariffEngine,
  gridConfig: GridConfig,
  period: { startMs: number; endMs: number },
): PeriodBill {
  const { grid } = input;
  const stepMs = intervalMs(grid);
  if (grid.intervalMinutes < DEMAND_INTERVAL_MINUTES)
    throw new RangeError(
      `period bill: ${grid.intervalMinutes}-minute data; give ${DEMAND_INTERVAL_MINUTES}-minute averages or coarser`,
    );
  if (grid.startMs !== period.startMs || timeAt(grid, grid.count) !== period.endMs)
    throw new RangeError('period bill: the metered grid must cover exactly the billing period');
  if (input.importKw.length !== grid.count)
    throw new RangeError(`period bill: ${input.importKw.length} import values for ${grid.count} intervals`);
  const series = input.series ?? tariffSeries(tariff, grid);
  const hours = stepMs / MS_PER_HOUR;
  const kwhByBand: Record<Band, number> = { light: 0, mid: 0, peak: 0 };
  let importKwh = 0;
  let energyKrw = 0;
  let maxDemandKw = 0;
  let maxImportKw = 0;
  let basicPriceSum = 0;
  for (let i = 0; i < grid.count; i++) {
    const kw = input.importKw[i];
    if (!Number.isFinite(kw) || kw < 0)
      throw new RangeError(`period bill: import at interval ${i} is ${kw} kW (need a finite value ≥ 0)`);
    const kwh = kw * hours;
    importKwh += kwh;
    kwhByBand[BAND_OF_CODE[series.band[i]]] += kwh;
    energyKrw += kwh * series.energyChargeKrwPerKwh[i];
    basicPriceSum += series.basicChargeKrwPerKw[i];
    if (kw > maxImportKw) maxImportKw = kw;
    if (series.countsForDemand[i] === 1 && kw > maxDemandKw) maxDemandKw = kw;
  }
  const tc = gridConfig.tariff;
  const contractKw = gridConfig.contract_demand_kw;
  let billingDemandKw = maxDemandKw;
  let billingDemandSource: BillingDemandSource = 'current_month';
  if (tc.ratchet_history_peak_kw > billingDemandKw) {
    billingDemandKw = tc.ratchet_history_peak_kw;
    billingDemandSource = 'history';
  }
  const floorKw = BILLING_DEMAND_FLOOR_FRACTION * contractKw;
  if (floorKw > billingDemandKw) {
    billingDemandKw = floorKw;
    billingDemandSource = 'contract_floor';
  }
  const basicChargeKrwPerKw = grid.count > 0 ? basicPriceSum / grid.count : 0;
  const charges = electricityCharges({
    demandChargeKrw: billingDemandKw * basicChargeKrwPerKw,
    energyKrw,
    importKwh,
    maxImportKw,
    contractKw,
    basicChargeKrwPerKw,
    tariff: tc,
  });
  return {
    startMs: period.startMs,
    endMs: period.endMs,
    importKwh,
    kwhByBand,
    maxDemandKw,
    maxImportKw,
    billingDemandKw,
    billingDemandSource,
    basicChargeKrwPerKw,
    ...charges,
    ...monthlyTaxes(charges.electricityChargeKrw, tc.vat_fraction, tc.power_fund_fraction),
  };
}
