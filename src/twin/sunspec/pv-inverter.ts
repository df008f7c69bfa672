import {
  model103,
  model120,
  model121,
  model123,
  model701,
  model702,
  model704,
} from '../../drivers/sunspec/models/models.generated.ts';
import type { SunSpecModelDef } from '../../drivers/sunspec/models/types.ts';
import { ILLEGAL_DATA_VALUE, type PointWrite, type SunSpecRegisterImage } from './image.ts';
import { scaleFactorFor, SunSpecTwin, type SunSpecTwinOptions } from './base.ts';

// A three-phase PV inverter as SunSpec models. Its AC output is the available PV power, clipped at
// the rating and at every active-power limit in force:
// - `controls: 123` (default): 1 + 103 + 120 + 121 + 123; WMaxLimPct of 121 WMax while WMaxLim_Ena;
// - `controls: 704`: 1 + 103 + 120 + 121 + 704; WMaxLimPct of 121 WMax while WMaxLimPctEna;
// - `controls: 'both'`: 1 + 103 + 120 + 121 + 123 + 702 + 704, as an inverter that kept its legacy
//   models next to the IEEE 1547 ones; a limit in either model applies (the lower one wins);
// - `profile: '7xx'`: 1 + 701 + 702 + 704 only (an IEEE 1547-2018 inverter); WMaxLimPct of 702 WMax
//   (else WMaxRtg) while WMaxLimPctEna.
// A 123 limit reverts (is disabled) after WMaxLimPct_RvrtTms; a 704 limit after WMaxLimPctRvrtTms,
// when WMaxLimPctEna takes the value of WMaxLimPctEnaRvrt and WMaxLimPct that of WMaxLimPctRvrt
// (the model's reversion settings; disabled when the device was given none).

export interface SunSpecPvTwinOptions extends SunSpecTwinOptions {
  ratedKw: number;
  /** Power the array could deliver at a time (kW, ≥ 0), before the inverter's limits. */
  availableKw: (timeMs: number) => number;
  /** Longest physics step when integrating energy, ms (default 60 000). */
  maxStepMs?: number;
  /** Model family: '1xx' (103/120/121 and controls, default) or '7xx' (701/702/704 only). */
  profile?: '1xx' | '7xx';
  /** '1xx' profile: control model 123 (default), 704, or both (with 702 for the 704 side). */
  controls?: 123 | 704 | 'both';
}

const LINE_V = 400;
const PHASE_V = 230;
const GRID_HZ = 60;
const CABINET_TEMPERATURE_C = 35;
/** DC-to-AC efficiency used to report DC power from AC output (103 DCW). */
const DC_TO_AC_EFFICIENCY = 0.97;
const DC_BUS_V = 600;
const PERCENT = 100;
// Enumerations of models 103 (St) and 701 (St, InvSt, ConnSt, ACType), as the model JSON defines them.
const ST103 = { SLEEPING: 2, MPPT: 4, THROTTLED: 5 } as const;
const INV_ST701 = { SLEEPING: 1, RUNNING: 3, THROTTLED: 4 } as const;
const ON_OFF = { OFF: 0, ON: 1 } as const;
const ENABLED = 1;
const DISABLED = 0;
const AC_THREE_PHASE = 2;
const CONNECTED = 1;
const DER_TYPE_PV = 4;
/** 704 points the twin accepts writes to: the active-power limit and its reversion. */
const WRITABLE_704 = new Set([
  'WMaxLimPctEna',
  'WMaxLimPct',
  'WMaxLimPctRvrt',
  'WMaxLimPctEnaRvrt',
  'WMaxLimPctRvrtTms',
]);

export class SunSpecPvInverterTwin extends SunSpecTwin {
  readonly ratedKw: number;
  private readonly availableKw: (timeMs: number) => number;
  private readonly maxStepMs: number;
  /** Energy delivered since start, kWh. */
  energyKwh = 0;
  private revert123AtMs: number | undefined;
  private revert704AtMs: number | undefined;
  readonly profile: '1xx' | '7xx';
  /** Which control models the twin has. */
  readonly has123: boolean;
  readonly has704: boolean;
  private readonly has1xx: boolean;
  private readonly has702: boolean;

