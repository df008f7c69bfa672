import type { Scenario } from '../model/schema.ts';
import { GRID_ASSET_ID } from '../model/schema.ts';
import { MS_PER_MINUTE, type TimeGrid } from '../model/time.ts';
import type { MeasurementName } from '../model/measurements.ts';
import type { Store, TelemetryAggregate } from '../store/index.ts';
import { buildLedger, type Ledger, type LedgerFlows, type LedgerParams } from './ledger.ts';

// The live ledger: the same rule as `simulate`, fed from what the store holds rather than the
// control loop's per-cycle figure. Per district interval (bucket mean of `power_kw`):
//   grid meter `grid` (import +), every `pv` and `battery` asset, and the PPA settlement meter `ppa`;
//   consumption = grid + PV + battery (the bus balance, so unmetered loads are included);
//   battery stored energy = Σ last `soc_fraction` of the interval × capacity, held over a gap.
// An interval with no grid reading counts as zero, as in GET /api/kpis.

/** The measurement every power meter reports, kW in the asset's natural sign. */
export const POWER_MEASUREMENT = 'power_kw';
/** A battery's state of charge, fraction 0–1. */
export const SOC_MEASUREMENT = 'soc_fraction';
/**
 * Asset id under which the PPA counterparty's delivery data (kW, per interval) is written to the store;
 * without it the ledger counts no PPA delivery.
 */
export const PPA_ASSET_ID = 'ppa';
/** Longest period one ledger request may cover: a year and a day. */
export const LEDGER_MAX_DAYS = 366;

export function ledgerParamsOf(scenario: Scenario): LedgerParams {
  return {
    zone: scenario.timezone,
    certificateShare: scenario.contracts.certificates?.annual_share ?? 0,
    emissionFactorKgPerKwh: scenario.grid.emission_factor_kg_per_kwh,
  };
}

/** The district's interval grid covering [fromMs, toMs): from rounded down, to rounded up. */
export function ledgerGrid(scenario: Scenario, fromMs: number, toMs: number): TimeGrid {
  const stepMs = scenario.interval_minutes * MS_PER_MINUTE;
  const startMs = Math.floor(fromMs / stepMs) * stepMs;
  const endMs = Math.ceil(toMs / stepMs) * stepMs;
  return {
    startMs,
    intervalMinutes: scenario.interval_minutes,
    count: Math.max(0, Math.round((endMs - startMs) / stepMs)),
  };
}

/** One series' values per interval of a grid (bucket `aggregate`), and which intervals had any. */
export async function perInterval(
  store: Store,
  assetId: string,
  measurement: MeasurementName,
  grid: TimeGrid,
  aggregate: TelemetryAggregate,
): Promise<{ values: Float64Array; present: Uint8Array }> {
  const stepMs = grid.intervalMinutes * MS_PER_MINUTE;
  const values = new Float64Array(grid.count);
  const present = new Uint8Array(grid.count);
  const rows = await store.readTelemetry({
    assetId,
    measurement,
    fromMs: grid.startMs,
    toMs: grid.startMs + grid.count * stepMs,
    bucketMs: stepMs,
    aggregate,
  });
  for (const r of rows) {
    const i = Math.round((r.timeMs - grid.startMs) / stepMs);
    if (i >= 0 && i < grid.count) {
      values[i] = r.value;
      present[i] = 1;
    }
  }
  return { values, present };
}

/** The district's flows over a grid, from stored telemetry. */
export async function telemetryFlows(store: Store, scenario: Scenario, grid: TimeGrid): Promise<LedgerFlows> {
  const n = grid.count;
  const stepMs = grid.intervalMinutes * MS_PER_MINUTE;
  const gridKw = (await perInterval(store, GRID_ASSET_ID, POWER_MEASUREMENT, grid, 'mean')).values;
  const ppaKw = (await perInterval(store, PPA_ASSET_ID, POWER_MEASUREMENT, grid, 'mean')).values;
  const pvKw = new Float64Array(n);
  const batteryKw = new Float64Array(n);
  const batterySocKwh = new Float64Array(n);
  let batteryInitialSocKwh = 0;
  for (const a of scenario.sites.flatMap((s) => s.assets)) {
    if (a.type === 'pv') {
      const { values } = await perInterval(store, a.id, POWER_MEASUREMENT, grid, 'mean');
      for (let i = 0; i < n; i++) pvKw[i] += Math.max(0, values[i]);
    } else if (a.type === 'battery') {
      const { values } = await perInterval(store, a.id, POWER_MEASUREMENT, grid, 'mean');
      for (let i = 0; i < n; i++) batteryKw[i] += values[i];
      const soc = await perInterval(store, a.id, SOC_MEASUREMENT, grid, 'last');
      // The reading just before the period is the starting point; without one, the first reading.
      const before = await store.readTelemetry({
        assetId: a.id,
        measurement: SOC_MEASUREMENT,
        fromMs: grid.startMs - stepMs,
        toMs: grid.startMs,
        bucketMs: stepMs,
        aggregate: 'last',
      });
      // Without a reading before the period, the period's very first reading (not the last of its
      // first interval, which would hide what the battery took in during that interval).
      const first =
        before.length > 0
          ? []
          : await store.readTelemetry({
              assetId: a.id,
              measurement: SOC_MEASUREMENT,
              fromMs: grid.startMs,
              toMs: grid.startMs + n * stepMs,
              limit: 1,
            });
      let fraction = before.length > 0 ? before[0].value : first.length > 0 ? first[0].value : 0;
      batteryInitialSocKwh += fraction * a.capacity_kwh;
      for (let i = 0; i < n; i++) {
        if (soc.present[i]) fraction = soc.values[i];
        batterySocKwh[i] += fraction * a.capacity_kwh;
      }
    }
  }
  const consumptionKw = new Float64Array(n);
  const importKw = new Float64Array(n);
  const exportKw = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    importKw[i] = Math.max(0, gridKw[i]);
    exportKw[i] = Math.max(0, -gridKw[i]);
    consumptionKw[i] = Math.max(0, gridKw[i] + pvKw[i] + batteryKw[i]);
  }
  return {
    grid,
    consumptionKw,
    pvKw,
    importKw,
    exportKw,
    batteryKw,
    batterySocKwh,
    batteryInitialSocKwh,
    ppaKw,
  };
}

/** The hourly ledger of [fromMs, toMs) from the store, by the district's contracts and grid factor. */
export async function ledgerFromTelemetry(
  store: Store,
  scenario: Scenario,
  fromMs: number,
  toMs: number,
): Promise<Ledger> {
  const grid = ledgerGrid(scenario, fromMs, toMs);
  return buildLedger(await telemetryFlows(store, scenario, grid), ledgerParamsOf(scenario));
}
