import { DateTime } from 'luxon';
import { knownAt, stepMs } from './series.ts';
import type { Forecaster, PredictRequest, QuantileForecast, SiteSeries } from './types.ts';

// Automatic model choice per site and target: every candidate — learned models and baselines — is
// replayed as a day-ahead forecaster over the last days of the site's own history (rolling origin: for
// each validation day D, fitted on what was known at the issue on D − 1, refitted weekly) and scored on
// D. A learned model is used only if it beats the best baseline on RMSE *and* MAE there; otherwise the
// best baseline is. The baselines need no training, so one is always available. Among learned models
// that pass, a more complex one (later in the candidate list) displaces a simpler one only when its
// validation error is lower by more than one standard error: two weeks of days cannot tell two close
// models apart, and picking the one that was luckiest on them costs more than it gains.

const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 24 * MS_PER_HOUR;
/** Validation days at most: two weeks cover both weekend kinds twice and keep a refit cheap. */
export const MAX_VALIDATION_DAYS = 14;
/** Fewer validation days than this say too little to choose on (less than one of each day kind). */
export const MIN_VALIDATION_DAYS = 3;
/** History a candidate gets before the first validation issue, days: what a learned model needs (series.ts). */
export const MIN_VALIDATION_TRAIN_DAYS = 14;
/**
 * Lowest skill reported: an RMSE 100 × the best baseline's, or any error where that baseline made none,
 * is −99 — finite, so it survives JSON, and far beyond any model worth a second look.
 */
export const MIN_SKILL = -99;
/** Refit interval within the validation window, issues: as in the backtest (backtest.ts DEFAULT_REFIT_DAYS). */
const VALIDATION_REFIT_DAYS = 7;

export interface Candidate {
  /** A fresh, unfitted forecaster each call. */
  make: () => Forecaster;
  /** A learned model (held to the guard) rather than a baseline. */
  learned: boolean;
}

export interface CandidateScore {
  name: string;
  learned: boolean;
  rmseKw: number;
  maeKw: number;
  /** 1 − RMSE / RMSE of the best baseline on the same validation points (0 for that baseline). */
  skillRmse: number;
  /** Why the candidate has no score (it could not be fitted), when it has none. */
  error?: string;
}

export interface ModelChoice {
  chosen: string;
  /** One sentence: the figures behind the choice. */
  reason: string;
  /** Issue time the validation ran at, UTC ms; null when there was too little history to validate. */
  validatedAtMs: number | null;
  /** Validation days and scored intervals. */
  days: number;
  points: number;
  candidates: CandidateScore[];
}

export interface SelectionOptions {
  /** Local hour of the day-ahead issue replayed in validation (the hour of `untilMs` when absent). */
  issueHour?: number;
  horizonHours: number;
  /**
   * What each validation issue is scored on: `next-day` (default), the local day after the issue, as the
   * day-ahead backtest; `horizon`, every interval from the issue to the horizon (the live planner's use).
   */
  score?: 'next-day' | 'horizon';
  /** Per series index, non-zero where an interval is scored (PV: daylight); all when absent. */
  scoredMask?: (data: SiteSeries) => ArrayLike<number>;
  maxValidationDays?: number;
}

/** One replayed issue: when it is issued, and the series indices [i0, i1) it is scored on. */
export interface ValidationIssue {
  issueMs: number;
  i0: number;
  i1: number;
}

/**
 * The validation issues over the last `days` days before `untilMs`, oldest first. `horizon`: at the
 * time of day of `untilMs` on each day, scored up to the horizon or up to what is known; `next-day`
 * (default): at `issueHour` the day before each of the last whole local days, scored on that day, and
 * left out where that day reaches past the horizon.
 */
