import { model124, model704, model802 } from '../../drivers/sunspec/models/models.generated.ts';
import {
  batteryLimits,
  initialBatteryState,
  stepBattery,
  type BatteryConfig,
  type BatteryState,
} from '../../sim/assets/battery.ts';
import { ILLEGAL_DATA_VALUE, type PointWrite } from './image.ts';
import { scaleFactorFor, SunSpecTwin, type SunSpecTwinOptions } from './base.ts';

// A battery system as SunSpec models 1 + 124 (basic storage controls) + 802 (battery base).
// Physics: src/sim/assets/battery.ts (stepBattery / batteryLimits), so SoC and power limits are
// those of the simulator.
//
// Control (model 124), as common storage inverters implement it:
//   StorCtl_Mod bit 0 (CHARGE) enables the charge limit InWRte, bit 1 (DISCHARGE) the discharge
//   limit OutWRte, both in % of WChaMax. The battery's power (discharge +) stays within
//   [−InWRte, +OutWRte] × WChaMax; a negative InWRte therefore forces discharge and a negative
//   OutWRte forces charge. With no limit active the twin idles at 0 kW (it has no local load).
//   InOutWRte_RvrtTms > 0 makes the limits revert (StorCtl_Mod = 0) after that many seconds.
// With `controls: 704` the twin has models 1 + 802 + 704 instead: WSetEna = ENABLED with
//   WSetMod = WATTS asks for WSet watts (discharge/injection positive), WSetMod = W_MAX_PCT for
//   WSetPct % of the discharge (positive) or charge (negative) rating; WSetRvrtTms reverts it.
//   |WSet| beyond the rating is refused with exception 03.
// Model 802 reports SoC, ratings and DC power W (discharge positive).

export interface SunSpecBatteryTwinOptions extends SunSpecTwinOptions {
  battery: BatteryConfig;
  /** Longest physics step, ms (default 1000). */
  maxStepMs?: number;
  /** DC bus voltage, V (default 800). */
  dcVoltage?: number;
  /** Control model: 124 (basic storage controls, default) or 704 (DER AC controls, WSet). */
  controls?: 124 | 704;
}

export class SunSpecBatteryTwin extends SunSpecTwin {
  readonly cfg: BatteryConfig;
  readonly state: BatteryState;
  private readonly maxStepMs: number;
  private readonly dcV: number;
  /** Power in the last physics step, kW, discharge positive. */
  private powerKw = 0;
  /** Energy through the terminals since start, kWh. */
  throughputKwh = 0;
  private revertAtMs: number | undefined;
  readonly controls: 124 | 704;

  constructor(opts: SunSpecBatteryTwinOptions) {
    const controls = opts.controls ?? 124;
    super(controls === 704 ? [model802, model704] : [model124, model802], opts, {
      md: 'Bitgrid battery twin',
      sn: 'BAT-TWIN-0001',
    });
    this.controls = controls;
    this.cfg = opts.battery;
    this.state = initialBatteryState(opts.battery);
    this.maxStepMs = opts.maxStepMs ?? 1000;
    this.dcV = opts.dcVoltage ?? 800;
    const c = this.cfg;
    const img = this.image;
    const maxW = Math.max(c.max_charge_kw, c.max_discharge_kw) * 1000;
    const wSf = scaleFactorFor(maxW, true);
    if (controls === 704) {
      img.setRaw(704, 'WSet_SF', wSf);
      img.setRaw(704, 'WSetPct_SF', -1);
      img.setRaw(704, 'WMaxLimPct_SF', -1);
      img.setRaw(704, 'WSetEna', 0);
      img.setRaw(704, 'WSetMod', 1);
      img.set(704, 'WSet', 0);
      img.set(704, 'WSetPct', 0);
      img.setRaw(704, 'WSetRvrtTms', 0);
      img.setRaw(704, 'WSetRvrtRem', 0);
    } else this.init124();
    this.init802(wSf, maxW);
    this.refresh();
  }