  constructor(opts: SunSpecPvTwinOptions) {
    const profile = opts.profile ?? '1xx';
    if (profile === '7xx' && opts.controls !== undefined && opts.controls !== 704)
      throw new Error("profile '7xx' controls through model 704 only");
    const controls = profile === '7xx' ? 704 : (opts.controls ?? 123);
    const models: SunSpecModelDef[] =
      profile === '7xx'
        ? [model701, model702, model704]
        : controls === 123
          ? [model103, model120, model121, model123]
          : controls === 704
            ? [model103, model120, model121, model704]
            : [model103, model120, model121, model123, model702, model704];
    super(models, opts, { md: 'Bitgrid PV twin', sn: 'PV-TWIN-0001' });
    if (!(opts.ratedKw > 0)) throw new Error('ratedKw must be positive');
    this.profile = profile;
    this.has1xx = profile === '1xx';
    this.has123 = models.includes(model123);
    this.has704 = models.includes(model704);
    this.has702 = models.includes(model702);
    this.ratedKw = opts.ratedKw;
    this.availableKw = opts.availableKw;
    this.maxStepMs = opts.maxStepMs ?? 60_000;
    const ratedW = opts.ratedKw * 1000;
    const wSf = scaleFactorFor(ratedW, true);
    if (this.has1xx) init1xx(this.image, ratedW, wSf);
    else init701(this.image, wSf);
    if (this.has702) init702(this.image, ratedW, wSf);
    if (this.has704) init704(this.image, wSf, this.has1xx);
    if (this.has123) init123(this.image);
    this.refresh();
  }

  /** For compatibility: the control model, or 'both'. */
  get controls(): 123 | 704 | 'both' {
    return this.has123 && this.has704 ? 'both' : this.has123 ? 123 : 704;
  }

  /** 121 WMax (1xx) or 702 WMax, else WMaxRtg (7xx), capped at the rating, kW: what limits are a percentage of. */
  private wmaxKw(model: 121 | 702): number {
    const img = this.image;
    const w = model === 121 ? img.get(121, 'WMax') : (img.get(702, 'WMax') ?? img.get(702, 'WMaxRtg'));
    return Math.min(this.ratedKw, (w ?? this.ratedKw * 1000) / 1000);
  }

  /** The 123 limit in force, kW (undefined when none). */
  get limit123Kw(): number | undefined {
    if (!this.has123) return undefined;
    const img = this.image;
    if (img.getRaw(123, 'Conn') === ON_OFF.OFF) return 0;
    if (img.getRaw(123, 'WMaxLim_Ena') !== ENABLED) return undefined;
    return (this.wmaxKw(121) * (img.get(123, 'WMaxLimPct') ?? PERCENT)) / PERCENT;
  }

  /** The 704 limit in force, kW (undefined when none). */
  get limit704Kw(): number | undefined {
    if (!this.has704) return undefined;
    const img = this.image;
    if (img.getRaw(704, 'WMaxLimPctEna') !== ENABLED) return undefined;
    // A device with 702 takes the limit as a percentage of 702 WMax; a 1xx one of 121 WMax.
    const base = this.has702 ? this.wmaxKw(702) : this.wmaxKw(121);
    return (base * (img.get(704, 'WMaxLimPct') ?? PERCENT)) / PERCENT;
  }