export function validationIssues(
  data: SiteSeries,
  untilMs: number,
  days: number,
  issueHour: number,
  o: Pick<SelectionOptions, 'score' | 'horizonHours'>,
): ValidationIssue[] {
  const zone = data.zone;
  const step = stepMs(data);
  const issues: ValidationIssue[] = [];
  if (o.score === 'horizon') {
    // Issues at the same time of day on each of the last `days` days, scored up to the horizon or now.
    const known = Math.floor((untilMs - data.startMs) / step);
    const horizonSteps = Math.ceil((o.horizonHours * MS_PER_HOUR) / step);
    for (let d = days; d >= 1; d--) {
      const issueMs = DateTime.fromMillis(untilMs, { zone }).minus({ days: d }).toMillis();
      const i0 = Math.ceil((issueMs - data.startMs) / step);
      const i1 = Math.min(known, i0 + horizonSteps);
      if (i0 >= 0 && i1 > i0) issues.push({ issueMs, i0, i1 });
    }
  } else {
    // The last `days` whole local days that ended by untilMs, each issued the day before.
    const lastDayEnd = DateTime.fromMillis(untilMs, { zone }).startOf('day');
    for (let d = days; d >= 1; d--) {
      const day = lastDayEnd.minus({ days: d });
      const issueMs = day.minus({ days: 1 }).plus({ hours: issueHour }).toMillis();
      const i0 = Math.round((day.toMillis() - data.startMs) / step);
      const i1 = Math.round((day.plus({ days: 1 }).toMillis() - data.startMs) / step);
      if (i0 < 0 || (day.toMillis() + MS_PER_DAY - issueMs) / MS_PER_HOUR > o.horizonHours) continue;
      issues.push({ issueMs, i0, i1 });
    }
  }
  return issues;
}

/**
 * Each model's p50 over each issue's scored intervals, fitted on what was known at the issue and
 * refitted every VALIDATION_REFIT_DAYS issues; a model that throws keeps its error and stops.
 */
function replay(
  data: SiteSeries,
  models: readonly Forecaster[],
  issues: readonly ValidationIssue[],
  horizonHours: number,
): { preds: Float64Array[][]; errors: (string | undefined)[] } {
  const step = stepMs(data);
  const errors: (string | undefined)[] = models.map(() => undefined);
  const preds: Float64Array[][] = models.map(() => []);
  for (let n = 0; n < issues.length; n++) {
    const { issueMs, i0, i1 } = issues[n];
    if (n % VALIDATION_REFIT_DAYS === 0) {
      const view = knownAt(data, issueMs);
      models.forEach((m, k) => {
        if (errors[k]) return;
        try {
          m.fit(view, issueMs);
        } catch (e) {
          errors[k] = (e as Error).message;
        }
      });
    }
    const view = knownAt(data, issueMs, issueMs + horizonHours * MS_PER_HOUR);
    const first = Math.ceil((issueMs - data.startMs) / step);
    const req: PredictRequest = {
      issueMs,
      startMs: data.startMs + first * step,
      count: Math.ceil((horizonHours * MS_PER_HOUR) / step),
    };
    models.forEach((m, k) => {
      if (errors[k]) return;
      try {
        const p = m.predict(view, req).p50;
        preds[k].push(p.subarray(i0 - first, i1 - first));
      } catch (e) {
        errors[k] = (e as Error).message;
      }
    });
  }
  return { preds, errors };
}

/** Errors of the replayed forecasts, on the points every usable model forecast. */
interface ValidationErrors {
  /** Squared and absolute error summed over all points, per model. */
  se: Float64Array;
  ae: Float64Array;
  /** Squared error per model per validation day, and scored points per day (the one-standard-error rule). */
  seDay: Float64Array[];
  pointsDay: Float64Array;
  points: number;
}

/** Sums each usable model's errors on the measured (and masked-in) points every usable model forecast. */
function validationErrors(
  data: SiteSeries,
  issues: readonly ValidationIssue[],
  preds: readonly Float64Array[][],
  usable: readonly boolean[],
  mask: ArrayLike<number> | undefined,
): ValidationErrors {
  const models = usable.length;
  const se = new Float64Array(models);
  const ae = new Float64Array(models);
  const seDay = usable.map(() => new Float64Array(issues.length));
  const pointsDay = new Float64Array(issues.length);
  let points = 0;
  issues.forEach(({ i0, i1 }, n) => {
    for (let i = i0; i < i1; i++) {
      const y = data.targetKw[i];
      if (!Number.isFinite(y) || (mask && !mask[i])) continue;
      if (usable.some((ok, k) => ok && !Number.isFinite(preds[k][n][i - i0]))) continue;
      points++;
      pointsDay[n]++;
      usable.forEach((ok, k) => {
        if (!ok) return;
        const e = y - preds[k][n][i - i0];
        se[k] += e * e;
        seDay[k][n] += e * e;
        ae[k] += Math.abs(e);
      });
    }
  });
  return { se, ae, seDay, pointsDay, points };
}

