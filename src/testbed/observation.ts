import type { District } from '../sim/district.ts';
import type { StepView } from '../sim/strategy-interface.ts';
import type { GridSignal } from '../drivers/types.ts';
import { createDistrictForecaster, type DistrictForecast } from '../forecast/index.ts';
import { persistenceForecast, type Forecast } from '../forecast/planner-standin.ts';
import { BAND_OF_CODE } from '../tariff/index.ts';
import { MS_PER_HOUR, MS_PER_MINUTE, toIsoLocal } from '../model/time.ts';
import { PROTOCOL_VERSION, type ForecastSeries, type Observation } from './protocol.ts';

// The observation a controller gets, built from the StepView every built-in strategy reads (the
// simulator's or the live loop's), plus what the view does not carry: prices ahead, forecasts with
// quantiles, grid signals.

/** Prices and forecasts reach this far ahead: a day covers tonight's charging and tomorrow's peak. */
export const OBSERVATION_AHEAD_HOURS = 24;
/** Forecasts are issued this often (the learned forecasters' cadence in `optimal`), ms. */
const FORECAST_ISSUE_EVERY_MS = MS_PER_HOUR;
/** Id of the uncontrolled loads' forecast, summed over the district's load assets. */
export const FIXED_LOAD_ID = 'fixed_load';

/** Forecasts of PV per array and the fixed loads together, from the interval after `view`. */
export interface ObservationForecaster {
  readonly model: string;
  at(view: StepView, steps: number): { pv: ForecastSeries[]; loads: ForecastSeries[] };
}

export interface ObservationContext {
  forecaster: ObservationForecaster;
  /** Grid signals (DR events) announced by `view.timeMs`. */
  signals?: (nowMs: number) => readonly GridSignal[];
  /** Sessions whose driver gave no departure or energy (the controller sees null). */
  unannounced?: (sessionId: string) => boolean;
}

/** Figures go out to the watt (3 decimals of kW): finer is noise and only makes the JSON longer. */
const round3 = (x: number) => Math.round(x * 1000) / 1000;
/** Limits round toward safety: a controller that answers one exactly stays inside it. */
const floor3 = (x: number) => Math.floor(x * 1000) / 1000;
const arr = (a: ArrayLike<number>) => Array.from(a, round3);

/**
 * The learned forecasters of src/forecast (P10/P50/P90 on issued weather forecasts, with their
 * errors), issued hourly; persistence without a band where they cannot be trained.
 */
export function districtForecaster(d: District, warn: (m: string) => void = () => {}): ObservationForecaster {
  let forecaster: ReturnType<typeof createDistrictForecaster> | undefined;
  try {
    forecaster = createDistrictForecaster(d, { maxHorizonHours: OBSERVATION_AHEAD_HOURS + 1 });
  } catch (e) {
    warn(`testbed: learned forecasters unavailable (${(e as Error).message}); using persistence`);
    return persistenceForecaster(d);
  }
  const stepMs = d.grid.intervalMinutes * MS_PER_MINUTE;
  let cached: { issueMs: number; f: DistrictForecast } | undefined;
  return {
    model: 'learned',
    at(view, steps) {
      const issueMs = view.timeMs - (view.timeMs % FORECAST_ISSUE_EVERY_MS);
      if (!cached || cached.issueMs !== issueMs)
        cached = {
          issueMs,
          f: forecaster.forecast(Math.max(issueMs, d.grid.startMs), OBSERVATION_AHEAD_HOURS + 1),
        };
      const f = cached.f;
      const from = Math.round((view.timeMs + stepMs - f.startMs) / stepMs);
      const slice = (a: Float64Array) => {
        const out = new Array<number>(steps);
        for (let k = 0; k < steps; k++) {
          const j = Math.min(a.length - 1, Math.max(0, from + k));
          out[k] = a.length ? round3(Math.max(0, a[j])) : 0;
        }
        return out;
      };
      const loads = {
        id: FIXED_LOAD_ID,
        p10Kw: [] as number[],
        p50Kw: [] as number[],
        p90Kw: [] as number[],
      };
      for (const q of ['p10', 'p50', 'p90'] as const) {
        const total = new Float64Array(f.count);
        for (const u of f.loads) for (let i = 0; i < f.count; i++) total[i] += u[q][i];
        loads[`${q}Kw`] = slice(total);
      }
      return {
        pv: f.pv.map((u) => ({ id: u.id, p10Kw: slice(u.p10), p50Kw: slice(u.p50), p90Kw: slice(u.p90) })),
        loads: [loads],
      };
    },
  };
}

