import type { AssetOf } from '../../model/schema.ts';
import type { Dispatch } from '../strategy-interface.ts';
import { clamp, finite, type RunContext } from './context.ts';

export type BatteryConfig = AssetOf<'battery'>;

export interface BatteryState {
  socKwh: number;
}

export interface BatteryLimits {
  /** Largest discharge possible this interval, kW at the terminals (≥ 0). */
  maxDischargeKw: number;
  /** Largest charge possible this interval, kW at the terminals (≥ 0). */
  maxChargeKw: number;
}

export interface BatteryStep {
  /** Power actually delivered, kW at the terminals; discharge positive. */
  powerKw: number;
  socKwh: number;
  /** Energy through the terminals this interval, kWh (for degradation and cycle counting). */
  throughputKwh: number;
}

/** Round-trip efficiency split evenly between charging and discharging. */
export function oneWayEfficiency(cfg: BatteryConfig): number {
  return Math.sqrt(cfg.round_trip_efficiency);
}

export function initialBatteryState(cfg: BatteryConfig): BatteryState {
  return { socKwh: cfg.soc_initial * cfg.capacity_kwh };
}

/** What the battery can do over the next interval from its state: power and SoC limits together. */
export function batteryLimits(cfg: BatteryConfig, state: BatteryState, intervalHours: number): BatteryLimits {
  const eta = oneWayEfficiency(cfg);
  const aboveMinKwh = Math.max(0, state.socKwh - cfg.soc_min * cfg.capacity_kwh);
  const belowMaxKwh = Math.max(0, cfg.soc_max * cfg.capacity_kwh - state.socKwh);
  return {
    maxDischargeKw: Math.min(cfg.max_discharge_kw, (aboveMinKwh * eta) / intervalHours),
    maxChargeKw: Math.min(cfg.max_charge_kw, belowMaxKwh / eta / intervalHours),
  };
}

/** Apply a requested power (discharge positive) for one interval, clamped to what the battery allows. */
export function stepBattery(
  cfg: BatteryConfig,
  state: BatteryState,
  requestedKw: number,
  intervalHours: number,
): BatteryStep {
  const lim = batteryLimits(cfg, state, intervalHours);
  const eta = oneWayEfficiency(cfg);
  const powerKw = Number.isFinite(requestedKw)
    ? Math.max(-lim.maxChargeKw, Math.min(lim.maxDischargeKw, requestedKw))
    : 0;
  const energyKwh = powerKw * intervalHours;
  const socKwh = powerKw >= 0 ? state.socKwh - energyKwh / eta : state.socKwh - energyKwh * eta;
  const lo = cfg.soc_min * cfg.capacity_kwh;
  const hi = cfg.soc_max * cfg.capacity_kwh;
  // Float error must not walk the SoC outside its bounds over a year of steps.
  return { powerKw, socKwh: Math.min(hi, Math.max(lo, socKwh)), throughputKwh: Math.abs(energyKwh) };
}

export interface BatteryUnit {
  id: string;
  siteId: string;
  cfg: BatteryConfig;
}

export function prepareBattery(cfg: BatteryConfig, siteId: string): BatteryUnit {
  return { id: cfg.id, siteId, cfg };
}

/** What the batteries did in one interval, kW (discharge positive) and kWh. */
export interface BatteryFlows {
  kw: number;
  chargeKw: number;
  /** Discharge of energy that came from on-site PV. */
  dischargeCleanKw: number;
  socKwh: number;
}

/**
 * The district's batteries through a run, each with the share of its stored energy that came from
 * on-site PV (for hourly RE100 matching).
 */
export class BatteryStepper {
  /** Per battery, what it can do this interval (what the strategy sees; one array for the whole run). */
  readonly limits: BatteryLimits[];
  private readonly states: BatteryState[];
  private readonly cleanShare: number[];
  private requestKw = new Float64Array(0);

  constructor(
    private readonly units: BatteryUnit[],
    private readonly run: RunContext,
  ) {
    this.states = units.map((b) => initialBatteryState(b.cfg));
    this.cleanShare = units.map(() => 0);
    this.limits = units.map(() => ({ maxChargeKw: 0, maxDischargeKw: 0 }));
  }

  observe(): void {
    for (let k = 0; k < this.units.length; k++)
      this.limits[k] = batteryLimits(this.units[k].cfg, this.states[k], this.run.intervalHours);
  }

  socKwh(): Float64Array {
    return Float64Array.from(this.states, (b) => b.socKwh);
  }

  /** Takes the dispatch's setpoints; returns what they add up to within this interval's limits, kW. */
  request(dispatch: Dispatch): number {
    this.requestKw = Float64Array.from(dispatch.batteryKw, (x) => finite(x));
    let kw = 0;
    for (let k = 0; k < this.units.length; k++)
      kw += clamp(this.requestKw[k], -this.limits[k].maxChargeKw, this.limits[k].maxDischargeKw);
    return kw;
  }

  /** Lowers requested discharge, first battery first, to take `excessKw` off the export. */
  holdBackDischarge(excessKw: number): void {
    for (let k = 0; k < this.units.length && excessKw > 0; k++) {
      if (this.requestKw[k] > 0) {
        const cut = Math.min(this.requestKw[k], excessKw);
        this.requestKw[k] -= cut;
        excessKw -= cut;
      }
    }
  }

  /** Applies the requests; charging from `pvSurplusKw` (PV beyond the site's use) counts as clean. */
  apply(i: number, pvSurplusKw: number): BatteryFlows {
    const dt = this.run.intervalHours;
    const f: BatteryFlows = { kw: 0, chargeKw: 0, dischargeCleanKw: 0, socKwh: 0 };
    for (let k = 0; k < this.units.length; k++) {
      const r = stepBattery(this.units[k].cfg, this.states[k], this.requestKw[k], dt);
      const before = this.states[k].socKwh;
      this.states[k] = { socKwh: r.socKwh };
      f.kw += r.powerKw;
      this.run.totals.batteryThroughputKwh += r.throughputKwh;
      this.run.assetKw(this.units[k].id)[i] = r.powerKw;
      if (r.powerKw < 0) f.chargeKw += -r.powerKw;
      else f.dischargeCleanKw += r.powerKw * this.cleanShare[k];
      f.socKwh += r.socKwh;
      if (r.powerKw < 0 && r.socKwh > 0) {
        const cleanInKwh = (Math.min(-r.powerKw, pvSurplusKw) * dt * (r.socKwh - before)) / (-r.powerKw * dt);
        this.cleanShare[k] = clamp((this.cleanShare[k] * before + cleanInKwh) / r.socKwh, 0, 1);
      }
    }
    return f;
  }
}