/**
 * The choice among scored candidates (at least one baseline scored, on some points): the simplest
 * learned model within one standard error of the best that beats the best baseline on RMSE and
 * MAE, else that baseline; each candidate's skill is set against it.
 */
function choiceFromScores(
  scores: CandidateScore[],
  v: ValidationErrors,
  days: number,
  validatedAtMs: number | null,
): ModelChoice {
  const best = scores
    .filter((s) => !s.learned && Number.isFinite(s.rmseKw))
    .reduce((a, b) => (b.rmseKw < a.rmseKw ? b : a));
  for (const s of scores)
    s.skillRmse =
      best.rmseKw > 0 ? Math.max(MIN_SKILL, 1 - s.rmseKw / best.rmseKw) : s.rmseKw > 0 ? MIN_SKILL : 0;
  const eligible = scores
    .filter((s) => s.learned && s.rmseKw <= best.rmseKw && s.maeKw <= best.maeKw)
    .sort((a, b) => a.rmseKw - b.rmseKw);
  const f = (x: number) => x.toFixed(1);
  const over = `over ${days} validation day(s) (${v.points} intervals)`;
  const figures = { validatedAtMs, days, points: v.points, candidates: scores };
  if (eligible.length) {
    const c = simplestWithinOneSe(eligible, scores, v.seDay, v.pointsDay);
    const lowest = eligible[0];
    const simpler =
      c === lowest
        ? ''
        : `; ${lowest.name} validated lower (RMSE ${f(lowest.rmseKw)} kW) but within one standard error, so the simpler ${c.name}`;
    return {
      chosen: c.name,
      reason: `${c.name} beats the best baseline ${best.name} ${over}: RMSE ${f(c.rmseKw)} vs ${f(best.rmseKw)} kW, MAE ${f(c.maeKw)} vs ${f(best.maeKw)} kW (skill ${c.skillRmse.toFixed(2)})${simpler}`,
      ...figures,
    };
  }
  const learned = scores.filter((s) => s.learned);
  const why = learned.length
    ? learned
        .map((s) =>
          s.error
            ? `${s.name} could not be fitted (${s.error})`
            : `${s.name} is not better on ${s.rmseKw > best.rmseKw ? 'RMSE' : 'MAE'} (RMSE ${f(s.rmseKw)} vs ${f(best.rmseKw)} kW, MAE ${f(s.maeKw)} vs ${f(best.maeKw)} kW)`,
        )
        .join('; ')
    : 'no learned model among the candidates';
  return { chosen: best.name, reason: `${best.name} is the best baseline ${over}; ${why}`, ...figures };
}

/**
 * Replays every candidate over the validation window before `untilMs` and picks one. Baselines that
 * cannot be fitted are left out; the first baseline is the fallback when nothing could be validated.
 */
export function chooseModel(
  data: SiteSeries,
  untilMs: number,
  candidates: readonly Candidate[],
  o: SelectionOptions,
): ModelChoice {
  const fallback = candidates.find((c) => !c.learned);
  if (!fallback) throw new RangeError('model choice needs at least one baseline among the candidates');
  const issueHour = o.issueHour ?? DateTime.fromMillis(untilMs, { zone: data.zone }).hour;
  const historyDays = Math.floor((untilMs - data.startMs) / MS_PER_DAY);
  // A next-day issue comes the day before the day it is scored on: one day less of history behind it.
  const issueLagDays = o.score === 'horizon' ? 0 : 1;
  const days = Math.min(
    o.maxValidationDays ?? MAX_VALIDATION_DAYS,
    historyDays - MIN_VALIDATION_TRAIN_DAYS - issueLagDays,
  );
  const names = candidates.map((c) => c.make().name);
  if (days < MIN_VALIDATION_DAYS) {
    return {
      chosen: names[candidates.indexOf(fallback)],
      reason: `${historyDays} day(s) of history: too little to validate (${MIN_VALIDATION_TRAIN_DAYS + MIN_VALIDATION_DAYS + issueLagDays} needed), so the default baseline`,
      validatedAtMs: null,
      days: 0,
      points: 0,
      candidates: [],
    };
  }
  const issues = validationIssues(data, untilMs, days, issueHour, o);
  const models = candidates.map((c) => c.make());
  const { preds, errors } = replay(data, models, issues, o.horizonHours);
  // Points every usable candidate forecast, so all are scored on the same intervals.
  const usable = models.map((_, k) => !errors[k]);
  const v = validationErrors(data, issues, preds, usable, o.scoredMask?.(data));
  const points = v.points;
  const validatedAtMs = issues.length ? issues[0].issueMs : null;
  const scores: CandidateScore[] = models.map((m, k) => ({
    name: m.name,
    learned: candidates[k].learned,
    rmseKw: usable[k] && points ? Math.sqrt(v.se[k] / points) : NaN,
    maeKw: usable[k] && points ? v.ae[k] / points : NaN,
    skillRmse: NaN,
    ...(errors[k] ? { error: errors[k] } : {}),
  }));
  if (!scores.some((s) => !s.learned && Number.isFinite(s.rmseKw)) || points === 0) {
    return {
      chosen: names[candidates.indexOf(fallback)],
      reason:
        'no baseline could be scored on the validation days (no measured values), so the default baseline',
      validatedAtMs,
      days: issues.length,
      points,
      candidates: scores,
    };
  }
  return choiceFromScores(scores, v, issues.length, validatedAtMs);
}