  /** Active-power cap now, kW: the rating (121 or 702 WMax) and every enabled limit. */
  get limitKw(): number {
    const rating = this.has1xx ? this.wmaxKw(121) : this.wmaxKw(702);
    return Math.min(rating, this.limit123Kw ?? Infinity, this.limit704Kw ?? Infinity);
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
      this.revertDue(t);
      this.energyKwh += (this.outputKw(t) * dt) / 3_600_000;
      t += dt;
    }
    this.revertDue(toMs);
  }

  private revertDue(tMs: number): void {
    if (this.revert123AtMs !== undefined && tMs >= this.revert123AtMs) {
      this.image.setRaw(123, 'WMaxLim_Ena', DISABLED);
      this.revert123AtMs = undefined;
    }
    if (this.revert704AtMs !== undefined && tMs >= this.revert704AtMs) {
      const img = this.image;
      const ena = img.getRaw(704, 'WMaxLimPctEnaRvrt');
      img.setRaw(704, 'WMaxLimPctEna', ena === ENABLED ? ENABLED : DISABLED);
      const pctRaw = img.getRaw(704, 'WMaxLimPctRvrt');
      if (pctRaw !== undefined) img.setRaw(704, 'WMaxLimPct', pctRaw);
      this.revert704AtMs = undefined;
    }
  }

  protected refresh(): void {
    const img = this.image;
    const kw = this.outputKw();
    const w = kw * 1000;
    const amps = w / (Math.sqrt(3) * LINE_V);
    const available = this.availableKw(this.lastMs);
    const throttled = this.limitKw < Math.min(this.ratedKw, Number.isFinite(available) ? available : 0);
    if (this.has1xx) {
      img.set(103, 'W', w);
      img.set(103, 'VA', w);
      img.set(103, 'A', amps);
      for (const n of ['AphA', 'AphB', 'AphC']) img.set(103, n, amps);
      img.set(103, 'WH', Math.max(1, this.energyKwh * 1000));
      const dcW = w / DC_TO_AC_EFFICIENCY;
      img.set(103, 'DCW', dcW);
      img.set(103, 'DCV', DC_BUS_V);
      img.set(103, 'DCA', dcW / DC_BUS_V);
      img.setRaw(103, 'St', kw <= 0 ? ST103.SLEEPING : throttled ? ST103.THROTTLED : ST103.MPPT);
    } else {
      img.set(701, 'W', w);
      img.set(701, 'VA', w);
      img.set(701, 'A', amps);
      for (const n of ['WL1', 'WL2', 'WL3']) img.set(701, n, w / 3);
      for (const n of ['AL1', 'AL2', 'AL3']) img.set(701, n, amps);
      img.set(701, 'TotWhInj', Math.round(this.energyKwh * 1000));
      img.setRaw(701, 'St', kw > 0 ? ON_OFF.ON : ON_OFF.OFF);
      img.setRaw(
        701,
        'InvSt',
        kw <= 0 ? INV_ST701.SLEEPING : throttled ? INV_ST701.THROTTLED : INV_ST701.RUNNING,
      );
      const ratingKw = this.wmaxKw(702);
      img.setRaw(701, 'ThrotPct', Math.round((PERCENT * (ratingKw - this.limitKw)) / ratingKw));
    }
    const remS = (atMs: number | undefined) =>
      atMs === undefined ? 0 : Math.max(0, Math.ceil((atMs - this.lastMs) / 1000));
    if (this.has704) img.setRaw(704, 'WMaxLimPctRvrtRem', remS(this.revert704AtMs));
  }

  protected override validateWrite(w: PointWrite): number | undefined {
    const name = w.point.name;
    if ((w.modelId === 123 || w.modelId === 704) && (name === 'WMaxLimPct' || name === 'WMaxLimPctRvrt'))
      return SunSpecTwin.outside(w.value, 0, PERCENT);
    if (w.modelId === 704 && !WRITABLE_704.has(name)) return ILLEGAL_DATA_VALUE;
    if (w.modelId === 123 && name === 'OutPFSet') return SunSpecTwin.outside(w.value, -1, 1);
    if (w.modelId === 123 && /^VAr.*Pct$/.test(name)) return SunSpecTwin.outside(w.value, -PERCENT, PERCENT);
    if ((w.modelId === 121 || w.modelId === 702) && name === 'WMax')
      return SunSpecTwin.outside(w.value, 0, this.ratedKw * 1000);
    if (w.modelId === 702) return name === 'WMax' ? undefined : ILLEGAL_DATA_VALUE;
    if (w.modelId === 121 && name.endsWith('_SF')) return ILLEGAL_DATA_VALUE;
    return undefined;
  }

  protected override afterWrite(ws: PointWrite[]): void {
    const img = this.image;
    if (ws.some((w) => w.modelId === 704 && w.point.name.startsWith('WMaxLimPct'))) {
      const rvrtS = Number(img.getRaw(704, 'WMaxLimPctRvrtTms') ?? 0);
      const on = img.getRaw(704, 'WMaxLimPctEna') === ENABLED;
      this.revert704AtMs = on && rvrtS > 0 ? this.lastMs + rvrtS * 1000 : undefined;
    }
    if (
      ws.some((w) => w.modelId === 123 && (w.point.name === 'WMaxLim_Ena' || w.point.name === 'WMaxLimPct'))
    ) {
      const rvrtS = Number(img.getRaw(123, 'WMaxLimPct_RvrtTms') ?? 0);
      this.revert123AtMs =
        img.getRaw(123, 'WMaxLim_Ena') === ENABLED && rvrtS > 0 ? this.lastMs + rvrtS * 1000 : undefined;
    }
  }
}

