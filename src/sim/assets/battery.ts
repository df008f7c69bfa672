import type { AssetOf } from '../../model/schema.ts';

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
