// Forecasting benchmark: generate the synthetic Gwangju year (hourly), fit each learned model once on
// the whole year, and run the day-ahead rolling backtest (weekly refits) for PV and load.
import {
  LoadForecaster,
  PvForecaster,
  loadPvSite,
  runBacktest,
  syntheticDataset,
} from '../src/forecast/index.ts';

export async function benchForecast(): Promise<Record<string, unknown>> {
  const site = loadPvSite('scenarios/gwangju.yaml');
  const out: Record<string, unknown> = {};
  for (const target of ['load', 'pv'] as const) {
    let t = performance.now();
    const data = syntheticDataset({ target, year: 2025 });
    out[`${target} dataset ms`] = performance.now() - t;
    const model =
      target === 'pv'
        ? new PvForecaster({ site, horizonHours: 48 })
        : new LoadForecaster({ horizonHours: 48 });
    const endMs = data.startMs + data.count * 3_600_000;
    t = performance.now();
    model.fit(data, endMs);
    out[`${target} fit year ms`] = performance.now() - t;
    t = performance.now();
    const r = runBacktest(data, { target, pvSite: target === 'pv' ? site : undefined });
    out[`${target} backtest year ms`] = performance.now() - t;
    const m = r.models[0];
    out[`${target} skill`] = target === 'pv' ? m.skillVsSmartPersistence : m.skillVsSeasonalNaive;
    out[`${target} coverage80`] = m.coverage80;
  }
  return out;
}
