import { koreanHolidayCalendar } from '../model/calendar.ts';
import { GRID_ASSET_ID, type Scenario } from '../model/schema.ts';
import { MS_PER_HOUR, MS_PER_MINUTE, type TimeGrid } from '../model/time.ts';
import type { Store } from '../store/index.ts';
import { ledgerGrid, perInterval, POWER_MEASUREMENT } from '../ledger/index.ts';
import { computeBill, createTariff, type Bill } from '../tariff/index.ts';

// KPIs of a past period from what the live system stored: the grid meter's power (import +) averaged
// per district interval, split into import and export and billed with the district's tariff; PV and
// battery energy from their assets' `power_kw`. Intervals without any grid reading count as zero and
// lower `coverage`, so a gap is visible instead of silently billed.

/** Longest period one request may bill: a year and a day (366 days × 96 intervals stays small). */
export const KPI_MAX_DAYS = 366;

export interface TelemetryKpis {
  fromMs: number;
  toMs: number;
  intervalMinutes: number;
  intervals: number;
  /** Share of intervals with at least one grid reading. */
  coverage: number;
  importKwh: number;
  exportKwh: number;
  pvKwh: number;
  batteryDischargeKwh: number;
  batteryChargeKwh: number;
  /** grid + pv + battery over intervals with grid data: what the district consumed. */
  consumptionKwh: number;
  selfSufficiency: number;
  peakImportKw: number;
  billingDemandKw: number;
  co2Kg: number;
  bill: Omit<Bill, 'months'> & { months: Bill['months'] };
  /** importBillKrw − exportRevenueKrw. */
  netCostKrw: number;
}

/** The mean power of an asset per district interval, from the store (the ledger's reading rule). */
function meanPerInterval(store: Store, assetId: string, grid: TimeGrid) {
  return perInterval(store, assetId, POWER_MEASUREMENT, grid, 'mean');
}

/** `fromMs` rounded down and `toMs` up to the district's interval. */
export const kpiGrid = ledgerGrid;

export async function kpisFromTelemetry(
  store: Store,
  scenario: Scenario,
  fromMs: number,
  toMs: number,
): Promise<TelemetryKpis> {
  const grid = kpiGrid(scenario, fromMs, toMs);
  const hours = (grid.intervalMinutes * MS_PER_MINUTE) / MS_PER_HOUR;
  const assets = scenario.sites.flatMap((s) => s.assets);
  const gridMeter = await meanPerInterval(store, GRID_ASSET_ID, grid);
  const sum = new Float64Array(grid.count);
  let pvKwh = 0;
  let dischargeKwh = 0;
  let chargeKwh = 0;
  for (const a of assets) {
    if (a.type !== 'pv' && a.type !== 'battery') continue;
    const { values } = await meanPerInterval(store, a.id, grid);
    for (let i = 0; i < grid.count; i++) {
      const v = values[i];
      sum[i] += v;
      if (a.type === 'pv') pvKwh += Math.max(0, v) * hours;
      else if (v >= 0) dischargeKwh += v * hours;
      else chargeKwh += -v * hours;
    }
  }
  const importKw = new Float64Array(grid.count);
  const exportKw = new Float64Array(grid.count);
  let covered = 0;
  let consumptionKwh = 0;
  for (let i = 0; i < grid.count; i++) {
    const g = gridMeter.values[i];
    importKw[i] = Math.max(0, g);
    exportKw[i] = Math.max(0, -g);
    if (gridMeter.present[i]) {
      covered++;
      consumptionKwh += Math.max(0, g + sum[i]) * hours;
    }
  }
  const zone = scenario.timezone;
  const tariff = createTariff(scenario.grid, zone, koreanHolidayCalendar(scenario.extra_holidays));
  const bill = computeBill({ grid, importKw, exportKw }, tariff, scenario.grid, zone);
  return {
    fromMs: grid.startMs,
    toMs: grid.startMs + grid.count * grid.intervalMinutes * MS_PER_MINUTE,
    intervalMinutes: grid.intervalMinutes,
    intervals: grid.count,
    coverage: grid.count > 0 ? covered / grid.count : 0,
    importKwh: bill.importKwh,
    exportKwh: bill.exportKwh,
    pvKwh,
    batteryDischargeKwh: dischargeKwh,
    batteryChargeKwh: chargeKwh,
    consumptionKwh,
    selfSufficiency: consumptionKwh > 0 ? Math.max(0, 1 - bill.importKwh / consumptionKwh) : 0,
    peakImportKw: bill.peakImportKw,
    billingDemandKw: bill.billingDemandKw,
    co2Kg: bill.co2Kg,
    bill,
    netCostKrw: bill.importBillKrw - bill.exportRevenueKrw,
  };
}
