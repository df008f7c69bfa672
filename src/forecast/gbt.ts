// Gradient-boosted regression trees for squared loss (Friedman 2001), compact: features are cut into
// quantile bins once, every tree grows level by level from per-bin sums of residuals and weights, and
// leaves are shrunk by an L2 penalty and the learning rate. Sized for a site's history — a few
// thousand rows, a dozen features, a few hundred shallow trees — not for big data.

/** Default settings; the number of trees is normally chosen by early stopping on held-out rows. */
export const GBT_DEFAULTS = {
  maxTrees: 300,
  /**
   * Depth 2: each tree combines two features (sky × hour, sky × recent index). On the synthetic year with
   * 60-day windows depth 3 and 4 did worse (validation RMSE 3 % higher): a site's weeks of history do
   * not carry deeper interactions.
   */
  depth: 2,
  /** Shrinkage per tree: small steps generalise better (Friedman 2001 found ≤ 0.1 best). */
  learningRate: 0.05,
  /** Fewest rows (by weight share) a leaf may hold: about four days of daylight hours, not single hours. */
  minLeafRows: 40,
  /** L2 penalty on leaf values, in units of row weight. */
  l2: 1,
  /** Quantile bins per feature. */
  bins: 32,
  /** Stop when the held-out error has not improved for this many trees. */
  patience: 30,
};

export type GbtOptions = typeof GBT_DEFAULTS;

/** A fitted ensemble: per tree, a complete binary tree in arrays (feature −1: leaf). */
export interface GbtModel {
  base: number;
  /** Split thresholds per tree node: go left when x[feature] ≤ threshold. */
  trees: { feature: number[]; threshold: number[]; value: number[] }[];
}

/** Rows as an array of feature vectors, with targets and weights. */
export interface GbtData {
  x: Float64Array[];
  y: Float64Array;
  w: Float64Array;
}

function leafValue(t: GbtModel['trees'][number], x: ArrayLike<number>): number {
  let node = 0;
  while (t.feature[node] >= 0) node = 2 * node + (x[t.feature[node]] <= t.threshold[node] ? 1 : 2);
  return t.value[node];
}

export function predictGbt(m: GbtModel, x: ArrayLike<number>): number {
  let s = m.base;
  for (const t of m.trees) s += leafValue(t, x);
  return s;
}

/** Upper edges of up to `bins` quantile bins of one feature (finite values only). */
function binEdges(values: Float64Array, bins: number): Float64Array {
  const v = Float64Array.from(values.filter(Number.isFinite)).sort();
  const edges: number[] = [];
  for (let b = 1; b < bins; b++) {
    const e = v[Math.floor((b * v.length) / bins)];
    if (e !== undefined && (edges.length === 0 || e > edges[edges.length - 1])) edges.push(e);
  }
  return Float64Array.from(edges);
}

