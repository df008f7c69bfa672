import { describe, expect, it } from 'vitest';
import { formatBacktest, loadPvSite, runBacktest, syntheticDataset } from '../../src/forecast/index.ts';

// The acceptance figures on the synthetic Gwangju year (hourly, issued 17:00 for the next day).
describe('day-ahead skill on the synthetic Gwangju year', () => {
  it('load: skill ≥ 0.30 against seasonal naive, P10–P90 coverage 0.75–0.85', () => {
    const data = syntheticDataset({ target: 'load', year: 2025 });
    const r = runBacktest(data, { target: 'load' });
    console.log(formatBacktest(r));
    const m = r.models.find((x) => x.name === 'load-ridge')!;
    expect(r.points).toBeGreaterThan(300 * 24);
    expect(m.skillVsSeasonalNaive).toBeGreaterThanOrEqual(0.3);
    expect(m.coverage80).toBeGreaterThanOrEqual(0.75);
    expect(m.coverage80).toBeLessThanOrEqual(0.85);
    // The learned model must also beat the daily seasonal naive and persistence outright.
    for (const b of r.models.filter((x) => x.name !== 'load-ridge')) expect(m.rmse).toBeLessThan(b.rmse);
  }, 120_000);

  it('PV: skill ≥ 0.25 against smart persistence, P10–P90 coverage 0.75–0.85', () => {
    const data = syntheticDataset({ target: 'pv', year: 2025 });
    const r = runBacktest(data, { target: 'pv', pvSite: loadPvSite('scenarios/gwangju.yaml') });
    console.log(formatBacktest(r));
    const m = r.models.find((x) => x.name === 'pv-ridge')!;
    expect(m.skillVsSmartPersistence).toBeGreaterThanOrEqual(0.25);
    expect(m.coverage80).toBeGreaterThanOrEqual(0.75);
    expect(m.coverage80).toBeLessThanOrEqual(0.85);
    for (const b of r.models.filter((x) => x.name !== 'pv-ridge')) expect(m.rmse).toBeLessThan(b.rmse);
  }, 120_000);
});
