import { DateTime } from 'luxon';
import { intervalMs, MS_PER_HOUR, MS_PER_MINUTE, timeAt, toIsoLocal, type TimeGrid } from '../model/time.ts';
import type { LedgerEnergyKey, LedgerHour, LedgerJson, LedgerTotals } from './types.ts';

export type { LedgerEnergyKey, LedgerHour, LedgerJson, LedgerTotals };

// The hourly RE100 ledger: one definition of "clean energy used" shared by `simulate`, the API, the
// dashboard and the reports (docs/ledger.md). It starts from metered power flows per interval — what
// the simulator computes and what the live store holds — so a simulated period and the same period
// replayed into the store give the same figures.

/** Power flows of the whole district per interval, Bitgrid signs (docs/conventions.md). */
export interface LedgerFlows {
  grid: TimeGrid;
  /** Load + EV + bus + data center, kW (battery charging is storage, not consumption). */
  consumptionKw: ArrayLike<number>;
  /** On-site PV production, kW. */
  pvKw: ArrayLike<number>;
  /** Grid import, kW (≥ 0). */
  importKw: ArrayLike<number>;
  /** Grid export, kW (≥ 0). */
  exportKw: ArrayLike<number>;
  /** All batteries together, discharge +, kW. */
  batteryKw: ArrayLike<number>;
  /** Energy stored in all batteries at the end of each interval, kWh. */
  batterySocKwh: ArrayLike<number>;
  /** Energy stored before the first interval, kWh. */
  batteryInitialSocKwh: number;
  /** Off-site PPA delivery, kW (reaches the district through the grid). */
  ppaKw: ArrayLike<number>;
}

export interface LedgerParams {
  /** IANA zone whose clock hours the ledger is kept in. */
  zone: string;
  /** Share of consumption covered by retired certificates (green premium, RECs): annual matching only. */
  certificateShare: number;
  /** Location-based grid emission factor, kg CO₂/kWh. */
  emissionFactorKgPerKwh: number;
}

export const LEDGER_SUM_KEYS: readonly LedgerEnergyKey[] = [
  'consumptionKwh',
  'pvUsedKwh',
  'ppaDeliveredKwh',
  'ppaUsedKwh',
  'certificatesKwh',
  'gridResidualKwh',
  'emissionsKg',
];

export interface Ledger {
  zone: string;
  fromMs: number;
  toMs: number;
  hours: LedgerHour[];
  totals: LedgerTotals;
}

/** Below this a kWh figure is rounding noise of float sums, not energy (1 Wh). */
const ENERGY_NOISE_KWH = 1e-3;

/**
 * On-site PV used per interval, kW: PV neither exported nor charged into a battery, plus the clean part
 * of battery discharge. The batteries' clean share is the PV-charged part of their stored energy,
 * charging from PV surplus (PV above consumption) counting as clean and the rest as grid; a share starts
 * at 0 (stored energy of unknown origin counts as grid). The same rule as the simulator's engine.
 */
