import { beforeAll, describe, expect, it } from 'vitest';
import {
  chooseModel,
  defaultCandidates,
  formatBacktest,
  knownAt,
  LoadForecaster,
  loadPvSite,
  runBacktest,
  seasonalNaiveForecaster,
  syntheticDataset,
  type Candidate,
  type Forecaster,
  type ModelChoice,
  type ModelScore,
  type PredictRequest,
  type SiteSeries,
} from '../../src/forecast/index.ts';

// The automatic model choice on histories that look like a site that has just started: 30–60 days,
// holidays inside the window (추석 2025: 3–9 October), and a day-ahead temperature forecast whose error
// persists from day to day. A learned model worse than the best baseline on validation is never used.

const H = 3_600_000;
const DAY = 24 * H;
const site = loadPvSite('scenarios/gwangju.yaml');
let load: SiteSeries;
let pv: SiteSeries;

beforeAll(() => {
  load = syntheticDataset({ target: 'load', year: 2025, days: 304 });
  pv = syntheticDataset({ target: 'pv', year: 2025, days: 181 });
});

/** The part of a series from `fromIso` (local midnight) for `days` days. */
function slice(s: SiteSeries, fromIso: string, days: number): SiteSeries {
  const i0 = Math.round((Date.parse(fromIso) - s.startMs) / (s.intervalMinutes * 60_000));
  const n = Math.round((days * DAY) / (s.intervalMinutes * 60_000));
  const cut = (a: Float64Array | undefined) => a?.slice(i0, i0 + n);
  const f = s.forecast!;
  return {
    ...s,
    startMs: s.startMs + i0 * s.intervalMinutes * 60_000,
    count: n,
    targetKw: cut(s.targetKw)!,
    temperatureC: cut(s.temperatureC),
    ghiWPerM2: cut(s.ghiWPerM2),
    cloudCover: cut(s.cloudCover),
    forecast: {
      issueMs: cut(f.issueMs)!,
      temperatureC: cut(f.temperatureC)!,
      cloudCover: cut(f.cloudCover)!,
      sky: cut(f.sky)!,
      popPercent: cut(f.popPercent)!,
      rehPercent: cut(f.rehPercent)!,
      ptyCode: cut(f.ptyCode)!,
    },
  };
}

/**
 * A copy whose forecast temperature carries an extra error that persists from day to day: AR(1) over
 * days with correlation `rho` and SD `sdC` (a model that runs warm for a week, then cold).
 */
function withPersistentTemperatureError(s: SiteSeries, sdC: number, rho: number, seed: number): SiteSeries {
  let state = seed >>> 0;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 2 ** 32;
  };
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const t = s.forecast!.temperatureC.slice();
  const perDay = Math.round(DAY / (s.intervalMinutes * 60_000));
  let e = sdC * normal();
  for (let i = 0; i < s.count; i++) {
    if (i % perDay === 0) e = rho * e + sdC * Math.sqrt(1 - rho * rho) * normal();
    t[i] += e;
  }
  return { ...s, forecast: { ...s.forecast!, temperatureC: t } };
}

/** The load model with its P50 15 % high: a learned model that validation must find worse. */
class BiasedLoad implements Forecaster {
  readonly name = 'load-ridge-biased';
  private readonly inner = new LoadForecaster({ horizonHours: 48, trainDays: 60 });
  fit(data: SiteSeries, untilMs: number): void {
    this.inner.fit(data, untilMs);
  }
  predict(data: SiteSeries, req: PredictRequest) {
    const f = this.inner.predict(data, req);
    return { ...f, p50: f.p50.map((v) => 1.15 * v) };
  }
}

/**
 * A stand-in learned model that knows the truth and adds a seeded error of SD `sdKw`: 80 % of its
 * variance shared by each local day, as a weather forecast's error is. Only the choice is under test here.
 */
