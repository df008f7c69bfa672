import { describe, expect, it } from 'vitest';
import {
  autoForecaster,
  defaultCandidates,
  formatBacktest,
  loadPvSite,
  runBacktest,
  syntheticDataset,
  type BacktestResult,
} from '../../src/forecast/index.ts';

// The PV acceptance figures on the synthetic Gwangju year (hourly, issued 17:00 for the next day), with
// 60-day training windows: the automatic choice (`auto`) and pv-ridge against the baselines. pv-gbt
// takes part as a candidate of `auto`; its own row is left out here to keep the file quick.

/** Training window of the acceptance runs, days. */
const TRAIN_DAYS = 60;

const score = (r: BacktestResult, name: string) => r.models.find((x) => x.name === name)!;

describe('day-ahead PV skill on the synthetic Gwangju year, 60-day training windows', () => {
  it('PV: skill against smart persistence, P10–P90 coverage 0.75–0.85, better than every baseline', () => {
    const data = syntheticDataset({ target: 'pv', year: 2025 });
    const pvSite = loadPvSite('scenarios/gwangju.yaml');
    const o = { pvSite, horizonHours: 48, trainDays: TRAIN_DAYS };
    const r = runBacktest(data, {
      target: 'pv',
      pvSite,
      trainDays: TRAIN_DAYS,
      forecasters: [
        autoForecaster('pv', { ...o, issueHour: 17 }),
        ...defaultCandidates('pv', o)
          .map((c) => c.make())
          .filter((f) => f.name !== 'pv-gbt'),
      ],
    });
    console.log(formatBacktest(r));
    // The issue's target is 0.30; the learned model reaches it, the automatic choice (which falls back
    // to smart persistence where the learned model validates worse) stays just below (docs/forecasting.md).
    expect(score(r, 'pv-ridge').skillVsSmartPersistence).toBeGreaterThanOrEqual(0.3);
    expect(score(r, 'auto').skillVsSmartPersistence).toBeGreaterThanOrEqual(0.28);
    for (const name of ['auto', 'pv-ridge']) {
      const m = score(r, name);
      expect(m.coverage80, name).toBeGreaterThanOrEqual(0.75);
      expect(m.coverage80, name).toBeLessThanOrEqual(0.85);
      for (const b of r.models.filter((x) => x.name !== 'auto' && x.name !== 'pv-ridge')) {
        expect(m.rmse, `${name} vs ${b.name}`).toBeLessThan(b.rmse);
        expect(m.mae, `${name} vs ${b.name}`).toBeLessThan(b.mae);
      }
    }
  }, 120_000);
});