export function onSitePvUsedKw(f: LedgerFlows): Float64Array {
  const n = f.grid.count;
  const out = new Float64Array(n);
  let cleanShare = 0;
  let socBefore = f.batteryInitialSocKwh;
  for (let i = 0; i < n; i++) {
    const pv = Math.max(0, f.pvKw[i]);
    const batt = f.batteryKw[i];
    const socAfter = f.batterySocKwh[i];
    const surplusKw = Math.max(0, pv - f.consumptionKw[i]);
    let pvToBatteryKw = 0;
    let dischargeCleanKw = 0;
    if (batt < 0) {
      const chargeKw = -batt;
      pvToBatteryKw = Math.min(chargeKw, surplusKw);
      if (socAfter > 0) {
        // What of the PV-sourced charge ends up stored (the charging efficiency is (after − before) ÷ in).
        const cleanInKwh = (pvToBatteryKw * (socAfter - socBefore)) / chargeKw;
        cleanShare = clamp01((cleanShare * socBefore + cleanInKwh) / socAfter);
      }
    } else {
      dischargeCleanKw = batt * cleanShare;
    }
    out[i] = Math.max(0, pv - Math.max(0, f.exportKw[i]) - pvToBatteryKw) + dischargeCleanKw;
    socBefore = socAfter;
  }
  return out;
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

function checkFlows(f: LedgerFlows): void {
  const n = f.grid.count;
  for (const [name, a] of Object.entries({
    consumptionKw: f.consumptionKw,
    pvKw: f.pvKw,
    importKw: f.importKw,
    exportKw: f.exportKw,
    batteryKw: f.batteryKw,
    batterySocKwh: f.batterySocKwh,
    ppaKw: f.ppaKw,
  })) {
    if (a.length !== n) throw new RangeError(`ledger: ${name} has ${a.length} values for ${n} intervals`);
    for (let i = 0; i < n; i++)
      if (!Number.isFinite(a[i]))
        throw new RangeError(`ledger: ${name}[${i}] is not a finite number (${a[i]})`);
  }
  if (60 % f.grid.intervalMinutes !== 0)
    throw new RangeError(
      `ledger: an interval of ${f.grid.intervalMinutes} min does not divide the hour; clock hours need one that does`,
    );
}

/** Start of the local clock hour holding `ms`, UTC ms (offsets of 30 or 45 minutes are respected). */
function localHourStartMs(ms: number, zone: string): number {
  const offsetMs = DateTime.fromMillis(ms, { zone }).offset * MS_PER_MINUTE;
  const local = ms + offsetMs;
  return local - (((local % MS_PER_HOUR) + MS_PER_HOUR) % MS_PER_HOUR) - offsetMs;
}

/** The ledger of a period: one row per local clock hour the grid touches, and the period's totals. */
export function buildLedger(f: LedgerFlows, p: LedgerParams): Ledger {
  checkFlows(f);
  if (!(p.certificateShare >= 0 && p.certificateShare <= 1))
    throw new RangeError(`ledger: certificateShare must lie in 0–1, got ${p.certificateShare}`);
  const pvUsedKw = onSitePvUsedKw(f);
  const dtH = intervalMs(f.grid) / MS_PER_HOUR;
  const hours: LedgerHour[] = [];
  let row: { start: number; end: number; cons: number; pv: number; ppa: number; imp: number } | undefined;
  const close = () => {
    if (!row) return;
    const consumptionKwh = Math.max(0, row.cons);
    const pvUsedKwh = Math.min(consumptionKwh, row.pv);
    const ppaDeliveredKwh = row.ppa;
    const ppaUsedKwh = Math.min(ppaDeliveredKwh, consumptionKwh - pvUsedKwh);
    const gridResidualKwh = consumptionKwh - pvUsedKwh - ppaUsedKwh;
    hours.push({
      hourStartMs: row.start,
      consumptionKwh,
      pvUsedKwh,
      ppaDeliveredKwh,
      ppaUsedKwh,
      certificatesKwh: p.certificateShare * consumptionKwh,
      gridResidualKwh,
      matchingShare: consumptionKwh > ENERGY_NOISE_KWH ? (pvUsedKwh + ppaUsedKwh) / consumptionKwh : 0,
      emissionsKg: row.imp * p.emissionFactorKgPerKwh,
    });
  };
  for (let i = 0; i < f.grid.count; i++) {
    const t = timeAt(f.grid, i);
    if (!row || t >= row.end) {
      close();
      const start = localHourStartMs(t, p.zone);
      row = { start, end: start + MS_PER_HOUR, cons: 0, pv: 0, ppa: 0, imp: 0 };
    }
    row.cons += f.consumptionKw[i] * dtH;
    row.pv += pvUsedKw[i] * dtH;
    row.ppa += Math.max(0, f.ppaKw[i]) * dtH;
    row.imp += Math.max(0, f.importKw[i]) * dtH;
  }
  close();
  return {
    zone: p.zone,
    fromMs: f.grid.startMs,
    toMs: timeAt(f.grid, f.grid.count),
    hours,
    totals: ledgerTotals(hours),
  };
}

/** Sums of the hours and the two scores; also used to total a slice of a ledger (a month, a day). */
export function ledgerTotals(hours: readonly LedgerHour[]): LedgerTotals {
  const sums = Object.fromEntries(LEDGER_SUM_KEYS.map((k) => [k, 0])) as Record<LedgerEnergyKey, number>;
  for (const h of hours) for (const k of LEDGER_SUM_KEYS) sums[k] += h[k];
  const cons = sums.consumptionKwh;
  const hourly = cons > ENERGY_NOISE_KWH ? (sums.pvUsedKwh + sums.ppaUsedKwh) / cons : 0;
  const annual =
    cons > ENERGY_NOISE_KWH
      ? Math.min(1, (sums.pvUsedKwh + sums.ppaDeliveredKwh + sums.certificatesKwh) / cons)
      : 0;
  return { ...sums, matchingShare: hourly, annualMatchingShare: annual, hourlyMatchingShare: hourly };
}

export function ledgerJson(l: Ledger): LedgerJson {
  return {
    from: toIsoLocal(l.fromMs, l.zone),
    to: toIsoLocal(l.toMs, l.zone),
    hours: l.hours.map(({ hourStartMs, ...rest }) => ({
      hourStart: toIsoLocal(hourStartMs, l.zone),
      ...rest,
    })),
    totals: l.totals,
  };
}

const CSV_COLUMNS: [string, keyof LedgerHour][] = [
  ['consumption_kwh', 'consumptionKwh'],
  ['pv_used_kwh', 'pvUsedKwh'],
  ['ppa_delivered_kwh', 'ppaDeliveredKwh'],
  ['ppa_used_kwh', 'ppaUsedKwh'],
  ['certificates_kwh', 'certificatesKwh'],
  ['grid_residual_kwh', 'gridResidualKwh'],
  ['matching_share', 'matchingShare'],
  ['emissions_kg', 'emissionsKg'],
];

/** Decimals in the CSV: 1 Wh, 1 g, and shares to 1e-6. */
const CSV_DECIMALS = 6;

/** One row per clock hour, `hour_start` in ISO 8601 with the zone's offset. */
export function ledgerCsv(l: Ledger): string {
  const lines = [['hour_start', ...CSV_COLUMNS.map((c) => c[0])].join(',')];
  const fmt = (x: number) => String(Number(x.toFixed(CSV_DECIMALS)));
  for (const h of l.hours)
    lines.push([toIsoLocal(h.hourStartMs, l.zone), ...CSV_COLUMNS.map(([, k]) => fmt(h[k]))].join(','));
  return lines.join('\n') + '\n';
}