class NoisyOracle implements Forecaster {
  constructor(
    readonly name: string,
    private readonly truth: SiteSeries,
    private readonly sdKw: number,
    private readonly seed: number,
  ) {}
  fit(): void {}
  predict(data: SiteSeries, req: PredictRequest) {
    const step = data.intervalMinutes * 60_000;
    const first = Math.round((req.startMs - this.truth.startMs) / step);
    const perDay = Math.round(DAY / step);
    const p50 = new Float64Array(req.count);
    for (let j = 0; j < req.count; j++) {
      const i = first + j;
      const day = Math.floor(i / perDay);
      const e = Math.sqrt(0.8) * gaussian(this.seed, day) + Math.sqrt(0.2) * gaussian(this.seed + 1, i);
      p50[j] = i < this.truth.count ? this.truth.targetKw[i] + this.sdKw * e : NaN;
    }
    return { startMs: req.startMs, intervalMinutes: data.intervalMinutes, p10: p50, p50, p90: p50 };
  }
}

/** A standard normal drawn from (seed, n) alone (hash → two uniforms → Box–Muller). */
function gaussian(seed: number, n: number): number {
  const u = (salt: number) => {
    let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(n + salt, 0xc2b2ae35);
    h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
    h ^= h >>> 13;
    return ((h >>> 0) + 0.5) / 2 ** 32;
  };
  return Math.sqrt(-2 * Math.log(u(0))) * Math.cos(2 * Math.PI * u(7919));
}

const baselinesOf = (c: ModelChoice) => c.candidates.filter((x) => !x.learned);

/** The guard, as a property of any choice. */
function expectGuardHeld(c: ModelChoice): void {
  const bases = baselinesOf(c);
  const best = bases.reduce((a, b) => (b.rmseKw < a.rmseKw ? b : a));
  const chosen = c.candidates.find((x) => x.name === c.chosen)!;
  if (chosen.learned) {
    for (const b of bases) {
      expect(chosen.rmseKw).toBeLessThanOrEqual(b.rmseKw);
      expect(chosen.maeKw).toBeLessThanOrEqual(b.maeKw);
    }
  } else expect(chosen.name).toBe(best.name);
}

describe('automatic model choice', () => {
  it('never uses a learned model that validates worse than the best baseline', () => {
    const candidates: Candidate[] = [
      { learned: true, make: () => new BiasedLoad() },
      { learned: false, make: () => seasonalNaiveForecaster(7, { horizonHours: 48 }) },
      { learned: false, make: () => seasonalNaiveForecaster(1, { horizonHours: 48 }) },
    ];
    const data = slice(load, '2025-08-01T00:00:00+09:00', 60);
    const untilMs = data.startMs + 59 * DAY + 17 * H;
    const c = chooseModel(knownAt(data, untilMs), untilMs, candidates, { horizonHours: 48 });
    expect(c.chosen).toBe('seasonal-naive-week');
    expect(c.reason).toMatch(/load-ridge-biased is not better on RMSE/);
    expect(c.days).toBe(14);
    expectGuardHeld(c);
    // The same learned model without the bias wins on the same days.
    const fair = chooseModel(
      knownAt(data, untilMs),
      untilMs,
      [
        {
          learned: true,
          make: () => new LoadForecaster({ horizonHours: 48, trainDays: 60 }),
        },
        ...candidates.slice(1),
      ],
      { horizonHours: 48 },
    );
    expect(fair.chosen).toBe('load-ridge');
    expect(fair.reason).toMatch(/load-ridge beats the best baseline seasonal-naive-week/);
    expectGuardHeld(fair);
  });

  it('keeps the simpler learned model unless a later one validates lower by more than one standard error', () => {
    const data = slice(load, '2025-08-01T00:00:00+09:00', 60);
    const untilMs = data.startMs + 59 * DAY + 17 * H;
    const view = knownAt(data, untilMs);
    const baselines: Candidate[] = [
      { learned: false, make: () => seasonalNaiveForecaster(7, { horizonHours: 48 }) },
      { learned: false, make: () => seasonalNaiveForecaster(1, { horizonHours: 48 }) },
    ];
    const choose = (complexSdKw: number) =>
      chooseModel(
        view,
        untilMs,
        [
          { learned: true, make: () => new NoisyOracle('simple', data, 40, 1) },
          { learned: true, make: () => new NoisyOracle('complex', data, complexSdKw, 5) },
          ...baselines,
        ],
        { horizonHours: 48 },
      );
    const score = (c: ModelChoice, name: string) => c.candidates.find((x) => x.name === name)!;
    // A slightly smaller error: lower on these 14 days, but not by more than their spread explains.
    const close = choose(36);
    expect(score(close, 'complex').rmseKw).toBeLessThan(score(close, 'simple').rmseKw);
    expect(close.chosen).toBe('simple');
    expect(close.reason).toMatch(
      /complex validated lower .* within one standard error, so the simpler simple/,
    );
    expectGuardHeld(close);
    // A clearly smaller error displaces the simpler model.
    const clear = choose(10);
    expect(clear.chosen).toBe('complex');
    expect(clear.reason).not.toMatch(/standard error/);
    expectGuardHeld(clear);
  });

  it('holds the guard at issues across the year, holidays included', () => {
    for (const iso of ['2025-02-03', '2025-05-06', '2025-08-18', '2025-10-10']) {
      const untilMs = Date.parse(`${iso}T17:00:00+09:00`);
      const c = chooseModel(
        knownAt(load, untilMs),
        untilMs,
        defaultCandidates('load', { horizonHours: 48, trainDays: 60 }),
        { horizonHours: 48 },
      );
      expect(c.validatedAtMs).toBeLessThan(untilMs);
      expectGuardHeld(c);
    }
  });

  it('uses the default baseline, unvalidated, when the history is too short to validate', () => {
    const data = slice(load, '2025-08-01T00:00:00+09:00', 20);
    const untilMs = data.startMs + 15 * DAY + 17 * H;
    const c = chooseModel(knownAt(data, untilMs), untilMs, defaultCandidates('load', { horizonHours: 48 }), {
      horizonHours: 48,
    });
    expect(c).toMatchObject({ chosen: 'seasonal-naive-week', validatedAtMs: null, candidates: [] });
    expect(c.reason).toMatch(/15 day\(s\) of history: too little to validate/);
  });
});