function binOf(edges: Float64Array, x: number): number {
  // NaN and values above the last edge go to the last bin.
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x <= edges[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Fits on `train`; when `holdout` is given, trees are added while its weighted squared error keeps
 * falling (early stopping) and the ensemble is cut at the best count.
 */
export function fitGbt(train: GbtData, holdout?: GbtData, opts: Partial<GbtOptions> = {}): GbtModel {
  const o = { ...GBT_DEFAULTS, ...opts };
  const n = train.y.length;
  const p = train.x[0]?.length ?? 0;
  if (n === 0 || p === 0) throw new RangeError('boosted trees need at least one row and one feature');
  let sw = 0;
  let swy = 0;
  for (let i = 0; i < n; i++) {
    sw += train.w[i];
    swy += train.w[i] * train.y[i];
  }
  const base = sw > 0 ? swy / sw : 0;
  const minLeafW = (o.minLeafRows * sw) / n;
  // Binned training features, column by column.
  const edges: Float64Array[] = [];
  const binned: Uint8Array[] = [];
  for (let f = 0; f < p; f++) {
    const col = Float64Array.from(train.x, (r) => r[f]);
    const e = binEdges(col, o.bins);
    edges.push(e);
    binned.push(Uint8Array.from(col, (v) => binOf(e, v)));
  }
  const pred = new Float64Array(n).fill(base);
  const hPred = holdout ? new Float64Array(holdout.y.length).fill(base) : undefined;
  const trees: GbtModel['trees'] = [];
  let bestErr = Infinity;
  let bestCount = 0;
  const nNodes = 2 ** (o.depth + 1) - 1;
  const nodeOf = new Int32Array(n);
  const g = new Float64Array(n);
  for (let t = 0; t < o.maxTrees; t++) {
    for (let i = 0; i < n; i++) g[i] = train.y[i] - pred[i];
    const feature = new Array<number>(nNodes).fill(-1);
    const threshold = new Array<number>(nNodes).fill(0);
    const value = new Array<number>(nNodes).fill(0);
    nodeOf.fill(0);
    // Per node, Σw·g and Σw over its rows.
    const sumG = new Float64Array(nNodes);
    const sumW = new Float64Array(nNodes);
    for (let i = 0; i < n; i++) {
      sumG[0] += train.w[i] * g[i];
      sumW[0] += train.w[i];
    }
    const firstOfLevel = (d: number) => 2 ** d - 1;
    for (let d = 0; d < o.depth; d++) {
      const from = firstOfLevel(d);
      const to = firstOfLevel(d + 1);
      const nb = o.bins;
      // Histograms of this level: node × feature × bin.
      const hg = new Float64Array((to - from) * p * nb);
      const hw = new Float64Array((to - from) * p * nb);
      for (let i = 0; i < n; i++) {
        const node = nodeOf[i];
        if (node < from || node >= to) continue;
        const wi = train.w[i];
        const gi = wi * g[i];
        const baseIdx = (node - from) * p * nb;
        for (let f = 0; f < p; f++) {
          const k = baseIdx + f * nb + binned[f][i];
          hg[k] += gi;
          hw[k] += wi;
        }
      }
      for (let node = from; node < to; node++) {
        const G = sumG[node];
        const W = sumW[node];
        if (W < 2 * minLeafW) continue;
        const parentScore = (G * G) / (W + o.l2);
        let best = 0;
        for (let f = 0; f < p; f++) {
          const baseIdx = (node - from) * p * nb + f * nb;
          let gl = 0;
          let wl = 0;
          for (let b = 0; b < edges[f].length; b++) {
            gl += hg[baseIdx + b];
            wl += hw[baseIdx + b];
            const wr = W - wl;
            if (wl < minLeafW || wr < minLeafW) continue;
            const gr = G - gl;
            const gain = (gl * gl) / (wl + o.l2) + (gr * gr) / (wr + o.l2) - parentScore;
            if (gain > best) {
              best = gain;
              feature[node] = f;
              threshold[node] = edges[f][b];
            }
          }
        }
      }
      // Send rows down and sum their children.
      for (let i = 0; i < n; i++) {
        const node = nodeOf[i];
        if (node < from || node >= to || feature[node] < 0) continue;
        const f = feature[node];
        const child = 2 * node + (train.x[i][f] <= threshold[node] ? 1 : 2);
        nodeOf[i] = child;
        sumG[child] += train.w[i] * g[i];
        sumW[child] += train.w[i];
      }
    }
    for (let node = 0; node < nNodes; node++)
      if (feature[node] < 0) value[node] = (o.learningRate * sumG[node]) / (sumW[node] + o.l2);
    const tree = { feature, threshold, value };
    trees.push(tree);
    // Training rows already sit in their leaves.
    for (let i = 0; i < n; i++) pred[i] += value[nodeOf[i]];
    if (holdout && hPred) {
      let err = 0;
      for (let i = 0; i < holdout.y.length; i++) {
        hPred[i] += leafValue(tree, holdout.x[i]);
        err += holdout.w[i] * (holdout.y[i] - hPred[i]) ** 2;
      }
      if (err < bestErr) {
        bestErr = err;
        bestCount = trees.length;
      } else if (trees.length - bestCount >= o.patience) break;
    }
  }
  return { base, trees: holdout ? trees.slice(0, Math.max(1, bestCount)) : trees };
}
