import { relativeAirMass } from './clearsky.ts';

// Plane-of-array irradiance: beam, sky diffuse (Perez 1990 or Hay–Davies) and ground reflection.

const DEG = Math.PI / 180;

/** Ground reflectance when none is given: the conventional value for grass and bare soil. */
export const DEFAULT_ALBEDO = 0.2;

/** Transposition models for the sky-diffuse part. */
export type SkyDiffuseModel = 'perez' | 'haydavies' | 'isotropic';

export interface PoaInput {
  surfaceTiltDeg: number;
  /** Clockwise from north, 180 = south. */
  surfaceAzimuthDeg: number;
  /** Apparent solar zenith angle, degrees. */
  zenithDeg: number;
  solarAzimuthDeg: number;
  ghiWPerM2: number;
  dniWPerM2: number;
  dhiWPerM2: number;
  /** Extraterrestrial normal irradiance, W/m². */
  extraterrestrialWPerM2: number;
  albedo?: number;
  model?: SkyDiffuseModel;
}

export interface PoaIrradiance {
  /** Total in the plane, W/m². */
  poaGlobalWPerM2: number;
  poaBeamWPerM2: number;
  poaSkyDiffuseWPerM2: number;
  poaGroundWPerM2: number;
  /** Angle of incidence of the beam, degrees. */
  incidenceDeg: number;
}

/**
 * Perez et al. (1990), "Modeling daylight availability and irradiance components from direct and global
 * irradiance", Solar Energy 44(5) 271–289, Table 6: coefficients F11 F12 F13 F21 F22 F23 for the eight
 * sky-clearness bins ("allsitescomposite1990").
 */
const PEREZ_COEFFICIENTS: readonly (readonly [number, number, number, number, number, number])[] = [
  [-0.008, 0.588, -0.062, -0.06, 0.072, -0.022],
  [0.13, 0.683, -0.151, -0.019, 0.066, -0.029],
  [0.33, 0.487, -0.221, 0.055, -0.064, -0.026],
  [0.568, 0.187, -0.295, 0.109, -0.152, -0.014],
  [0.873, -0.392, -0.362, 0.226, -0.462, 0.001],
  [1.132, -1.237, -0.412, 0.288, -0.823, 0.056],
  [1.06, -1.6, -0.359, 0.264, -1.127, 0.131],
  [0.678, -0.327, -0.25, 0.156, -1.377, 0.251],
];
/** Upper bounds of the sky-clearness bins ε (the last bin is open). */
const PEREZ_EPSILON_BOUNDS = [1.065, 1.23, 1.5, 1.95, 2.8, 4.5, 6.2];
/** κ of the sky-clearness formula for zenith in radians (Perez 1990). */
const PEREZ_KAPPA = 1.041;
/** Beyond this zenith the anisotropic models' circumsolar term is meaningless; fall back to isotropic. */
const ANISOTROPIC_MAX_ZENITH_DEG = 87;
/** Floor of cos(zenith) in the circumsolar ratio a/b (Perez: the sun is taken no lower than 85°). */
const COS_85 = Math.cos(85 * DEG);

/** No light in the plane (the sun behind it): the start of a reused `poaIrradiance` output. */
export function darkPoa(): PoaIrradiance {
  return {
    poaGlobalWPerM2: 0,
    poaBeamWPerM2: 0,
    poaSkyDiffuseWPerM2: 0,
    poaGroundWPerM2: 0,
    incidenceDeg: 90,
  };
}

/** Plane-of-array irradiance from GHI/DNI/DHI and the geometry. */
export function poaIrradiance(i: PoaInput, out: PoaIrradiance = darkPoa()): PoaIrradiance {
  const tilt = i.surfaceTiltDeg * DEG;
  const z = i.zenithDeg * DEG;
  const cosTilt = Math.cos(tilt);
  const sinTilt = Math.sin(tilt);
  const cosZ = Math.cos(z);
  const cosAoi = Math.max(
    -1,
    Math.min(
      1,
      cosZ * cosTilt + Math.sin(z) * sinTilt * Math.cos((i.solarAzimuthDeg - i.surfaceAzimuthDeg) * DEG),
    ),
  );
  out.incidenceDeg = Math.acos(cosAoi) / DEG;
  const sunUp = i.zenithDeg < 90;
  const beam = sunUp && cosAoi > 0 ? i.dniWPerM2 * cosAoi : 0;
  const dhi = Math.max(0, i.dhiWPerM2);
  const isoView = (1 + cosTilt) / 2;
  let sky: number;
  const model = i.model ?? 'perez';
  if (dhi <= 0) sky = 0;
  else if (model === 'isotropic' || !(i.zenithDeg < ANISOTROPIC_MAX_ZENITH_DEG)) sky = dhi * isoView;
  else {
    const a = Math.max(0, cosAoi);
    const b = Math.max(COS_85, cosZ);
    if (model === 'haydavies') {
      // Hay & Davies (1980): anisotropy index = beam transmittance DNI / extraterrestrial.
      const ai = Math.min(1, Math.max(0, i.dniWPerM2 / i.extraterrestrialWPerM2));
      sky = dhi * (ai * (a / b) + (1 - ai) * isoView);
    } else {
      const zr = z;
      const k = PEREZ_KAPPA * zr * zr * zr;
      const epsilon = ((dhi + Math.max(0, i.dniWPerM2)) / dhi + k) / (1 + k);
      let bin = 0;
      while (bin < PEREZ_EPSILON_BOUNDS.length && epsilon >= PEREZ_EPSILON_BOUNDS[bin]) bin++;
      const c = PEREZ_COEFFICIENTS[bin];
      const delta = (dhi * relativeAirMass(i.zenithDeg)) / i.extraterrestrialWPerM2;
      const f1 = Math.max(0, c[0] + c[1] * delta + c[2] * zr);
      const f2 = c[3] + c[4] * delta + c[5] * zr;
      sky = Math.max(0, dhi * ((1 - f1) * isoView + f1 * (a / b) + f2 * sinTilt));
    }
  }
  const ground = Math.max(0, i.ghiWPerM2) * (i.albedo ?? DEFAULT_ALBEDO) * ((1 - cosTilt) / 2);
  out.poaBeamWPerM2 = beam;
  out.poaSkyDiffuseWPerM2 = sky;
  out.poaGroundWPerM2 = ground;
  out.poaGlobalWPerM2 = beam + sky + ground;
  return out;
}
