// Forecasting benchmark: generate the synthetic Gwangju year (hourly), fit each learned model once on
// the whole year, and run the day-ahead rolling backtest (weekly refits, 60-day training windows as a
// site that has just started) for PV and load, with the automatic model choice.
import {
  LoadForecaster,
  PvForecaster,
  loadPvSite,
  runBacktest,
  syntheticDataset,
} from '../src/forecast/index.ts';

/** Training window of the backtests, days: the acceptance setting of docs/forecasting.md. */
const TRAIN_DAYS = 60;
/**
 * Decimals of the printed skills and coverage: the PV MAE skill sits within a few ten-thousandths of
 * issue #15's 0.30 (0.2997), and two or three decimals would round it up to a target it misses.
 */
const SKILL_DECIMALS = 4;
const fixed = (v: number) => v.toFixed(SKILL_DECIMALS);

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
    const r = runBacktest(data, {
      target,
      pvSite: target === 'pv' ? site : undefined,
      trainDays: TRAIN_DAYS,
    });
    out[`${target} backtest year ms`] = performance.now() - t;
    const refName = target === 'pv' ? 'smart-persistence' : 'seasonal-naive-week';
    const ref = r.models.find((m) => m.name === refName)!;
    for (const name of target === 'pv' ? ['auto', 'pv-ridge', 'pv-gbt'] : ['auto', 'load-ridge']) {
      const m = r.models.find((x) => x.name === name)!;
      out[`${target} ${name} skill rmse vs ${refName}`] = fixed(1 - m.rmse / ref.rmse);
      out[`${target} ${name} skill mae vs ${refName}`] = fixed(1 - m.mae / ref.mae);
      out[`${target} ${name} coverage80`] = fixed(m.coverage80);
    }
    if (r.choices) {
      out[`${target} auto choices`] = Object.entries(r.choices.counts)
        .map(([name, n]) => `${name} ${n}`)
        .join(', ');
      out[`${target} auto latest reason`] = r.choices.latest.reason;
    }
  }
  return out;
}
