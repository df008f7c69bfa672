// The forecaster contract: fit on a site's history, then predict a horizon from an issue time with
// P10/P50/P90. Every forecaster (learned models and baselines alike) sees a SiteSeries through the
// same interface, so the backtest can score them side by side.

/** The quantile levels every forecaster produces. */
export const QUANTILE_LEVELS = [0.1, 0.5, 0.9] as const;

/** Issued weather forecast aligned to the series: one issued value per interval, NaN where absent. */
export interface ForecastWeather {
  /** When the forecast valid for this interval was issued, UTC ms (NaN: none). */
  issueMs: Float64Array;
  temperatureC: Float64Array;
  /** Total cloud cover 0–1 (NaN where the source only gives SKY). */
  cloudCover: Float64Array;
  /** KMA sky condition: 1 맑음 (clear), 3 구름많음 (mostly cloudy), 4 흐림 (overcast). */
  sky: Float64Array;
  /** Probability of precipitation, 0–100 %. */
  popPercent: Float64Array;
  /** Relative humidity, 0–100 %. */
  rehPercent: Float64Array;
  /** KMA precipitation type (PTY): 0 none, 1 rain, 2 rain and snow, 3 snow, 4 shower. */
  ptyCode: Float64Array;
}

/**
 * A site's history on a regular grid (interval starts, UTC ms). Missing values are NaN. Measured
 * columns are optional; `target` is the quantity being forecast, in kW.
 */
export interface SiteSeries {
  startMs: number;
  intervalMinutes: number;
  count: number;
  /** IANA zone of the site's local calendar. */
  zone: string;
  targetKw: Float64Array;
  temperatureC?: Float64Array;
  ghiWPerM2?: Float64Array;
  cloudCover?: Float64Array;
  forecast?: ForecastWeather;
}

/** A quantile forecast on a regular grid. */
export interface QuantileForecast {
  startMs: number;
  intervalMinutes: number;
  p10: Float64Array;
  p50: Float64Array;
  p90: Float64Array;
}

export interface PredictRequest {
  /** When the forecast is made: only data known by then may be used, UTC ms. */
  issueMs: number;
  /** First interval start of the horizon, UTC ms (on the series grid). */
  startMs: number;
  /** Number of intervals. */
  count: number;
}

export interface Forecaster {
  readonly name: string;
  /**
   * Learn from everything in `data` known at `untilMs`: target and measurements of intervals that
   * ended by then, and forecasts issued by then. Callers pass data already cut at `untilMs`.
   */
  fit(data: SiteSeries, untilMs: number): void;
  predict(data: SiteSeries, req: PredictRequest): QuantileForecast;
  /** Model state as JSON-safe data (learned models only). */
  save?(): unknown;
}

export type Target = 'pv' | 'load';

/** When to retrain a learned model. */
export interface RetrainPolicy {
  /** Retrain once the last fit is this old. */
  everyHours: number;
  /** Local hour (0–23) before which a due retrain waits, so fits happen e.g. before the day-ahead issue; optional. */
  notBeforeHour?: number;
}
