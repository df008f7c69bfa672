import type { AssetOf } from '../../model/schema.ts';
import type { TimeGrid } from '../../model/time.ts';
import { extraterrestrialNormalWPerM2 } from '../../weather/clearsky.ts';
import { solarPositionSeries } from '../../weather/index.ts';
import {
  DEFAULT_ALBEDO,
  darkPoa,
  poaIrradiance,
  type PoaIrradiance,
  type SkyDiffuseModel,
} from '../../weather/poa.ts';
import type { SiteLocation, WeatherSeries } from '../../weather/types.ts';
import type { Dispatch } from '../strategy-interface.ts';
import { clamp, measuredProfileKw, type PrepareContext, type RunContext } from './context.ts';

// PV array: plane-of-array irradiance (Perez transposition), reflection losses at the glass, Faiman cell
// temperature, a linear power-temperature coefficient, lumped system losses, inverter efficiency and
// clipping at the inverter's AC rating.

export type PvConfig = AssetOf<'pv'>;

const DEG = Math.PI / 180;
/** Irradiance at standard test conditions, W/m². */
const STC_IRRADIANCE_W_PER_M2 = 1000;
/** Cell temperature at standard test conditions, °C. */
const STC_CELL_TEMPERATURE_C = 25;
/**
 * Faiman (2008) module temperature model, Prog. Photovolt. 16(4): T = Ta + POA / (U0 + U1·wind). Defaults
 * are Faiman's fit for open-rack crystalline-silicon modules (also pvlib's defaults).
 */
export const FAIMAN_U0_W_PER_M2K = 25;
export const FAIMAN_U1_W_S_PER_M3K = 6.84;
/** Wind speed used when the weather has none (annual mean 10 m wind at inland Korean ASOS stations ≈ 2 m/s). */
export const DEFAULT_WIND_SPEED_M_PER_S = 2;
/**
 * Martin & Ruiz (2001) angular losses, Solar Energy Materials & Solar Cells 70: a_r = 0.16 for standard
 * (uncoated) glass; the same paper gives the integrated factors for sky-diffuse and ground light.
 */
export const MARTIN_RUIZ_AR = 0.16;

export interface PvModelOptions {
  albedo?: number;
  skyModel?: SkyDiffuseModel;
  /** Skip the angle-of-incidence (reflection) losses. */
  noReflectionLoss?: boolean;
}

/** Martin–Ruiz beam incidence-angle modifier. */
function iamBeam(cosAoi: number, ar: number): number {
  if (cosAoi <= 0) return 0;
  return (1 - Math.exp(-cosAoi / ar)) / (1 - Math.exp(-1 / ar));
}

/** Martin–Ruiz integrated modifiers for isotropic sky-diffuse and ground-reflected light on a tilt. */
export function diffuseIncidenceModifiers(
  tiltDeg: number,
  ar = MARTIN_RUIZ_AR,
): { sky: number; ground: number } {
  const b = Math.max(tiltDeg, 1e-3) * DEG; // the ground term is 0/0 at 0°; its limit is taken
  const c1 = 4 / (3 * Math.PI);
  const c2 = 0.5 * ar - 0.154;
  const sb = Math.sin(b);
  const skyX = sb + (Math.PI - b - sb) / (1 + Math.cos(b));
  const gndX = sb + (b - sb) / (1 - Math.cos(b));
  const norm = 1 - Math.exp(-1 / ar);
  const f = (x: number) => (1 - Math.exp(-(c1 * x + c2 * x * x) / ar)) / norm;
  return { sky: f(skyX), ground: f(gndX) };
}

/**
 * Available AC power of a PV array, kW, for every interval of the weather (interval mean, computed at the
 * interval's midpoint geometry). Never negative, never above the inverter rating, zero at night.
 */
