import { DateTime } from 'luxon';
import { persistenceForecaster, seasonalNaiveForecaster, smartPersistenceForecaster } from './baselines.ts';
import { gridCalendar } from './calendar-features.ts';
import { LoadForecaster } from './load-model.ts';
import { scoreMetrics, skill, type Metrics, type ScoredPoint } from './metrics.ts';
import { PvGbtForecaster } from './pv-gbt.ts';
import { PvForecaster } from './pv-model.ts';
import { clearSkyCurve, totalCapacityKw, type PvSiteSpec } from './pv-physics.ts';
import { AutoForecaster, type Candidate, type ModelChoice } from './select.ts';
import { knownAt, stepMs } from './series.ts';
import type { Forecaster, SiteSeries, Target } from './types.ts';

// Rolling-origin evaluation: for every local day D of the data, issue a forecast at `issueHour` on
// D − 1 from what was known then, and score it on the intervals of D. Models are refitted every
// `refitDays` issues (not at each one, for speed) on data known at that issue, and every forecaster
// only ever receives a copy of the data cut at the issue time (series.ts knownAt), so nothing after
// it can leak in.

const MS_PER_HOUR = 3_600_000;
export const DEFAULT_ISSUE_HOUR = 17;
export const DEFAULT_HORIZON_HOURS = 48;
/** History needed before the first scored issue, days: two weeks to fit and a holdout to learn the band. */
export const DEFAULT_MIN_TRAIN_DAYS = 28;
/** Refit interval, issues (days). A weekly refit changes scores little and makes a year's backtest ~7× faster. */
export const DEFAULT_REFIT_DAYS = 7;
/** Load MAPE ignores intervals below this share of the mean load. */
const MAPE_FLOOR_SHARE = 0.05;

export interface BacktestOptions {
  target: Target;
  /** Needed for PV (physics, smart persistence and daylight scoring). */
  pvSite?: PvSiteSpec;
  issueHour?: number;
  horizonHours?: number;
  /** Learned models train on at most this many days before each issue (all history when absent). */
  trainDays?: number;
  minTrainDays?: number;
  refitDays?: number;
  /** Extra or replacement forecasters (the defaults for the target when absent). */
  forecasters?: Forecaster[];
  onProgress?: (done: number, total: number) => void;
}

export interface ModelScore {
  name: string;
  mae: number;
  rmse: number;
  nmae: number;
  mape?: number;
  skillVsSmartPersistence?: number;
  skillVsSeasonalNaive: number;
  pinball: number;
  coverage80: number;
}

export interface BacktestResult {
  target: Target;
  points: number;
  issues: number;
  issueHour: number;
  horizonHours: number;
  refitDays: number;
  /** The seasonal-naive variant the skill refers to. */
  seasonalNaiveReference: string;
  /** nMAE denominator, kW (PV: AC capacity; load: mean load over the scored points). */
  normaliserKw: number;
  models: ModelScore[];
  /** The automatic choice (model `auto`), when it ran: how often each model was chosen, and the latest choice. */
  choices?: { counts: Record<string, number>; latest: ModelChoice; latestAtMs: number };
}

export interface CandidateOptions {
  pvSite?: PvSiteSpec;
  horizonHours: number;
  trainDays?: number;
}

/** The learned model and the baselines for a target, as candidates of the automatic choice (select.ts). */
export function defaultCandidates(target: Target, o: CandidateOptions): Candidate[] {
  const base = { horizonHours: o.horizonHours, pvSite: o.pvSite };
  if (target === 'pv') {
    const site = o.pvSite;
    if (!site) throw new RangeError('a PV backtest needs the site (arrays, location): pass --site-config');
    return [
      {
        learned: true,
        make: () => new PvForecaster({ site, horizonHours: o.horizonHours, trainDays: o.trainDays }),
      },
      {
        learned: true,
        make: () => new PvGbtForecaster({ site, horizonHours: o.horizonHours, trainDays: o.trainDays }),
      },
      { learned: false, make: () => smartPersistenceForecaster({ ...base, pvSite: site }) },
      { learned: false, make: () => seasonalNaiveForecaster(1, base) },
      { learned: false, make: () => seasonalNaiveForecaster(7, base) },
      { learned: false, make: () => persistenceForecaster(base) },
    ];
  }
  return [
    {
      learned: true,
      make: () => new LoadForecaster({ horizonHours: o.horizonHours, trainDays: o.trainDays }),
    },
    { learned: false, make: () => seasonalNaiveForecaster(7, base) },
    { learned: false, make: () => seasonalNaiveForecaster(1, base) },
    { learned: false, make: () => persistenceForecaster(base) },
  ];
}

