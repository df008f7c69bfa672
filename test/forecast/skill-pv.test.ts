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
/** Issue #15's target: skill against smart persistence (on RMSE, as docs/forecasting.md defines skill). */
const TARGET_SKILL = 0.3;
/**
 * What `auto` reaches on MAE: 0.2997 on this year, short of 0.30 by its picks of pv-gbt
 * (docs/forecasting.md). Asserted so a loss shows, not claimed as the target.
 */
const AUTO_MIN_MAE_SKILL = 0.295;

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
    const sp = score(r, 'smart-persistence');
    const maeSkill = (name: string) => 1 - score(r, name).mae / sp.mae;
    // The issue's target, 0.30 on RMSE: both the automatic choice and pv-ridge; pv-ridge on MAE too.
    expect(score(r, 'auto').skillVsSmartPersistence).toBeGreaterThanOrEqual(TARGET_SKILL);
    expect(score(r, 'pv-ridge').skillVsSmartPersistence).toBeGreaterThanOrEqual(TARGET_SKILL);
    expect(maeSkill('pv-ridge')).toBeGreaterThanOrEqual(TARGET_SKILL);
    expect(maeSkill('auto')).toBeGreaterThanOrEqual(AUTO_MIN_MAE_SKILL);
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
