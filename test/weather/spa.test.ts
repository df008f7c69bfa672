import { describe, expect, it } from 'vitest';
import { solarPosition, solarPositionAt, solarPositionSeries, spa } from '../../src/weather/index.ts';

// The worked example of Reda & Andreas, NREL/TP-560-34302 (2008), Table A5.1: 2003-10-17 12:30:30 at
// UTC−7, Golden CO.
const example = {
  timeMs: Date.UTC(2003, 9, 17, 19, 30, 30),
  latitudeDeg: 39.742476,
  longitudeDeg: -105.1786,
  elevationM: 1830.14,
  pressureMbar: 820,
  temperatureC: 11,
  deltaTSeconds: 67,
  atmosphericRefractionDeg: 0.5667,
  surfaceTiltDeg: 30,
  // SPA's azimuth rotation −10° is measured from south, westward positive: 170° from north.
  surfaceAzimuthDeg: 170,
};

describe('NREL SPA', () => {
  it('reproduces the report example to 0.001°', () => {
    const r = spa(example);
    expect(r.zenithDeg).toBeCloseTo(50.11162, 3);
    expect(Math.abs(r.zenithDeg - 50.11162)).toBeLessThan(1e-4);
    expect(Math.abs(r.azimuthDeg - 194.34024)).toBeLessThan(1e-4);
    expect(Math.abs(r.incidenceDeg! - 25.187)).toBeLessThan(1e-3);
  });

  it('matches the report intermediate values', () => {
    const r = spa(example);
    expect(r.julianDay).toBeCloseTo(2452930.312847, 6);
    expect(r.geocentric.radiusAu).toBeCloseTo(0.9965422974, 9);
    expect(r.geocentric.nutationLongitudeDeg).toBeCloseTo(-0.0039984, 7);
    expect(r.geocentric.obliquityDeg).toBeCloseTo(23.440465, 6);
    expect(r.geocentric.apparentLongitudeDeg).toBeCloseTo(204.0085519281, 8);
    expect(r.geocentric.alphaDeg).toBeCloseTo(202.22741, 5);
    expect(r.geocentric.deltaDeg).toBeCloseTo(-9.31434, 5);
  });

  it('solarPosition wraps the SPA with the site location', () => {
    const p = solarPosition(
      example.timeMs,
      { latitudeDeg: 39.742476, longitudeDeg: -105.1786, altitudeM: 1830.14 },
      {
        pressureMbar: 820,
        temperatureC: 11,
        deltaTSeconds: 67,
        surfaceTiltDeg: 30,
        surfaceAzimuthDeg: 170,
      },
    );
    expect(p.zenithDeg).toBeCloseTo(50.11162, 4);
    expect(p.elevationDeg).toBeCloseTo(90 - 50.11162, 4);
    expect(p.incidenceDeg).toBeCloseTo(25.187, 3);
  });

  it('the interpolated series agrees with the full SPA over a year', () => {
    const times = Array.from({ length: 8760 }, (_, i) => Date.UTC(2026, 0, 1) + i * 3_600_000 + 1_234_567);
    const loc = { latitudeDeg: 35.17, longitudeDeg: 126.89 };
    const fast = solarPositionAt(times, loc, { elevationM: 70 });
    let worst = 0;
    for (let i = 0; i < times.length; i += 7) {
      const full = spa({ timeMs: times[i], ...loc, elevationM: 70 });
      worst = Math.max(worst, Math.abs(full.zenithDeg - fast.zenithDeg[i]));
      let dAz = Math.abs(full.azimuthDeg - fast.azimuthDeg[i]);
      if (dAz > 180) dAz = 360 - dAz;
      if (full.elevationDeg > 0) worst = Math.max(worst, dAz);
    }
    expect(worst).toBeLessThan(1e-4);
  });

  it('puts the Sun due south at solar noon and high in summer at Gwangju', () => {
    // Solar noon at 126.89°E is near 12:30 KST (03:30 UTC); June solstice noon elevation ≈ 90 − 35.17 + 23.44.
    const times = Array.from({ length: 121 }, (_, i) => Date.UTC(2026, 5, 21, 2, 30) + i * 60_000);
    const s = solarPositionAt(times, { latitudeDeg: 35.17, longitudeDeg: 126.89 });
    let best = 0;
    for (let i = 1; i < s.count; i++) if (s.elevationDeg[i] > s.elevationDeg[best]) best = i;
    expect(s.azimuthDeg[best]).toBeGreaterThan(170);
    expect(s.azimuthDeg[best]).toBeLessThan(190);
    expect(s.elevationDeg[best]).toBeCloseTo(90 - 35.17 + 23.44, 0);
  });

  it('computes a year at 15 min quickly, once per grid and location', () => {
    const grid = { startMs: Date.UTC(2025, 11, 31, 15), intervalMinutes: 15, count: 35040 };
    const loc = { latitudeDeg: 35.17, longitudeDeg: 126.89, altitudeM: 70 };
    const t0 = performance.now();
    const a = solarPositionSeries(grid, loc);
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeLessThan(1500);
    expect(solarPositionSeries(grid, loc)).toBe(a); // shared, not recomputed
    // Midpoints: the first interval's angles are for 00:07:30 KST on 1 January — deep night.
    expect(a.timeMs[0]).toBe(grid.startMs + 450_000);
    expect(a.elevationDeg[0]).toBeLessThan(-50);
    expect(a.cosZenith[0]).toBe(0);
  });
});
