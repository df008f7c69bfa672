// Extraterrestrial and clear-sky irradiance.

const DEG = Math.PI / 180;

/** Total solar irradiance at 1 AU, W/m² (Kopp & Lean 2011, Geophys. Res. Lett. 38, L01706). */
export const SOLAR_CONSTANT_W_PER_M2 = 1361;

/** Extraterrestrial normal irradiance for an Earth–Sun distance in AU (e.g. from the SPA). */
export function extraterrestrialNormalWPerM2(earthSunDistanceAu: number): number {
  return SOLAR_CONSTANT_W_PER_M2 / (earthSunDistanceAu * earthSunDistanceAu);
}

/**
 * Extraterrestrial normal irradiance from the day of year (1–366) by Spencer's Fourier series for the
 * eccentricity correction (Spencer 1971, "Fourier series representation of the position of the Sun").
 */
export function extraterrestrialNormalByDayWPerM2(dayOfYear: number): number {
  const b = (2 * Math.PI * (dayOfYear - 1)) / 365;
  return (
    SOLAR_CONSTANT_W_PER_M2 *
    (1.00011 +
      0.034221 * Math.cos(b) +
      0.00128 * Math.sin(b) +
      0.000719 * Math.cos(2 * b) +
      0.000077 * Math.sin(2 * b))
  );
}

/**
 * Relative optical air mass (Kasten & Young 1989, Applied Optics 28(22)); Infinity with the Sun at or
 * below the horizon.
 */
export function relativeAirMass(zenithDeg: number): number {
  if (!(zenithDeg < 90)) return Infinity;
  return 1 / (Math.cos(zenithDeg * DEG) + 0.50572 * Math.pow(96.07995 - zenithDeg, -1.6364));
}

/** Pressure-corrected (absolute) air mass for a site altitude, via the standard-atmosphere pressure ratio. */
export function absoluteAirMass(relative: number, altitudeM: number): number {
  return relative * Math.pow(1 - 2.25577e-5 * altitudeM, 5.25588);
}

/**
 * Monthly Linke turbidity (air mass 2), January first: a generic humid mid-latitude profile, clearer in
 * winter and hazier in the humid summer, in the range reported for East Asia by the SoDa/Meteotest
 * climatology (Remund et al. 2003). Approximate: a site with measured values should pass its own.
 */
export const DEFAULT_MONTHLY_LINKE_TURBIDITY: readonly number[] = [
  3.2, 3.4, 3.8, 4.1, 4.2, 4.4, 4.6, 4.5, 4.0, 3.6, 3.3, 3.2,
];

export interface ClearSkyIrradiance {
  ghiWPerM2: number;
  dniWPerM2: number;
  dhiWPerM2: number;
}

/**
 * Ineichen–Perez clear-sky model (Ineichen & Perez 2002, "A new airmass independent formulation for the
 * Linke turbidity coefficient", Solar Energy 73(3) 151–157), GHI and DNI as in that paper, without the
 * optional low-sun enhancement factor. `zenithDeg` is the apparent (refracted) zenith angle.
 */
export function ineichenPerez(
  zenithDeg: number,
  altitudeM: number,
  linkeTurbidity: number,
  extraterrestrialWPerM2: number,
  out: ClearSkyIrradiance = { ghiWPerM2: 0, dniWPerM2: 0, dhiWPerM2: 0 },
): ClearSkyIrradiance {
  const cosZ = Math.cos(zenithDeg * DEG);
  if (!(zenithDeg < 90) || cosZ <= 0) {
    out.ghiWPerM2 = 0;
    out.dniWPerM2 = 0;
    out.dhiWPerM2 = 0;
    return out;
  }
  const am = absoluteAirMass(relativeAirMass(zenithDeg), altitudeM);
  const tl = linkeTurbidity;
  const fh1 = Math.exp(-altitudeM / 8000);
  const fh2 = Math.exp(-altitudeM / 1250);
  const cg1 = 5.09e-5 * altitudeM + 0.868;
  const cg2 = 3.92e-5 * altitudeM + 0.0387;
  const ghi = cg1 * extraterrestrialWPerM2 * cosZ * Math.exp(-cg2 * am * (fh1 + fh2 * (tl - 1)));
  const b = 0.664 + 0.163 / fh1;
  const dniBeam = extraterrestrialWPerM2 * b * Math.exp(-0.09 * am * (tl - 1));
  // The DNI may not exceed what the GHI formula leaves after a minimum diffuse share.
  const dniCap = (ghi * (1 - (0.1 - 0.2 * Math.exp(-tl)) / (0.1 + 0.882 / fh1))) / cosZ;
  const dni = Math.max(0, Math.min(dniBeam, dniCap));
  out.ghiWPerM2 = Math.max(0, ghi);
  out.dniWPerM2 = dni;
  out.dhiWPerM2 = Math.max(0, out.ghiWPerM2 - dni * cosZ);
  return out;
}

/**
 * Haurwitz clear-sky GHI (Haurwitz 1945; as evaluated by Reno, Hansen & Stein 2012, SAND2012-2389): needs
 * only the zenith angle. A fallback when no turbidity is known.
 */
export function haurwitzGhiWPerM2(zenithDeg: number): number {
  const cosZ = Math.cos(zenithDeg * DEG);
  if (cosZ <= 0) return 0;
  return 1098 * cosZ * Math.exp(-0.059 / cosZ);
}