/** Best RMSE and best MAE among the baselines of a backtest. */
function bestBaseline(models: ModelScore[], learned: string[]): { rmse: number; mae: number } {
  const bases = models.filter((m) => m.name !== 'auto' && !learned.includes(m.name));
  return { rmse: Math.min(...bases.map((m) => m.rmse)), mae: Math.min(...bases.map((m) => m.mae)) };
}

describe('sites that have just started (60-day windows)', () => {
  it('load with 추석 in the scored days and a persistent temperature-forecast error: auto and learned ≥ best baseline', () => {
    // 1 August – 31 October: scored from 16 September, so 추석 (3–9 October) and the days after it are in.
    const data = withPersistentTemperatureError(slice(load, '2025-08-01T00:00:00+09:00', 92), 2.5, 0.8, 15);
    const r = runBacktest(data, { target: 'load', trainDays: 60, minTrainDays: 45 });
    console.log(formatBacktest(r));
    const best = bestBaseline(r.models, ['load-ridge']);
    for (const name of ['auto', 'load-ridge']) {
      const m = r.models.find((x) => x.name === name)!;
      expect(m.rmse, name).toBeLessThanOrEqual(best.rmse);
      expect(m.mae, name).toBeLessThanOrEqual(best.mae);
    }
    expect(r.choices?.latest.reason).toBeTruthy();
  });

  it('PV from 30 days of history on: auto and learned ≥ best baseline', () => {
    const data = slice(pv, '2025-04-01T00:00:00+09:00', 91);
    const r = runBacktest(data, { target: 'pv', pvSite: site, trainDays: 60, minTrainDays: 30 });
    console.log(formatBacktest(r));
    const best = bestBaseline(r.models, ['pv-ridge']);
    for (const name of ['auto', 'pv-ridge']) {
      const m = r.models.find((x) => x.name === name)!;
      expect(m.rmse, name).toBeLessThanOrEqual(best.rmse);
      expect(m.mae, name).toBeLessThanOrEqual(best.mae);
    }
  });
});