  private init124(): void {
    const c = this.cfg;
    const img = this.image;
    img.setRaw(124, 'WChaMax_SF', scaleFactorFor(c.max_charge_kw * 1000, false));
    img.set(124, 'WChaMax', c.max_charge_kw * 1000);
    img.setRaw(124, 'WChaDisChaGra_SF', 0);
    img.set(124, 'WChaGra', 100);
    img.set(124, 'WDisChaGra', 100);
    img.setRaw(124, 'StorCtl_Mod', 0);
    img.setRaw(124, 'MinRsvPct_SF', -1);
    img.set(124, 'MinRsvPct', c.soc_min * 100);
    img.setRaw(124, 'ChaState_SF', -1);
    img.setRaw(124, 'InBatV_SF', -1);
    img.setRaw(124, 'InOutWRte_SF', -2);
    img.set(124, 'OutWRte', 100);
    img.set(124, 'InWRte', 100);
    img.setRaw(124, 'InOutWRte_WinTms', 0);
    img.setRaw(124, 'InOutWRte_RvrtTms', 0);
    img.setRaw(124, 'InOutWRte_RmpTms', 0);
    img.setRaw(124, 'ChaGriSet', 1);
  }

  private init802(wSf: number, maxW: number): void {
    const c = this.cfg;
    const img = this.image;
    img.setRaw(802, 'AHRtg_SF', 0);
    img.set(802, 'AHRtg', (c.capacity_kwh * 1000) / this.dcV);
    img.setRaw(802, 'WHRtg_SF', scaleFactorFor(c.capacity_kwh * 1000, false));
    img.set(802, 'WHRtg', c.capacity_kwh * 1000);
    img.setRaw(802, 'WChaDisChaMax_SF', scaleFactorFor(maxW, false));
    img.set(802, 'WChaRteMax', c.max_charge_kw * 1000);
    img.set(802, 'WDisChaRteMax', c.max_discharge_kw * 1000);
    img.setRaw(802, 'SoC_SF', -2);
    img.setRaw(802, 'DoD_SF', -2);
    img.set(802, 'SoCMax', c.soc_max * 100);
    img.set(802, 'SoCMin', c.soc_min * 100);
    img.set(802, 'SocRsvMax', c.soc_max * 100);
    img.set(802, 'SoCRsvMin', c.soc_min * 100);
    img.setRaw(802, 'SoH_SF', 0);
    img.set(802, 'SoH', 100);
    img.setRaw(802, 'LocRemCtl', 0);
    img.setRaw(802, 'AlmRst', 0);
    img.setRaw(802, 'Typ', 4);
    img.setRaw(802, 'State', 3);
    for (const n of ['Evt1', 'Evt2', 'EvtVnd1', 'EvtVnd2']) img.setRaw(802, n, 0);
    img.setRaw(802, 'V_SF', -1);
    img.set(802, 'V', this.dcV);
    img.setRaw(802, 'CellV_SF', -3);
    img.setRaw(802, 'A_SF', scaleFactorFor((maxW / this.dcV) * 10, true) - 1);
    img.setRaw(802, 'AMax_SF', 0);
    img.set(802, 'AChaMax', (c.max_charge_kw * 1000) / this.dcV);
    img.set(802, 'ADisChaMax', (c.max_discharge_kw * 1000) / this.dcV);
    img.setRaw(802, 'W_SF', wSf);
    img.setRaw(802, 'SetOp', 1);
    img.setRaw(802, 'SetInvState', 3);
  }

  get socFraction(): number {
    return this.state.socKwh / this.cfg.capacity_kwh;
  }

  /** Power the control registers ask for now, kW, discharge positive (before physics limits). */
  get requestedKw(): number {
    const img = this.image;
    if (img.getRaw(802, 'SetOp') === 2) return 0;
    if (this.controls === 704) {
      if (img.getRaw(704, 'WSetEna') !== 1) return 0;
      if (img.getRaw(704, 'WSetMod') === 1) return (img.get(704, 'WSet') ?? 0) / 1000;
      const pct = (img.get(704, 'WSetPct') ?? 0) / 100;
      return pct * (pct >= 0 ? this.cfg.max_discharge_kw : this.cfg.max_charge_kw);
    }
    const mod = Number(img.getRaw(124, 'StorCtl_Mod') ?? 0);
    const base = Math.min(this.cfg.max_charge_kw, (img.get(124, 'WChaMax') ?? 0) / 1000);
    const upper = mod & 2 ? ((img.get(124, 'OutWRte') ?? 100) / 100) * base : this.cfg.max_discharge_kw;
    const lower = mod & 1 ? -((img.get(124, 'InWRte') ?? 100) / 100) * base : -base;
    return Math.max(lower, Math.min(upper, 0));
  }

  /** What the battery does now: the request clamped to its power and SoC limits. */
  get presentKw(): number {
    const lim = batteryLimits(this.cfg, this.state, this.maxStepMs / 3_600_000);
    return Math.max(-lim.maxChargeKw, Math.min(lim.maxDischargeKw, this.requestedKw));
  }

