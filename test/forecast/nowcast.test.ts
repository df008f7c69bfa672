import { beforeAll, describe, expect, it } from 'vitest';
import {
  clearSkyCurve,
  knownAt,
  loadPvSite,
  PvForecaster,
  syntheticDataset,
  totalCapacityKw,
  type SiteSeries,
} from '../../src/forecast/index.ts';
import { blendNowcast, NOWCAST_E_FOLDING_HOURS } from '../../src/forecast/nowcast.ts';

// Re-plans within the day: the PV forecast blends the clear-sky index measured over the last hour into
// the rest of the day, fading with lead time, and leaves tomorrow to the model.

const H = 3_600_000;
const site = loadPvSite('scenarios/gwangju.yaml');
const capKw = totalCapacityKw(site);
let pv: SiteSeries;

beforeAll(() => {
  pv = syntheticDataset({ target: 'pv', year: 2025, days: 151 });
});

const at = (iso: string) => Date.parse(iso);

describe('PV nowcast', () => {
  it('pulls today towards the sky measured in the last hour, fading with lead, and leaves tomorrow alone', () => {
    const issueMs = at('2025-05-14T11:00:00+09:00');
    const start = Math.round((issueMs - pv.startMs) / H);
    const data = knownAt(pv, issueMs, issueMs + 48 * H);
    const cs = clearSkyCurve(site, pv.startMs, 60, pv.count).powerKw;
    // The last hour ran at 30 % of clear sky; the model said 90 % all along.
    data.targetKw[start - 1] = 0.3 * cs[start - 1];
    const model = Float64Array.from({ length: 48 }, (_, j) => 0.9 * cs[start + j]);
    const out = blendNowcast(data, site, capKw, { issueMs, startMs: issueMs, count: 48 }, model.slice());
    // 11:00: weight 1 → 30 %; 14:00: weight e^(−3/τ) of the way.
    expect(out[0] / cs[start]).toBeCloseTo(0.3, 6);
    const w3 = Math.exp(-3 / NOWCAST_E_FOLDING_HOURS);
    expect(out[3] / cs[start + 3]).toBeCloseTo(w3 * 0.3 + (1 - w3) * 0.9, 6);
    // Ever closer to the model through the afternoon.
    for (let j = 1; j < 8; j++)
      expect(out[j] / cs[start + j]).toBeGreaterThan(out[j - 1] / cs[start + j - 1]);
    // From local midnight on (13 h after an 11:00 issue), the model's values unchanged.
    for (let j = 13; j < 48; j++) expect(out[j]).toBe(model[j]);
  });

  it('does nothing at night or without a measured last hour', () => {
    const night = at('2025-05-14T03:00:00+09:00');
    const data = knownAt(pv, night, night + 24 * H);
    const model = new Float64Array(24).fill(123);
    expect(
      blendNowcast(data, site, capKw, { issueMs: night, startMs: night, count: 24 }, model.slice()),
    ).toEqual(model);
    const noon = at('2025-05-14T12:00:00+09:00');
    const gap = knownAt(pv, noon, noon + 24 * H);
    gap.targetKw[Math.round((noon - pv.startMs) / H) - 1] = NaN;
    expect(
      blendNowcast(gap, site, capKw, { issueMs: noon, startMs: noon, count: 24 }, model.slice()),
    ).toEqual(model);
  });

  it('a re-plan at 11:00 forecasts the afternoon better than the day-ahead forecast did', () => {
    const m = new PvForecaster({ site, horizonHours: 48, trainDays: 60 });
    const fitMs = at('2025-04-30T17:00:00+09:00');
    m.fit(knownAt(pv, fitMs), fitMs);
    let seIntraday = 0;
    let seDayAhead = 0;
    for (let d = 1; d <= 31; d++) {
      const day = `2025-05-${String(d).padStart(2, '0')}`;
      const intradayMs = at(`${day}T11:00:00+09:00`);
      const dayAheadMs = intradayMs - 18 * H; // 17:00 the day before
      const a = m.predict(knownAt(pv, intradayMs, intradayMs + 8 * H), {
        issueMs: intradayMs,
        startMs: intradayMs,
        count: 8,
      }).p50;
      const b = m.predict(knownAt(pv, dayAheadMs, dayAheadMs + 48 * H), {
        issueMs: dayAheadMs,
        startMs: intradayMs,
        count: 8,
      }).p50;
      const i0 = Math.round((intradayMs - pv.startMs) / H);
      for (let j = 0; j < 8; j++) {
        seIntraday += (pv.targetKw[i0 + j] - a[j]) ** 2;
        seDayAhead += (pv.targetKw[i0 + j] - b[j]) ** 2;
      }
    }
    // On the synthetic May: 720 vs 775 kW (τ = 3 h did best of 1, 2, 3, 5 and 8 h).
    expect(seIntraday).toBeLessThan(0.9 * seDayAhead);
  });
});
