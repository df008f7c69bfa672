import { describe, expect, it } from 'vitest';
import { createRandom, hashSeed, normalCdf, normalQuantile } from '../../src/weather/index.ts';

describe('seeded random numbers', () => {
  it('same seed, same sequence; different seeds, different sequences', () => {
    const a = createRandom(42);
    const b = createRandom(42);
    const c = createRandom(43);
    const sa = Array.from({ length: 100 }, () => a.next());
    const sb = Array.from({ length: 100 }, () => b.next());
    const sc = Array.from({ length: 100 }, () => c.next());
    expect(sa).toEqual(sb);
    expect(sa).not.toEqual(sc);
  });

  it('uniforms have the right moments and range', () => {
    const r = createRandom(7);
    let sum = 0;
    let sq = 0;
    const n = 200_000;
    let lo = 1;
    let hi = 0;
    for (let i = 0; i < n; i++) {
      const u = r.next();
      lo = Math.min(lo, u);
      hi = Math.max(hi, u);
      sum += u;
      sq += u * u;
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(1);
    expect(sum / n).toBeCloseTo(0.5, 2);
    expect(sq / n - (sum / n) ** 2).toBeCloseTo(1 / 12, 2);
  });

  it('normals are standard normal', () => {
    const r = createRandom(11);
    const n = 200_000;
    let sum = 0;
    let sq = 0;
    let beyond2 = 0;
    for (let i = 0; i < n; i++) {
      const z = r.normal();
      sum += z;
      sq += z * z;
      if (Math.abs(z) > 2) beyond2++;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.01);
    expect(sq / n).toBeCloseTo(1, 1);
    expect(beyond2 / n).toBeCloseTo(0.0455, 2);
  });

  it('hashSeed gives distinct, order-sensitive seeds and forks are independent', () => {
    const seeds = new Set<number>();
    for (let d = 0; d < 10_000; d++) seeds.add(hashSeed(1, 'cloud', d));
    expect(seeds.size).toBe(10_000);
    expect(hashSeed(1, 'a', 2)).not.toBe(hashSeed(1, 2, 'a'));
    expect(hashSeed(1, 'a')).toBe(hashSeed(1, 'a'));
    const r = createRandom(5);
    const f1 = r.fork('x').next();
    r.next();
    expect(r.fork('x').next()).toBe(f1); // forking does not depend on the parent's position
    expect(r.fork('y').next()).not.toBe(f1);
  });

  it('the normal CDF and its inverse agree', () => {
    for (const x of [-4, -2.5, -1, -0.1, 0, 0.3, 1.5, 3]) {
      expect(normalQuantile(normalCdf(x))).toBeCloseTo(x, 5);
    }
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalQuantile(0.5)).toBe(0);
  });
});
