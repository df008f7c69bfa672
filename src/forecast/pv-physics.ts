import {
  DEFAULT_MONTHLY_LINKE_TURBIDITY,
  extraterrestrialNormalWPerM2,
  ineichenPerez,
  type ClearSkyIrradiance,
} from '../weather/clearsky.ts';
import { darkPoa, poaIrradiance, type PoaIrradiance } from '../weather/poa.ts';
import { solarPositionAt } from '../weather/spa.ts';

// The physics half of the PV forecaster: what each array would deliver under a clear sky at 25 °C
// cell temperature (solar position → Ineichen–Perez clear sky → Perez plane-of-array → kWp, losses,
// inverter clipping). The learned half scales this curve by weather-forecast features.

export interface PvArraySpec {
  id: string;
  capacityKwp: number;
  tiltDeg: number;
  /** Clockwise from north, 180 = south. */
  azimuthDeg: number;
  /** AC limit; the DC rating when absent. */
  inverterKw?: number;
  /** Losses other than temperature and inverter (soiling, wiring, mismatch); 0.1 when absent. */
  systemLossFraction?: number;
  /** 0.97 when absent. */
  inverterEfficiency?: number;
}

export interface PvSiteSpec {
  latitudeDeg: number;
  longitudeDeg: number;
  altitudeM: number;
  /** The arrays behind the metered PV target; their clear-sky outputs add up. */
  arrays: PvArraySpec[];
}

/** Defaults matching the district schema's (src/model/schema.ts) so physics and simulator agree. */
const DEFAULT_SYSTEM_LOSS = 0.1;
const DEFAULT_INVERTER_EFFICIENCY = 0.97;
/** Sub-steps per interval at which the clear-sky curve is sampled (interval means, not point values). */
const SUBSTEPS = 4;

export interface ClearSkyCurve {
  /** Clear-sky AC power of all arrays together, kW (interval mean). */
  powerKw: Float64Array;
  /** Clear-sky GHI, W/m² (interval mean). */
  ghiWPerM2: Float64Array;
  /** Mean cosine of the solar zenith over the interval (0 at night). */
  cosZenith: Float64Array;
}

/** Allocation step in intervals. */
const GROW_STEP = 4096;
const cache = new Map<string, ClearSkyCurve>();
const CACHE_SIZE = 8;

export function totalCapacityKw(site: PvSiteSpec): number {
  return site.arrays.reduce((s, a) => s + Math.min(a.capacityKwp, a.inverterKw ?? Infinity), 0);
}

/** Clear-sky curve of a PV site on a grid; cached per site and grid. */
export function clearSkyCurve(
  site: PvSiteSpec,
  startMs: number,
  intervalMinutes: number,
  count: number,
): ClearSkyCurve {
  const key = JSON.stringify([site, startMs, intervalMinutes]);
  // Room to grow: callers ask for ever longer grids (rolling backtests), so round up.
  count = Math.ceil((count + 1) / GROW_STEP) * GROW_STEP;
  const hit = cache.get(key);
  if (hit && hit.powerKw.length >= count) return hit;
  const stepMs = intervalMinutes * 60_000;
  const times = new Float64Array(count * SUBSTEPS);
  for (let i = 0; i < count; i++)
    for (let j = 0; j < SUBSTEPS; j++)
      times[i * SUBSTEPS + j] = startMs + i * stepMs + ((j + 0.5) / SUBSTEPS) * stepMs;
  const loc = { latitudeDeg: site.latitudeDeg, longitudeDeg: site.longitudeDeg };
  const pos = solarPositionAt(times, loc, { elevationM: site.altitudeM });
  const out: ClearSkyCurve = {
    powerKw: new Float64Array(count),
    ghiWPerM2: new Float64Array(count),
    cosZenith: new Float64Array(count),
  };
  const cs: ClearSkyIrradiance = { ghiWPerM2: 0, dniWPerM2: 0, dhiWPerM2: 0 };
  const poa: PoaIrradiance = darkPoa();
  for (let n = 0; n < times.length; n++) {
    const i = Math.floor(n / SUBSTEPS);
    const z = pos.zenithDeg[n];
    if (!(z < 90)) continue;
    const month = new Date(times[n]).getUTCMonth();
    const e0 = extraterrestrialNormalWPerM2(pos.earthSunDistanceAu[n]);
    ineichenPerez(z, site.altitudeM, DEFAULT_MONTHLY_LINKE_TURBIDITY[month], e0, cs);
    out.ghiWPerM2[i] += cs.ghiWPerM2 / SUBSTEPS;
    out.cosZenith[i] += pos.cosZenith[n] / SUBSTEPS;
    for (const a of site.arrays) {
      poaIrradiance(
        {
          surfaceTiltDeg: a.tiltDeg,
          surfaceAzimuthDeg: a.azimuthDeg,
          zenithDeg: z,
          solarAzimuthDeg: pos.azimuthDeg[n],
          ghiWPerM2: cs.ghiWPerM2,
          dniWPerM2: cs.dniWPerM2,
          dhiWPerM2: cs.dhiWPerM2,
          extraterrestrialWPerM2: e0,
        },
        poa,
      );
      const dc = (a.capacityKwp * poa.poaGlobalWPerM2) / 1000;
      const ac =
        dc *
        (1 - (a.systemLossFraction ?? DEFAULT_SYSTEM_LOSS)) *
        (a.inverterEfficiency ?? DEFAULT_INVERTER_EFFICIENCY);
      out.powerKw[i] += Math.min(ac, a.inverterKw ?? Infinity) / SUBSTEPS;
    }
  }
  cache.set(key, out);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  return out;
}
