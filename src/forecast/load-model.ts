import { applyBand, learnBand, type BandOptions } from './band.ts';
import {
  DAY_SATURDAY,
  DAY_SUNDAY_HOLIDAY,
  DAY_WEEKDAY,
  gridCalendar,
  type GridCalendar,
} from './calendar-features.ts';
import { NormalEquations, predictRidge, type RidgeModel } from './ridge.ts';
import type { QuantileTable } from './quantiles.ts';
import { indexOf, knownCount, stepMs, trainingWindow } from './series.ts';
import type { Forecaster, PredictRequest, QuantileForecast, SiteSeries } from './types.ts';

// Load forecaster: ridge regression on the local calendar (an hour profile of working days, one of days
// off — Sundays, public holidays and substitute holidays pooled — and Saturday's deviation from the
// one it resembles), temperature hinges (cooling and heating, separately
// for working hours and the rest) and, on top, the recent error of the model carried forward with the
// autocorrelation it showed in training. Temperature is the issued forecast where there is one, so the
// model learns with the same forecast errors it will meet.
//
// Built to degrade gracefully on short histories: the two profiles are not shrunk, while Saturday's
// deviations and the temperature terms are, by a penalty chosen on the holdout (time-series
// validation) — with few Saturdays they fall back to the profile they resemble, rare holidays share
// the Sunday profile, and temperature terms that do not help on unseen days vanish. Temperatures outside
// the range met in training are clamped to it, so a hinge never extrapolates into a heat wave it never saw.

const MS_PER_HOUR = 3_600_000;
const HOURS = 24;
const DAY_KINDS = 3;
/** Hinge knots, °C: cooling above, heating below. Spaced to bend with typical HVAC thresholds. */
const COOLING_KNOTS_C = [18, 22, 26];
const HEATING_KNOTS_C = [4, 8, 12, 16];
/** Local working hours used to split the temperature response (HVAC runs harder when people are in). */
const WORK_START_H = 8;
const WORK_END_H = 19;
const TEMP_GROUPS = DAY_KINDS * 2;
const N_HINGES = COOLING_KNOTS_C.length + HEATING_KNOTS_C.length;
/**
 * Feature layout: hour profiles of working days (weekdays) and of days off (Sundays and public
 * holidays, pooled), Saturday's hour-by-hour deviation from whichever of the two its days resemble
 * (a half shift or a day off), then the temperature hinges.
 */
const WORKDAY_PROFILE_AT = 0;
const OFFDAY_PROFILE_AT = WORKDAY_PROFILE_AT + HOURS;
const SATURDAY_AT = OFFDAY_PROFILE_AT + HOURS;
const HINGE_AT = SATURDAY_AT + HOURS;
const N_FEATURES = HINGE_AT + TEMP_GROUPS * N_HINGES;
/** Profiles are not shrunk: they are what the rest shrinks towards. */
const PENALISED_FROM = SATURDAY_AT;

/** What a fit decides besides the weights. */
interface Shape {
  /** Temperature range met in training, °C: inputs are clamped to it ([NaN, NaN] without temperature). */
  rangeC: readonly [number, number];
  /** The profile Saturdays deviate from: the working-day one (0) or the day-off one (1). */
  saturdayParent: 0 | 1;
}
/**
 * Penalties tried on the holdout, in pseudo-days: Saturday's deviation, seen on n Saturdays, is shrunk
 * by n / (n + λ) towards the profile it resembles (two Saturdays are pooled far more than forty), and a
 * temperature term as if it were seen on every training day. 0.01 is close to unshrunk, 30 pools
 * Saturdays fully even in a long history.
 */
export const LOAD_LAMBDA_GRID = [0.01, 0.1, 0.3, 1, 3, 10, 30];
/** Recent errors averaged for the carry-forward correction, intervals. */
const RECENT_ERROR_STEPS = 2;
/** Days searched back for a temperature when the horizon has no forecast. */
const TEMPERATURE_LOOKBACK_DAYS = 7;

export interface LoadModelOptions {
  /** Horizon the error band is learned for, hours. */
  horizonHours: number;
  /** Use at most this many days of history (all when absent). */
  trainDays?: number;
}

