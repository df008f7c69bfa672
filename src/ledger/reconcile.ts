import { readFileSync } from 'node:fs';
import { isNode, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { koreanHolidayCalendar } from '../model/calendar.ts';
import { ConfigError, type ConfigProblem } from '../model/load.ts';
import { GRID_ASSET_ID, MAX_CONNECTION_KW, type Scenario } from '../model/schema.ts';
import { MS_PER_MINUTE, type TimeGrid } from '../model/time.ts';
import type { Store } from '../store/index.ts';
import {
  billingPeriod,
  computePeriodBill,
  createTariff,
  DEMAND_INTERVAL_MINUTES,
  MAX_METER_READING_DAY,
  type PeriodBill,
} from '../tariff/index.ts';
import { POWER_MEASUREMENT } from './telemetry.ts';

// Bill reconciliation: the bill KEPCO sent, entered as a small YAML file, against the bill Bitgrid
// computes from the grid meter's stored telemetry over the same meter-reading period (docs/ledger.md).

/**
 * Largest figure a bill file may hold, 원: 10¹², about what a 10 GW connection (MAX_CONNECTION_KW)
 * importing all month at the dearest band would cost, times five. Refuses pasted garbage.
 */
const MAX_BILL_KRW = 1e12;
/** Largest monthly energy on one bill, kWh: MAX_CONNECTION_KW for a whole 31-day month. */
const MAX_BILL_KWH = MAX_CONNECTION_KW * 24 * 31;

const krw = z.number().int('must be whole 원').min(-MAX_BILL_KRW).max(MAX_BILL_KRW);
const kwh = z.number().nonnegative().max(MAX_BILL_KWH);

export const kepcoBillSchema = z.strictObject({
  /** 청구년월 YYYY-MM: the month whose meter-reading day ends the period. */
  billing_month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be YYYY-MM'),
  /** 검침일: the period runs from this day of the previous month to the day before it in this month. */
  meter_reading_day: z.number().int().min(1).max(MAX_METER_READING_DAY),
  /** 사용전력량 per band (경부하, 중간부하, 최대부하). */
  energy_kwh: z.strictObject({ light: kwh, mid: kwh, peak: kwh }),
  /** 요금적용전력. */
  billing_demand_kw: z.number().nonnegative().max(MAX_CONNECTION_KW),
  charges_krw: z.strictObject({
    demand_charge: krw,
    energy_charge: krw,
    climate_environment: krw,
    fuel_cost_adjustment: krw,
    excess_demand_penalty: krw.default(0),
    vat: krw,
    power_fund: krw,
    /** 청구금액. */
    total: krw,
  }),
});

export type KepcoBill = z.infer<typeof kepcoBillSchema>;

/** Parses a bill file, refusing it with every problem and its line (as a district file is). */
export function parseKepcoBill(text: string, file = '<input>'): KepcoBill {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  if (doc.errors.length > 0)
    throw new ConfigError(
      file,
      doc.errors.map((e) => ({ path: '', line: e.linePos?.[0]?.line, message: e.message.split('\n')[0] })),
    );
  const result = kepcoBillSchema.safeParse(doc.toJS({ maxAliasCount: 0 }));
  if (result.success) return result.data;
  const problems: ConfigProblem[] = result.error.issues.map((issue) => {
    const path = issue.path.map((k) => k as string | number);
    let line: number | undefined;
    for (let n = path.length; n >= 0 && line === undefined; n--) {
      const node = doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) line = lineCounter.linePos(node.range[0]).line;
    }
    const message =
      issue.code === 'unrecognized_keys' ? `unknown key(s): ${issue.keys.join(', ')}` : issue.message;
    return { path: path.join('.'), line, message };
  });
  throw new ConfigError(file, problems);
}

export function readKepcoBill(file: string): KepcoBill {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, [{ path: '', message: `cannot read file: ${(e as Error).message}` }]);
  }
  return parseKepcoBill(text, file);
}

export interface ReconciliationLine {
  /** Stable key, e.g. `energy_kwh.mid`, `charges_krw.vat`. */
  component: string;
  label: string;
  unit: 'kWh' | 'kW' | 'KRW';
  kepco: number;
  bitgrid: number;
  /** Bitgrid − KEPCO. */
  difference: number;
}

export interface Reconciliation {
  billingMonth: string;
  /** The meter-reading period, UTC ms: [startMs, endMs). */
  startMs: number;
  endMs: number;
  /** Share of the period's 15-minute intervals with a grid reading. */
  coverage: number;
  bitgrid: PeriodBill;
  lines: ReconciliationLine[];
}