  protected advance(fromMs: number, toMs: number): void {
    let t = fromMs;
    while (t < toMs) {
      if (this.revertAtMs !== undefined && t >= this.revertAtMs) this.revert();
      const end = Math.min(
        toMs,
        t + this.maxStepMs,
        this.revertAtMs !== undefined ? this.revertAtMs : Infinity,
      );
      const step = stepBattery(this.cfg, this.state, this.requestedKw, (end - t) / 3_600_000);
      this.state.socKwh = step.socKwh;
      this.powerKw = step.powerKw;
      this.throughputKwh += step.throughputKwh;
      t = end;
    }
    if (this.revertAtMs !== undefined && toMs >= this.revertAtMs) this.revert();
  }

  private revert(): void {
    if (this.controls === 704) this.image.setRaw(704, 'WSetEna', 0);
    else this.image.setRaw(124, 'StorCtl_Mod', 0);
    this.revertAtMs = undefined;
  }

  protected refresh(): void {
    const img = this.image;
    const kw = this.presentKw;
    this.powerKw = kw;
    const socPct = this.socFraction * 100;
    img.set(802, 'SoC', socPct);
    img.set(802, 'DoD', 100 - socPct);
    if (this.controls === 124) {
      img.set(124, 'ChaState', socPct);
      img.set(124, 'InBatV', this.dcV);
    } else {
      const rem =
        this.revertAtMs === undefined ? 0 : Math.max(0, Math.ceil((this.revertAtMs - this.lastMs) / 1000));
      img.setRaw(704, 'WSetRvrtRem', rem);
    }
    img.set(802, 'W', kw * 1000);
    img.set(802, 'A', (kw * 1000) / this.dcV);
    const full = this.state.socKwh >= this.cfg.soc_max * this.cfg.capacity_kwh - 1e-9;
    const empty = this.state.socKwh <= this.cfg.soc_min * this.cfg.capacity_kwh + 1e-9;
    const chaSt = kw > 1e-9 ? 3 : kw < -1e-9 ? 4 : full ? 5 : empty ? 2 : 6;
    img.setRaw(802, 'ChaSt', chaSt);
    if (this.controls === 124) img.setRaw(124, 'ChaSt', chaSt);
  }

  protected override validateWrite(w: PointWrite): number | undefined {
    const n = w.point.name;
    if (w.modelId === 124) {
      if (n === 'WChaMax') return SunSpecTwin.outside(w.value, 0, this.cfg.max_charge_kw * 1000);
      if (n === 'OutWRte' || n === 'InWRte') return SunSpecTwin.outside(w.value, -100, 100);
      if (n === 'MinRsvPct') return SunSpecTwin.outside(w.value, 0, 100);
      if (n === 'VAChaMax') return ILLEGAL_DATA_VALUE;
    }
    if (w.modelId === 704) {
      if (n === 'WSet')
        return SunSpecTwin.outside(w.value, -this.cfg.max_charge_kw * 1000, this.cfg.max_discharge_kw * 1000);
      if (n === 'WSetPct') return SunSpecTwin.outside(w.value, -100, 100);
      if (!['WSetEna', 'WSetMod', 'WSetRvrtTms'].includes(n)) return ILLEGAL_DATA_VALUE;
    }
    if (w.modelId === 802 && (n === 'SocRsvMax' || n === 'SoCRsvMin'))
      return SunSpecTwin.outside(w.value, 0, 100);
    return undefined;
  }

  protected override afterWrite(ws: PointWrite[]): void {
    if (this.controls === 704) {
      if (ws.some((w) => w.point.name.startsWith('WSet'))) {
        const rvrt = Number(this.image.getRaw(704, 'WSetRvrtTms') ?? 0);
        const on = this.image.getRaw(704, 'WSetEna') === 1;
        this.revertAtMs = on && rvrt > 0 ? this.lastMs + rvrt * 1000 : undefined;
      }
      return;
    }
    if (
      ws.some(
        (w) =>
          w.modelId === 124 &&
          ['StorCtl_Mod', 'OutWRte', 'InWRte', 'InOutWRte_RvrtTms'].includes(w.point.name),
      )
    ) {
      const rvrt = Number(this.image.getRaw(124, 'InOutWRte_RvrtTms') ?? 0);
      const mod = Number(this.image.getRaw(124, 'StorCtl_Mod') ?? 0);
      this.revertAtMs = mod !== 0 && rvrt > 0 ? this.lastMs + rvrt * 1000 : undefined;
    }
  }
}
