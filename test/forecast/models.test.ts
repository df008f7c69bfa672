import { beforeAll, describe, expect, it } from 'vitest';
import {
  knownAt,
  LoadForecaster,
  loadForecaster,
  loadPvSite,
  persistenceForecaster,
  pinball,
  PvForecaster,
  PvGbtForecaster,
  saveForecaster,
  scoreMetrics,
  seasonalNaiveForecaster,
  shouldRetrain,
  skill,
  smartPersistenceForecaster,
  syntheticDataset,
  type Forecaster,
  type SiteSeries,
} from '../../src/forecast/index.ts';
import { LOAD_LAMBDA_GRID } from '../../src/forecast/load-model.ts';

const H = 3_600_000;
const site = loadPvSite('scenarios/gwangju.yaml');
let pv: SiteSeries;
let load: SiteSeries;

beforeAll(() => {
  pv = syntheticDataset({ target: 'pv', year: 2025, days: 70 });
  load = syntheticDataset({ target: 'load', year: 2025, days: 70 });
});

/** 17:00 local (UTC+9) on day `d` (0-based) of the series. */
const issueOn = (s: SiteSeries, d: number) => s.startMs + d * 24 * H + 17 * H;
const reqAt = (s: SiteSeries, issueMs: number, hours = 48) => ({
  issueMs,
  startMs: issueMs,
  count: (hours * 60) / s.intervalMinutes,
});

/** A copy where everything that was not known at `issueMs` is replaced by nonsense. */
function poisonAfter(s: SiteSeries, issueMs: number): SiteSeries {
  const k = Math.floor((issueMs - s.startMs) / H);
  const c: SiteSeries = {
    ...s,
    targetKw: s.targetKw.slice(),
    temperatureC: s.temperatureC!.slice(),
    forecast: {
      ...s.forecast!,
      temperatureC: s.forecast!.temperatureC.slice(),
      cloudCover: s.forecast!.cloudCover.slice(),
    },
  };
  for (let i = k; i < s.count; i++) {
    c.targetKw[i] = 1e6 * ((i % 7) + 1);
    c.temperatureC![i] = 60;
    if (s.forecast!.issueMs[i] > issueMs) {
      c.forecast!.temperatureC[i] = -40;
      c.forecast!.cloudCover[i] = i % 2;
    }
  }
  return c;
}

function models(target: 'pv' | 'load'): Forecaster[] {
  const o = { horizonHours: 48, pvSite: target === 'pv' ? site : undefined };
  return target === 'pv'
    ? [
        new PvForecaster({ site, horizonHours: 48 }),
        new PvGbtForecaster({ site, horizonHours: 48 }),
        smartPersistenceForecaster({ ...o, pvSite: site }),
        seasonalNaiveForecaster(1, o),
        persistenceForecaster(o),
      ]
    : [
        new LoadForecaster({ horizonHours: 48 }),
        seasonalNaiveForecaster(7, o),
        seasonalNaiveForecaster(1, o),
        persistenceForecaster(o),
      ];
}

describe('no leakage', () => {
  for (const target of ['pv', 'load'] as const) {
    it(`${target}: poisoning everything after the issue changes no forecast, even handed the whole series`, () => {
      const data = target === 'pv' ? pv : load;
      const issueMs = issueOn(data, 50);
      const poisoned = poisonAfter(data, issueMs);
      for (const [a, b] of models(target).map((m, i) => [m, models(target)[i]] as const)) {
        a.fit(knownAt(data, issueMs), issueMs);
        b.fit(poisoned, issueMs); // not cut: the model itself must not look past the issue
        const fa = a.predict(knownAt(data, issueMs, issueMs + 48 * H), reqAt(data, issueMs));
        const fb = b.predict(poisoned, reqAt(data, issueMs));
        expect(Array.from(fb.p50), a.name).toEqual(Array.from(fa.p50));
        expect(Array.from(fb.p90), a.name).toEqual(Array.from(fa.p90));
      }
    }, 30_000);
  }

  it('the day-ahead forecast issued at the issue time is used (it is not the future)', () => {
    const issueMs = issueOn(pv, 50);
    const m = new PvForecaster({ site, horizonHours: 48 });
    m.fit(knownAt(pv, issueMs), issueMs);
    const a = m.predict(knownAt(pv, issueMs, issueMs + 48 * H), reqAt(pv, issueMs));
    const clear = knownAt(pv, issueMs, issueMs + 48 * H);
    for (let i = 0; i < clear.count; i++)
      if (clear.forecast!.issueMs[i] === issueMs) clear.forecast!.cloudCover[i] = 0;
    const b = m.predict(clear, reqAt(pv, issueMs));
    expect(b.p50.reduce((s, v) => s + v, 0)).toBeGreaterThan(a.p50.reduce((s, v) => s + v, 0));
  });
});