/**
 * The one-standard-error rule (Hastie, Tibshirani & Friedman, The Elements of Statistical Learning,
 * 2nd ed., § 7.10): among the eligible learned models, the simplest — the earliest in the candidate
 * list — whose validation mean squared error exceeds the lowest one's by at most one standard error
 * of that difference. The difference is a sum of per-day terms, and its standard error is taken from
 * their spread over the days (days, not intervals: a weather forecast's errors are shared across a
 * day). Two weeks of validation days tell two learned models apart only when the difference is clear;
 * otherwise the simpler, steadier model. `eligible` is sorted by RMSE, lowest first.
 */
function simplestWithinOneSe(
  eligible: readonly CandidateScore[],
  scores: readonly CandidateScore[],
  seDay: readonly Float64Array[],
  pointsDay: Float64Array,
): CandidateScore {
  const best = eligible[0];
  const b = scores.indexOf(best);
  const days = pointsDay.reduce((n, p) => n + (p > 0 ? 1 : 0), 0);
  const total = pointsDay.reduce((a, p) => a + p, 0);
  if (days < 2) return best;
  for (const c of [...eligible].sort((x, y) => scores.indexOf(x) - scores.indexOf(y))) {
    const k = scores.indexOf(c);
    if (k >= b) break;
    // Each day's share of the difference in mean squared error over all scored points, kW².
    const terms: number[] = [];
    pointsDay.forEach((p, n) => {
      if (p > 0) terms.push((seDay[k][n] - seDay[b][n]) / total);
    });
    const mseDiff = terms.reduce((a, d) => a + d, 0);
    const meanTerm = mseDiff / days;
    const sdTerm = Math.sqrt(terms.reduce((a, d) => a + (d - meanTerm) ** 2, 0) / (days - 1));
    // A sum of `days` independent terms has the standard error √days × their standard deviation.
    if (mseDiff <= Math.sqrt(days) * sdTerm) return c;
  }
  return best;
}

/**
 * A forecaster that chooses among candidates at every fit (chooseModel on the history known then) and
 * forecasts with the chosen one, refitted on all of it.
 */
export class AutoForecaster implements Forecaster {
  readonly name = 'auto';
  private current: Forecaster | null = null;
  private last: ModelChoice | null = null;
  /** Every choice made, with its issue time (for the backtest's summary). */
  readonly history: { atMs: number; choice: ModelChoice }[] = [];
  private readonly names: string[];
  constructor(
    private readonly candidates: readonly Candidate[],
    private readonly o: SelectionOptions,
  ) {
    this.names = candidates.map((c) => c.make().name);
  }

  get choice(): ModelChoice | null {
    return this.last;
  }

  fit(data: SiteSeries, untilMs: number): void {
    const choice = chooseModel(data, untilMs, this.candidates, this.o);
    const model = this.candidates[this.names.indexOf(choice.chosen)].make();
    model.fit(data, untilMs);
    this.current = model;
    this.last = choice;
    this.history.push({ atMs: untilMs, choice });
  }

  predict(data: SiteSeries, req: PredictRequest): QuantileForecast {
    if (!this.current) throw new Error('auto: predict before fit');
    return this.current.predict(data, req);
  }
}
