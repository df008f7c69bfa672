export type {
  Forecaster,
  ForecastWeather,
  PredictRequest,
  QuantileForecast,
  RetrainPolicy,
  SiteSeries,
  Target,
} from './types.ts';
export { QUANTILE_LEVELS } from './types.ts';
export { knownAt, knownCount, emptyForecastWeather } from './series.ts';
export {
  persistenceForecaster,
  seasonalNaiveForecaster,
  smartPersistenceForecaster,
  recentClearSkyIndex,
  type BaselineOptions,
} from './baselines.ts';
export { LoadForecaster, type LoadModelOptions, type LoadModelState } from './load-model.ts';
export { PvForecaster, type PvModelOptions, type PvModelState } from './pv-model.ts';
export { PvGbtForecaster, type PvGbtOptions } from './pv-gbt.ts';
export { fitGbt, predictGbt, GBT_DEFAULTS, type GbtModel, type GbtData, type GbtOptions } from './gbt.ts';
export {
  clearSkyCurve,
  totalCapacityKw,
  type PvArraySpec,
  type PvSiteSpec,
  type ClearSkyCurve,
} from './pv-physics.ts';
export { scoreMetrics, pinball, skill, type Metrics, type ScoredPoint } from './metrics.ts';
export {
  runBacktest,
  formatBacktest,
  defaultForecasters,
  defaultCandidates,
  autoForecaster,
  DEFAULT_HORIZON_HOURS,
  DEFAULT_ISSUE_HOUR,
  DEFAULT_MIN_TRAIN_DAYS,
  DEFAULT_REFIT_DAYS,
  type BacktestOptions,
  type BacktestResult,
  type ModelScore,
  type CandidateOptions,
} from './backtest.ts';
export {
  chooseModel,
  AutoForecaster,
  MAX_VALIDATION_DAYS,
  MIN_VALIDATION_DAYS,
  MIN_VALIDATION_TRAIN_DAYS,
  type Candidate,
  type CandidateScore,
  type ModelChoice,
  type SelectionOptions,
} from './select.ts';
export {
  parseForecastCsv,
  formatImportReport,
  seriesToCsv,
  ForecastDataError,
  COLUMNS,
  type ImportReport,
  type ImportResult,
  type DataIssue,
} from './csv.ts';
export {
  issueWeatherForecast,
  dayAheadForecastWeather,
  dayAheadIssueMs,
  skyFromCloudCover,
  cloudCoverFromSky,
  type IssuedWeatherForecast,
  type ForecastWeatherOptions,
} from './forecast-weather.ts';
export { syntheticDataset, type DatasetOptions } from './dataset.ts';
export {
  createDistrictForecaster,
  type DistrictForecaster,
  type DistrictForecast,
  type UnitForecast,
  type DistrictForecasterOptions,
} from './district.ts';
export { shouldRetrain, DEFAULT_RETRAIN_POLICY } from './retrain.ts';
export { saveForecaster, loadForecaster } from './model-io.ts';
export { loadPvSite, pvSiteFromScenario, parsePvSiteJson } from './site.ts';
export {
  parseKmaShortRange,
  dayAheadColumns,
  addAsosObservations,
  KMA_PUBLISH_DELAY_MINUTES,
  type KmaForecastIssue,
  type KmaForecastReport,
} from './import-kma.ts';