/** The automatic choice among the default candidates (select.ts), validated at the given issue hour. */
export function autoForecaster(target: Target, o: CandidateOptions & { issueHour: number }): AutoForecaster {
  const site = o.pvSite;
  // PV is scored in daylight only, as in the backtest: night zeros would flatter every model.
  const daylight = (data: SiteSeries) =>
    clearSkyCurve(site!, data.startMs, data.intervalMinutes, data.count).powerKw;
  return new AutoForecaster(defaultCandidates(target, o), {
    issueHour: o.issueHour,
    horizonHours: o.horizonHours,
    scoredMask: target === 'pv' ? daylight : undefined,
  });
}

/** The automatic choice, then the learned model and the baselines for a target. */
export function defaultForecasters(
  target: Target,
  o: CandidateOptions & { issueHour?: number },
): Forecaster[] {
  return [
    autoForecaster(target, { ...o, issueHour: o.issueHour ?? DEFAULT_ISSUE_HOUR }),
    ...defaultCandidates(target, o).map((c) => c.make()),
  ];
}

export function runBacktest(data: SiteSeries, o: BacktestOptions): BacktestResult {
  const issueHour = o.issueHour ?? DEFAULT_ISSUE_HOUR;
  const horizonHours = o.horizonHours ?? DEFAULT_HORIZON_HOURS;
  const minTrainDays = o.minTrainDays ?? DEFAULT_MIN_TRAIN_DAYS;
  const refitDays = o.refitDays ?? DEFAULT_REFIT_DAYS;
  if (!(issueHour >= 0 && issueHour < 24)) throw new RangeError(`issue hour must be 0–23, got ${issueHour}`);
  if (!(horizonHours >= 24))
    throw new RangeError(`horizon must be at least 24 h to cover the next day, got ${horizonHours}`);
  const forecasters =
    o.forecasters ??
    defaultForecasters(o.target, { pvSite: o.pvSite, horizonHours, trainDays: o.trainDays, issueHour });
  const step = stepMs(data);
  const zone = data.zone;
  const endMs = data.startMs + data.count * step;
  // Warm the per-grid caches once for the full length, so the growing views below reuse them.
  const horizonSteps = Math.ceil((horizonHours * MS_PER_HOUR) / step);
  gridCalendar(data.startMs, data.intervalMinutes, data.count + horizonSteps, zone);
  const daylight = o.pvSite
    ? clearSkyCurve(o.pvSite, data.startMs, data.intervalMinutes, data.count + horizonSteps).powerKw
    : null;

  // Issue times: issueHour on the day before each scored day.
  const firstDay = DateTime.fromMillis(data.startMs, { zone })
    .startOf('day')
    .plus({ days: minTrainDays + 1 });
  const issues: { issueMs: number; dayStartMs: number; dayEndMs: number }[] = [];
  for (let d = firstDay; d.toMillis() < endMs; d = d.plus({ days: 1 })) {
    const dayEnd = d.plus({ days: 1 }).toMillis();
    if (dayEnd > endMs) break;
    const issueMs = d.minus({ days: 1 }).plus({ hours: issueHour }).toMillis();
    if (dayEnd - issueMs > horizonHours * MS_PER_HOUR)
      throw new RangeError(
        `horizon ${horizonHours} h does not reach the end of the next day from ${issueHour}:00`,
      );
    issues.push({ issueMs, dayStartMs: d.toMillis(), dayEndMs: dayEnd });
  }
  if (issues.length === 0)
    throw new RangeError(
      `not enough data: the backtest needs more than ${minTrainDays + 1} days (have ${((data.count * step) / 86_400_000).toFixed(1)})`,
    );

  const scored: ScoredPoint[][] = forecasters.map(() => []);
  for (let n = 0; n < issues.length; n++) {
    const { issueMs, dayStartMs, dayEndMs } = issues[n];
    if (n % refitDays === 0) {
      const view = knownAt(data, issueMs);
      for (const f of forecasters) {
        try {
          f.fit(view, issueMs);
        } catch (e) {
          throw new RangeError(
            `${f.name}: cannot fit at ${DateTime.fromMillis(issueMs, { zone }).toISO()}: ${(e as Error).message}`,
          );
        }
      }
    }
    const view = knownAt(data, issueMs, issueMs + horizonHours * MS_PER_HOUR);
    const first = Math.ceil((issueMs - data.startMs) / step);
    const req = { issueMs, startMs: data.startMs + first * step, count: horizonSteps };
    const preds = forecasters.map((f) => f.predict(view, req));
    const i0 = Math.round((dayStartMs - data.startMs) / step);
    const i1 = Math.round((dayEndMs - data.startMs) / step);
    for (let i = i0; i < i1; i++) {
      const y = data.targetKw[i];
      if (!Number.isFinite(y)) continue;
      if (daylight && !(daylight[i] > 0)) continue;
      const j = i - first;
      if (preds.some((p) => !Number.isFinite(p.p50[j]))) continue;
      preds.forEach((p, m) => scored[m].push({ actual: y, p10: p.p10[j], p50: p.p50[j], p90: p.p90[j] }));
    }
    o.onProgress?.(n + 1, issues.length);
  }

  const points = scored[0]?.length ?? 0;
  if (points === 0) throw new RangeError('no interval could be scored (no target values in the scored days)');
  let meanLoad = 0;
  for (const p of scored[0]) meanLoad += p.actual / points;
  const normaliserKw = o.target === 'pv' ? totalCapacityKw(o.pvSite!) : meanLoad;
  const metrics: Metrics[] = scored.map((s) =>
    scoreMetrics(s, normaliserKw, o.target === 'load' ? MAPE_FLOOR_SHARE * meanLoad : undefined),
  );
  const refName = o.target === 'pv' ? 'seasonal-naive-day' : 'seasonal-naive-week';
  const ref = metrics[forecasters.findIndex((f) => f.name === refName)];
  const sp = metrics[forecasters.findIndex((f) => f.name === 'smart-persistence')];
  const models: ModelScore[] = forecasters.map((f, m) => {
    const x = metrics[m];
    const s: ModelScore = {
      name: f.name,
      mae: x.maeKw,
      rmse: x.rmseKw,
      nmae: x.nmae,
      skillVsSeasonalNaive: ref ? skill(x.rmseKw, ref.rmseKw) : NaN,
      pinball: x.pinballKw,
      coverage80: x.coverage80,
    };
    if (x.mape !== undefined) s.mape = x.mape;
    if (sp) s.skillVsSmartPersistence = skill(x.rmseKw, sp.rmseKw);
    return s;
  });
  const auto = forecasters.find((f): f is AutoForecaster => f instanceof AutoForecaster);
  let choices: BacktestResult['choices'];
  if (auto && auto.history.length) {
    const counts: Record<string, number> = {};
    for (const h of auto.history) counts[h.choice.chosen] = (counts[h.choice.chosen] ?? 0) + 1;
    const latest = auto.history[auto.history.length - 1];
    choices = { counts, latest: latest.choice, latestAtMs: latest.atMs };
  }
  return {
    target: o.target,
    points,
    issues: issues.length,
    issueHour,
    horizonHours,
    refitDays,
    seasonalNaiveReference: refName,
    normaliserKw,
    models,
    ...(choices ? { choices } : {}),
  };
}