/** Lines of the comparison, in the order of the bill. */
export function compareBills(kepco: KepcoBill, b: PeriodBill): ReconciliationLine[] {
  const c = kepco.charges_krw;
  const rows: [string, string, ReconciliationLine['unit'], number, number][] = [
    ['energy_kwh.light', 'Energy, light load', 'kWh', kepco.energy_kwh.light, b.kwhByBand.light],
    ['energy_kwh.mid', 'Energy, mid load', 'kWh', kepco.energy_kwh.mid, b.kwhByBand.mid],
    ['energy_kwh.peak', 'Energy, peak load', 'kWh', kepco.energy_kwh.peak, b.kwhByBand.peak],
    [
      'energy_kwh.total',
      'Energy, total',
      'kWh',
      kepco.energy_kwh.light + kepco.energy_kwh.mid + kepco.energy_kwh.peak,
      b.importKwh,
    ],
    ['billing_demand_kw', 'Billing demand', 'kW', kepco.billing_demand_kw, b.billingDemandKw],
    ['charges_krw.demand_charge', 'Demand (basic) charge', 'KRW', c.demand_charge, b.demandChargeKrw],
    ['charges_krw.energy_charge', 'Energy charge', 'KRW', c.energy_charge, b.energyChargeKrw],
    [
      'charges_krw.climate_environment',
      'Climate & environment charge',
      'KRW',
      c.climate_environment,
      b.climateEnvironmentKrw,
    ],
    [
      'charges_krw.fuel_cost_adjustment',
      'Fuel cost adjustment',
      'KRW',
      c.fuel_cost_adjustment,
      b.fuelCostAdjustmentKrw,
    ],
    [
      'charges_krw.excess_demand_penalty',
      'Contract-excess penalty',
      'KRW',
      c.excess_demand_penalty,
      b.excessDemandPenaltyKrw,
    ],
    ['charges_krw.vat', 'VAT', 'KRW', c.vat, b.vatKrw],
    ['charges_krw.power_fund', 'Power industry fund', 'KRW', c.power_fund, b.powerFundKrw],
    ['charges_krw.total', 'Bill total', 'KRW', c.total, b.importBillKrw],
  ];
  return rows.map(([component, label, unit, k, bg]) => ({
    component,
    label,
    unit,
    kepco: k,
    bitgrid: bg,
    difference: bg - k,
  }));
}

/** The grid meter's 15-minute mean import over a period, from the store; gaps count as 0 kW. */
export async function meteredImport(
  store: Store,
  period: { startMs: number; endMs: number },
): Promise<{ grid: TimeGrid; importKw: Float64Array; coverage: number }> {
  const stepMs = DEMAND_INTERVAL_MINUTES * MS_PER_MINUTE;
  const count = Math.round((period.endMs - period.startMs) / stepMs);
  const grid: TimeGrid = { startMs: period.startMs, intervalMinutes: DEMAND_INTERVAL_MINUTES, count };
  const importKw = new Float64Array(count);
  const rows = await store.readTelemetry({
    assetId: GRID_ASSET_ID,
    measurement: POWER_MEASUREMENT,
    fromMs: period.startMs,
    toMs: period.endMs,
    bucketMs: stepMs,
    aggregate: 'mean',
  });
  let present = 0;
  for (const r of rows) {
    const i = Math.round((r.timeMs - period.startMs) / stepMs);
    if (i >= 0 && i < count) {
      importKw[i] = Math.max(0, r.value);
      present++;
    }
  }
  return { grid, importKw, coverage: count > 0 ? present / count : 0 };
}

/** Bitgrid's bill of the meter-reading period the KEPCO bill names, and the differences by component. */
export async function reconcileBill(
  store: Store,
  scenario: Scenario,
  kepco: KepcoBill,
): Promise<Reconciliation> {
  const zone = scenario.timezone;
  const period = billingPeriod(kepco.billing_month, kepco.meter_reading_day, zone);
  const { grid, importKw, coverage } = await meteredImport(store, period);
  const tariff = createTariff(scenario.grid, zone, koreanHolidayCalendar(scenario.extra_holidays));
  const bitgrid = computePeriodBill(
    { grid, importKw, exportKw: new Float64Array(grid.count) },
    tariff,
    scenario.grid,
    period,
  );
  return {
    billingMonth: kepco.billing_month,
    startMs: period.startMs,
    endMs: period.endMs,
    coverage,
    bitgrid,
    lines: compareBills(kepco, bitgrid),
  };
}
