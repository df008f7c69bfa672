import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/model/load.ts';
import { DemandTracker } from '../../src/control/demand.ts';

// The billing demand from grid-meter readings as KEPCO meters it: 15-minute means on the quarter
// hour, only in demand-charge hours, highest per local month, with the ratchet floor beneath it.

const { scenario } = loadScenarioFile();
const MIN = 60_000;
const local = (iso: string) => Date.parse(`${iso}+09:00`);
/** Readings every minute from `from` for `minutes`, at `kw(t)`. */
function feed(d: DemandTracker, from: number, minutes: number, kw: (t: number) => number) {
  for (let m = 0; m <= minutes; m++) d.observe(from + m * MIN, kw(from + m * MIN));
}

describe('demand tracker', () => {
  it('takes the highest quarter-hour mean in demand-charge hours, not the highest reading', () => {
    const d = new DemandTracker(scenario);
    // Tuesday 10:00–11:00 (mid/peak band): 8 MW with a 2-minute spike to 20 MW at 10:20.
    feed(d, local('2026-08-04T10:00:00'), 60, (t) =>
      t >= local('2026-08-04T10:20:00') && t < local('2026-08-04T10:22:00') ? 20_000 : 8000,
    );
    const s = d.state();
    // The spike lifts its window to 8 + 12 × 2/15 = 9.6 MW.
    expect(s.monthPeakKw).toBeCloseTo(9600, 0);
    expect(s.monthKey).toBe('2026-08');
  });

  it('ignores night hours and Sundays (light band), and resets at the local month boundary', () => {
    const d = new DemandTracker(scenario);
    feed(d, local('2026-08-04T23:00:00'), 60, () => 15_000); // light band
    feed(d, local('2026-08-09T14:00:00'), 60, () => 14_000); // a Sunday
    expect(d.state().monthPeakKw).toBe(0);
    // The contract-excess basis counts every hour: the night's 15 MW is the month's highest import.
    expect(d.state().monthMaxKw).toBeCloseTo(15_000, 6);
    feed(d, local('2026-08-31T15:00:00'), 30, () => 9000);
    expect(d.state().monthPeakKw).toBeCloseTo(9000, 6);
    // September, in Korea: August's peak moves to the ratchet history and keeps the billing demand up.
    feed(d, local('2026-09-01T10:00:00'), 30, () => 7000);
    const s = d.state();
    expect(s.monthKey).toBe('2026-09');
    expect(s.monthPeakKw).toBeCloseTo(7000, 6);
    expect(s.monthMaxKw).toBeCloseTo(7000, 6);
    expect(s.billingDemandKw).toBeGreaterThanOrEqual(9000);
  });

  it('never goes below the contract floor or the history peak of the district file', () => {
    const d = new DemandTracker(scenario);
    feed(d, local('2026-08-04T10:00:00'), 30, () => 100);
    const g = scenario.grid;
    expect(d.state().billingDemandKw).toBe(
      Math.max(g.tariff.ratchet_history_peak_kw, 0.3 * g.contract_demand_kw),
    );
  });

  it('ignores readings that go back in time or are not numbers', () => {
    const d = new DemandTracker(scenario);
    feed(d, local('2026-08-04T10:00:00'), 15, () => 5000);
    d.observe(local('2026-08-04T09:00:00'), 50_000);
    d.observe(local('2026-08-04T10:16:00'), NaN);
    feed(d, local('2026-08-04T10:16:00'), 30, () => 5000);
    expect(d.state().monthPeakKw).toBeCloseTo(5000, 6);
  });
});
