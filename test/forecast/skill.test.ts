import { describe, expect, it } from 'vitest';
import {
  formatBacktest,
  runBacktest,
  syntheticDataset,
  type BacktestResult,
} from '../../src/forecast/index.ts';

// The acceptance figures on the synthetic Gwangju year (hourly, issued 17:00 for the next day), with
// 60-day training windows as a site that has just started would have: the automatic choice (`auto`,
// what runs live) against the baselines, on RMSE and on MAE. PV: skill-pv.test.ts.

/** Training window of the acceptance runs, days. */
const TRAIN_DAYS = 60;

const score = (r: BacktestResult, name: string) => r.models.find((x) => x.name === name)!;

describe('day-ahead load skill on the synthetic Gwangju year, 60-day training windows', () => {
  it('load: skill ≥ 0.30 against seasonal naive on RMSE and MAE, P10–P90 coverage 0.75–0.85', () => {
    const data = syntheticDataset({ target: 'load', year: 2025 });
    const r = runBacktest(data, { target: 'load', trainDays: TRAIN_DAYS });
    console.log(formatBacktest(r));
    expect(r.points).toBeGreaterThan(300 * 24);
    const ref = score(r, 'seasonal-naive-week');
    for (const name of ['auto', 'load-ridge']) {
      const m = score(r, name);
      expect(m.skillVsSeasonalNaive, name).toBeGreaterThanOrEqual(0.3);
      expect(1 - m.mae / ref.mae, name).toBeGreaterThanOrEqual(0.3);
      expect(m.coverage80, name).toBeGreaterThanOrEqual(0.75);
      expect(m.coverage80, name).toBeLessThanOrEqual(0.85);
      for (const b of ['seasonal-naive-week', 'seasonal-naive-day', 'persistence'].map((n) => score(r, n))) {
        expect(m.rmse, `${name} vs ${b.name}`).toBeLessThan(b.rmse);
        expect(m.mae, `${name} vs ${b.name}`).toBeLessThan(b.mae);
      }
    }
  }, 120_000);
});