export interface LoadModelState {
  kind: 'load-ridge';
  version: 3;
  weights: number[];
  /** Penalty chosen on the holdout. */
  lambda: number;
  /** Temperature range met in training, °C: inputs are clamped to it ([NaN, NaN] without temperature). */
  temperatureRangeC: [number, number];
  /** The profile Saturdays deviate from: working days (0) or days off (1). */
  saturdayParent: 0 | 1;
  /** Error autocorrelation by lead in intervals. */
  errorCarry: number[];
  band: QuantileTable;
  horizonHours: number;
  trainDays?: number;
  fittedUntilMs: number;
}

/**
 * Temperature the model sees for interval i: the forecast (if issued by `limitMs`), else the measurement
 * when known (i < known), else the same hour on an earlier day.
 */
export function temperatureInput(
  data: SiteSeries,
  i: number,
  known: number,
  perDay: number,
  limitMs: number,
): number {
  const f = data.forecast;
  const fcAt = (j: number) =>
    f && j < f.temperatureC.length && f.issueMs[j] <= limitMs ? f.temperatureC[j] : NaN;
  const fc = fcAt(i);
  if (Number.isFinite(fc)) return fc;
  if (i < known && data.temperatureC && Number.isFinite(data.temperatureC[i])) return data.temperatureC[i];
  for (let d = 1; d <= TEMPERATURE_LOOKBACK_DAYS; d++) {
    const j = i - d * perDay;
    if (j < 0) break;
    if (j < known && data.temperatureC && Number.isFinite(data.temperatureC[j])) return data.temperatureC[j];
    const fj = fcAt(j);
    if (Number.isFinite(fj)) return fj;
  }
  return NaN;
}

function features(cal: GridCalendar, i: number, tempC: number, shape: Shape, x: Float64Array): void {
  x.fill(0);
  const kind = cal.dayKind[i];
  const h = cal.hour[i];
  if (kind === DAY_WEEKDAY) x[WORKDAY_PROFILE_AT + h] = 1;
  else if (kind === DAY_SATURDAY) {
    x[(shape.saturdayParent === 0 ? WORKDAY_PROFILE_AT : OFFDAY_PROFILE_AT) + h] = 1;
    x[SATURDAY_AT + h] = 1;
  } else x[OFFDAY_PROFILE_AT + h] = 1;
  const [lo, hi] = shape.rangeC;
  if (!Number.isFinite(tempC) || !(lo <= hi)) return;
  const t = Math.min(hi, Math.max(lo, tempC));
  const working = h >= WORK_START_H && h < WORK_END_H ? 1 : 0;
  const base = HINGE_AT + (kind * 2 + working) * N_HINGES;
  let k = 0;
  for (const c of COOLING_KNOTS_C) x[base + k++] = Math.max(0, t - c);
  for (const c of HEATING_KNOTS_C) x[base + k++] = Math.max(0, c - t);
}

/**
 * Which profile Saturdays resemble in the training rows: the one whose mean hourly load is nearer
 * (squared difference over the hours all three kinds have); days off when there is nothing to compare.
 */
function saturdayParent(data: SiteSeries, cal: GridCalendar, from: number, to: number): 0 | 1 {
  const sum = new Float64Array(DAY_KINDS * HOURS);
  const n = new Float64Array(DAY_KINDS * HOURS);
  for (let i = from; i < to; i++) {
    const y = data.targetKw[i];
    if (!Number.isFinite(y)) continue;
    const b = cal.dayKind[i] * HOURS + cal.hour[i];
    sum[b] += y;
    n[b]++;
  }
  let toWork = 0;
  let toOff = 0;
  for (let h = 0; h < HOURS; h++) {
    const [w, s, o] = [DAY_WEEKDAY, DAY_SATURDAY, DAY_SUNDAY_HOLIDAY].map((k) => k * HOURS + h);
    if (!n[w] || !n[s] || !n[o]) continue;
    const sat = sum[s] / n[s];
    toWork += (sat - sum[w] / n[w]) ** 2;
    toOff += (sat - sum[o] / n[o]) ** 2;
  }
  return toWork < toOff ? 0 : 1;
}

/** Lowest and highest finite value of `temps` over [from, to), or [NaN, NaN]. */
function rangeOf(temps: Float64Array, from: number, to: number): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = from; i < to; i++) {
    const t = temps[i];
    if (!Number.isFinite(t)) continue;
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
  return lo <= hi ? [lo, hi] : [NaN, NaN];
}