/** The backtest as a text table. */
export function formatBacktest(r: BacktestResult): string {
  const pct = (v: number | undefined) =>
    v === undefined || !Number.isFinite(v) ? '—' : `${(100 * v).toFixed(1)} %`;
  const f2 = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(2));
  const kw = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '—');
  const cols = [
    'model',
    'MAE kW',
    'RMSE kW',
    'nMAE',
    ...(r.target === 'load' ? ['MAPE'] : []),
    ...(r.target === 'pv' ? ['skill vs SP'] : []),
    `skill vs ${r.seasonalNaiveReference}`,
    'pinball kW',
    'P10–P90 cover',
  ];
  const rows = r.models.map((m) => [
    m.name,
    kw(m.mae),
    kw(m.rmse),
    pct(m.nmae),
    ...(r.target === 'load' ? [pct(m.mape)] : []),
    ...(r.target === 'pv' ? [f2(m.skillVsSmartPersistence)] : []),
    f2(m.skillVsSeasonalNaive),
    kw(m.pinball),
    pct(m.coverage80),
  ]);
  const widths = cols.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const head = `${r.target} backtest: ${r.issues} issues at ${String(r.issueHour).padStart(2, '0')}:00 for the next local day, ${r.points} scored intervals${r.target === 'pv' ? ' (daylight)' : ''}, refit every ${r.refitDays} day(s); nMAE by ${r.target === 'pv' ? 'AC capacity' : 'mean load'} ${r.normaliserKw.toFixed(0)} kW`;
  const table = [head, '', line(cols), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
  if (r.choices) {
    const total = Object.values(r.choices.counts).reduce((a, b) => a + b, 0);
    const counts = Object.entries(r.choices.counts)
      .sort((a, b) => b[1] - a[1])
      .map(([name, n]) => `${name} ${n}/${total}`)
      .join(', ');
    table.push(
      '',
      `auto: chose ${counts} refit(s) by rolling-origin validation on the history before each refit.`,
      `latest choice: ${r.choices.latest.chosen}: ${r.choices.latest.reason}`,
    );
  }
  return table.join('\n');
}
