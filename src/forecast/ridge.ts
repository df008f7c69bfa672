import { CholeskyDecomposition, Matrix } from 'ml-matrix';

// Weighted ridge regression by the normal equations: the design matrices here are a few thousand rows
// by a few dozen columns, so XᵀX is accumulated row by row and solved with ml-matrix's Cholesky.

/** Added to every diagonal element so an unused, unpenalised feature cannot make XᵀX singular. */
const MIN_PENALTY = 1e-9;

export interface RidgeModel {
  /** Coefficient per feature (the intercept, if wanted, is a constant feature). */
  weights: number[];
}

/** Accumulates XᵀWX and XᵀWy one row at a time. */
export class NormalEquations {
  readonly p: number;
  readonly xtx: Float64Array;
  readonly xty: Float64Array;
  rows = 0;
  constructor(p: number) {
    this.p = p;
    this.xtx = new Float64Array(p * p);
    this.xty = new Float64Array(p);
  }
  add(x: ArrayLike<number>, y: number, w = 1): void {
    const p = this.p;
    for (let a = 0; a < p; a++) {
      const xa = x[a] * w;
      if (xa === 0) continue;
      this.xty[a] += xa * y;
      const row = a * p;
      for (let b = a; b < p; b++) this.xtx[row + b] += xa * x[b];
    }
    this.rows++;
  }
  /**
   * Solve with a ridge penalty λ·mean(diag XᵀX) on every coefficient (scale-free, so one λ suits
   * features of any unit); unused features (all-zero columns) get zero weight. With `penalty`, each
   * coefficient's penalty is λ × penalty[a] instead (0: not shrunk, e.g. a profile the others are
   * deviations from).
   */
  solve(lambda: number, penalty?: ArrayLike<number>): RidgeModel {
    const p = this.p;
    let trace = 0;
    for (let a = 0; a < p; a++) trace += this.xtx[a * p + a];
    const meanDiag = trace / p || 1;
    const pen = (a: number) => lambda * (penalty ? penalty[a] : meanDiag);
    const m = new Matrix(p, p);
    for (let a = 0; a < p; a++)
      for (let b = a; b < p; b++) {
        const v = this.xtx[a * p + b];
        m.set(a, b, v);
        m.set(b, a, v);
      }
    for (let a = 0; a < p; a++) m.set(a, a, m.get(a, a) + pen(a) + MIN_PENALTY);
    const chol = new CholeskyDecomposition(m);
    if (!chol.isPositiveDefinite()) throw new RangeError('regression is singular: too little data to fit');
    const w = chol.solve(Matrix.columnVector(Array.from(this.xty)));
    return { weights: w.getColumn(0) };
  }
}

export function predictRidge(m: RidgeModel, x: ArrayLike<number>): number {
  let s = 0;
  for (let a = 0; a < m.weights.length; a++) s += m.weights[a] * x[a];
  return s;
}

/** A training row of a block (a local day): rows of one block are never split between folds. */
export interface BlockRow {
  x: Float64Array;
  y: number;
  block: number;
}

export interface GroupedPenaltyOptions {
  /** Penalty group of each feature (0 … groups − 1). */
  group: ArrayLike<number>;
  /**
   * Per group, its penalty as a multiple of mean(diag XᵀX): a number is fixed, a list is the grid the
   * cross-validation chooses from.
   */
  penalties: readonly (number | readonly number[])[];
  /** Contiguous folds of blocks. */
  folds: number;
  /** Bounds a prediction is clamped to before it is scored (the model's own output bounds). */
  bounds?: [number, number];
}

export interface GroupedRidgeFit {
  model: RidgeModel;
  /** The penalty chosen for each group, × mean(diag XᵀX). */
  penalties: number[];
}

/**
 * Ridge with one penalty per feature group, each chosen by blocked cross-validation: the blocks (days)
 * are cut into `folds` contiguous runs, each run is predicted by the model fitted on the others, and
 * the grid combination with the least squared error wins; then the model is fitted on all rows.
 * Contiguous blocks keep the strongly day-correlated errors of a weather forecast inside one fold, so
 * a fold is not predicted from its own days' neighbours (Bergmeir & Benítez 2012, Information
 * Sciences 191, 192–213: blocked cross-validation is sound for choosing time-series models). Every
 * fold scores different days, so a choice rests on the whole window, not on its last weeks.
 */
export function fitGroupedRidge(rows: readonly BlockRow[], o: GroupedPenaltyOptions): GroupedRidgeFit {
  const p = o.group.length;
  const all = new NormalEquations(p);
  for (const r of rows) all.add(r.x, r.y);
  let trace = 0;
  for (let a = 0; a < p; a++) trace += all.xtx[a * p + a];
  const meanDiag = trace / p || 1;
  const penaltyOf = (perGroup: readonly number[]) =>
    Float64Array.from({ length: p }, (_, a) => perGroup[o.group[a]] * meanDiag);
  // Every combination of the groups' grids (fixed groups contribute one value).
  let combos: number[][] = [[]];
  for (const g of o.penalties) {
    const values = typeof g === 'number' ? [g] : g;
    combos = combos.flatMap((c) => values.map((v) => [...c, v]));
  }
  const blocks = [...new Set(rows.map((r) => r.block))].sort((a, b) => a - b);
  const folds = Math.min(o.folds, blocks.length);
  let best = combos[0];
  if (combos.length > 1 && folds >= 2) {
    const foldOfBlock = new Map<number, number>();
    blocks.forEach((b, n) => foldOfBlock.set(b, Math.floor((n * folds) / blocks.length)));
    const foldOf = rows.map((r) => foldOfBlock.get(r.block)!);
    const perFold = Array.from({ length: folds }, () => new NormalEquations(p));
    rows.forEach((r, n) => perFold[foldOf[n]].add(r.x, r.y));
    const [lo, hi] = o.bounds ?? [-Infinity, Infinity];
    let bestSse = Infinity;
    for (const c of combos) {
      const pen = penaltyOf(c);
      let sse = 0;
      for (let f = 0; f < folds && sse < bestSse; f++) {
        const train = new NormalEquations(p);
        for (let g = 0; g < folds; g++) {
          if (g === f) continue;
          for (let q = 0; q < p * p; q++) train.xtx[q] += perFold[g].xtx[q];
          for (let q = 0; q < p; q++) train.xty[q] += perFold[g].xty[q];
        }
        let m: RidgeModel;
        try {
          m = train.solve(1, pen);
        } catch {
          sse = Infinity;
          break;
        }
        rows.forEach((r, n) => {
          if (foldOf[n] !== f) return;
          const e = r.y - Math.min(hi, Math.max(lo, predictRidge(m, r.x)));
          sse += e * e;
        });
      }
      if (sse < bestSse) {
        bestSse = sse;
        best = c;
      }
    }
  }
  return { model: all.solve(1, penaltyOf(best)), penalties: best };
}