describe('forecasters', () => {
  it('quantiles are ordered, non-negative, PV zero at night and capped at the AC capacity', () => {
    const issueMs = issueOn(pv, 60);
    for (const m of models('pv')) {
      m.fit(knownAt(pv, issueMs), issueMs);
      const f = m.predict(knownAt(pv, issueMs, issueMs + 48 * H), reqAt(pv, issueMs));
      for (let j = 0; j < f.p50.length; j++) {
        expect(f.p10[j]).toBeLessThanOrEqual(f.p50[j]);
        expect(f.p50[j]).toBeLessThanOrEqual(f.p90[j]);
        expect(f.p10[j]).toBeGreaterThanOrEqual(0);
        expect(f.p90[j]).toBeLessThanOrEqual(6070 + 1e-6);
      }
      // 02:00 local the next day (lead 9 h): only plain persistence, which holds the 16:00 value, is not zero.
      if (m.name !== 'persistence') expect(f.p90[9]).toBe(0);
    }
  });

  it('seasonal naive takes the latest known day, or a week back', () => {
    const issueMs = issueOn(load, 40);
    const day = seasonalNaiveForecaster(1, { horizonHours: 48 });
    day.fit(knownAt(load, issueMs), issueMs);
    const f = day.predict(knownAt(load, issueMs, issueMs + 48 * H), reqAt(load, issueMs));
    const i0 = Math.round((issueMs - load.startMs) / H);
    // 17:00 today ← 17:00 yesterday (known); 10:00 tomorrow (lead 17 h) ← today 10:00; 23:00 tomorrow
    // (lead 30 h) ← 23:00 yesterday, as today's 23:00 is not known at 17:00.
    expect(f.p50[0]).toBe(load.targetKw[i0 - 24]);
    expect(f.p50[17]).toBe(load.targetKw[i0 + 17 - 24]);
    expect(f.p50[30]).toBe(load.targetKw[i0 + 30 - 48]);
    const week = seasonalNaiveForecaster(7, { horizonHours: 48 });
    week.fit(knownAt(load, issueMs), issueMs);
    expect(week.predict(load, reqAt(load, issueMs)).p50[17]).toBe(load.targetKw[i0 + 17 - 168]);
  });

  it('load: a forecast temperature beyond anything met in training is clamped, not extrapolated', () => {
    // January–February: heating hinges are learned, on temperatures no colder than the winter's coldest.
    const issueMs = issueOn(load, 60);
    const m = new LoadForecaster({ horizonHours: 48 });
    m.fit(knownAt(load, issueMs), issueMs);
    const withForecastC = (tempC: number) => {
      const v = knownAt(load, issueMs, issueMs + 48 * H);
      const f = v.forecast!;
      for (let i = 0; i < v.count; i++) if (f.issueMs[i] <= issueMs) f.temperatureC[i] = tempC;
      return Array.from(m.predict(v, reqAt(load, issueMs)).p50);
    };
    let coldestC = Infinity;
    for (let i = 0; i < Math.round((issueMs - load.startMs) / H); i++) {
      const t = load.forecast!.temperatureC[i];
      if (Number.isFinite(t)) coldestC = Math.min(coldestC, t);
    }
    const atColdest = withForecastC(coldestC);
    // Inside the range the temperature matters: 10 °C warmer is a different forecast.
    expect(withForecastC(coldestC + 10)).not.toEqual(atColdest);
    // A cold snap 15 °C below anything seen forecasts exactly what the coldest day seen would.
    expect(withForecastC(coldestC - 15)).toEqual(atColdest);
  });

  it('load: with three weeks of history, Saturdays follow the profile they resemble', () => {
    // A plant that runs 08–18 at 5 MW (1 MW otherwise) on weekdays; on Saturdays either the same shift
    // or nothing. Three weeks give three Saturdays: too few to learn alone, enough to tell which.
    const zone = 'Asia/Seoul';
    const startMs = Date.parse('2025-06-09T00:00:00+09:00'); // a Monday, after 현충일 (6 June)
    const days = 23;
    const series = (saturdayWorks: boolean): SiteSeries => {
      const targetKw = new Float64Array(days * 24);
      for (let i = 0; i < targetKw.length; i++) {
        const d = Math.floor(i / 24);
        const h = i % 24;
        const weekday = d % 7 < 5 || (saturdayWorks && d % 7 === 5);
        targetKw[i] = weekday && h >= 8 && h < 18 ? 5000 : 1000;
      }
      return { startMs, intervalMinutes: 60, count: targetKw.length, zone, targetKw };
    };
    // Issued Friday 2025-06-27 17:00 for Saturday the 28th.
    const issueMs = Date.parse('2025-06-27T17:00:00+09:00');
    const saturdayNoonJ = 19; // 12:00 on the Saturday is 19 h after the issue
    for (const works of [true, false]) {
      const data = series(works);
      const m = new LoadForecaster({ horizonHours: 48 });
      m.fit(knownAt(data, issueMs), issueMs);
      const p50 = m.predict(knownAt(data, issueMs, issueMs + 48 * H), reqAt(data, issueMs)).p50;
      expect(p50[saturdayNoonJ], `Saturday works: ${works}`).toBeCloseTo(works ? 5000 : 1000, -2);
    }
  });

  it('save() and load() give the same forecasts', () => {
    for (const target of ['pv', 'load'] as const) {
      const data = target === 'pv' ? pv : load;
      const issueMs = issueOn(data, 45);
      const m = models(target)[0];
      m.fit(knownAt(data, issueMs), issueMs);
      const json = saveForecaster(m);
      const again = loadForecaster(JSON.parse(JSON.stringify(json)));
      const v = knownAt(data, issueMs, issueMs + 48 * H);
      expect(Array.from(again.predict(v, reqAt(data, issueMs)).p90)).toEqual(
        Array.from(m.predict(v, reqAt(data, issueMs)).p90),
      );
    }
    expect(() => loadForecaster('{"kind":"magic"}')).toThrow(/unknown saved model kind/);
    expect(() => loadForecaster('not json')).toThrow(/not valid JSON/);
  });

  it('chooses its penalty from the grid on the holdout (speed is in the bench)', () => {
    const m = new LoadForecaster({ horizonHours: 48 });
    expect(m.chosenLambda).toBeNaN();
    m.fit(load, load.startMs + load.count * H);
    expect(LOAD_LAMBDA_GRID).toContain(m.chosenLambda);
  });

  it('refuses to fit on too little history with a clear message', () => {
    const issueMs = issueOn(load, 5);
    expect(() => new LoadForecaster({ horizonHours: 48 }).fit(knownAt(load, issueMs), issueMs)).toThrow(
      /at least 14 days/,
    );
  });
});

