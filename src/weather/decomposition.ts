// Separation of global horizontal irradiance into its direct and diffuse parts.

const DEG = Math.PI / 180;

/**
 * Below this cos(zenith) the clearness index is computed against this floor, so that a few W/m² of GHI at
 * sunrise do not give an absurd index (the convention of pvlib's `clearness_index`, ≈ 86.3°).
 */
export const MIN_COS_ZENITH = 0.065;
/** Above this zenith angle all irradiance is taken as diffuse: the beam at grazing sun is unmeasurable. */
export const MAX_BEAM_ZENITH_DEG = 87;
/** Clearness index cap: observed hourly values stay below it; higher values are sensor or timing error. */
export const MAX_CLEARNESS_INDEX = 1;

export interface Decomposition {
  dniWPerM2: number;
  dhiWPerM2: number;
  /** Clearness index kt = GHI / (extraterrestrial normal × cos zenith). */
  clearnessIndex: number;
}

/** Clearness index kt for a GHI, zenith angle and extraterrestrial normal irradiance. */
export function clearnessIndex(ghiWPerM2: number, zenithDeg: number, extraterrestrialWPerM2: number): number {
  const cosZ = Math.max(Math.cos(zenithDeg * DEG), MIN_COS_ZENITH);
  const kt = ghiWPerM2 / (extraterrestrialWPerM2 * cosZ);
  return Math.max(0, Math.min(MAX_CLEARNESS_INDEX, kt));
}

/**
 * Erbs, Klein & Duffie (1982), "Estimation of the diffuse radiation fraction for hourly, daily and monthly-
 * average global radiation", Solar Energy 28(4) 293–302: diffuse fraction as a function of kt. The direct
 * part is optionally capped (e.g. at the clear-sky DNI) and whatever it loses is returned as diffuse, so
 * GHI = DNI·cos z + DHI always holds.
 */
export function erbs(
  ghiWPerM2: number,
  zenithDeg: number,
  extraterrestrialWPerM2: number,
  maxDniWPerM2 = Infinity,
  out: Decomposition = { dniWPerM2: 0, dhiWPerM2: 0, clearnessIndex: 0 },
): Decomposition {
  if (!(ghiWPerM2 > 0)) {
    out.dniWPerM2 = 0;
    out.dhiWPerM2 = 0;
    out.clearnessIndex = 0;
    return out;
  }
  const kt = clearnessIndex(ghiWPerM2, zenithDeg, extraterrestrialWPerM2);
  let df: number;
  if (kt <= 0.22) df = 1 - 0.09 * kt;
  else if (kt <= 0.8) df = 0.9511 + kt * (-0.1604 + kt * (4.388 + kt * (-16.638 + kt * 12.336)));
  else df = 0.165;
  out.clearnessIndex = kt;
  if (!(zenithDeg < MAX_BEAM_ZENITH_DEG)) {
    out.dniWPerM2 = 0;
    out.dhiWPerM2 = ghiWPerM2;
    return out;
  }
  const cosZ = Math.cos(zenithDeg * DEG);
  let dni = ((1 - df) * ghiWPerM2) / cosZ;
  if (dni > maxDniWPerM2) dni = maxDniWPerM2;
  if (dni < 0) dni = 0;
  out.dniWPerM2 = dni;
  out.dhiWPerM2 = Math.max(0, ghiWPerM2 - dni * cosZ);
  return out;
}
