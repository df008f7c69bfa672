// Scores of a set of forecasts against what happened.

export interface ScoredPoint {
  actual: number;
  p10: number;
  p50: number;
  p90: number;
}

export interface Metrics {
  points: number;
  maeKw: number;
  rmseKw: number;
  /** MAE divided by the normaliser (PV: capacity; load: mean load). */
  nmae: number;
  /** Mean absolute percentage error over points with actual above the floor; load only. */
  mape?: number;
  /** Mean pinball loss over P10, P50, P90, kW. */
  pinballKw: number;
  /** Share of actuals within [P10, P90]. */
  coverage80: number;
}

/** Pinball (quantile) loss of one quantile forecast. */
export function pinball(actual: number, forecast: number, level: number): number {
  const d = actual - forecast;
  return d >= 0 ? level * d : (level - 1) * d;
}

/**
 * Metrics over points. `normaliserKw` scales nMAE; MAPE is computed when `mapeFloorKw` is given, over
 * points whose actual exceeds it (a percentage of nearly nothing is meaningless).
 */
export function scoreMetrics(
  points: readonly ScoredPoint[],
  normaliserKw: number,
  mapeFloorKw?: number,
): Metrics {
  let ae = 0;
  let se = 0;
  let pb = 0;
  let cov = 0;
  let ape = 0;
  let nApe = 0;
  for (const p of points) {
    const e = p.actual - p.p50;
    ae += Math.abs(e);
    se += e * e;
    pb += (pinball(p.actual, p.p10, 0.1) + pinball(p.actual, p.p50, 0.5) + pinball(p.actual, p.p90, 0.9)) / 3;
    if (p.actual >= p.p10 && p.actual <= p.p90) cov++;
    if (mapeFloorKw !== undefined && p.actual > mapeFloorKw) {
      ape += Math.abs(e) / p.actual;
      nApe++;
    }
  }
  const n = points.length;
  const out: Metrics = {
    points: n,
    maeKw: n ? ae / n : NaN,
    rmseKw: n ? Math.sqrt(se / n) : NaN,
    nmae: n ? ae / n / normaliserKw : NaN,
    pinballKw: n ? pb / n : NaN,
    coverage80: n ? cov / n : NaN,
  };
  if (mapeFloorKw !== undefined) out.mape = nApe ? ape / nApe : NaN;
  return out;
}

/** Skill score 1 − RMSE / RMSE(reference): 0 = as good as the reference, 1 = perfect. */
export function skill(rmse: number, referenceRmse: number): number {
  return 1 - rmse / referenceRmse;
}