/** Persistence (src/forecast/planner-standin.ts): P50 only, so P10 = P50 = P90. */
export function persistenceForecaster(d: District): ObservationForecaster {
  return pointForecaster(d, persistenceForecast(d), 'persistence (no band)');
}

/**
 * Any point forecast the optimizer can use (the live loop's LiveForecast, persistence) as the
 * observation's forecasts, P10 = P50 = P90 (it has no band).
 */
export function pointForecaster(d: District, f: Forecast, model: string): ObservationForecaster {
  return {
    model,
    at(view, steps) {
      // A forecast's first value is the interval now; the observation's forecasts start after it.
      const pv = f.pvAvailableKw(view, steps + 1).map((a, k) => {
        const p = arr(a.subarray(1));
        return { id: d.pv[k].id, p10Kw: p, p50Kw: p, p90Kw: p };
      });
      const l = arr(f.fixedLoadKw(view, steps + 1).subarray(1));
      return { pv, loads: [{ id: FIXED_LOAD_ID, p10Kw: l, p50Kw: l, p90Kw: l }] };
    },
  };
}

export function buildObservation(view: StepView, ctx: ObservationContext): Observation {
  const d = view.district;
  const zone = d.zone;
  const iso = (ms: number) => toIsoLocal(ms, zone);
  const stepMs = d.grid.intervalMinutes * MS_PER_MINUTE;
  const aheadSteps = Math.max(1, Math.round((OBSERVATION_AHEAD_HOURS * MS_PER_HOUR) / stepMs));
  // Prices from the district's tariff series; past the run's end the last interval's repeats.
  const n = d.grid.count;
  const at = (k: number) => Math.min(n - 1, view.index + k);
  const prices: Observation['prices'] = {
    steps: aheadSteps,
    importKrwPerKwh: [],
    exportKrwPerKwh: [],
    band: [],
    countsForDemand: [],
    peakCostKrwPerKw: [],
  };
  for (let k = 0; k < aheadSteps; k++) {
    const i = at(k);
    prices.importKrwPerKwh.push(round3(d.prices.importPriceKrwPerKwh[i]));
    prices.exportKrwPerKwh.push(round3(d.prices.exportPriceKrwPerKwh[i]));
    prices.band.push(BAND_OF_CODE[d.prices.band[i]] ?? 'mid');
    prices.countsForDemand.push(d.prices.countsForDemand[i] ? 1 : 0);
    prices.peakCostKrwPerKw.push(round3(d.prices.peakCostKrwPerKw[i]));
  }
  const fc = ctx.forecaster.at(view, aheadSteps);
  const g = d.scenario.grid;
  const nowMs = view.timeMs;
  const unannounced = ctx.unannounced ?? (() => false);
  return {
    protocol: PROTOCOL_VERSION,
    district: { name: d.scenario.name, timezone: zone },
    time: {
      start: iso(nowMs),
      intervalMinutes: d.grid.intervalMinutes,
      localHour: view.local.hour,
      weekday: view.local.weekday,
      localDate: view.local.date,
    },
    prices,
    grid: {
      importLimitKw: g.import_limit_kw,
      exportLimitKw: g.export_limit_kw,
      contractDemandKw: g.contract_demand_kw,
      monthPeakImportKw: round3(view.monthPeakImportKw),
      billingDemandKw: round3(view.billingDemandKw),
      emissionFactorKgPerKwh: g.emission_factor_kg_per_kwh,
    },
    forecasts: {
      start: iso(nowMs + stepMs),
      intervalMinutes: d.grid.intervalMinutes,
      model: ctx.forecaster.model,
      pv: fc.pv,
      loads: fc.loads,
    },
    pv: d.pv.map((u, k) => ({
      id: u.id,
      availableKw: round3(view.pvAvailableKw[k]),
      ratingKw: u.cfg.inverter_kw ?? u.cfg.capacity_kwp,
    })),
    fixedLoadKw: round3(view.fixedLoadKw),
    batteries: d.batteries.map((b, k) => ({
      id: b.id,
      socKwh: round3(view.batterySocKwh[k]),
      capacityKwh: b.cfg.capacity_kwh,
      socMin: b.cfg.soc_min,
      socMax: b.cfg.soc_max,
      roundTripEfficiency: b.cfg.round_trip_efficiency,
      maxChargeKw: floor3(Math.max(0, view.batteryLimits[k].maxChargeKw)),
      maxDischargeKw: floor3(Math.max(0, view.batteryLimits[k].maxDischargeKw)),
    })),
    evSessions: view.ev.map((st) => {
      const s = st.session;
      const hidden = unannounced(s.id);
      return {
        id: s.id,
        assetId: s.assetId,
        arrival: iso(s.arrivalMs),
        departure: hidden ? null : iso(s.departureMs),
        energyRequestKwh: hidden ? null : round3(s.energyKwh),
        deliveredKwh: round3(st.deliveredKwh),
        maxPowerKw: s.maxPowerKw,
        maxDischargeKw: s.maxDischargeKw,
      };
    }),
    buses: view.buses.map((b) => {
      const dep = d.depots[b.depotIndex];
      return {
        id: busId(dep.id, b.busIndex),
        depotId: dep.id,
        atDepot: b.atDepot,
        socKwh: round3(Math.max(0, b.socKwh)),
        batteryKwh: dep.cfg.battery_kwh,
        requiredSocKwh: round3(b.requiredSocKwh),
        nextDeparture: b.nextBlock ? iso(b.nextBlock.startMs) : null,
      };
    }),
    depots: d.depots.map((dep) => ({
      id: dep.id,
      chargers: dep.cfg.chargers,
      v2gChargers: dep.cfg.v2g_chargers,
      chargerKw: dep.cfg.charger_kw,
      chargingEfficiency: dep.cfg.charging_efficiency,
    })),
    datacenters: view.datacenters.map((dc, k) => {
      const u = d.datacenters[k];
      return {
        id: u.id,
        trainingGpus: dc.trainingGpus,
        inferenceItKw: round3(dc.inferenceItKw),
        pue: round3(dc.pue),
        powerCapMin: u.cfg.gpu_power_cap_min,
        throughputExponent: u.cfg.throughput_exponent,
        jobs: dc.pending.map((js) => ({
          id: js.job.id,
          gpus: js.job.gpus,
          gpuHours: js.job.gpuHours,
          remainingGpuHours: round3(Math.max(0, js.remainingGpuHours)),
          submitted: iso(js.job.submitMs),
          deadline: iso(js.job.deadlineMs),
        })),
      };
    }),
    signals: (ctx.signals?.(nowMs) ?? [])
      .filter((s) => s.endMs > nowMs)
      .map((s) => ({
        kind: s.kind,
        start: iso(s.startMs),
        end: iso(s.endMs),
        value: s.value,
        source: s.source,
      })),
  };
}

/** A bus's id in the protocol: `<depot id>/<bus index>`. */
export function busId(depotId: string, busIndex: number): string {
  return `${depotId}/${busIndex}`;
}