export function pvAvailablePowerKw(
  asset: PvConfig,
  weather: WeatherSeries,
  location: SiteLocation,
  opts: PvModelOptions = {},
): Float64Array {
  const grid: TimeGrid = {
    startMs: weather.startMs,
    intervalMinutes: weather.intervalMinutes,
    count: weather.count,
  };
  const pos = solarPositionSeries(grid, location);
  const n = weather.count;
  const out = new Float64Array(n);
  const capacityKw = asset.capacity_kwp;
  const inverterKw = asset.inverter_kw ?? asset.capacity_kwp;
  const gamma = asset.temperature_coefficient_per_c ?? -0.0037;
  const derate = (1 - (asset.system_loss_fraction ?? 0.1)) * (asset.inverter_efficiency ?? 0.97);
  const tilt = asset.tilt_deg;
  const azimuth = asset.azimuth_deg ?? 180;
  const albedo = opts.albedo ?? DEFAULT_ALBEDO;
  const model = opts.skyModel ?? 'perez';
  const iamD = opts.noReflectionLoss ? { sky: 1, ground: 1 } : diffuseIncidenceModifiers(tilt);
  const poa: PoaIrradiance = darkPoa();
  const wind = weather.windSpeedMPerS;
  const input = {
    surfaceTiltDeg: tilt,
    surfaceAzimuthDeg: azimuth,
    zenithDeg: 0,
    solarAzimuthDeg: 0,
    ghiWPerM2: 0,
    dniWPerM2: 0,
    dhiWPerM2: 0,
    extraterrestrialWPerM2: 0,
    albedo,
    model,
  };
  for (let i = 0; i < n; i++) {
    const ghi = weather.ghiWPerM2[i];
    if (!(ghi > 0)) continue;
    input.zenithDeg = pos.zenithDeg[i];
    input.solarAzimuthDeg = pos.azimuthDeg[i];
    input.ghiWPerM2 = ghi;
    input.dniWPerM2 = weather.dniWPerM2[i];
    input.dhiWPerM2 = weather.dhiWPerM2[i];
    input.extraterrestrialWPerM2 = extraterrestrialNormalWPerM2(pos.earthSunDistanceAu[i]);
    poaIrradiance(input, poa);
    const effective = opts.noReflectionLoss
      ? poa.poaGlobalWPerM2
      : poa.poaBeamWPerM2 * iamBeam(Math.cos(poa.incidenceDeg * DEG), MARTIN_RUIZ_AR) +
        poa.poaSkyDiffuseWPerM2 * iamD.sky +
        poa.poaGroundWPerM2 * iamD.ground;
    if (!(effective > 0)) continue;
    const ws = wind ? Math.max(0, wind[i]) : DEFAULT_WIND_SPEED_M_PER_S;
    const cellC =
      weather.temperatureC[i] + poa.poaGlobalWPerM2 / (FAIMAN_U0_W_PER_M2K + FAIMAN_U1_W_S_PER_M3K * ws);
    const dcKw =
      capacityKw *
      (effective / STC_IRRADIANCE_W_PER_M2) *
      Math.max(0, 1 + gamma * (cellC - STC_CELL_TEMPERATURE_C));
    const acKw = dcKw * derate;
    out[i] = acKw > inverterKw ? inverterKw : acKw > 0 ? acKw : 0;
  }
  return out;
}

export interface PvUnit {
  id: string;
  siteId: string;
  cfg: PvConfig;
  availableKw: Float64Array;
}

/** The array's potential over the run: its measured output where the district file names one, else modelled. */
export function preparePv(cfg: PvConfig, siteId: string, ctx: PrepareContext): PvUnit {
  const availableKw = cfg.measured_csv
    ? measuredProfileKw(ctx, cfg.measured_csv)
    : pvAvailablePowerKw(cfg, ctx.weather, ctx.location);
  return { id: cfg.id, siteId, cfg, availableKw };
}

/** The district's PV arrays through a run: each gives what is available, or less where the dispatch caps it. */
export class PvStepper {
  /** Per array, kW available this interval (what the strategy sees). */
  readonly availableKw: Float64Array;
  /** All arrays together this interval, after `apply` and `curtail`, kW. */
  totalKw = 0;
  availableTotalKw = 0;
  private outKw: Float64Array;

  constructor(
    private readonly units: PvUnit[],
    private readonly run: RunContext,
  ) {
    this.availableKw = new Float64Array(units.length);
    this.outKw = new Float64Array(units.length);
  }

  observe(i: number): void {
    for (let k = 0; k < this.units.length; k++) this.availableKw[k] = this.units[k].availableKw[i];
  }

  apply(dispatch: Dispatch): void {
    this.outKw = new Float64Array(this.units.length);
    this.totalKw = 0;
    this.availableTotalKw = 0;
    for (let k = 0; k < this.units.length; k++) {
      const lim = dispatch.pvLimitKw ? dispatch.pvLimitKw[k] : NaN;
      const avail = this.availableKw[k];
      this.outKw[k] = Number.isNaN(lim) ? avail : clamp(lim, 0, avail);
      this.totalKw += this.outKw[k];
      this.availableTotalKw += avail;
    }
  }

  /** Cuts output, first array first, to take `excessKw` off the export; returns what is left to cut. */
  curtail(excessKw: number): number {
    for (let k = 0; k < this.units.length && excessKw > 0; k++) {
      const cut = Math.min(this.outKw[k], excessKw);
      this.outKw[k] -= cut;
      this.totalKw -= cut;
      excessKw -= cut;
    }
    return excessKw;
  }

  record(i: number): void {
    for (let k = 0; k < this.units.length; k++) this.run.assetKw(this.units[k].id)[i] = this.outKw[k];
  }
}