/** Models 103, 120 and 121: measurements, nameplate and settings. */
function init1xx(img: SunSpecRegisterImage, ratedW: number, wSf: number): void {
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
  img.set(103, 'Hz', GRID_HZ);
  img.set(103, 'VAr', 0);
  img.set(103, 'PF', PERCENT);
  img.set(103, 'TmpCab', CABINET_TEMPERATURE_C);
  for (const n of ['Evt1', 'Evt2', 'EvtVnd1', 'EvtVnd2', 'EvtVnd3', 'EvtVnd4']) img.setRaw(103, n, 0);
  // 120 nameplate.
  img.setRaw(120, 'DERTyp', DER_TYPE_PV);
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
}

function init701(img: SunSpecRegisterImage, wSf: number): void {
  // 701: measurements.
  img.setRaw(701, 'A_SF', -1);
  img.setRaw(701, 'V_SF', -1);
  img.setRaw(701, 'Hz_SF', -2);
  img.setRaw(701, 'W_SF', wSf);
  img.setRaw(701, 'PF_SF', -3);
  img.setRaw(701, 'VA_SF', wSf);
  img.setRaw(701, 'Var_SF', wSf);
  img.setRaw(701, 'TotWh_SF', 0);
  img.setRaw(701, 'TotVarh_SF', 0);
  img.setRaw(701, 'Tmp_SF', -1);
  img.setRaw(701, 'ACType', AC_THREE_PHASE);
  img.setRaw(701, 'ConnSt', CONNECTED);
  img.setRaw(701, 'Alrm', 0);
  img.set(701, 'Var', 0);
  img.set(701, 'PF', 1);
  img.set(701, 'LLV', LINE_V);
  img.set(701, 'LNV', PHASE_V);
  img.set(701, 'Hz', GRID_HZ);
  img.set(701, 'TmpCab', CABINET_TEMPERATURE_C);
}

/** Model 702: ratings and settings. */
function init702(img: SunSpecRegisterImage, ratedW: number, wSf: number): void {
  img.setRaw(702, 'W_SF', wSf);
  img.setRaw(702, 'VA_SF', wSf);
  img.setRaw(702, 'V_SF', -1);
  img.setRaw(702, 'A_SF', -1);
  img.set(702, 'WMaxRtg', ratedW);
  img.set(702, 'VAMaxRtg', ratedW);
  img.set(702, 'VNomRtg', LINE_V);
  img.set(702, 'AMaxRtg', ratedW / (Math.sqrt(3) * LINE_V));
  img.set(702, 'WMax', ratedW);
  img.set(702, 'VAMax', ratedW);
}

/** Model 704: the active power limit, off. */
function init704(img: SunSpecRegisterImage, wSf: number, has1xx: boolean): void {
  img.setRaw(704, 'WMaxLimPct_SF', -1);
  img.setRaw(704, 'WSet_SF', wSf);
  img.setRaw(704, 'WSetPct_SF', -1);
  img.setRaw(704, 'WMaxLimPctEna', DISABLED);
  img.set(704, 'WMaxLimPct', PERCENT);
  img.setRaw(704, 'WMaxLimPctRvrtTms', 0);
  img.setRaw(704, 'WMaxLimPctRvrtRem', 0);
  // The 7xx inverter also implements the reversion values (what the limit becomes on expiry).
  if (!has1xx) {
    img.set(704, 'WMaxLimPctRvrt', PERCENT);
    img.setRaw(704, 'WMaxLimPctEnaRvrt', DISABLED);
  }
}

function init123(img: SunSpecRegisterImage): void {
  // 123 immediate controls.
  img.setRaw(123, 'WMaxLimPct_SF', -1);
  img.setRaw(123, 'OutPFSet_SF', -3);
  img.setRaw(123, 'VArPct_SF', -1);
  img.setRaw(123, 'Conn', 1);
  img.set(123, 'WMaxLimPct', PERCENT);
  img.setRaw(123, 'WMaxLimPct_WinTms', 0);
  img.setRaw(123, 'WMaxLimPct_RvrtTms', 0);
  img.setRaw(123, 'WMaxLimPct_RmpTms', 0);
  img.setRaw(123, 'WMaxLim_Ena', DISABLED);
  img.set(123, 'OutPFSet', 1);
  img.setRaw(123, 'OutPFSet_Ena', DISABLED);
  img.setRaw(123, 'VArPct_Ena', DISABLED);
}
