import { describe, expect, it } from 'vitest';
import { fitGroupedRidge, predictRidge, type BlockRow } from '../../src/forecast/ridge.ts';

// Ridge with per-group penalties chosen by blocked cross-validation (as pv-ridge uses for its hour
// factors and secondary forecast variables): a group of features that carries only noise is shrunk
// hard, a group that carries signal is not, and blocks (days) are never split between folds.

/** Seeded uniform in [0, 1) (LCG), so the data are the same at every run. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** 60 "days" of 12 rows: y = 2·x0 + 1.5·x1 + noise; x2…x9 are noise features. */
function dataset(seed: number): BlockRow[] {
  const r = lcg(seed);
  const rows: BlockRow[] = [];
  for (let day = 0; day < 60; day++) {
    const dayError = r() - 0.5; // shared by the day's rows, as a weather forecast's error is
    for (let h = 0; h < 12; h++) {
      const x = Float64Array.from({ length: 10 }, () => r() - 0.5);
      x[0] = 1;
      rows.push({ x, y: 2 * x[0] + 1.5 * x[1] + dayError + 0.3 * (r() - 0.5), block: day });
    }
  }
  return rows;
}

const GRID = [1e-4, 1e-3, 1e-2, 1e-1, 1, 10];
/** Groups: 0 = intercept (fixed penalty), 1 = the signal feature x1, 2 = the eight noise features. */
const GROUP = [0, 1, 2, 2, 2, 2, 2, 2, 2, 2];

describe('ridge with group penalties chosen by blocked cross-validation', () => {
  it('shrinks a noise group hard, keeps the signal, and predicts new days better than a light fixed penalty', () => {
    const train = dataset(1);
    const fit = fitGroupedRidge(train, { group: GROUP, penalties: [1e-4, GRID, GRID], folds: 5 });
    expect(fit.penalties[1]).toBeLessThan(fit.penalties[2]);
    expect(fit.model.weights[1]).toBeCloseTo(1.5, 0);
    const fixed = fitGroupedRidge(train, { group: GROUP, penalties: [1e-4, 1e-4, 1e-4], folds: 5 });
    expect(fixed.penalties).toEqual([1e-4, 1e-4, 1e-4]);
    const sse = (w: { weights: number[] }) =>
      dataset(2).reduce((s, row) => s + (row.y - predictRidge(w, row.x)) ** 2, 0);
    expect(sse(fit.model)).toBeLessThan(sse(fixed.model));
  });

  it('with nothing to choose, is the plain ridge solution', () => {
    const rows = dataset(3);
    const a = fitGroupedRidge(rows, { group: GROUP, penalties: [1e-3, 1e-3, 1e-3], folds: 5 });
    const b = fitGroupedRidge(rows, { group: GROUP, penalties: [1e-3, [1e-3], [1e-3]], folds: 1 });
    expect(a.model.weights).toEqual(b.model.weights);
  });
});