export class LoadForecaster implements Forecaster {
  readonly name = 'load-ridge';
  private model: RidgeModel | null = null;
  private errorCarry: number[] = [];
  private band: QuantileTable | null = null;
  private fittedUntilMs = NaN;
  private lambda = NaN;
  private shape: Shape = { rangeC: [NaN, NaN], saturdayParent: 1 };
  constructor(private readonly opts: LoadModelOptions) {}

  /** The penalty chosen by the last fit, pseudo-days (NaN before a fit). */
  get chosenLambda(): number {
    return this.lambda;
  }

  fit(data: SiteSeries, untilMs: number): void {
    const { perDay, first, split, known, holdoutDays } = trainingWindow(
      data,
      untilMs,
      this.opts.trainDays,
      'load model',
    );
    const cal = gridCalendar(data.startMs, data.intervalMinutes, data.count, data.zone);
    const temps = new Float64Array(known);
    for (let i = first; i < known; i++) temps[i] = temperatureInput(data, i, known, perDay, untilMs);
    // First a model on the window before the holdout: it chooses the penalty (the one with the smallest
    // squared error on the holdout, which it did not train on) and learns the error band and the error
    // carry-over from errors it did not train on; then the model on everything, with that penalty.
    this.shape = {
      rangeC: rangeOf(temps, first, split),
      saturdayParent: saturdayParent(data, cal, first, known),
    };
    const ne = new NormalEquations(N_FEATURES);
    this.accumulate(ne, data, cal, temps, first, split);
    const penalty = this.penalty(ne, perDay, split - first);
    const x = new Float64Array(N_FEATURES);
    let bestSe = Infinity;
    for (const lambda of LOAD_LAMBDA_GRID) {
      const m = ne.solve(lambda, penalty);
      let se = 0;
      for (let i = split; i < known; i++) {
        const y = data.targetKw[i];
        if (!Number.isFinite(y)) continue;
        features(cal, i, temps[i], this.shape, x);
        se += (y - predictRidge(m, x)) ** 2;
      }
      if (se < bestSe) {
        bestSe = se;
        this.lambda = lambda;
        this.model = m;
      }
    }
    this.errorCarry = this.learnCarry(data, cal, split, known, perDay, untilMs);
    const splitMs = data.startMs + split * stepMs(data);
    this.band = learnBand(data, untilMs, (d, r) => this.point(d, r), this.bandOptions(holdoutDays), splitMs);
    this.shape = { ...this.shape, rangeC: rangeOf(temps, first, known) };
    const full = new NormalEquations(N_FEATURES);
    this.accumulate(full, data, cal, temps, first, known);
    this.model = full.solve(this.lambda, this.penalty(full, perDay, known - first));
    this.fittedUntilMs = untilMs;
  }

  private bandOptions(replayDays: number): BandOptions {
    return { replayDays, horizonHours: this.opts.horizonHours, floor: 0 };
  }

  private accumulate(
    ne: NormalEquations,
    data: SiteSeries,
    cal: GridCalendar,
    temps: Float64Array,
    from: number,
    to: number,
  ): void {
    const x = new Float64Array(N_FEATURES);
    for (let i = from; i < to; i++) {
      const y = data.targetKw[i];
      if (!Number.isFinite(y)) continue;
      features(cal, i, temps[i], this.shape, x);
      ne.add(x, y);
    }
  }

  /**
   * Penalty per coefficient for one pseudo-day (× λ): none on the profiles, one day's rows of an hour on
   * a Saturday deviation, and a temperature term's Σx² spread over the training days.
   */
  private penalty(ne: NormalEquations, perDay: number, rows: number): Float64Array {
    const perHour = perDay / HOURS;
    const days = Math.max(1, rows / perDay);
    const out = new Float64Array(N_FEATURES);
    for (let a = PENALISED_FROM; a < N_FEATURES; a++)
      out[a] = a < HINGE_AT ? perHour : ne.xtx[a * N_FEATURES + a] / days;
    return out;
  }

