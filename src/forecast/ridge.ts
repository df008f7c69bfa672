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
