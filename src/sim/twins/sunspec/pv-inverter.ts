import {
  model103,
  model120,
  model121,
  model123,
  model704,
} from '../../../drivers/sunspec/models/models.generated.ts';
import { ILLEGAL_DATA_VALUE, type PointWrite } from './image.ts';
import { scaleFactorFor, SunSpecTwin, type SunSpecTwinOptions } from './base.ts';

// A three-phase PV inverter as SunSpec models 1 + 103 + 120 + 121 + 123 (or 704 instead of 123,
// `controls: 704`). Its AC output is the available PV power, clipped at the rating and at the
// active-power limit: WMaxLimPct of WMax while it is enabled (123 WMaxLim_Ena / 704
// WMaxLimPctEna); the limit reverts after WMaxLimPct_RvrtTms (123) / WMaxLimPctRvrtTms (704).

export interface SunSpecPvTwinOptions extends SunSpecTwinOptions {
  ratedKw: number;
  /** Power the array could deliver at a time (kW, ≥ 0), before the inverter's limits. */
  availableKw: (timeMs: number) => number;
  /** Longest physics step when integrating energy, ms (default 60 000). */
  maxStepMs?: number;
  /** Control model: 123 (immediate controls, default) or 704 (DER AC controls). */
  controls?: 123 | 704;
}

const LINE_V = 400;
const PHASE_V = 230;

export class SunSpecPvInverterTwin extends SunSpecTwin {
  readonly ratedKw: number;
  private readonly availableKw: (timeMs: number) => number;
  private readonly maxStepMs: number;
  /** Energy delivered since start, kWh. */
  energyKwh = 0;
  private revertAtMs: number | undefined;
  readonly controls: 123 | 704;

  constructor(opts: SunSpecPvTwinOptions) {
    const controls = opts.controls ?? 123;
    super([model103, model120, model121, controls === 704 ? model704 : model123], opts, {
      md: 'Bitgrid PV twin',
      sn: 'PV-TWIN-0001',
    });
    this.controls = controls;
    if (!(opts.ratedKw > 0)) throw new Error('ratedKw must be positive');
    this.ratedKw = opts.ratedKw;
    this.availableKw = opts.availableKw;
    this.maxStepMs = opts.maxStepMs ?? 60_000;
    const img = this.image;
    const ratedW = opts.ratedKw * 1000;
    const wSf = scaleFactorFor(ratedW, true);
    // 103: measurements. Scale factors chosen like a real device: negative for fine quantities.
    img.setRaw(103, 'A_SF', -1);
    img.setRaw(103, 'V_SF', -1);
    img.setRaw(103, 'W_SF', wSf);
    img.setRaw(103, 'Hz_SF', -2);
    img.setRaw(103, 'VA_SF', wSf);
    img.setRaw(103, 'VAr_SF', wSf);
    img.setRaw(103, 'PF_SF', -1);
    img.setRaw(103, 'WH_SF', 0);
    img.setRaw(103, 'DCA_SF', -1);
    img.setRaw(103, 'DCV_SF', -1);
    img.setRaw(103, 'DCW_SF', wSf);
    img.setRaw(103, 'Tmp_SF', -1);
    for (const n of ['PPVphAB', 'PPVphBC', 'PPVphCA']) img.set(103, n, LINE_V);
    for (const n of ['PhVphA', 'PhVphB', 'PhVphC']) img.set(103, n, PHASE_V);
    img.set(103, 'Hz', 60);
    img.set(103, 'VAr', 0);
    img.set(103, 'PF', 100);
    img.set(103, 'TmpCab', 35);
    for (const n of ['Evt1', 'Evt2', 'EvtVnd1', 'EvtVnd2', 'EvtVnd3', 'EvtVnd4']) img.setRaw(103, n, 0);
    // 120 nameplate.
    img.setRaw(120, 'DERTyp', 4);
    img.setRaw(120, 'WRtg_SF', wSf);
    img.set(120, 'WRtg', ratedW);
    img.setRaw(120, 'VARtg_SF', wSf);
    img.set(120, 'VARtg', ratedW);
    img.setRaw(120, 'ARtg_SF', -1);
    img.set(120, 'ARtg', ratedW / (Math.sqrt(3) * LINE_V));
    // 121 settings.
    img.setRaw(121, 'WMax_SF', wSf);
    img.set(121, 'WMax', ratedW);
    img.setRaw(121, 'VRef_SF', -1);
    img.set(121, 'VRef', PHASE_V);
    if (controls === 704) {
      img.setRaw(704, 'WMaxLimPct_SF', -1);
      img.setRaw(704, 'WSet_SF', wSf);
      img.setRaw(704, 'WSetPct_SF', -1);
      img.setRaw(704, 'WMaxLimPctEna', 0);
      img.set(704, 'WMaxLimPct', 100);
      img.setRaw(704, 'WMaxLimPctRvrtTms', 0);
      img.setRaw(704, 'WMaxLimPctRvrtRem', 0);
      this.refresh();
      return;
    }
    // 123 immediate controls.
    img.setRaw(123, 'WMaxLimPct_SF', -1);
    img.setRaw(123, 'OutPFSet_SF', -3);
    img.setRaw(123, 'VArPct_SF', -1);
    img.setRaw(123, 'Conn', 1);
    img.set(123, 'WMaxLimPct', 100);
    img.setRaw(123, 'WMaxLimPct_WinTms', 0);
    img.setRaw(123, 'WMaxLimPct_RvrtTms', 0);
    img.setRaw(123, 'WMaxLimPct_RmpTms', 0);
    img.setRaw(123, 'WMaxLim_Ena', 0);
    img.set(123, 'OutPFSet', 1);
    img.setRaw(123, 'OutPFSet_Ena', 0);
    img.setRaw(123, 'VArPct_Ena', 0);
    this.refresh();
  }

