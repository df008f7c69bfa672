import { applyBand, learnBand, type BandOptions } from './band.ts';
import { gridCalendar, type GridCalendar } from './calendar-features.ts';
import { NormalEquations, predictRidge, type RidgeModel } from './ridge.ts';
import type { QuantileTable } from './quantiles.ts';
import { indexOf, knownCount, stepMs, trainingWindow } from './series.ts';
import type { Forecaster, PredictRequest, QuantileForecast, SiteSeries } from './types.ts';

// Load forecaster: ridge regression on the local calendar (hour × day kind, where Sundays, public
// holidays and substitute holidays are one kind), temperature hinges (cooling and heating, separately
// for working hours and the rest) and, on top, the recent error of the model carried forward with the
// autocorrelation it showed in training. Temperature is the issued forecast where there is one, so the
// model learns with the same forecast errors it will meet.

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
const N_FEATURES = HOURS * DAY_KINDS + TEMP_GROUPS * N_HINGES;
/** Ridge penalty relative to the mean diagonal of XᵀX. */
const RIDGE_LAMBDA = 1e-4;
/** Share of the training window held out to learn the error band, and its bounds in days. */
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
  version: 1;
  weights: number[];
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

function features(cal: GridCalendar, i: number, tempC: number, x: Float64Array): void {
  x.fill(0);
  const kind = cal.dayKind[i];
  const h = cal.hour[i];
  x[kind * HOURS + h] = 1;
  if (!Number.isFinite(tempC)) return;
  const working = h >= WORK_START_H && h < WORK_END_H ? 1 : 0;
  const base = HOURS * DAY_KINDS + (kind * 2 + working) * N_HINGES;
  let k = 0;
  for (const c of COOLING_KNOTS_C) x[base + k++] = Math.max(0, tempC - c);
  for (const c of HEATING_KNOTS_C) x[base + k++] = Math.max(0, c - tempC);
}

export class LoadForecaster implements Forecaster {
  readonly name = 'load-ridge';
  private model: RidgeModel | null = null;
  private errorCarry: number[] = [];
  private band: QuantileTable | null = null;
  private fittedUntilMs = NaN;
  constructor(private readonly opts: LoadModelOptions) {}

  fit(data: SiteSeries, untilMs: number): void {
    const { perDay, first, split, known, holdoutDays } = trainingWindow(
      data,
      untilMs,
      this.opts.trainDays,
      'load model',
    );
    const cal = gridCalendar(data.startMs, data.intervalMinutes, data.count, data.zone);
    // First a model on the window before the holdout, to learn the error band and the error carry-over
    // from errors it did not train on; then the model on everything.
    this.model = this.solve(data, cal, first, split, known, perDay, untilMs);
    this.errorCarry = this.learnCarry(data, cal, split, known, perDay, untilMs);
    const splitMs = data.startMs + split * stepMs(data);
    this.band = learnBand(data, untilMs, (d, r) => this.point(d, r), this.bandOptions(holdoutDays), splitMs);
    this.model = this.solve(data, cal, first, known, known, perDay, untilMs);
    this.fittedUntilMs = untilMs;
  }

  private bandOptions(replayDays: number): BandOptions {
    return { replayDays, horizonHours: this.opts.horizonHours, floor: 0 };
  }

  private solve(
    data: SiteSeries,
    cal: GridCalendar,
    from: number,
    to: number,
    known: number,
    perDay: number,
    untilMs: number,
  ): RidgeModel {
    const ne = new NormalEquations(N_FEATURES);
    const x = new Float64Array(N_FEATURES);
    for (let i = from; i < to; i++) {
      const y = data.targetKw[i];
      if (!Number.isFinite(y)) continue;
      features(cal, i, temperatureInput(data, i, known, perDay, untilMs), x);
      ne.add(x, y);
    }
    return ne.solve(RIDGE_LAMBDA);
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
      features(cal, i, temperatureInput(data, i, to, perDay, untilMs), x);
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
      features(cal, i, temperatureInput(data, i, known, perDay, req.issueMs), x);
      err += data.targetKw[i] - predictRidge(model, x);
      nErr++;
    }
    err = nErr ? err / nErr : 0;
    const out = new Float64Array(req.count);
    for (let j = 0; j < req.count; j++) {
      const i = start + j;
      features(cal, i, temperatureInput(data, i, known, perDay, req.issueMs), x);
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
      version: 1,
      weights: this.model.weights,
      errorCarry: this.errorCarry,
      band: this.band,
      horizonHours: this.opts.horizonHours,
      trainDays: this.opts.trainDays,
      fittedUntilMs: this.fittedUntilMs,
    };
  }

  static load(state: LoadModelState): LoadForecaster {
    if (state?.kind !== 'load-ridge' || state.version !== 1)
      throw new RangeError('not a saved load-ridge model (version 1)');
    if (state.weights.length !== N_FEATURES)
      throw new RangeError(`saved load model has ${state.weights.length} weights, expected ${N_FEATURES}`);
    const f = new LoadForecaster({ horizonHours: state.horizonHours, trainDays: state.trainDays });
    f.model = { weights: state.weights };
    f.errorCarry = state.errorCarry;
    f.band = state.band;
    f.fittedUntilMs = state.fittedUntilMs;
    return f;
  }
}