  /** Correlation of the model's errors at lag L on the holdout: how much of a recent error persists L steps on. */
  private learnCarry(
    data: SiteSeries,
    cal: GridCalendar,
    from: number,
    to: number,
    perDay: number,
    untilMs: number,
  ): number[] {
    const n = Math.ceil((this.opts.horizonHours * MS_PER_HOUR) / stepMs(data));
    const r = new Float64Array(to - from).fill(NaN);
    const x = new Float64Array(N_FEATURES);
    for (let i = from; i < to; i++) {
      features(cal, i, temperatureInput(data, i, to, perDay, untilMs), this.shape, x);
      r[i - from] = data.targetKw[i] - predictRidge(this.model!, x);
    }
    const carry: number[] = [];
    for (let lag = 1; lag <= n; lag++) {
      let sxy = 0;
      let sxx = 0;
      for (let i = 0; i + lag < r.length; i++) {
        if (!Number.isFinite(r[i]) || !Number.isFinite(r[i + lag])) continue;
        sxy += r[i] * r[i + lag];
        sxx += r[i] * r[i];
      }
      // Regression slope of the later error on the earlier one, kept in [0, 1]: never amplify.
      carry.push(sxx > 0 ? Math.max(0, Math.min(1, sxy / sxx)) : 0);
    }
    return carry;
  }

  private point(data: SiteSeries, req: PredictRequest): Float64Array {
    const model = this.model!;
    const step = stepMs(data);
    const perDay = Math.round((24 * MS_PER_HOUR) / step);
    const start = indexOf(data, req.startMs);
    const known = knownCount(data, req.issueMs);
    const cal = gridCalendar(
      data.startMs,
      data.intervalMinutes,
      Math.max(data.count, start + req.count),
      data.zone,
    );
    const x = new Float64Array(N_FEATURES);
    // Recent error of the model, at the last known intervals.
    let err = 0;
    let nErr = 0;
    for (let i = known - 1; i >= 0 && i >= known - RECENT_ERROR_STEPS; i--) {
      if (!Number.isFinite(data.targetKw[i])) continue;
      features(cal, i, temperatureInput(data, i, known, perDay, req.issueMs), this.shape, x);
      err += data.targetKw[i] - predictRidge(model, x);
      nErr++;
    }
    err = nErr ? err / nErr : 0;
    const out = new Float64Array(req.count);
    for (let j = 0; j < req.count; j++) {
      const i = start + j;
      features(cal, i, temperatureInput(data, i, known, perDay, req.issueMs), this.shape, x);
      const lag = i - (known - 1);
      const carry = lag >= 1 && lag <= this.errorCarry.length ? this.errorCarry[lag - 1] : 0;
      out[j] = predictRidge(model, x) + carry * err;
    }
    return out;
  }

  predict(data: SiteSeries, req: PredictRequest): QuantileForecast {
    if (!this.model || !this.band) throw new Error('load-ridge: predict before fit');
    return applyBand(data, req, this.point(data, req), this.band, { floor: 0 });
  }

  save(): LoadModelState {
    if (!this.model || !this.band) throw new Error('load-ridge: save before fit');
    return {
      kind: 'load-ridge',
      version: 3,
      weights: this.model.weights,
      lambda: this.lambda,
      temperatureRangeC: [...this.shape.rangeC],
      saturdayParent: this.shape.saturdayParent,
      errorCarry: this.errorCarry,
      band: this.band,
      horizonHours: this.opts.horizonHours,
      trainDays: this.opts.trainDays,
      fittedUntilMs: this.fittedUntilMs,
    };
  }

  static load(state: LoadModelState): LoadForecaster {
    if (state?.kind !== 'load-ridge' || state.version !== 3)
      throw new RangeError('not a saved load-ridge model (version 3; older versions must be refitted)');
    if (state.weights.length !== N_FEATURES)
      throw new RangeError(`saved load model has ${state.weights.length} weights, expected ${N_FEATURES}`);
    const f = new LoadForecaster({ horizonHours: state.horizonHours, trainDays: state.trainDays });
    f.model = { weights: state.weights };
    f.lambda = state.lambda;
    // JSON turns NaN into null: a model fitted without temperature has no range.
    const [lo, hi] = state.temperatureRangeC;
    f.shape = { rangeC: [lo ?? NaN, hi ?? NaN], saturdayParent: state.saturdayParent };
    f.errorCarry = state.errorCarry;
    f.band = state.band;
    f.fittedUntilMs = state.fittedUntilMs;
    return f;
  }
}
