import { describe, expect, it } from 'vitest';
import { fitGbt, predictGbt, type GbtData } from '../../src/forecast/gbt.ts';

// The boosted trees on data whose answer is known: a threshold interaction no linear model can draw,
// noise that early stopping must not chase, and weights that decide which rows matter.

/** Seeded uniform numbers (an LCG), so the data reproduce. */
function uniforms(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
}

/** y = 1 where x0 > 0.5 and x1 > 0.3 (a clear forecast and a bright yesterday), else 0.2; plus noise. */
function dataset(n: number, noise: number, seed: number): GbtData {
  const u = uniforms(seed);
  const x: Float64Array[] = [];
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = Float64Array.from([u(), u(), u()]);
    x.push(r);
    y[i] = (r[0] > 0.5 && r[1] > 0.3 ? 1 : 0.2) + noise * (u() - 0.5);
  }
  return { x, y, w: new Float64Array(n).fill(1) };
}

function rmse(m: ReturnType<typeof fitGbt>, d: GbtData): number {
  let se = 0;
  d.x.forEach((x, i) => (se += (d.y[i] - predictGbt(m, x)) ** 2));
  return Math.sqrt(se / d.y.length);
}

describe('gradient-boosted trees', () => {
  it('learns a threshold interaction far better than the mean', () => {
    const train = dataset(2000, 0, 1);
    const test = dataset(500, 0, 2);
    const m = fitGbt(train, undefined, { maxTrees: 200 });
    // The mean alone misses by the spread of the two levels (≈ 0.38); the trees find the corner, up to
    // the width of a quantile bin (1/32) around its edges.
    expect(rmse({ base: m.base, trees: [] }, test)).toBeGreaterThan(0.3);
    expect(rmse(m, test)).toBeLessThan(0.15);
    expect(predictGbt(m, [0.9, 0.9, 0.5])).toBeCloseTo(1, 1);
    expect(predictGbt(m, [0.1, 0.9, 0.5])).toBeCloseTo(0.2, 1);
  });

  it('stops adding trees once the held-out error stops falling', () => {
    const train = dataset(600, 1.5, 3);
    const hold = dataset(300, 1.5, 4);
    const m = fitGbt(train, hold, { maxTrees: 400 });
    expect(m.trees.length).toBeLessThan(400);
    // On fresh noisy data the stopped ensemble is no worse than the full one that chased the noise.
    const full = fitGbt(train, undefined, { maxTrees: 400 });
    const fresh = dataset(2000, 1.5, 5);
    expect(rmse(m, fresh)).toBeLessThanOrEqual(rmse(full, fresh));
  });

  it('follows the weights: rows of zero weight do not move the fit', () => {
    const d = dataset(1000, 0, 6);
    // Poison half the rows but give them no weight.
    for (let i = 0; i < 500; i++) {
      d.y[i] = 50;
      d.w[i] = 0;
    }
    const m = fitGbt(d, undefined, { maxTrees: 150 });
    expect(Math.abs(predictGbt(m, [0.9, 0.9, 0.5]) - 1)).toBeLessThan(0.1);
  });

  it('refuses empty data with a clear message', () => {
    expect(() => fitGbt({ x: [], y: new Float64Array(0), w: new Float64Array(0) })).toThrow(
      /at least one row and one feature/,
    );
  });
});
