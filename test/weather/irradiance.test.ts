import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ALBEDO,
  erbs,
  extraterrestrialNormalByDayWPerM2,
  extraterrestrialNormalWPerM2,
  haurwitzGhiWPerM2,
  ineichenPerez,
  poaIrradiance,
  relativeAirMass,
  spa,
} from '../../src/weather/index.ts';

describe('extraterrestrial and clear-sky irradiance', () => {
  it('is strongest at perihelion (early January)', () => {
    expect(extraterrestrialNormalByDayWPerM2(3)).toBeGreaterThan(1400);
    expect(extraterrestrialNormalByDayWPerM2(185)).toBeLessThan(1320);
    const jan = spa({ timeMs: Date.UTC(2026, 0, 3), latitudeDeg: 0, longitudeDeg: 0 }).geocentric.radiusAu;
    expect(extraterrestrialNormalWPerM2(jan)).toBeCloseTo(extraterrestrialNormalByDayWPerM2(3), -1);
  });

  it('air mass is 1 overhead, about 2 at 60°, infinite below the horizon', () => {
    expect(relativeAirMass(0)).toBeCloseTo(1, 3);
    expect(relativeAirMass(60)).toBeCloseTo(2, 1);
    expect(relativeAirMass(90.5)).toBe(Infinity);
  });

  it('Ineichen–Perez gives a plausible clear sky whose components close', () => {
    const c = ineichenPerez(30, 70, 3.5, 1361);
    expect(c.ghiWPerM2).toBeGreaterThan(800);
    expect(c.ghiWPerM2).toBeLessThan(950);
    expect(c.dniWPerM2).toBeGreaterThan(750);
    expect(c.dniWPerM2 * Math.cos((30 * Math.PI) / 180) + c.dhiWPerM2).toBeCloseTo(c.ghiWPerM2, 6);
    // Hazier air: less beam, more diffuse.
    const hazy = ineichenPerez(30, 70, 6, 1361);
    expect(hazy.dniWPerM2).toBeLessThan(c.dniWPerM2);
    expect(hazy.dhiWPerM2).toBeGreaterThan(c.dhiWPerM2);
    expect(ineichenPerez(95, 70, 3.5, 1361).ghiWPerM2).toBe(0);
    // Same order as the turbidity-free Haurwitz model.
    expect(Math.abs(c.ghiWPerM2 - haurwitzGhiWPerM2(30)) / c.ghiWPerM2).toBeLessThan(0.1);
  });
});

describe('Erbs decomposition', () => {
  it('splits GHI into DNI and DHI that add back up', () => {
    for (const [ghi, z] of [
      [900, 25],
      [400, 40],
      [100, 70],
      [50, 86],
    ]) {
      const d = erbs(ghi, z, 1361);
      expect(d.dniWPerM2 * Math.cos((z * Math.PI) / 180) + d.dhiWPerM2).toBeCloseTo(ghi, 6);
      expect(d.dniWPerM2).toBeGreaterThanOrEqual(0);
    }
  });

  it('overcast is all diffuse; clear sky mostly beam; grazing sun all diffuse', () => {
    const overcast = erbs(100, 40, 1361);
    expect(overcast.dhiWPerM2 / 100).toBeGreaterThan(0.95);
    const clear = erbs(850, 30, 1361);
    expect(clear.dhiWPerM2 / 850).toBeLessThan(0.25);
    expect(erbs(20, 88, 1361).dniWPerM2).toBe(0);
    expect(erbs(850, 30, 1361, 500).dniWPerM2).toBe(500); // cap honoured, remainder diffuse
  });
});

describe('plane-of-array transposition', () => {
  const base = {
    zenithDeg: 40,
    solarAzimuthDeg: 180,
    ghiWPerM2: 700,
    dniWPerM2: 650,
    dhiWPerM2: 700 - 650 * Math.cos((40 * Math.PI) / 180),
    extraterrestrialWPerM2: 1361,
  };

  it('a horizontal surface sees exactly the GHI, whatever the model', () => {
    for (const model of ['perez', 'haydavies', 'isotropic'] as const) {
      const p = poaIrradiance({ ...base, surfaceTiltDeg: 0, surfaceAzimuthDeg: 180, model });
      expect(p.poaGlobalWPerM2).toBeCloseTo(700, 6);
      expect(p.poaGroundWPerM2).toBe(0);
    }
  });

  it('a south tilt facing the Sun gains; a north tilt loses the beam', () => {
    const south = poaIrradiance({ ...base, surfaceTiltDeg: 40, surfaceAzimuthDeg: 180 });
    expect(south.incidenceDeg).toBeCloseTo(0, 4);
    expect(south.poaBeamWPerM2).toBeCloseTo(650, 6);
    expect(south.poaGlobalWPerM2).toBeGreaterThan(700);
    const north = poaIrradiance({ ...base, surfaceTiltDeg: 60, surfaceAzimuthDeg: 0 });
    expect(north.poaBeamWPerM2).toBe(0);
    expect(north.poaGlobalWPerM2).toBeLessThan(south.poaGlobalWPerM2 / 2);
  });

  it('ground reflection is albedo × GHI × (1 − cos tilt)/2, default albedo 0.2', () => {
    expect(DEFAULT_ALBEDO).toBe(0.2);
    const v = poaIrradiance({ ...base, surfaceTiltDeg: 90, surfaceAzimuthDeg: 90 });
    expect(v.poaGroundWPerM2).toBeCloseTo(700 * 0.2 * 0.5, 6);
    const snow = poaIrradiance({ ...base, surfaceTiltDeg: 90, surfaceAzimuthDeg: 90, albedo: 0.8 });
    expect(snow.poaGroundWPerM2).toBeCloseTo(700 * 0.8 * 0.5, 6);
  });

  it('Perez puts more diffuse than isotropic toward the Sun under a clear sky', () => {
    const perez = poaIrradiance({ ...base, surfaceTiltDeg: 40, surfaceAzimuthDeg: 180, model: 'perez' });
    const iso = poaIrradiance({ ...base, surfaceTiltDeg: 40, surfaceAzimuthDeg: 180, model: 'isotropic' });
    const hd = poaIrradiance({ ...base, surfaceTiltDeg: 40, surfaceAzimuthDeg: 180, model: 'haydavies' });
    expect(perez.poaSkyDiffuseWPerM2).toBeGreaterThan(iso.poaSkyDiffuseWPerM2);
    expect(hd.poaSkyDiffuseWPerM2).toBeGreaterThan(iso.poaSkyDiffuseWPerM2);
  });
});