  /** Active-power cap now, kW (rating, WMax and an enabled WMaxLimPct). */
  get limitKw(): number {
    const img = this.image;
    const wmaxKw = Math.min(this.ratedKw, (img.get(121, 'WMax') ?? this.ratedKw * 1000) / 1000);
    if (this.controls === 704) {
      if (img.getRaw(704, 'WMaxLimPctEna') !== 1) return wmaxKw;
      return (wmaxKw * (img.get(704, 'WMaxLimPct') ?? 100)) / 100;
    }
    const connected = img.getRaw(123, 'Conn') !== 0;
    if (!connected) return 0;
    if (img.getRaw(123, 'WMaxLim_Ena') !== 1) return wmaxKw;
    return (wmaxKw * (img.get(123, 'WMaxLimPct') ?? 100)) / 100;
  }

  /** AC output at a time under the present limit, kW. */
  outputKw(timeMs: number = this.lastMs): number {
    const avail = this.availableKw(timeMs);
    return Math.max(0, Math.min(Number.isFinite(avail) ? avail : 0, this.limitKw));
  }

  protected advance(fromMs: number, toMs: number): void {
    let t = fromMs;
    while (t < toMs) {
      const dt = Math.min(this.maxStepMs, toMs - t);
      if (this.revertAtMs !== undefined && t >= this.revertAtMs) this.revert();
      this.energyKwh += (this.outputKw(t) * dt) / 3_600_000;
      t += dt;
    }
    if (this.revertAtMs !== undefined && toMs >= this.revertAtMs) this.revert();
  }

  private revert(): void {
    if (this.controls === 704) this.image.setRaw(704, 'WMaxLimPctEna', 0);
    else this.image.setRaw(123, 'WMaxLim_Ena', 0);
    this.revertAtMs = undefined;
  }

  protected refresh(): void {
    const img = this.image;
    const kw = this.outputKw();
    const w = kw * 1000;
    img.set(103, 'W', w);
    img.set(103, 'VA', w);
    const amps = w / (Math.sqrt(3) * LINE_V);
    img.set(103, 'A', amps);
    for (const n of ['AphA', 'AphB', 'AphC']) img.set(103, n, amps);
    img.set(103, 'WH', Math.max(1, this.energyKwh * 1000));
    const dcW = w / 0.97;
    img.set(103, 'DCW', dcW);
    img.set(103, 'DCV', 600);
    img.set(103, 'DCA', dcW / 600);
    if (this.controls === 704) {
      const rem =
        this.revertAtMs === undefined ? 0 : Math.max(0, Math.ceil((this.revertAtMs - this.lastMs) / 1000));
      img.setRaw(704, 'WMaxLimPctRvrtRem', rem);
    }
    const throttled = this.limitKw < Math.min(this.ratedKw, this.availableKw(this.lastMs));
    img.setRaw(103, 'St', kw <= 0 ? 2 : throttled ? 5 : 4);
  }

  protected override validateWrite(w: PointWrite): number | undefined {
    const name = w.point.name;
    if ((w.modelId === 123 || w.modelId === 704) && name === 'WMaxLimPct')
      return SunSpecTwin.outside(w.value, 0, 100);
    if (w.modelId === 704 && name !== 'WMaxLimPctEna' && name !== 'WMaxLimPctRvrtTms')
      return ILLEGAL_DATA_VALUE;
    if (w.modelId === 123 && name === 'OutPFSet') return SunSpecTwin.outside(w.value, -1, 1);
    if (w.modelId === 123 && /^VAr.*Pct$/.test(name)) return SunSpecTwin.outside(w.value, -100, 100);
    if (w.modelId === 121 && name === 'WMax') return SunSpecTwin.outside(w.value, 0, this.ratedKw * 1000);
    if (w.modelId === 121 && name.endsWith('_SF')) return ILLEGAL_DATA_VALUE;
    return undefined;
  }

  protected override afterWrite(ws: PointWrite[]): void {
    if (this.controls === 704) {
      if (ws.some((w) => w.point.name.startsWith('WMaxLimPct'))) {
        const rvrt = Number(this.image.getRaw(704, 'WMaxLimPctRvrtTms') ?? 0);
        const on = this.image.getRaw(704, 'WMaxLimPctEna') === 1;
        this.revertAtMs = on && rvrt > 0 ? this.lastMs + rvrt * 1000 : undefined;
      }
      return;
    }
    if (
      ws.some((w) => w.modelId === 123 && (w.point.name === 'WMaxLim_Ena' || w.point.name === 'WMaxLimPct'))
    ) {
      const rvrt = Number(this.image.getRaw(123, 'WMaxLimPct_RvrtTms') ?? 0);
      this.revertAtMs =
        this.image.getRaw(123, 'WMaxLim_Ena') === 1 && rvrt > 0 ? this.lastMs + rvrt * 1000 : undefined;
    }
  }
}