describe('metrics and retraining', () => {
  it('pinball loss, coverage and skill by hand', () => {
    expect(pinball(10, 8, 0.9)).toBeCloseTo(1.8);
    expect(pinball(10, 12, 0.9)).toBeCloseTo(0.2);
    const m = scoreMetrics(
      [
        { actual: 10, p10: 8, p50: 9, p90: 11 },
        { actual: 20, p10: 21, p50: 22, p90: 23 },
      ],
      100,
      1,
    );
    expect(m.maeKw).toBeCloseTo(1.5);
    expect(m.rmseKw).toBeCloseTo(Math.sqrt(2.5));
    expect(m.nmae).toBeCloseTo(0.015);
    expect(m.coverage80).toBe(0.5);
    expect(m.mape).toBeCloseTo((0.1 + 0.1) / 2);
    const pb1 = (0.1 * 2 + 0.5 * 1 + 0.1 * 1) / 3;
    const pb2 = (0.9 * 1 + 0.5 * 2 + 0.1 * 3) / 3;
    expect(m.pinballKw).toBeCloseTo((pb1 + pb2) / 2);
    expect(skill(75, 100)).toBeCloseTo(0.25);
  });

  it('shouldRetrain follows the policy', () => {
    const t = Date.parse('2025-06-02T15:00:00+09:00');
    expect(shouldRetrain(null, t)).toBe(true);
    expect(shouldRetrain(t - 10 * H, t, { everyHours: 24 })).toBe(false);
    expect(shouldRetrain(t - 25 * H, t, { everyHours: 24 })).toBe(true);
    expect(shouldRetrain(t - 25 * H, t, { everyHours: 24, notBeforeHour: 16 })).toBe(false);
    expect(shouldRetrain(t - 25 * H, t + 1 * H, { everyHours: 24, notBeforeHour: 16 })).toBe(true);
    expect(shouldRetrain(t - 49 * H, t, { everyHours: 24, notBeforeHour: 16 })).toBe(true);
  });
});
